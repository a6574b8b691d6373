/** A seeded PRNG (mulberry32) and the picks the corpus makes with it: the corpus never reads Math.random. */
export class Rng {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  digits(n: number): string {
    let out = ''
    for (let i = 0; i < n; i++) out += String(this.int(0, 9))
    return out
  }

  hex(n: number): string {
    let out = ''
    for (let i = 0; i < n; i++) out += '0123456789abcdef'[this.int(0, 15)]
    return out
  }

  /** `n` distinct items, in a seeded order. */
  sample<T>(items: readonly T[], n: number): T[] {
    const copy = [...items]
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.int(0, i)
      ;[copy[i], copy[j]] = [copy[j], copy[i]]
    }
    return copy.slice(0, n)
  }
}
