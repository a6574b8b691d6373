import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { agentTaskRequests } from '../../testkit/fixtures/agent-tasks.js'
import { isPrivpathError } from '../../core/errors.js'
import { checkLogsProtobuf, checkTracesProtobuf, type ExportCheck } from './protobuf-check.js'
import { decodeLogsProtobuf } from './protobuf-logs.js'
import { decodeTracesProtobuf } from './protobuf-traces.js'
import {
  bytesField,
  doubleField,
  embedded,
  fixed32Field,
  fixed64Field,
  groupField,
  message,
  stringField,
  varintField,
  type Field,
} from '../../testkit/otlp-messages.js'
import { MAX_VALUE_DEPTH } from './values.js'

// The receiver answers from the check and the pipeline decodes later: a request the check passes
// must decode, with the same counts and reasons, and one it fails must fail decoding the same way.

type Verdict = { error: string } | ExportCheck

function verdict(run: () => ExportCheck): Verdict {
  try {
    return run()
  } catch (error) {
    if (isPrivpathError(error) && error.code === 'PP_ERR_DECODE') return { error: error.message }
    throw error
  }
}

function decodedTraces(body: Uint8Array): ExportCheck {
  const decoded = decodeTracesProtobuf(body)
  let kept = 0
  for (const rs of decoded.request.resourceSpans) for (const ss of rs.scopeSpans) kept += ss.spans.length
  return { received: kept + decoded.rejectedSpans, rejected: decoded.rejectedSpans, rejectReasons: decoded.rejectReasons }
}

function decodedLogs(body: Uint8Array): ExportCheck {
  const decoded = decodeLogsProtobuf(body)
  let kept = 0
  for (const rl of decoded.request.resourceLogs) for (const sl of rl.scopeLogs) kept += sl.logRecords.length
  return { received: kept + decoded.rejectedLogRecords, rejected: decoded.rejectedLogRecords, rejectReasons: decoded.rejectReasons }
}

function expectSameVerdicts(body: Uint8Array): void {
  expect(verdict(() => checkTracesProtobuf(body))).toEqual(verdict(() => decodedTraces(body)))
  expect(verdict(() => checkLogsProtobuf(body))).toEqual(verdict(() => decodedLogs(body)))
}

/* Requests shaped by the OTLP schema, with the ids, codes and nesting the checks judge varied. */

const someBytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length })
const id = (length: number): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    { weight: 6, arbitrary: someBytes(length) },
    { weight: 1, arbitrary: fc.constant(new Uint8Array(length)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 20 }) },
  )

const anyValue: fc.Arbitrary<Field> = fc.letrec<{ value: Field; keyValue: Field }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ maxLength: 60 }).map((s) => stringField(1, s)),
    fc.boolean().map((b) => varintField(2, b ? 1 : 0)),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => varintField(3, n)),
    fc.double().map((d) => doubleField(4, d)),
    fc.array(tie('value'), { maxLength: 3 }).map((values) => embedded(5, ...values.map((v) => embedded(1, v)))),
    fc.array(tie('keyValue'), { maxLength: 3 }).map((kvs) => embedded(6, ...kvs.map((kv) => embedded(1, kv)))),
    fc.uint8Array({ maxLength: 12 }).map((b) => bytesField(7, b)),
  ),
  keyValue: fc.tuple(fc.string({ maxLength: 10 }), tie('value')).map(([key, value]) => message(stringField(1, key), embedded(2, value))),
})).value

/** An array value nested around the limit, refused past MAX_VALUE_DEPTH. */
const deepValue = fc.integer({ min: MAX_VALUE_DEPTH - 2, max: MAX_VALUE_DEPTH + 3 }).map((depth) => {
  let value = stringField(1, 'leaf')
  for (let i = 0; i < depth; i++) value = embedded(5, embedded(1, value))
  return value
})

const attribute = (field: number) =>
  fc.tuple(fc.string({ maxLength: 10 }), fc.oneof({ weight: 8, arbitrary: anyValue }, { weight: 1, arbitrary: deepValue }))
    .map(([key, value]) => embedded(field, stringField(1, key), embedded(2, value)))

/** A field of a number the message does not define, or a defined one with the wrong wire type. */
const stray = (fields: number[]) =>
  fc.oneof(
    fc.tuple(fc.constantFrom(...fields, 14, 99), fc.nat()).map(([n, v]) => varintField(n, v)),
    fc.tuple(fc.constantFrom(...fields, 14, 99), fc.integer()).map(([n, v]) => fixed32Field(n, v)),
    fc.constantFrom(...fields, 14, 99).map((n) => groupField(n, varintField(1, 1))),
  )

const fields = (...choices: Array<fc.Arbitrary<Field>>) =>
  fc.array(fc.oneof(...choices), { maxLength: 8 })

const spanEvent = fields(
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((t) => fixed64Field(1, t)),
  fc.string({ maxLength: 20 }).map((s) => stringField(2, s)),
  attribute(3),
  stray([1, 2, 3]),
).map((fs) => message(...fs))

const link = fc.tuple(fc.option(id(16)), fc.option(id(8)), fields(attribute(4), stray([1, 2, 4]))).map(([traceId, spanId, rest]) =>
  message(...(traceId ? [bytesField(1, traceId)] : []), ...(spanId ? [bytesField(2, spanId)] : []), ...rest),
)

const status = fields(
  fc.string({ maxLength: 20 }).map((s) => stringField(2, s)),
  fc.integer({ min: -1, max: 4 }).map((code) => varintField(3, code)),
  stray([2, 3]),
).map((fs) => message(...fs))

const span = fc
  .tuple(
    fc.option(id(16), { freq: 8 }),
    fc.option(id(8), { freq: 8 }),
    fields(
      id(8).map((b) => bytesField(4, b)),
      id(16).map((b) => bytesField(1, b)),
      fc.string({ maxLength: 20 }).map((s) => stringField(3, s)),
      fc.string({ maxLength: 20 }).map((s) => stringField(5, s)),
      fc.integer({ min: 0, max: 5 }).map((k) => varintField(6, k)),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((t) => fixed64Field(7, t)),
      attribute(9),
      spanEvent.map((e) => embedded(11, e)),
      link.map((l) => embedded(13, l)),
      status.map((s) => embedded(15, s)),
      stray([1, 2, 4, 5, 7, 9, 11, 13, 15]),
    ),
  )
  .map(([traceId, spanId, rest]) =>
    message(...(traceId ? [bytesField(1, traceId)] : []), ...(spanId ? [bytesField(2, spanId)] : []), ...rest),
  )

const logRecord = fields(
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((t) => fixed64Field(1, t)),
  fc.integer({ min: 0, max: 24 }).map((n) => varintField(2, n)),
  fc.string({ maxLength: 10 }).map((s) => stringField(3, s)),
  anyValue.map((v) => embedded(5, v)),
  attribute(6),
  id(16).map((b) => bytesField(9, b)),
  id(8).map((b) => bytesField(10, b)),
  fc.string({ maxLength: 20 }).map((s) => stringField(12, s)),
  stray([1, 2, 3, 5, 6, 9, 10, 12]),
).map((fs) => message(...fs))

const scope = fields(fc.string({ maxLength: 10 }).map((s) => stringField(1, s)), fc.string({ maxLength: 5 }).map((s) => stringField(2, s)), attribute(3), stray([1, 2, 3]))

/** An item whole, or cut short inside its own length prefix, so a field inside runs past the item's end. */
function cutInside(item: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return item.chain((whole) =>
    fc.oneof({ weight: 4, arbitrary: fc.constant(whole) }, { weight: 1, arbitrary: fc.nat(whole.length).map((end) => whole.subarray(0, end)) }),
  )
}

function request(item: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  const scopeEnvelope = fc
    .tuple(fc.option(scope), fc.array(cutInside(item), { maxLength: 4 }), fc.option(stray([1, 2])))
    .map(([s, items, extra]) => message(...(s ? [embedded(1, ...s)] : []), ...items.map((i) => embedded(2, i)), ...(extra ? [extra] : [])))
  const resourceEnvelope = fc
    .tuple(fc.option(fields(attribute(1), stray([1]))), fc.array(scopeEnvelope, { maxLength: 3 }))
    .map(([resource, scopes]) => message(...(resource ? [embedded(1, ...resource)] : []), ...scopes.map((s) => embedded(2, s))))
  return fc.array(resourceEnvelope, { minLength: 1, maxLength: 3 }).map((resources) => message(...resources.map((r) => embedded(1, r))))
}

/** Leaves the body whole, cuts it short, or flips a few of its bits. */
function damaged(body: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return body.chain((whole) =>
    fc.oneof(
      { weight: 3, arbitrary: fc.constant(whole) },
      { weight: 1, arbitrary: fc.nat(Math.max(0, whole.length - 1)).map((end) => whole.subarray(0, end)) },
      {
        weight: 1,
        arbitrary: fc.array(fc.tuple(fc.nat(Math.max(0, whole.length - 1)), fc.nat(7)), { minLength: 1, maxLength: 3 }).map((flips) => {
          const copy = Uint8Array.from(whole)
          for (const [at, bit] of flips) if (copy.length > 0) copy[at] ^= 1 << bit
          return copy
        }),
      },
    ),
  )
}

describe('protobuf check against the decoders', () => {
  it('trace requests: the same verdict, counts and reasons as decoding', () => {
    fc.assert(fc.property(damaged(request(span)), expectSameVerdicts), { numRuns: 3000 })
  })

  it('log requests: the same verdict, counts and reasons as decoding', () => {
    fc.assert(fc.property(damaged(request(logRecord)), expectSameVerdicts), { numRuns: 2000 })
  })

  it('random bytes: the same verdict as decoding', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), expectSameVerdicts), { numRuns: 2000 })
  })

  it('every truncation of a real agent-task body: the same verdict as decoding', () => {
    const body = agentTaskRequests({ tasks: 1, spansPerRequest: 50, seed: 5 }).bodies[0]
    expect(checkTracesProtobuf(body)).toEqual({ received: decodedTraces(body).received, rejected: 0, rejectReasons: [] })
    expect(decodedTraces(body).received).toBeGreaterThan(1)
    for (let end = 0; end <= body.length; end++) expectSameVerdicts(body.subarray(0, end))
  })

  it('names the first rejected item and counts every one, as the decoder does', () => {
    const good = message(bytesField(1, new Uint8Array(16).fill(1)), bytesField(2, new Uint8Array(8).fill(2)))
    const zeroTrace = message(bytesField(1, new Uint8Array(16)), bytesField(2, new Uint8Array(8).fill(2)))
    const badCode = message(good, embedded(15, varintField(3, 7)))
    const badLink = message(good, embedded(13, bytesField(1, new Uint8Array(16).fill(1))))
    const body = message(embedded(1, embedded(2, ...[good, zeroTrace, badCode, badLink].map((s) => embedded(2, s)))))
    expect(checkTracesProtobuf(body)).toEqual({
      received: 4,
      rejected: 3,
      rejectReasons: [
        'resourceSpans[0].scopeSpans[0].spans[1].traceId: all zero, which is not a valid id',
        'resourceSpans[0].scopeSpans[0].spans[2].status.code: unknown value 7',
        'resourceSpans[0].scopeSpans[0].spans[3].links[0].spanId: missing (8 bytes required)',
      ],
    })
    expectSameVerdicts(body)
  })
})
