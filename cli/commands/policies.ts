/**
 * `privpath policies validate|test`: check Cedar decision policies and run their inline tests.
 * The work lives in `cli/policies/`; this file maps arguments to it.
 */
import { type Command, Option } from 'commander'
import type { PolicyDefault } from '../../detector/decision/policies/index.js'
import { testPoliciesCommand } from '../policies/test.js'
import { validatePoliciesCommand } from '../policies/validate.js'
import { processIO } from '../rules/io.js'

const policyDefault = () =>
  new Option('--default <decision>', 'what a call no policy permits gets (decision.policy_default)').choices(['allow', 'deny']).default('allow')

export function register(program: Command): void {
  const policies = program.command('policies').description('Validate and test Cedar decision policies')

  policies
    .command('validate')
    .description('Check .cedar files and their tests: syntax, annotations and the context schema, with file:line:col')
    .argument('<dir>', 'policy directory or file (comma-separated for several)')
    .addOption(policyDefault())
    .option('--json', 'machine-readable report')
    .action(async (dir: string, options: { default: PolicyDefault; json?: boolean }) => {
      process.exitCode = await validatePoliciesCommand(dir, { policyDefault: options.default, json: options.json }, processIO)
    })

  policies
    .command('test')
    .description('Run every inline policy test (*.tests.yaml) against the policy set; ends with "N passed, N failed"')
    .argument('<dir>', 'policy directory or file (comma-separated for several)')
    .addOption(policyDefault())
    .option('--filter <glob>', 'only test files (file name) or tests (file name/test name) matching the glob')
    .option('-v, --verbose', 'also list passing tests')
    .action(async (dir: string, options: { default: PolicyDefault; filter?: string; verbose?: boolean }) => {
      process.exitCode = await testPoliciesCommand(dir, { ...options, policyDefault: options.default }, processIO)
    })
}
