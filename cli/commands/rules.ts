/**
 * `privpath rules validate|test|replay`: check rule files, run their inline tests, and backtest
 * rules against stored events. The work lives in `cli/rules/`; this file maps arguments to it.
 */
import type { Command } from 'commander'
import { loadConfig } from '../../core/config/load.js'
import { createStoreClient } from '../../core/store/index.js'
import { processIO } from '../rules/io.js'
import { replayCommand } from '../rules/replay.js'
import { testCommand } from '../rules/test.js'
import { validateCommand } from '../rules/validate.js'

const collect = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)]

function exitWith(code: number): void {
  process.exitCode = code
}

export function register(program: Command): void {
  const rules = program.command('rules').description('Validate, test and backtest detection rules')

  rules
    .command('validate')
    .description('Check rule files: YAML and JSONata errors with file:line:col, unknown fields and kinds, duplicate ids, warnings')
    .argument('[dir]', 'rule directory or file (default: the built-in pack)')
    .option('--json', 'machine-readable report')
    .action(async (dir: string | undefined, options: { json?: boolean }) => {
      exitWith(await validateCommand(dir, options, processIO))
    })

  rules
    .command('test')
    .description('Run every inline rule test through the detector engine; ends with "N passed, N failed"')
    .argument('[dir]', 'rule directory or file (default: the built-in pack)')
    .option('--filter <glob>', 'only rules (rule-id) or tests (rule-id/test name) matching the glob')
    .option('-v, --verbose', 'also list passing tests')
    .action(async (dir: string | undefined, options: { filter?: string; verbose?: boolean }) => {
      exitWith(await testCommand(dir, options, processIO))
    })

  rules
    .command('replay')
    .description('Backtest: run stored events of a time range through the rules and report would-be alerts per rule')
    .requiredOption('--from <time>', 'start (RFC3339, epoch ms, or a duration ago such as 24h)')
    .option('--to <time>', 'end, exclusive (default: now)')
    .option('--rule <id>', 'only this rule (repeatable, or comma-separated)', collect)
    .option('--tenant <tenant>', 'only events of this tenant')
    .option('--rules-dir <dir>', 'rule directory (default: detector.rules_dir, else the built-in pack)')
    .option('--config <file>', 'configuration file (default: PRIVPATH_CONFIG)')
    .option('--json', 'machine-readable report on stdout')
    .option('--deliver', 'send the alerts to the configured sinks (embedded deployment only)')
    .action(
      async (options: {
        from: string
        to?: string
        rule?: string[]
        tenant?: string
        rulesDir?: string
        config?: string
        json?: boolean
        deliver?: boolean
      }) => {
        const config = loadConfig({ file: options.config })
        const client = createStoreClient(config.store)
        try {
          exitWith(await replayCommand({ ...options, rules: options.rulesDir }, { config, client, io: processIO }))
        } finally {
          await client.close()
        }
      },
    )
}
