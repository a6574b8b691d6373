/**
 * Positions in `.cedar` files. Cedar reports source locations as UTF-8 byte offsets, into the text
 * it parsed; policies are parsed one statement at a time (so each keeps its own id), so a file is
 * split into statements here, each with its offset, and the offsets are turned into line:col.
 */

export interface Statement {
  /** The statement's text, from after the previous `;` (leading comments included) to its `;`. */
  text: string
  /** Byte offset of `text` in the file. */
  byteOffset: number
  /** Byte offset (in the file) of the first token, where a message about the whole policy points. */
  start: number
  /** Byte offsets (in the file) of each `@annotation`, by name. */
  annotations: Map<string, number>
}

export class CedarSource {
  private readonly bytes: Buffer

  constructor(readonly text: string) {
    this.bytes = Buffer.from(text, 'utf8')
  }

  /** 1-based line and column (in characters) of a byte offset. */
  position(byteOffset: number): { line: number; col: number } {
    const before = this.bytes.subarray(0, Math.max(0, Math.min(byteOffset, this.bytes.length))).toString('utf8')
    const lineStart = before.lastIndexOf('\n') + 1
    let line = 1
    for (let i = before.indexOf('\n'); i >= 0; i = before.indexOf('\n', i + 1)) line++
    return { line, col: before.length - lineStart + 1 }
  }

  /**
   * Statements, split at `;` outside string literals and `//` comments (the only places a `;`
   * can hide in Cedar). Only called on text Cedar parsed, so strings and comments are closed.
   * Trailing text with no token (whitespace, comments) is not a statement.
   */
  statements(): Statement[] {
    const text = this.text
    const out: Statement[] = []
    let from = 0
    let first = -1
    let annotations = new Map<string, number>()
    const byte = (index: number) => Buffer.byteLength(text.slice(0, index), 'utf8')
    for (let i = 0; i < text.length; i++) {
      const c = text[i]
      if (c === '/' && text[i + 1] === '/') {
        const end = text.indexOf('\n', i)
        i = end < 0 ? text.length : end
        continue
      }
      if (/\s/.test(c)) continue
      if (first < 0) first = i
      if (c === '"') {
        for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++
      } else if (c === '@') {
        const name = /^@([A-Za-z_][A-Za-z0-9_]*)/.exec(text.slice(i, i + 200))?.[1]
        if (name !== undefined && !annotations.has(name)) annotations.set(name, byte(i))
      } else if (c === ';') {
        out.push({ text: text.slice(from, i + 1), byteOffset: byte(from), start: byte(first), annotations })
        from = i + 1
        first = -1
        annotations = new Map()
      }
    }
    return out
  }
}
