/**
 * The durable half of an outbox: one JSON file per entry under `<dir>/pending` or `<dir>/dead`,
 * written to a temporary name, fsynced, renamed, and the directory fsynced, so an entry is either
 * wholly there or not there after a crash. Unreadable files are moved aside to `<dir>/corrupt`
 * and reported, never deleted.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { type OutboxEntry, fileName, keyed } from './entry.js'

export type Shelf = 'pending' | 'dead'

export class OutboxStore {
  private constructor(readonly dir: string) {}

  static async open(dir: string): Promise<OutboxStore> {
    for (const shelf of ['pending', 'dead', 'corrupt']) await mkdir(join(dir, shelf), { recursive: true })
    return new OutboxStore(dir)
  }

  async write(shelf: Shelf, entry: OutboxEntry): Promise<void> {
    const target = join(this.dir, shelf, fileName(entry.key))
    const tmp = join(this.dir, shelf, `.${randomBytes(6).toString('hex')}.tmp`)
    const handle = await open(tmp, 'w')
    try {
      await handle.writeFile(JSON.stringify(entry))
      await handle.datasync()
    } finally {
      await handle.close()
    }
    await rename(tmp, target)
  }

  async remove(shelf: Shelf, key: string): Promise<void> {
    await unlink(join(this.dir, shelf, fileName(key))).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error
    })
  }

  /** Makes renames and unlinks in the shelf durable. */
  async sync(shelf: Shelf): Promise<void> {
    const handle = await open(join(this.dir, shelf), 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  }

  async read(shelf: Shelf, key: string): Promise<OutboxEntry | undefined> {
    try {
      return keyed(JSON.parse(await readFile(join(this.dir, shelf, fileName(key)), 'utf8')) as OutboxEntry)
    } catch {
      return undefined
    }
  }

  /** Every entry on a shelf; `corrupt` receives the names of files that could not be read. */
  async list(shelf: Shelf, corrupt: string[] = []): Promise<OutboxEntry[]> {
    const names = (await readdir(join(this.dir, shelf))).filter((name) => name.endsWith('.json'))
    const entries: OutboxEntry[] = []
    for (const name of names) {
      const path = join(this.dir, shelf, name)
      try {
        const entry = JSON.parse(await readFile(path, 'utf8')) as OutboxEntry
        if (typeof entry.id !== 'string' || typeof entry.notification !== 'object') throw new Error('not an outbox entry')
        entries.push(keyed(entry))
      } catch {
        await rename(path, join(this.dir, 'corrupt', name)).catch(() => undefined)
        corrupt.push(name)
      }
    }
    return entries
  }

  /** Dead → pending with a fresh attempt budget (all, or those of one alert or digest id); returns the entries moved. */
  async redeliver(filter: { id?: string }, now: number): Promise<OutboxEntry[]> {
    const moved: OutboxEntry[] = []
    for (const dead of await this.list('dead')) {
      if (filter.id !== undefined && dead.id !== filter.id) continue
      const pending = await this.read('pending', dead.key)
      if (pending && (pending.version > dead.version || (pending.version === dead.version && pending.updated_at >= dead.updated_at))) {
        await this.remove('dead', dead.key)
        continue
      }
      const revived: OutboxEntry = { ...dead, attempts: 0, dead_at: 0, next_attempt_at: now }
      await this.write('pending', revived)
      await this.remove('dead', dead.key)
      moved.push(revived)
    }
    if (moved.length > 0) await this.sync('pending')
    await this.sync('dead')
    return moved
  }
}
