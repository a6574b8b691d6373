/** Where a CLI command writes: injected so tests capture output instead of spawning processes. */
export interface CommandIO {
  stdout: { write(chunk: string): unknown }
  stderr: { isTTY?: boolean; write(chunk: string): unknown }
}

export const processIO: CommandIO = { stdout: process.stdout, stderr: process.stderr }
