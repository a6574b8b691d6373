/**
 * Where an incident's Slack thread lives: incident key (tenant, rule, dedup key; see sink.ts) →
 * `ts` of the first message, kept in an append-only JSON-lines file (fsync per append) so repeats
 * after a restart still land in the thread. Compacted on open when it has grown to more than
 * twice its live entries.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'

export interface ThreadStore {
  get(key: string): string | undefined
  set(key: string, ts: string): Promise<void>
  close(): void
}

export class MemoryThreadStore implements ThreadStore {
  private readonly map = new Map<string, string>()
  get(key: string) {
    return this.map.get(key)
  }
  async set(key: string, ts: string) {
    this.map.set(key, ts)
  }
  close() {}
}

interface Line {
  k: string
  ts: string
}

export class FileThreadStore implements ThreadStore {
  private readonly map = new Map<string, string>()
  private fd: number | undefined

  private constructor(private readonly file: string) {}

  static async open(file: string, maxEntries = 100_000): Promise<FileThreadStore> {
    await mkdir(dirname(file), { recursive: true })
    const store = new FileThreadStore(file)
    let lines = 0
    if (existsSync(file)) {
      for (const raw of readFileSync(file, 'utf8').split('\n')) {
        if (!raw) continue
        try {
          const line = JSON.parse(raw) as Line
          store.map.delete(line.k)
          store.map.set(line.k, line.ts)
          lines++
        } catch {
          // A torn last line from a crash mid-append: the rest of the file is still good.
        }
      }
    }
    while (store.map.size > maxEntries) store.map.delete(store.map.keys().next().value as string)
    if (lines > 2 * store.map.size + 100) store.compact()
    store.fd = openSync(file, 'a')
    return store
  }

  get(key: string): string | undefined {
    return this.map.get(key)
  }

  async set(key: string, ts: string): Promise<void> {
    this.map.set(key, ts)
    if (this.fd === undefined) return
    writeSync(this.fd, JSON.stringify({ k: key, ts } satisfies Line) + '\n')
    fsyncSync(this.fd)
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
  }

  private compact(): void {
    const tmp = `${this.file}.tmp`
    const fd = openSync(tmp, 'w')
    for (const [k, ts] of this.map) writeSync(fd, JSON.stringify({ k, ts }) + '\n')
    fsyncSync(fd)
    closeSync(fd)
    renameSync(tmp, this.file)
  }
}
