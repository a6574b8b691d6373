import type { Command } from 'commander'
import { register as registerAlerts } from './alerts.js'
import { register as registerDemo } from './demo.js'
import { register as registerRules } from './rules.js'
import { register as registerUp } from './up.js'

/**
 * Sub-commands register themselves here: add one import and one call per module
 * (`cli/commands/<name>.ts` exporting `register(program: Command): void`).
 */
export function registerCommands(program: Command): void {
  registerAlerts(program)
  registerUp(program)
  registerRules(program)
  registerDemo(program)
}
