import { describe, expect, it } from 'vitest'

import { PrivpathError } from '../../core/errors.js'
import { decodeLogsProtobuf } from './protobuf-logs.js'
import { decodeTracesProtobuf } from './protobuf-traces.js'
import {
  PARENT_ID,
  SPAN_ID,
  TRACE_ID,
  bytesField,
  doubleField,
  embedded,
  fixed32Field,
  fixed64Field,
  groupField,
  hexBytes,
  message,
  spanFields,
  stringAttribute,
  stringField,
  traceRequest,
  varintField,
  type Field,
} from '../../testkit/otlp-messages.js'

function onlySpan(body: Uint8Array) {
  const decoded = decodeTracesProtobuf(body)
  return decoded.request.resourceSpans[0].scopeSpans[0].spans[0]
}

function decodeError(run: () => unknown): PrivpathError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(PrivpathError)
    expect((error as PrivpathError).code).toBe('PP_ERR_DECODE')
    return error as PrivpathError
  }
  throw new Error('expected a decode error')
}

/** One unknown field of every wire type, under a field number no OTLP message uses. */
const unknownFields: Field[] = [
  varintField(90, 123456789012n),
  fixed64Field(91, 0xdeadbeefn),
  stringField(92, 'from a newer proto'),
  groupField(93, varintField(1, 7), stringField(2, 'nested')),
  fixed32Field(94, 42),
]

function anyValueAttribute(key: string, ...valueFields: Field[]): Field {
  return embedded(9, stringField(1, key), embedded(2, ...valueFields))
}

describe('decodeTracesProtobuf', () => {
  it('decodes the span fields by their OTLP field numbers', () => {
    const span = onlySpan(
      traceRequest(
        spanFields(
          {},
          stringField(3, 'vendor=1'),
          bytesField(4, hexBytes(PARENT_ID)),
          varintField(6, 3),
          fixed64Field(7, 0xffff_ffff_ffff_fffen),
          fixed64Field(8, 1_780_000_000_123_456_789n),
          stringAttribute(9, 'gen_ai.tool.name', 'read_file'),
          embedded(11, fixed64Field(1, 5n), stringField(2, 'authz.decision'), stringAttribute(3, 'authz.result', 'allow')),
          embedded(13, bytesField(1, hexBytes(TRACE_ID)), bytesField(2, hexBytes(PARENT_ID)), stringAttribute(4, 'k', 'v')),
          embedded(15, stringField(2, 'boom'), varintField(3, 2)),
        ),
      ),
    )
    expect(span).toEqual({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      parentSpanId: PARENT_ID,
      traceState: 'vendor=1',
      name: 'execute_tool',
      kind: 3,
      startTimeUnixNano: 0xffff_ffff_ffff_fffen,
      endTimeUnixNano: 1_780_000_000_123_456_789n,
      attributes: { 'gen_ai.tool.name': 'read_file' },
      events: [{ timeUnixNano: 5n, name: 'authz.decision', attributes: { 'authz.result': 'allow' } }],
      links: [{ traceId: TRACE_ID, spanId: PARENT_ID, attributes: { k: 'v' } }],
      status: { code: 2, message: 'boom' },
    })
  })

  it('decodes every AnyValue kind, with int64 exact (number when safe, bigint otherwise)', () => {
    const span = onlySpan(
      traceRequest(
        spanFields(
          {},
          anyValueAttribute('s', stringField(1, 'text')),
          anyValueAttribute('b', varintField(2, 1)),
          anyValueAttribute('i', varintField(3, 42)),
          anyValueAttribute('neg', varintField(3, -5n)),
          anyValueAttribute('maxSafe', varintField(3, BigInt(Number.MAX_SAFE_INTEGER))),
          anyValueAttribute('minSafe', varintField(3, BigInt(Number.MIN_SAFE_INTEGER))),
          anyValueAttribute('big', varintField(3, 2n ** 63n - 1n)),
          anyValueAttribute('small', varintField(3, -(2n ** 63n))),
          anyValueAttribute('justUnsafe', varintField(3, 2n ** 53n)),
          anyValueAttribute('d', doubleField(4, -1.5)),
          anyValueAttribute('arr', embedded(5, embedded(1, stringField(1, 'x')), embedded(1, varintField(3, 2)), embedded(1))),
          anyValueAttribute('kv', embedded(6, embedded(1, stringField(1, 'inner'), embedded(2, varintField(2, 0))))),
          anyValueAttribute('bytes', bytesField(7, Uint8Array.from([0, 1, 255]))),
          anyValueAttribute('empty'),
          embedded(9, stringField(1, 'noValue')),
        ),
      ),
    )
    expect(span.attributes).toEqual({
      s: 'text',
      b: true,
      i: 42,
      neg: -5,
      maxSafe: Number.MAX_SAFE_INTEGER,
      minSafe: Number.MIN_SAFE_INTEGER,
      big: 2n ** 63n - 1n,
      small: -(2n ** 63n),
      justUnsafe: 2n ** 53n,
      d: -1.5,
      arr: ['x', 2, null],
      kv: { inner: false },
      bytes: Uint8Array.from([0, 1, 255]),
      empty: null,
      noValue: null,
    })
  })

  it('skips unknown fields of every wire type at every level', () => {
    const withUnknown = message(
      ...unknownFields,
      embedded(
        1,
        ...unknownFields,
        embedded(1, stringAttribute(1, 'tenant.id', 'tenant-a'), ...unknownFields),
        embedded(
          2,
          embedded(1, stringField(1, 'scope'), ...unknownFields),
          embedded(2, ...spanFields({}, ...unknownFields, embedded(15, ...unknownFields, varintField(3, 1)))),
          ...unknownFields,
        ),
      ),
    )
    const decoded = decodeTracesProtobuf(withUnknown)
    expect(decoded.rejectedSpans).toBe(0)
    expect(decoded.request.resourceSpans[0].resource.attributes).toEqual({ 'tenant.id': 'tenant-a' })
    expect(decoded.request.resourceSpans[0].scopeSpans[0].scope.name).toBe('scope')
    const span = decoded.request.resourceSpans[0].scopeSpans[0].spans[0]
    expect(span).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID, name: 'execute_tool', status: { code: 1 } })
  })

  it('treats a known field sent with another wire type as unknown', () => {
    // name (5) as a varint instead of a string
    const span = onlySpan(traceRequest(spanFields({}, varintField(5, 7))))
    expect(span.name).toBe('execute_tool')
  })

  it('rejects only the spans whose ids are malformed, counting each with its reason', () => {
    const decoded = decodeTracesProtobuf(
      traceRequest(
        spanFields(),
        spanFields({ traceId: Uint8Array.from([1, 2, 3, 4, 5]) }),
        spanFields({ spanId: new Uint8Array(0) }),
        spanFields({}, bytesField(4, Uint8Array.from([9]))),
        spanFields({ traceId: new Uint8Array(16) }),
        spanFields({}, embedded(13, bytesField(1, hexBytes(TRACE_ID)), bytesField(2, Uint8Array.from([1])))),
        spanFields({}, embedded(15, varintField(3, 7))),
        spanFields({}, bytesField(4, new Uint8Array(8))),
      ),
    )
    const spans = decoded.request.resourceSpans[0].scopeSpans[0].spans
    expect(spans).toHaveLength(2)
    expect(spans[1].parentSpanId).toBe('')
    expect(decoded.rejectedSpans).toBe(6)
    expect(decoded.rejectReasons).toEqual([
      'resourceSpans[0].scopeSpans[0].spans[1].traceId: expected 16 bytes, got 5',
      'resourceSpans[0].scopeSpans[0].spans[2].spanId: missing (8 bytes required)',
      'resourceSpans[0].scopeSpans[0].spans[3].parentSpanId: expected 8 bytes, got 1',
      'resourceSpans[0].scopeSpans[0].spans[4].traceId: all zero, which is not a valid id',
      'resourceSpans[0].scopeSpans[0].spans[5].links[0].spanId: expected 8 bytes, got 1',
      'resourceSpans[0].scopeSpans[0].spans[6].status.code: unknown value 7',
    ])
  })

  it('keeps the first reasons and counts the rest when many spans are rejected', () => {
    const bad = Array.from({ length: 50 }, () => spanFields({ spanId: Uint8Array.from([1]) }))
    const decoded = decodeTracesProtobuf(traceRequest(...bad))
    expect(decoded.rejectedSpans).toBe(50)
    expect(decoded.rejectReasons).toHaveLength(21)
    expect(decoded.rejectReasons[20]).toBe('and 30 more')
  })

  it('names the path of a truncated field', () => {
    const body = traceRequest(spanFields({}, stringAttribute(9, 'a', 'b'), stringAttribute(9, 'key', 'value')))
    const error = decodeError(() => decodeTracesProtobuf(body.subarray(0, body.length - 3)))
    expect(error.message).toMatch(/^ExportTraceServiceRequest: resourceSpans\[0\]: truncated input/)
    // Truncate inside the innermost message but keep outer lengths intact: lie in the KeyValue.
    const lying = traceRequest(spanFields({}, stringAttribute(9, 'a', 'b'), embedded(9, bytesField(1, Buffer.from('k')).subarray(0, 2))))
    const nested = decodeError(() => decodeTracesProtobuf(lying))
    expect(nested.message).toMatch(/resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.attributes\[1\]: truncated input/)
  })

  it('fails cleanly on a length prefix far larger than the body', () => {
    const body = message(Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x07]), new Uint8Array(10))
    expect(decodeError(() => decodeTracesProtobuf(body)).message).toMatch(/truncated input/)
  })

  it('refuses AnyValue nesting deeper than the limit instead of exhausting the stack', () => {
    let value: Field[] = [stringField(1, 'leaf')]
    for (let i = 0; i < 200; i++) value = [embedded(5, embedded(1, ...value))]
    const error = decodeError(() => decodeTracesProtobuf(traceRequest(spanFields({}, embedded(9, stringField(1, 'deep'), embedded(2, ...value))))))
    expect(error.message).toMatch(/attributes\[0\]\.value(\.arrayValue\.values\[0\])+: values nested deeper than 64 levels/)
    let shallow: Field[] = [stringField(1, 'leaf')]
    for (let i = 0; i < 60; i++) shallow = [embedded(5, embedded(1, ...shallow))]
    const span = onlySpan(traceRequest(spanFields({}, embedded(9, stringField(1, 'ok'), embedded(2, ...shallow)))))
    expect(JSON.stringify(span.attributes.ok)).toBe(`${'['.repeat(60)}"leaf"${']'.repeat(60)}`)
  })

  it('keeps a __proto__ attribute as data, not as the prototype', () => {
    const span = onlySpan(traceRequest(spanFields({}, stringAttribute(9, '__proto__', 'polluted'))))
    expect(Object.getPrototypeOf(span.attributes)).toBe(Object.prototype)
    expect(Object.keys(span.attributes)).toEqual(['__proto__'])
    expect(span.attributes.__proto__).toBe('polluted')
  })

  it('returns copies of bytes values, not views into the request', () => {
    const body = traceRequest(spanFields({}, anyValueAttribute('raw', bytesField(7, Uint8Array.from([7, 7])))))
    const raw = onlySpan(body).attributes.raw as Uint8Array
    body.fill(0)
    expect(Array.from(raw)).toEqual([7, 7])
  })

  it('accepts an empty body as an empty request', () => {
    expect(decodeTracesProtobuf(new Uint8Array(0))).toEqual({ request: { resourceSpans: [] }, rejectedSpans: 0, rejectReasons: [] })
  })
})

describe('decodeLogsProtobuf', () => {
  function logRequest(...records: Field[][]): Uint8Array {
    return message(embedded(1, embedded(2, embedded(1, stringField(1, 'audit')), ...records.map((r) => embedded(2, ...r)))))
  }

  it('decodes the log record fields, event_name included (field 12)', () => {
    const decoded = decodeLogsProtobuf(
      logRequest([
        fixed64Field(1, 1_780_000_000_000_000_001n),
        varintField(2, 17),
        stringField(3, 'ERROR'),
        embedded(5, stringField(1, 'denied')),
        stringAttribute(6, 'credential.id', 'cred-1'),
        varintField(7, 0),
        fixed32Field(8, 1),
        bytesField(9, hexBytes(TRACE_ID)),
        bytesField(10, hexBytes(SPAN_ID)),
        fixed64Field(11, 1_780_000_000_000_000_002n),
        stringField(12, 'authz.decision'),
        ...unknownFields,
      ]),
    )
    expect(decoded.request.resourceLogs[0].scopeLogs[0].logRecords).toEqual([
      {
        timeUnixNano: 1_780_000_000_000_000_001n,
        observedTimeUnixNano: 1_780_000_000_000_000_002n,
        severityNumber: 17,
        severityText: 'ERROR',
        body: 'denied',
        attributes: { 'credential.id': 'cred-1' },
        traceId: TRACE_ID,
        spanId: SPAN_ID,
        eventName: 'authz.decision',
      },
    ])
  })

  it('rejects records with malformed trace context and keeps the others', () => {
    const decoded = decodeLogsProtobuf(
      logRequest([stringField(12, 'ok')], [bytesField(9, Uint8Array.from([1, 2]))], [bytesField(10, new Uint8Array(8))]),
    )
    const records = decoded.request.resourceLogs[0].scopeLogs[0].logRecords
    expect(records.map((r) => r.eventName)).toEqual(['ok', ''])
    expect(records[1].spanId).toBe('')
    expect(decoded.rejectedLogRecords).toBe(1)
    expect(decoded.rejectReasons).toEqual(['resourceLogs[0].scopeLogs[0].logRecords[1].traceId: expected 16 bytes, got 2'])
  })

  it('names the path of a malformed body', () => {
    const error = decodeError(() => decodeLogsProtobuf(logRequest([embedded(5, Uint8Array.from([0x0a, 0x05, 0x61]))])))
    expect(error.message).toMatch(/^ExportLogsServiceRequest: resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]\.body: truncated input/)
  })
})
