import { describe, expect, it } from 'vitest'
import type { Attributes } from '../otlp/index.js'
import { AttributeReader } from './attributes.js'

function attributes(entries: Array<[string, Attributes[string]]>): Attributes {
  const out: Attributes = {}
  for (const [key, value] of entries) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  return out
}

describe('AttributeReader', () => {
  it('sees only own attributes, never what a plain object inherits', () => {
    const reader = new AttributeReader(attributes([['tool.name', 'x']]))
    for (const key of ['toString', 'constructor', 'hasOwnProperty', 'valueOf', '__proto__']) {
      expect(reader.value(key)).toBeUndefined()
      expect(reader.has(key)).toBe(false)
      expect(reader.peek(key)).toBe('')
      expect(reader.string(key)).toBe('')
    }
    expect(reader.remaining()).toEqual([['tool.name', 'x']])
  })

  it('reads own attributes named like inherited ones, __proto__ included', () => {
    const reader = new AttributeReader(
      attributes([
        ['toString', 'a'],
        ['__proto__', 'b'],
        ['constructor', ''],
      ]),
    )
    expect(reader.value('toString')).toBe('a')
    expect(reader.string('__proto__')).toBe('b')
    expect(reader.has('constructor')).toBe(false)
    expect(reader.value('constructor')).toBe('')
    expect(reader.remaining()).toEqual([])
  })

  it('tells absent, null, empty and present values apart', () => {
    const reader = new AttributeReader(
      attributes([
        ['a', null],
        ['b', ''],
        ['c', 0],
        ['d', false],
      ]),
    )
    expect([reader.has('a'), reader.has('b'), reader.has('c'), reader.has('d'), reader.has('e')]).toEqual([false, false, true, true, false])
    expect(reader.value('a')).toBeNull()
    expect(reader.value('e')).toBeUndefined()
    expect(reader.first('e', 'b', 'c')).toBe('0')
    expect(reader.remaining()).toEqual([['d', false]])
  })
})
