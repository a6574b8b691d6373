/**
 * The collector's pipeline on one thread — decode → map (conventions, redaction) → correlate →
 * publish order — this tree against another commit, in one process (bench/pipeline/paired.ts):
 * each fresh set of agent-task requests goes through both, batch by batch, the order
 * alternating. Prints each side's CPU µs per span (median over sets), their ratio over all sets,
 * and the median and range of the per-set ratios. The default `--against HEAD` compares your uncommitted change with the
 * commit it starts from; `--against HEAD` on a clean tree is the calibration (about 1.00, and
 * the range is the noise). Single-threaded and without HTTP or the WAL: for the whole server use
 * `bench:ingest -- --against`, whose rounds are noisier. Run with V8's allocation-site
 * pretenuring off (in the npm script): two pipelines in one heap, each with up to a million known
 * spans, sometimes land in its slow mode (2–4× the CPU per span for the rest of the run;
 * docs/benchmarks.md), which would be measured as a difference between the builds.
 *
 *   npm run bench:pipeline [-- --against HEAD~1 --sets 12 --warmup 2 --tasks 3000]
 */
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { agentTaskRequests } from '../testkit/fixtures/agent-tasks.js'
import { withWorktree } from './ingest/compare.js'
import { median } from './ingest/server.js'
import { collectorPipeline, pairedRatios, runPaired, type Side } from './pipeline/paired.js'

const { values: args } = parseArgs({
  options: {
    against: { type: 'string', default: 'HEAD' },
    sets: { type: 'string', default: '12' },
    warmup: { type: 'string', default: '2' },
    tasks: { type: 'string', default: '3000' },
    'batch-requests': { type: 'string', default: '2' },
  },
})
const warmup = Number(args.warmup)
const sets = Array.from({ length: Number(args.sets) }, (_, i) =>
  agentTaskRequests({ tasks: Number(args.tasks), spansPerRequest: 200, tenants: 4, seed: 1_000 + i }).bodies,
)
if (sets.length <= warmup) throw new Error(`--sets ${args.sets} leaves nothing after --warmup ${args.warmup}`)

const root = fileURLToPath(new URL('..', import.meta.url))
await withWorktree(root, args.against, async (worktree, commit) => {
  const sides: [Side, Side] = [await collectorPipeline(root), await collectorPipeline(worktree)]
  const result = runPaired(sides, sets, Number(args['batch-requests']))
  const ratio = pairedRatios(result, warmup)
  const perSpan = (side: 0 | 1) => median(result.perSet[side].slice(warmup)).toFixed(2)
  console.log(`pipeline on one thread (decode → map → correlate → publish order), ${sets.length} fresh sets of ${args.tasks} agent tasks, ${warmup} for warm-up, batches of ${args['batch-requests']} requests, order alternating:`)
  console.log(`  this tree ${perSpan(0)}, ${commit} ${perSpan(1)} CPU µs/span (medians over sets)`)
  console.log(`  this tree / ${commit}, CPU per span: ${ratio.overall.toFixed(3)} over all ${ratio.sets} sets; per set median ${ratio.median.toFixed(3)}, range ${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)}`)
  if (result.items[0] !== result.items[1]) console.log(`  note: the two builds mapped different numbers of spans (${result.items[0]} vs ${result.items[1]})`)
})
