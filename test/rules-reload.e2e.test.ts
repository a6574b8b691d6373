/**
 * Rule reload in a running privpath: a valid edit replaces the rules (and the rule list the API
 * and Grafana read), an invalid edit keeps the previous rules; SIGHUP triggers the reload.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterEach, describe, expect, it } from 'vitest'
import { startApp, type App } from '../server/index.js'
import { validateConfig } from '../core/config/load.js'
import { silentTelemetry } from '../core/telemetry.js'

const RULE = 'tenant-spoofing.yaml'
const builtin = (name: string) => new URL(`../rules/${name}`, import.meta.url).pathname
const apps: App[] = []
const children: ChildProcess[] = []

afterEach(async () => {
  for (const app of apps.splice(0)) await app.stop()
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
})

async function rulesDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'privpath-rules-'))
  await copyFile(builtin(RULE), join(dir, RULE))
  return dir
}

async function retitle(dir: string, title: string): Promise<void> {
  const text = await readFile(join(dir, RULE), 'utf8')
  await writeFile(join(dir, RULE), text.replace(/^title: .*$/m, `title: ${title}`))
}

describe('rule reload', () => {
  it('replaces the rules and the recorded rule list on a valid edit, keeps them on an invalid one', async () => {
    const dir = await rulesDir()
    const dataDir = await mkdtemp(join(tmpdir(), 'privpath-reload-'))
    const config = validateConfig({ server: { port: 0, grpc_port: 0 }, store: { data_dir: dataDir }, detector: { rules_dir: dir } })
    const app = await startApp({ config, telemetry: silentTelemetry() })
    apps.push(app)
    const titles = async () => {
      const body = (await (await fetch(`${app.url}/api/rules`)).json()) as { rules: Array<{ rule_id: string; title: string }> }
      return body.rules.map((r) => `${r.rule_id}: ${r.title}`)
    }
    expect(await titles()).toEqual([expect.stringMatching(/^tenant-spoofing: /)])

    await retitle(dir, 'Tenant spoofing (edited)')
    expect(await app.reloadRules()).toMatchObject({ ok: true })
    expect(await titles()).toEqual(['tenant-spoofing: Tenant spoofing (edited)'])

    await writeFile(join(dir, RULE), 'id: tenant-spoofing\nwhen: "event.kind = "\n')
    expect(await app.reloadRules()).toMatchObject({ ok: false })
    expect(await titles()).toEqual(['tenant-spoofing: Tenant spoofing (edited)'])
  })

  it('reloads on SIGHUP', async () => {
    const dir = await rulesDir()
    const dataDir = await mkdtemp(join(tmpdir(), 'privpath-sighup-'))
    const main = new URL('../cli/main.ts', import.meta.url).pathname
    const child = spawn(process.execPath, ['--import', 'tsx', main, 'up', '--port', '0', '--data-dir', dataDir], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PRIVPATH_GRPC_PORT: '0', PRIVPATH_RULES_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(child)
    const messages: string[] = []
    let stderr = ''
    child.stderr!.on('data', (chunk: Buffer) => void (stderr += chunk.toString()))
    let waiter: { text: string; resolve: () => void; reject: (error: Error) => void } | undefined
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const msg = (JSON.parse(line) as { msg: string }).msg
      messages.push(msg)
      if (waiter && msg.includes(waiter.text)) waiter.resolve()
    })
    // A child that dies fails the wait at once, with what it said, instead of at the test timeout.
    child.once('exit', (code, signal) => waiter?.reject(new Error(`privpath exited (${code ?? signal}); logs: ${messages.join(' | ')}; stderr: ${stderr}`)))
    const logged = (text: string) =>
      messages.some((m) => m.includes(text))
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => (waiter = { text, resolve, reject }))
    await logged('privpath is up')
    child.kill('SIGHUP')
    await logged('rules reloaded')
    expect(messages).toContain('SIGHUP: reloading rules')
    expect(child.exitCode).toBeNull()
  }, 60_000)
})
