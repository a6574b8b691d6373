#!/usr/bin/env node
/**
 * The `privpath` command. Each sub-command lives in `cli/commands/<name>.ts` and exports a
 * `register(program)` function; this file only wires them together. The commands parse their
 * arguments and call the components: `up` the server (server/), `rules` the detector's rule
 * tooling, `alerts` delivery's outboxes, `demo` a simulated fleet.
 */
import { Command } from 'commander'
import { register as registerAlerts } from './commands/alerts.js'
import { register as registerDemo } from './commands/demo.js'
import { register as registerPolicies } from './commands/policies.js'
import { register as registerRules } from './commands/rules.js'
import { register as registerUp } from './commands/up.js'

const program = new Command()
  .name('privpath')
  .description('Runtime telemetry collector and privilege-path detection for AI agents')
  .version('0.1.0')
  .showHelpAfterError()

for (const register of [registerUp, registerRules, registerPolicies, registerAlerts, registerDemo]) register(program)

program.parseAsync(process.argv).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error)
  process.stderr.write(`privpath: ${message}\n`)
  process.exit(1)
})
