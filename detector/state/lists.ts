/**
 * Growing the short lists state keeps by the thousand (a task's agents, tools, credentials; a
 * credential's tasks). An array grown by `push` reserves 17 slots at its first value, and most of
 * these lists hold one to three: while short, a list grows by a copy of exactly its new length
 * (56 bytes for one value instead of 186), and past that by `push`.
 */
const EXACT_UP_TO = 8

/** `list` with `value` at the end: a new array while `list` is short, else `list` itself. Not for arrays as values. */
export function append<T>(list: T[], value: T): T[] {
  if (list.length >= EXACT_UP_TO) {
    list.push(value)
    return list
  }
  return list.concat(value)
}
