import type { Command } from 'commander'

/**
 * Sub-commands register themselves here: add one import and one call per module
 * (`cli/commands/<name>.ts` exporting `register(program: Command): void`).
 */
export function registerCommands(program: Command): void {
  void program
}
