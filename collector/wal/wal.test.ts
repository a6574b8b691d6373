import { mkdtemp, readdir, readFile, stat, writeFile, appendFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { silentTelemetry } from '../../core/telemetry.js'
import { WriteAheadLog, type WalEntry, type WalOptions } from './index.js'
import { decodeRecord, encodeRecord } from './record.js'

const entry = (n: number, tenant = 'acme'): WalEntry => ({
  signal: n % 2 === 0 ? 'traces' : 'logs',
  format: n % 3 === 0 ? 'json' : 'protobuf',
  tenant,
  body: Buffer.from(`body-${n}-${'x'.repeat(n)}`),
})

const opened: WriteAheadLog[] = []
async function openWal(dir: string, options: Pick<WalOptions, 'segmentBytes' | 'onCheckpointWritten'> = {}) {
  const { registry, logger } = silentTelemetry()
  const result = await WriteAheadLog.open({ dir, logger, registry, checkpointIntervalMs: 5, ...options })
  opened.push(result.wal)
  return { ...result, registry }
}
const tempDir = () => mkdtemp(join(tmpdir(), 'privpath-wal-'))
const segments = async (dir: string) => (await readdir(dir)).filter((n) => n.endsWith('.wal')).sort()

afterEach(async () => {
  for (const wal of opened.splice(0)) await wal.close().catch(() => undefined)
})

describe('record encoding', () => {
  it('round-trips and detects corruption anywhere in the record', () => {
    const bytes = encodeRecord(42, entry(5, 'globex'))
    const decoded = decodeRecord(bytes, 0)
    expect(decoded.ok && decoded.record).toMatchObject({ lsn: 42, signal: 'logs', format: 'protobuf', tenant: 'globex' })
    expect(decoded.ok && Buffer.from(decoded.record.body).toString()).toBe('body-5-xxxxx')
    for (const at of [5, 9, 17, bytes.length - 1]) {
      const bad = Buffer.from(bytes)
      bad[at] ^= 0xff
      expect(decodeRecord(bad, 0).ok).toBe(false)
    }
    expect(decodeRecord(bytes.subarray(0, bytes.length - 1), 0)).toEqual({ ok: false, reason: 'truncated' })
  })

  it('round-trips every signal, OPA uploads included', () => {
    for (const signal of ['traces', 'logs', 'opa'] as const) {
      const decoded = decodeRecord(encodeRecord(7, { ...entry(2), signal }), 0)
      expect(decoded.ok && decoded.record.signal).toBe(signal)
    }
  })
})

describe('write-ahead log', () => {
  it('group-commits concurrent appends under fewer fsyncs than records', async () => {
    const dir = await tempDir()
    const { wal, registry } = await openWal(dir)
    const lsns = await Promise.all(Array.from({ length: 200 }, (_, i) => wal.append(entry(i))))
    expect(lsns).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
    const metrics = await registry.getSingleMetric('privpath_collector_wal_fsync_seconds')!.get()
    const syncs = metrics.values.find((v) => (v as { metricName?: string }).metricName === 'privpath_collector_wal_fsync_seconds_count')!.value
    expect(syncs).toBeGreaterThanOrEqual(1)
    expect(syncs).toBeLessThan(200)
  })

  it('replays every record after the checkpoint, in order, with its tenant and format', async () => {
    const dir = await tempDir()
    const first = await openWal(dir)
    for (let i = 1; i <= 10; i++) await first.wal.append(entry(i))
    for (const lsn of [1, 2, 3, 5]) first.wal.complete(lsn)
    expect(first.wal.checkpointed()).toBe(3)
    await first.wal.close()

    const second = await openWal(dir)
    expect(second.replay.map((r) => r.lsn)).toEqual([4, 5, 6, 7, 8, 9, 10])
    expect(second.replay[0]).toMatchObject({ signal: 'traces', format: 'protobuf', tenant: 'acme' })
    expect(Buffer.from(second.replay[0].body).toString()).toBe('body-4-xxxx')
    // New appends continue after the highest LSN seen.
    expect(await second.wal.append(entry(11))).toBe(11)
  })

  it('truncates a torn tail record, counts it, and keeps the records before it', async () => {
    const dir = await tempDir()
    const first = await openWal(dir)
    for (let i = 1; i <= 3; i++) await first.wal.append(entry(i))
    await first.wal.close()
    const [segment] = await segments(dir)
    const path = join(dir, segment)
    const whole = (await stat(path)).size
    const partial = encodeRecord(4, entry(4)).subarray(0, 20)
    await appendFile(path, partial)

    const second = await openWal(dir)
    expect(second.replay.map((r) => r.lsn)).toEqual([1, 2, 3])
    expect((await stat(path)).size).toBe(whole)
    const torn = await second.registry.getSingleMetric('privpath_collector_wal_torn_records_total')!.get()
    expect(torn.values[0].value).toBe(1)
  })

  it('persists the checkpoint and deletes fully checkpointed segments, never the current one', async () => {
    const dir = await tempDir()
    let timerWroteFour!: () => void
    const wroteFour = new Promise<void>((resolve) => (timerWroteFour = resolve))
    const { wal } = await openWal(dir, { segmentBytes: 1, onCheckpointWritten: (checkpoint) => checkpoint === 4 && timerWroteFour() })
    const lsns: number[] = []
    for (let i = 1; i <= 6; i++) lsns.push(await wal.append(entry(i)))
    expect((await segments(dir)).length).toBeGreaterThanOrEqual(6)
    for (const lsn of lsns.slice(0, 4)) wal.complete(lsn)
    // Only the checkpoint timer writes before close(): wait for its write, not for a guessed time.
    await wroteFour
    expect((await readFile(join(dir, 'checkpoint'), 'utf8')).trim()).toBe('4')
    const left = await segments(dir)
    expect(left[0]).toBe(`${String(5).padStart(20, '0')}.wal`)
    for (const lsn of lsns.slice(4)) wal.complete(lsn)
    await wal.close()
    const reopened = await openWal(dir)
    expect(reopened.replay).toEqual([])
    expect(await segments(dir)).toHaveLength(1)
  })

  it('treats LSNs lost to truncation as complete so the checkpoint can move past them', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'checkpoint'), '0\n')
    const first = await openWal(dir, { segmentBytes: 1 })
    for (let i = 1; i <= 3; i++) await first.wal.append(entry(i))
    await first.wal.close()
    // Corrupt the record in the middle segment: it is truncated away, LSN 2 is gone.
    const names = await segments(dir)
    const middle = join(dir, names[1])
    const bytes = await readFile(middle)
    bytes[bytes.length - 1] ^= 0xff
    await writeFile(middle, bytes)
    const second = await openWal(dir)
    expect(second.replay.map((r) => r.lsn)).toEqual([1, 3])
    second.wal.complete(1)
    second.wal.complete(3)
    expect(second.wal.checkpointed()).toBe(3)
  })

  it('writes overlapping checkpoints one after another (timer and close share one temp file)', async () => {
    const dir = await tempDir()
    const { wal } = await openWal(dir)
    const lsn = await wal.append(entry(1))
    wal.complete(lsn)
    // The timer's write and close()'s write can overlap; drive the overlap directly.
    const persist = (wal as unknown as { persistCheckpoint(): Promise<void> }).persistCheckpoint.bind(wal)
    await expect(Promise.all([persist(), persist(), persist()])).resolves.toBeDefined()
    await wal.close()
    expect((await readFile(join(dir, 'checkpoint'), 'utf8')).trim()).toBe(String(lsn))
  })

  it('refuses appends after close', async () => {
    const { wal } = await openWal(await tempDir())
    await wal.close()
    await expect(wal.append(entry(1))).rejects.toThrow(/closed/)
  })
})
