#!/usr/bin/env node
/**
 * The `privpath` command. Each sub-command lives in `cli/commands/<name>.ts` and exports a
 * `register(program)` function; this file only wires them together.
 */
import { Command } from 'commander'
import { registerCommands } from './commands/index.js'

const program = new Command()
  .name('privpath')
  .description('Runtime telemetry collector and privilege-path detection for AI agents')
  .version('0.1.0')
  .showHelpAfterError()

registerCommands(program)

program.parseAsync(process.argv).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error)
  process.stderr.write(`privpath: ${message}\n`)
  process.exit(1)
})
