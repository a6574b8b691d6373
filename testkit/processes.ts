/**
 * `privpath up` as a child process for multi-process tests: started through tsx from source,
 * ready once it logs "privpath is up", killable with SIGKILL and restartable with the same flags.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

export interface PrivpathProcess {
  name: string
  url: string
  child: ChildProcess
  output(): string
  kill(signal?: NodeJS.Signals): Promise<void>
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export async function startPrivpath(name: string, args: string[], port: number, env: Record<string, string> = {}, timeoutMs = 60_000): Promise<PrivpathProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'up', '--port', String(port), ...args], {
    cwd: ROOT,
    // gRPC off: tests start many of these at once, and they would all want 4317.
    env: { ...process.env, PRIVPATH_GRPC_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.setEncoding('utf8')
  child.stderr!.setEncoding('utf8')
  child.stdout!.on('data', (chunk: string) => (output += chunk))
  child.stderr!.on('data', (chunk: string) => (output += chunk))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in ${timeoutMs} ms:\n${output.slice(-4_000)}`)), timeoutMs)
    const check = () => {
      if (output.includes('privpath is up')) {
        clearTimeout(timer)
        child.stdout!.off('data', check)
        resolve()
      }
    }
    child.stdout!.on('data', check)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${name} exited (${code}) before it was up:\n${output.slice(-4_000)}`))
    })
  })
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => output,
    kill: async (signal = 'SIGKILL') => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.kill(signal)
      await exited
    },
  }
}
