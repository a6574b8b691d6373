/** Running `privpath` subcommands in tests: their output captured, their exit code read. */
import { Command } from 'commander'
import { vi } from 'vitest'
import type { CommandIO } from '../cli/rules/io.js'

/** A CommandIO that keeps what was written to stdout and stderr, in order. */
export function captureIO(): CommandIO & { out: () => string } {
  let out = ''
  return { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (out += s) }, out: () => out }
}

/**
 * Parses `privpath <group> ...args` with the commands `register` adds, with stdout captured (restore
 * with `vi.restoreAllMocks()` and reset `process.exitCode` after each test).
 */
export async function runCommand(register: (program: Command) => void, group: string, ...args: string[]): Promise<{ code: number | string | undefined; out: string }> {
  let out = ''
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk)
    return true
  })
  const program = new Command().exitOverride()
  register(program)
  await program.parseAsync(['node', 'privpath', group, ...args])
  return { code: process.exitCode, out }
}
