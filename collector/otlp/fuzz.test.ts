import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { isPrivpathError } from '../../core/errors.js'
import { agentTaskJsonRequests, agentTaskRequests } from '../../testkit/fixtures/agent-tasks.js'
import { decodeLogsJson, decodeLogsJsonValue } from './json-logs.js'
import { decodeTracesJson, decodeTracesJsonValue } from './json-traces.js'
import type { DecodedTraces } from './model.js'
import { decodeLogsProtobuf } from './protobuf-logs.js'
import { decodeTracesProtobuf } from './protobuf-traces.js'
import {
  bytesField,
  embedded,
  fixed32Field,
  fixed64Field,
  message,
  stringField,
  varintField,
  type Field,
} from '../../testkit/otlp-messages.js'

// Whatever the bytes, a decoder returns a well-formed result or throws PP_ERR_DECODE; nothing else.

function outcome(decode: () => unknown): 'ok' | 'decode-error' {
  try {
    decode()
    return 'ok'
  } catch (error) {
    if (isPrivpathError(error) && error.code === 'PP_ERR_DECODE') return 'decode-error'
    throw error
  }
}

const HEX32 = /^[0-9a-f]{32}$/
const HEX16 = /^[0-9a-f]{16}$/

/** Invariants of every accepted span, whatever the input was. */
function checkTraces(decoded: DecodedTraces): void {
  for (const rs of decoded.request.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const span of ss.spans) {
        const valid =
          HEX32.test(span.traceId) &&
          HEX16.test(span.spanId) &&
          (span.parentSpanId === '' || HEX16.test(span.parentSpanId)) &&
          [0, 1, 2].includes(span.status.code) &&
          typeof span.startTimeUnixNano === 'bigint'
        if (!valid) throw new Error(`accepted a malformed span: ${JSON.stringify(span, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`)
      }
    }
  }
}

function anyDecoder(body: Uint8Array): void {
  expect(outcome(() => checkTraces(decodeTracesProtobuf(body)))).toMatch(/ok|decode-error/)
  expect(outcome(() => decodeLogsProtobuf(body))).toMatch(/ok|decode-error/)
  expect(outcome(() => checkTraces(decodeTracesJson(body)))).toMatch(/ok|decode-error/)
  expect(outcome(() => decodeLogsJson(body))).toMatch(/ok|decode-error/)
}

/** Protobuf-shaped noise: real tags and nesting with random field numbers and payloads. */
const protobufField: fc.Arbitrary<Field> = fc.letrec<{ field: Field }>((tie) => ({
  field: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(fc.integer({ min: 1, max: 16 }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n })).map(([n, v]) => varintField(n, v)),
    fc.tuple(fc.integer({ min: 1, max: 16 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })).map(([n, v]) => fixed64Field(n, v)),
    fc.tuple(fc.integer({ min: 1, max: 16 }), fc.integer()).map(([n, v]) => fixed32Field(n, v)),
    fc.tuple(fc.integer({ min: 1, max: 16 }), fc.uint8Array({ maxLength: 24 })).map(([n, v]) => bytesField(n, v)),
    fc.tuple(fc.integer({ min: 1, max: 16 }), fc.string({ maxLength: 12 })).map(([n, v]) => stringField(n, v)),
    fc.tuple(fc.integer({ min: 1, max: 16 }), fc.array(tie('field'), { maxLength: 4 })).map(([n, fs]) => embedded(n, ...fs)),
  ),
})).field

describe('decoders under hostile input', () => {
  const traces = agentTaskRequests({ tasks: 1, spansPerRequest: 100, seed: 3 }).bodies[0]
  const tracesJson = agentTaskJsonRequests({ tasks: 1, spansPerRequest: 100, seed: 3 }).bodies[0]

  it('random bytes: a result or PP_ERR_DECODE', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (body) => anyDecoder(body)), { numRuns: 2000 })
  })

  it('protobuf-shaped random messages: a result or PP_ERR_DECODE', () => {
    fc.assert(
      fc.property(fc.array(protobufField, { maxLength: 6 }), (fields) => {
        const body = message(...fields)
        expect(outcome(() => checkTraces(decodeTracesProtobuf(body)))).toMatch(/ok|decode-error/)
        expect(outcome(() => decodeLogsProtobuf(body))).toMatch(/ok|decode-error/)
      }),
      { numRuns: 3000 },
    )
  })

  it('every truncation of a valid protobuf body fails cleanly or decodes a prefix', () => {
    expect(decodeTracesProtobuf(traces).rejectedSpans).toBe(0)
    let failures = 0
    for (let end = 0; end < traces.length; end++) {
      if (outcome(() => checkTraces(decodeTracesProtobuf(traces.subarray(0, end)))) === 'decode-error') failures++
    }
    // A cut inside the single top-level ResourceSpans always breaks its length prefix.
    expect(failures).toBe(traces.length - 1)
  })

  it('every truncation of a valid JSON body is a decode error', () => {
    for (let end = 0; end < tracesJson.length; end += 11) {
      expect(outcome(() => decodeTracesJson(tracesJson.subarray(0, end)))).toBe('decode-error')
    }
  })

  it('bit flips in a valid protobuf body: a result or PP_ERR_DECODE', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(traces.length - 1), fc.nat(7)), { minLength: 1, maxLength: 4 }), (flips) => {
        const body = Uint8Array.from(traces)
        for (const [at, bit] of flips) body[at] ^= 1 << bit
        expect(outcome(() => checkTraces(decodeTracesProtobuf(body)))).toMatch(/ok|decode-error/)
      }),
      { numRuns: 1000 },
    )
  })

  it('random JSON values, and valid JSON with a random subtree replaced: a result or PP_ERR_DECODE', () => {
    const valid: unknown = JSON.parse(Buffer.from(tracesJson).toString('utf8'))
    const paths = collectPaths(valid)
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(paths.length - 1), (value, pick) => {
        expect(outcome(() => checkTraces(decodeTracesJsonValue(value)))).toMatch(/ok|decode-error/)
        expect(outcome(() => decodeLogsJsonValue(value))).toMatch(/ok|decode-error/)
        const mutated = replaceAt(structuredClone(valid), paths[pick], value)
        expect(outcome(() => checkTraces(decodeTracesJsonValue(mutated)))).toMatch(/ok|decode-error/)
        expect(outcome(() => decodeTracesJson(JSON.stringify(mutated)))).toMatch(/ok|decode-error/)
      }),
      { numRuns: 400 },
    )
  })
})

type Path = (string | number)[]

function collectPaths(value: unknown, path: Path = [], out: Path[] = []): Path[] {
  out.push(path)
  if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      collectPaths(child, [...path, Array.isArray(value) ? Number(key) : key], out)
    }
  }
  return out
}

function replaceAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value
  let node = root as Record<string | number, unknown>
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>
  node[path[path.length - 1]] = value
  return root
}
