/** Caller mistakes surface at the call site as a TypeError naming the field, not as a malformed span later. */
export function requireText(field: string, value: unknown): void {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`@privpath/sdk: ${field} must be a non-empty string`)
  }
}
