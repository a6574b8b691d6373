/**
 * Durability across a crash: a child `privpath up` answers 200, is killed with SIGKILL before its
 * writer could flush, and a restarted one replays the write-ahead log so the data is queryable.
 * Also: SIGTERM shuts down cleanly with exit code 0, and invalid configuration exits non-zero
 * naming the setting.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterEach, describe, expect, it } from 'vitest'
import { protobufRequest, recordSpans, runScriptedTask } from '../testkit/agent.js'
import { getJson, postOtlp } from '../testkit/app.js'

const MAIN = new URL('../cli/main.ts', import.meta.url).pathname
const children: ChildProcess[] = []

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
})

function privpath(args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PRIVPATH_GRPC_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  return child
}

/** Resolves with the port from the "privpath is up" log line. */
function listening(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    let stderr = ''
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    lines.on('line', (line) => {
      if (!line.includes('privpath is up')) return
      resolve((JSON.parse(line) as { port: number }).port)
    })
    child.once('exit', (code) => reject(new Error(`privpath exited with ${code} before listening: ${stderr}`)))
  })
}

const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.exitCode !== null ? resolve({ code: child.exitCode, signal: null }) : child.once('exit', (code, signal) => resolve({ code, signal })),
  )

describe('privpath up as a process', () => {
  it('keeps what it answered 200 for across kill -9, and replays it on restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'privpath-restart-'))
    const config = join(dataDir, 'privpath.yaml')
    // A long flush interval: at the kill nothing has reached ClickHouse yet, only the WAL has it.
    await writeFile(config, 'roles: [collector, writer, api]\nstore:\n  insert_flush_ms: 60000\n')
    const args = ['up', '--config', config, '--port', '0', '--data-dir', dataDir]

    const first = privpath(args)
    const port1 = await listening(first)
    const body = protobufRequest(recordSpans((tracer) => runScriptedTask(tracer, { taskId: 'task-crash', tenant: 'acme' })))
    const answer = await postOtlp(`http://127.0.0.1:${port1}/v1/traces`, body)
    expect(answer.status).toBe(200)
    first.kill('SIGKILL')
    expect((await exited(first)).signal).toBe('SIGKILL')

    await writeFile(config, 'roles: [collector, writer, api]\nstore:\n  insert_flush_ms: 20\n')
    const second = privpath(args)
    const port2 = await listening(second)
    await expect
      .poll(async () => {
        const res = await getJson<{ events: unknown[] }>(`http://127.0.0.1:${port2}/api/tasks/task-crash`)
        return res.status === 200 ? res.body.events.length : 0
      }, { timeout: 20_000, interval: 200 })
      .toBeGreaterThanOrEqual(10)
    expect((await getJson(`http://127.0.0.1:${port2}/readyz`)).body).toMatchObject({ ready: true })

    second.kill('SIGTERM')
    expect(await exited(second)).toEqual({ code: 0, signal: null })
  }, 90_000)

  it('exits non-zero naming the setting when the configuration is invalid', async () => {
    const child = privpath(['up', '--port', 'eighty', '--data-dir', await mkdtemp(join(tmpdir(), 'privpath-badcfg-'))])
    let stderr = ''
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const { code } = await exited(child)
    expect(code).not.toBe(0)
    expect(stderr).toMatch(/server\.port/)
  }, 30_000)
})
