/**
 * `privpath up` as the scale bench starts it (time to ready, RSS from /proc), and the API reads
 * the console makes, timed one request at a time.
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { freePort } from '../../testkit/processes.js'
import { sample, type Latency } from './stats.js'

export interface RunningPrivpath {
  url: string
  /** Spawn to "privpath is up" (every role started, the detector's state rebuilt from history). */
  readyMs: number
  rssBytes(): number
  peakRssBytes(): number
  stop(): Promise<void>
}

function status(pid: number, field: string): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`))
  return line === undefined ? 0 : Number(line.split(/\s+/)[1]) * 1024
}

export async function startPrivpath(options: { root: string; entry: string; dataDir: string; config: string; env: NodeJS.ProcessEnv }): Promise<RunningPrivpath> {
  const port = await freePort()
  // The flags `npm start` runs with.
  const main = options.entry === 'dist' ? [join(options.root, 'dist/cli/main.js')] : ['--import', 'tsx', 'cli/main.ts']
  const argv = ['--max-semi-space-size=64', ...main, 'up', '--port', String(port), '--data-dir', options.dataDir, '--config', options.config]
  const started = performance.now()
  const proc = spawn(process.execPath, argv, { cwd: options.root, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  proc.stdout.setEncoding('utf8')
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  await new Promise<void>((resolve, reject) => {
    proc.stdout.on('data', (chunk: string) => {
      output += chunk
      if (output.includes('privpath is up')) resolve()
    })
    proc.once('exit', (code) => reject(new Error(`privpath up exited (${code}) before it was up:\n${output.slice(-3000)}`)))
  })
  const readyMs = performance.now() - started
  const pid = proc.pid as number
  return {
    url: `http://127.0.0.1:${port}`,
    readyMs,
    rssBytes: () => status(pid, 'VmRSS'),
    peakRssBytes: () => status(pid, 'VmHWM'),
    stop: async () => {
      if (proc.exitCode !== null) return
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
      proc.kill('SIGTERM')
      await exited
    },
  }
}

async function get<T>(url: string): Promise<T> {
  const response = await fetch(url)
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`)
  return (await response.json()) as T
}

interface Task {
  tenant_id: string
  task_id: string
}

/** The reads the console makes, and the task list with each filter; `end` is the history's newest instant. */
export async function measureApi(base: string, n: number, end: number): Promise<{ lines: Array<[string, Latency, string?]> }> {
  const day = end - 86_400_000
  const tasks = (query: string) => () => get(`${base}/api/tasks?${query}`)
  const { tasks: recent } = await get<{ tasks: Task[] }>(`${base}/api/tasks?limit=500`)
  const { tasks: older } = await get<{ tasks: Task[] }>(`${base}/api/tasks?limit=500&until=${end - 10 * 86_400_000}`)
  const tenant = recent[0]?.tenant_id ?? 'tenant-0'
  // Pages opened from the first list page, and from ten days back.
  const picks = recent.flatMap((t, i) => (older[i] ? [t, older[i]] : [t]))
  const page = (i: number) => {
    const t = picks[i % picks.length]
    return Promise.all([
      get(`${base}/api/tasks/${encodeURIComponent(t.task_id)}?tenant=${encodeURIComponent(t.tenant_id)}`),
      get(`${base}/api/alerts?task=${encodeURIComponent(t.task_id)}&tenant=${encodeURIComponent(t.tenant_id)}&limit=1000`),
    ])
  }
  const lines: Array<[string, Latency, string?]> = [
    ['GET /api/tasks?limit=50', await sample(n, tasks('limit=50')), '≤ 100 ms median'],
    ['GET /api/tasks?limit=50&tenant=…', await sample(n, tasks(`limit=50&tenant=${tenant}`)), '≤ 100 ms median'],
    ['GET /api/tasks?limit=50&has_alerts=true', await sample(n, tasks('limit=50&has_alerts=true')), '≤ 100 ms median'],
    ['GET /api/tasks?limit=50&has_alerts=false', await sample(n, tasks('limit=50&has_alerts=false')), '≤ 100 ms median'],
    ['GET /api/tasks?limit=50&until=10 days ago', await sample(n, tasks(`limit=50&until=${end - 10 * 86_400_000}`)), '≤ 100 ms median'],
    ['console tasks page (tasks 500 + alerts, 24 h)', await sample(n, () => Promise.all([tasks(`limit=500&since=${day}`)(), get(`${base}/api/alerts?limit=5000&since=${day}`)])), '≤ 100 ms median'],
    ['GET /api/tasks/:id', await sample(2 * n, (i) => get(`${base}/api/tasks/${encodeURIComponent(picks[i % picks.length].task_id)}?tenant=${encodeURIComponent(picks[i % picks.length].tenant_id)}`)), '≤ 30 ms p99'],
    ['console task page (task + its alerts)', await sample(2 * n, page), '≤ 30 ms p99'],
    ['GET /api/alerts', await sample(n, () => get(`${base}/api/alerts`)), '≤ 50 ms p99'],
    ['GET /api/alerts?limit=1000&since=24 h (console)', await sample(n, () => get(`${base}/api/alerts?limit=1000&since=${day}`)), '≤ 50 ms p99'],
  ]
  return { lines }
}
