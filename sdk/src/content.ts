/** Content is best effort: a value JSON cannot represent (cycles, BigInt) is recorded by its type, never thrown. */
export function serialise(value: unknown): string {
  if (typeof value === 'string') return value
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return `[unserialisable ${typeof value}]`
  }
}
