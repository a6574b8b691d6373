/** Latency samples → the figures the scale bench prints. */

export interface Latency {
  n: number
  median: number
  p99: number
  max: number
}

/** Nearest-rank percentile of sorted samples. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}

export function latency(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b)
  return { n: sorted.length, median: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] }
}

export const ms = (value: number): string => (value >= 100 ? value.toFixed(0) : value.toFixed(1))

export function latencyLine(name: string, l: Latency, target?: string): string {
  const figures = `median ${ms(l.median).padStart(7)} ms   p99 ${ms(l.p99).padStart(7)} ms   max ${ms(l.max).padStart(7)} ms   (n=${l.n})`
  return `  ${name.padEnd(46)} ${figures}${target ? `   target ${target}` : ''}`
}

/** `fn` run `n` times one after another, after `warmup` unrecorded runs: wall ms per run. */
export async function sample(n: number, fn: (i: number) => Promise<unknown>, warmup = 2): Promise<Latency> {
  for (let i = 0; i < warmup; i++) await fn(i)
  const samples: number[] = []
  for (let i = 0; i < n; i++) {
    const started = performance.now()
    await fn(i)
    samples.push(performance.now() - started)
  }
  return latency(samples)
}
