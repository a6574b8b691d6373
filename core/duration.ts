/** Rule durations: `<integer><unit>`, unit one of ms, s, m, h, d. */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const DURATION = /^(\d+)(ms|s|m|h|d)$/

export function parseDuration(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined
  const match = DURATION.exec(text.trim())
  if (!match) return undefined
  return Number(match[1]) * UNIT_MS[match[2]]
}
