import { BufferReader } from 'protobufjs/minimal.js'
import { describe, expect, it } from 'vitest'
import { decodeTraces } from './decode.js'
import { holdsRequestBuffer, readString } from './string-cache.js'
import { spanFields, stringAttribute, traceRequest } from '../../testkit/otlp-messages.js'

/** Length-delimited strings, one after another, as protobuf writes a string field's payload. */
function encoded(strings: string[]): Buffer {
  const parts: Buffer[] = []
  for (const text of strings) {
    const bytes = Buffer.from(text)
    const length: number[] = []
    let n = bytes.length
    while (n > 127) {
      length.push((n & 127) | 128)
      n >>>= 7
    }
    length.push(n)
    parts.push(Buffer.from(length), bytes)
  }
  return Buffer.concat(parts)
}

function readAll(body: Buffer, count: number): string[] {
  const reader = new BufferReader(body)
  return Array.from({ length: count }, () => readString(reader))
}

describe('readString through the string cache', () => {
  it('never returns a cached string for bytes that differ from it only outside the hashed sample', () => {
    // Same length, head and tail: the same slot. Each differs from the others in one middle byte.
    for (let length = 1; length <= 48; length++) {
      const strings: string[] = []
      for (let at = 0; at < length; at++) {
        const chars = Array.from({ length }, (_, i) => String.fromCharCode(97 + (i % 26)))
        chars[at] = 'Z'
        strings.push(chars.join(''), Array.from({ length }, (_, i) => String.fromCharCode(97 + (i % 26))).join(''))
      }
      expect(readAll(encoded(strings), strings.length)).toEqual(strings)
    }
  })

  it('reads strings across the cache bound, multi-byte text, and the same string at any offset or alignment', () => {
    const strings = ['', 'a', 'é', '日本語のテキスト', 'x'.repeat(47), 'x'.repeat(48), 'x'.repeat(49), 'y'.repeat(300), 'gen_ai.operation.name']
    for (let pad = 0; pad < 8; pad++) {
      const body = Buffer.concat([Buffer.alloc(pad), encoded([...strings, ...strings])])
      const reader = new BufferReader(body)
      reader.pos = pad
      const read = Array.from({ length: strings.length * 2 }, () => readString(reader))
      expect(read).toEqual([...strings, ...strings])
      expect(reader.pos).toBe(body.length)
    }
  })

  it('leaves a string that runs past the message end to the reader, which refuses it', () => {
    const body = encoded(['abcdef'])
    const reader = new BufferReader(body.subarray(0, 4))
    expect(() => readString(reader)).toThrow(RangeError)
  })

  it('keeps no request buffer once a decode ends, whether it succeeded or failed', () => {
    const body = traceRequest(spanFields({}, stringAttribute(9, 'gen_ai.operation.name', 'execute_tool')))
    expect(decodeTraces(body, 'protobuf').request.resourceSpans).toHaveLength(1)
    expect(holdsRequestBuffer()).toBe(false)
    expect(() => decodeTraces(body.subarray(0, body.length - 3), 'protobuf')).toThrow()
    expect(holdsRequestBuffer()).toBe(false)
  })
})
