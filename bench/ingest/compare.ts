/**
 * bench:ingest --against <git ref>: this tree's collector and another commit's, run at the same
 * time and given the same bodies round by round, in alternating order. This machine's speed
 * drifts by up to 2× within minutes, so two runs taken one after the other compare the machine as
 * much as the code; rounds interleaved this way see the same phases, and the ratio of each round
 * pair is what is reported. Each round waits a moment first, so that the collector that has just
 * finished (collecting its garbage, settling its WAL) is not measured as the other one's cost.
 * Absolute figures are lower than a run of one collector (two servers share the machine's memory
 * and caches): compare the ratios, and check them against `--against HEAD`, whose ratios are
 * about 1.0 and whose spread is the noise.
 */
import { execFileSync } from 'node:child_process'
import { symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fmt, median, round, serve, type Round, type Server } from './server.js'

const SETTLE_MS = 2_000

export interface RoundBodies {
  bodies: Uint8Array[]
  spanCount: number
}

/** Checks `ref` out into a temporary worktree sharing this tree's node_modules, for as long as `run` takes. */
export async function withWorktree<T>(root: string, ref: string, run: (worktree: string, commit: string) => Promise<T>): Promise<T> {
  let commit: string
  try {
    commit = execFileSync('git', ['rev-parse', '--short', `${ref}^{commit}`], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    throw new Error(`--against ${ref}: no such commit in ${root}`)
  }
  const worktree = join(tmpdir(), `privpath-against-${commit}-${process.pid}`)
  execFileSync('git', ['worktree', 'add', '--detach', worktree, commit], { cwd: root, stdio: 'ignore' })
  try {
    symlinkSync(join(root, 'node_modules'), join(worktree, 'node_modules'))
    return await run(worktree, commit)
  } finally {
    execFileSync('git', ['worktree', 'remove', '--force', worktree], { cwd: root, stdio: 'ignore' })
  }
}

/** One side's medians over its measured rounds. */
function summary(name: string, rounds: Round[]): string {
  const cpus = rounds.flatMap((r) => (r.cpu ? [r.cpu] : []))
  const cpu = cpus.length > 0 ? `, event loop ${median(cpus.map((c) => c.main)).toFixed(1)} and all threads ${median(cpus.map((c) => c.all)).toFixed(1)} CPU µs/span` : ''
  return `${name}: processed ${fmt(median(rounds.map((r) => r.processed)))}, accepted ${fmt(median(rounds.map((r) => r.accepted)))} spans/s${cpu}`
}

/** Median (range) of the per-round ratios ours / theirs of `pick`. */
export function ratios(ours: Round[], theirs: Round[], pick: (round: Round) => number | undefined): string {
  const values = ours.flatMap((r, i) => {
    const [a, b] = [pick(r), pick(theirs[i])]
    return a === undefined || b === undefined || b === 0 ? [] : [a / b]
  })
  if (values.length === 0) return 'n/a'
  return `${median(values).toFixed(2)} (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`
}

/** Runs every round on both collectors, alternating which goes first, and prints medians per side and of the per-round ratios. */
export async function compareAgainst(options: {
  root: string
  ref: string
  roles: string
  concurrency: number
  warmup: number
  rounds: RoundBodies[]
}): Promise<void> {
  const { root, ref, roles, concurrency, warmup, rounds } = options
  await withWorktree(root, ref, async (worktree, commit) => {
    const roleList = roles.replaceAll('+', ',')
    await serve(root, roleList, concurrency, async (ours) => {
      await serve(worktree, roleList, concurrency, async (theirs) => {
        const mine: Round[] = []
        const other: Round[] = []
        for (const [index, { bodies, spanCount }] of rounds.entries()) {
          const order: Array<[Server, Round[]]> = index % 2 === 0 ? [[ours, mine], [theirs, other]] : [[theirs, other], [ours, mine]]
          for (const [server, results] of order) {
            // The collector that just finished collects its garbage and settles its WAL while idle:
            // let that pass, or it would be measured as the other one's cost.
            await new Promise((resolve) => setTimeout(resolve, SETTLE_MS))
            results.push(await round(server, bodies, spanCount, concurrency))
          }
        }
        const warm = (results: Round[]) => results.slice(warmup)
        const [a, b] = [warm(mine), warm(other)]
        console.log(`${roles}, this tree against ${ref} (${commit}), the same bodies to both in each round, order alternating (${a.length} rounds after ${warmup} warm-up):`)
        console.log(`  ${summary('this tree', a)}`)
        console.log(`  ${summary(commit, b)}`)
        console.log(
          `  this tree / ${commit}, median (range) of per-round ratios: processed ${ratios(a, b, (r) => r.processed)}, accepted ${ratios(a, b, (r) => r.accepted)}, ` +
            `event loop CPU per span ${ratios(a, b, (r) => r.cpu?.main)}, all threads ${ratios(a, b, (r) => r.cpu?.all)}`,
        )
      })
    })
  })
}
