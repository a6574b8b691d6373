/**
 * Durability across kill -9: alerts acknowledged by the bus are in the outbox, so a delivery
 * process killed during a receiver outage (or mid-request) and restarted loses none, and a
 * receiver that honours Idempotency-Key processes each alert version at most once.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { alertId } from '../core/alert.js'
import { alertKey } from './sink.js'
import { verifySignature } from './webhook/payload.js'
import { type Received, startReceiver } from '../testkit/delivery.js'
import { waitFor } from '../testkit/wait.js'

const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
})

function spawnChild(args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'testkit', 'delivery-crash-child.ts'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let out = ''
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()))
  return { child, output: () => out }
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
}

describe('delivery across kill -9', () => {
  it('loses no alert and processes none twice', async () => {
    let mode: 'down' | 'slow' | 'up' = 'down'
    /** Idempotency-Key → times the receiver processed it (answered 2xx for a new key). */
    const processed = new Map<string, number>()
    let replays = 0
    const receiver = await startReceiver((request: Received) => {
      if (!verifySignature('crash-secret', request.body, String(request.headers['x-privpath-signature']))) return { status: 401 }
      if (mode === 'down') return { status: 503 }
      const key = String(request.headers['idempotency-key'])
      if (processed.has(key)) {
        replays++
        return { status: 200 }
      }
      processed.set(key, 1)
      // Slow on purpose: the second child is killed while answers are still on their way (processed, not yet acknowledged).
      return { status: 200, delayMs: mode === 'slow' ? 300 : 0 }
    })
    const dataDir = mkdtempSync(join(tmpdir(), 'pp-crash-'))

    // 1. Receiver down: 10 alerts × 3 versions are acknowledged, retried, then the process dies.
    const first = spawnChild([dataDir, `${receiver.url}/hook`, '0', '10', '3'])
    await waitFor(() => first.output().includes('queued 10'), 40_000, `first child to queue (${first.output()})`)
    await waitFor(() => receiver.received.length >= 15, 10_000, 'retries during the outage')
    await kill9(first.child)
    expect(processed.size).toBe(0)

    // 2. Receiver up but slow: restart, add 10 more, and die again with requests in flight.
    mode = 'slow'
    const second = spawnChild([dataDir, `${receiver.url}/hook`, '10', '20', '1'])
    await waitFor(() => second.output().includes('queued 10') && processed.size >= 3, 40_000, `second child (${second.output()})`)
    await kill9(second.child)

    // 3. Restart with nothing new: everything still owed is delivered.
    mode = 'up'
    const third = spawnChild([dataDir, `${receiver.url}/hook`, '0', '0', '1'])
    await waitFor(() => processed.size === 20, 40_000, `all alerts (${processed.size}/20) ${third.output().slice(-200)}`)
    await waitFor(() => /pending 0\n/.test(third.output()), 10_000, 'outbox drained')
    await kill9(third.child)

    // The child's alerts are tenant acme's (testkit makeAlert).
    const key = (dedupKey: string) => alertKey({ tenant_id: 'acme', alert_id: alertId('cross_tenant_tool', dedupKey, 1_700_000_000_000) })
    const expected = [
      ...Array.from({ length: 10 }, (_, i) => `${key(`crash-${i}`)}:3`),
      ...Array.from({ length: 10 }, (_, i) => `${key(`crash-${i + 10}`)}:1`),
    ]
    expect([...processed.keys()].sort()).toEqual(expected.sort())
    expect([...processed.values()].every((n) => n === 1)).toBe(true)
    // Replays are the at-least-once cost of dying mid-request; they stay a handful, never the whole backlog.
    expect(replays).toBeLessThanOrEqual(8)
    await receiver.close()
  }, 180_000)
})
