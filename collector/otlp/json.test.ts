import { describe, expect, it } from 'vitest'

import { PrivpathError } from '../../core/errors.js'
import { decodeLogsJson } from './json-logs.js'
import { decodeTracesJson, decodeTracesJsonValue } from './json-traces.js'

const TRACE_ID = '5B8EFFF798038103D269B633813FC60C'
const SPAN_ID = 'eee19b7ec3c1b174'

function request(span: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'tenant.id', value: { stringValue: 'tenant-a' } }] },
        scopeSpans: [{ scope: { name: 'scope', version: '1' }, spans: [{ traceId: TRACE_ID, spanId: SPAN_ID, ...span }] }],
        ...extra,
      },
    ],
  }
}

function onlySpan(value: unknown) {
  return decodeTracesJson(JSON.stringify(value)).request.resourceSpans[0].scopeSpans[0].spans[0]
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

describe('decodeTracesJson', () => {
  it('reads lowerCamelCase fields, hex ids (lowercased), int64 strings and integer enums', () => {
    const span = onlySpan(
      request({
        parentSpanId: 'EEE19B7EC3C1B173',
        traceState: 'v=1',
        name: 'chat',
        kind: 3,
        startTimeUnixNano: '1780000000123456789',
        endTimeUnixNano: 1780000000,
        attributes: [
          { key: 's', value: { stringValue: 'x' } },
          { key: 'b', value: { boolValue: false } },
          { key: 'i', value: { intValue: '9223372036854775807' } },
          { key: 'n', value: { intValue: -3 } },
          { key: 'd', value: { doubleValue: 2.5 } },
          { key: 'nan', value: { doubleValue: 'NaN' } },
          { key: 'a', value: { arrayValue: { values: [{ intValue: '1' }, {}] } } },
          { key: 'kv', value: { kvlistValue: { values: [{ key: 'inner', value: { stringValue: 'y' } }] } } },
          { key: 'bytes', value: { bytesValue: 'AAH/' } },
          { key: 'none' },
        ],
        events: [{ timeUnixNano: '5', name: 'credential.issued', attributes: [] }],
        links: [{ traceId: TRACE_ID, spanId: SPAN_ID, attributes: [{ key: 'k', value: { stringValue: 'v' } }] }],
        status: { code: 2, message: 'bad' },
        droppedAttributesCount: 0,
        somethingNew: { nested: true },
      }),
    )
    expect(span).toEqual({
      traceId: TRACE_ID.toLowerCase(),
      spanId: SPAN_ID,
      parentSpanId: 'eee19b7ec3c1b173',
      traceState: 'v=1',
      name: 'chat',
      kind: 3,
      startTimeUnixNano: 1_780_000_000_123_456_789n,
      endTimeUnixNano: 1_780_000_000n,
      attributes: {
        s: 'x',
        b: false,
        i: 2n ** 63n - 1n,
        n: -3,
        d: 2.5,
        nan: Number.NaN,
        a: [1, null],
        kv: { inner: 'y' },
        bytes: Uint8Array.from([0, 1, 255]),
        none: null,
      },
      events: [{ timeUnixNano: 5n, name: 'credential.issued', attributes: {} }],
      links: [{ traceId: TRACE_ID.toLowerCase(), spanId: SPAN_ID, attributes: { k: 'v' } }],
      status: { code: 2, message: 'bad' },
    })
  })

  it('accepts the proto snake_case names and enum names too', () => {
    const body = {
      resource_spans: [
        {
          scope_spans: [
            {
              spans: [
                {
                  trace_id: TRACE_ID,
                  span_id: SPAN_ID,
                  parent_span_id: SPAN_ID,
                  start_time_unix_nano: '10',
                  end_time_unix_nano: '20',
                  kind: 'SPAN_KIND_SERVER',
                  status: { code: 'STATUS_CODE_OK' },
                  attributes: [{ key: 'i', value: { int_value: '7' } }],
                },
              ],
            },
          ],
        },
      ],
    }
    expect(onlySpan(body)).toMatchObject({
      parentSpanId: SPAN_ID,
      startTimeUnixNano: 10n,
      endTimeUnixNano: 20n,
      kind: 2,
      status: { code: 1 },
      attributes: { i: 7 },
    })
  })

  it('rejects a span with base64 or wrong-length ids and keeps the rest', () => {
    const body = {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                { traceId: TRACE_ID, spanId: SPAN_ID },
                { traceId: Buffer.from(TRACE_ID, 'hex').toString('base64'), spanId: SPAN_ID },
                { traceId: TRACE_ID, spanId: 'abcd' },
                { traceId: TRACE_ID, spanId: 12 },
                { traceId: TRACE_ID, spanId: SPAN_ID, links: [{ traceId: 'zz', spanId: SPAN_ID }] },
              ],
            },
          ],
        },
      ],
    }
    const decoded = decodeTracesJson(JSON.stringify(body))
    expect(decoded.request.resourceSpans[0].scopeSpans[0].spans).toHaveLength(1)
    expect(decoded.rejectedSpans).toBe(4)
    expect(decoded.rejectReasons[0]).toMatch(/^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[1\]\.traceId: expected hex \(not base64\)/)
    expect(decoded.rejectReasons.slice(1)).toEqual([
      'resourceSpans[0].scopeSpans[0].spans[2].spanId: expected 8 bytes, got 2',
      'resourceSpans[0].scopeSpans[0].spans[3].spanId: expected a hex string, got number',
      'resourceSpans[0].scopeSpans[0].spans[4].links[0].traceId: expected hex (not base64), got "zz"',
    ])
  })

  it('fails the request on a wrongly typed field, naming its path', () => {
    const cases: [unknown, RegExp][] = [
      [request({ startTimeUnixNano: 'soon' }), /spans\[0\]\.startTimeUnixNano: expected an unsigned 64-bit integer/],
      [request({ startTimeUnixNano: '-1' }), /spans\[0\]\.startTimeUnixNano: expected an unsigned 64-bit integer/],
      [request({ startTimeUnixNano: '18446744073709551616' }), /startTimeUnixNano: expected an unsigned/],
      [request({ attributes: [{ key: 'x', value: { intValue: 1.5 } }] }), /spans\[0\]\.attributes\[0\]\.value\.intValue: expected a signed 64-bit integer/],
      [request({ attributes: [{ key: 'x', value: { intValue: '9223372036854775808' } }] }), /attributes\[0\]\.value\.intValue/],
      [request({ attributes: [{ key: 7 }] }), /spans\[0\]\.attributes\[0\]\.key: expected a string, got number/],
      [request({ attributes: { key: 'x' } }), /spans\[0\]\.attributes: expected an array, got object/],
      [request({ events: [{ name: 3 }] }), /spans\[0\]\.events\[0\]\.name: expected a string, got number/],
      [request({ status: [] }), /spans\[0\]\.status: expected an object, got array/],
      [request({ status: { code: 'WHATEVER' } }), /spans\[0\]\.status\.code: expected an enum integer or name/],
      [request({ attributes: [{ key: 'b', value: { bytesValue: 'not base64!' } }] }), /value\.bytesValue: expected a base64 string/],
      [request({ attributes: [{ key: 'b', value: { boolValue: 'true' } }] }), /value\.boolValue: expected a boolean, got string/],
      [request({}, { resource: 'x' }), /resourceSpans\[0\]\.resource: expected an object, got string/],
      [[1, 2], /^ExportTraceServiceRequest: expected an object, got array/],
    ]
    for (const [body, pattern] of cases) {
      expect(decodeError(() => decodeTracesJson(JSON.stringify(body))).message).toMatch(pattern)
    }
  })

  it('reports invalid JSON as a decode error', () => {
    expect(decodeError(() => decodeTracesJson('{"resourceSpans": [')).message).toMatch(/invalid JSON/)
    expect(decodeError(() => decodeTracesJson(Buffer.from(''))).message).toMatch(/invalid JSON/)
  })

  it('treats null as the default and an empty object as an empty request', () => {
    expect(decodeTracesJson('{}').request).toEqual({ resourceSpans: [] })
    expect(onlySpan(request({ name: null, attributes: null, status: null }))).toMatchObject({ name: '', attributes: {} })
  })

  it('refuses AnyValue nesting deeper than the limit', () => {
    let value: unknown = { stringValue: 'leaf' }
    for (let i = 0; i < 100; i++) value = { arrayValue: { values: [value] } }
    const error = decodeError(() => decodeTracesJsonValue(request({ attributes: [{ key: 'deep', value }] })))
    expect(error.message).toMatch(/nested deeper than 64 levels/)
  })

  it('keeps a __proto__ attribute as data', () => {
    const span = onlySpan(request({ attributes: [{ key: '__proto__', value: { stringValue: 'x' } }] }))
    expect(Object.getPrototypeOf(span.attributes)).toBe(Object.prototype)
    expect(span.attributes.__proto__).toBe('x')
  })
})

describe('decodeLogsJson', () => {
  it('reads log records, severity names and event_name (with the event.name fallback)', () => {
    const body = {
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                {
                  timeUnixNano: '1780000000000000001',
                  observedTimeUnixNano: '1780000000000000002',
                  severityNumber: 'SEVERITY_NUMBER_WARN3',
                  severityText: 'WARN',
                  body: { kvlistValue: { values: [{ key: 'a', value: { intValue: 1 } }] } },
                  traceId: TRACE_ID,
                  spanId: SPAN_ID,
                  eventName: 'credential.used',
                },
                { severity_number: 9, attributes: [{ key: 'event.name', value: { stringValue: 'legacy' } }] },
                { traceId: 'abc' },
              ],
            },
          ],
        },
      ],
    }
    const decoded = decodeLogsJson(JSON.stringify(body))
    expect(decoded.request.resourceLogs[0].scopeLogs[0].logRecords).toEqual([
      {
        timeUnixNano: 1_780_000_000_000_000_001n,
        observedTimeUnixNano: 1_780_000_000_000_000_002n,
        severityNumber: 15,
        severityText: 'WARN',
        body: { a: 1 },
        attributes: {},
        traceId: TRACE_ID.toLowerCase(),
        spanId: SPAN_ID,
        eventName: 'credential.used',
      },
      {
        timeUnixNano: 0n,
        observedTimeUnixNano: 0n,
        severityNumber: 9,
        severityText: '',
        body: null,
        attributes: { 'event.name': 'legacy' },
        traceId: '',
        spanId: '',
        eventName: 'legacy',
      },
    ])
    expect(decoded.rejectedLogRecords).toBe(1)
    expect(decoded.rejectReasons[0]).toMatch(/^resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[2\]\.traceId: expected hex/)
  })
})
