import { describe, expect, it } from 'vitest'
import { PrivpathError } from '../../core/errors.js'
import { opaDecision } from '../../testkit/opa.js'
import { readUpload, rfc3339Nanos } from './decisions.js'
import { defaultVerdict, verdictReader } from './verdict.js'

const body = (value: unknown): Buffer => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value))

function refusal(value: unknown): string {
  try {
    readUpload(body(value))
  } catch (error) {
    expect(error).toBeInstanceOf(PrivpathError)
    expect((error as PrivpathError).code).toBe('PP_ERR_DECODE')
    return (error as Error).message
  }
  throw new Error('the upload was accepted')
}

describe('reading an OPA upload', () => {
  it('keeps what a decision says and drops metrics and the builtin cache', () => {
    const [read] = readUpload(body([opaDecision({ erased: ['/input/token'], masked: ['/input/email'] })]))
    expect(read.decision).toEqual({
      decision_id: '0a7e1c1b-6f1e-4d1a-9a55-7e1a3e6d2b41',
      timestamp: '2026-12-07T10:04:05.123456789Z',
      time_unix_nano: (BigInt(Date.parse('2026-12-07T10:04:05.123Z')) * 1_000_000n + 456_789n).toString(),
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
      path: 'agents/tools/allow',
      query: '',
      labels: { id: '5c7f2f3e-3e46-4ff1-9d45-1a0d3f1d0c2b', version: '1.4.2', env: 'prod' },
      requested_by: '10.0.3.7:51812',
      req_id: '7',
      bundles: { authz: '7c2d1e' },
      erased: ['/input/token'],
      masked: ['/input/email'],
      error: '',
      input: '{"action":"db.drop_table","resource":{"id":"orders","tenant":"acme"},"principal":{"id":"planner"}}',
      result: 'false',
      action: 'db.drop_table',
      resource: 'orders',
    })
    expect(JSON.stringify(read.decision)).not.toContain('secret')
    expect(read.raw.result).toBe(false)
  })

  it('takes a decision without tracing, input or result, and upper-case ids lowered', () => {
    const [read] = readUpload(body([opaDecision({ trace_id: undefined, span_id: 'ABCDEF0123456789', input: undefined, result: undefined, labels: undefined, bundles: undefined, req_id: undefined })]))
    expect(read.decision).toMatchObject({ trace_id: '', span_id: 'abcdef0123456789', input: '', result: '', action: '', resource: '', labels: {}, bundles: {}, req_id: '' })
  })

  it("keeps an evaluation error's message", () => {
    const [read] = readUpload(body([opaDecision({ result: undefined, error: { code: 'eval_conflict_error', message: 'functions must not produce multiple outputs' } })]))
    expect(read.decision.error).toBe('functions must not produce multiple outputs')
  })

  it('cuts a huge input to what an attribute keeps plus the redaction margin', () => {
    const [read] = readUpload(body([opaDecision({ input: { blob: 'x'.repeat(100_000) } })]))
    expect(read.decision.input.length).toBe(1_024 + 4_096)
  })

  it('refuses a malformed upload naming the field', () => {
    expect(refusal('[{"decision_id": ')).toMatch(/^OPA decision log: body: not JSON: /)
    expect(refusal({ decision_id: 'd' })).toBe('OPA decision log: body: expected a JSON array of decision events, got an object')
    expect(refusal([opaDecision(), 'x'])).toBe('OPA decision log: [1]: expected a decision event (an object), got "x"')
    expect(refusal([opaDecision({ decision_id: undefined })])).toBe('OPA decision log: [0].decision_id: required, missing')
    expect(refusal([opaDecision({ decision_id: 7 })])).toBe('OPA decision log: [0].decision_id: expected a string, got a number')
    expect(refusal([opaDecision({ timestamp: undefined })])).toBe('OPA decision log: [0].timestamp: required, missing')
    expect(refusal([opaDecision({ timestamp: '2026-02-30T10:00:00Z' })])).toBe('OPA decision log: [0].timestamp: expected an RFC 3339 time with a zone, got "2026-02-30T10:00:00Z"')
    expect(refusal([opaDecision({ timestamp: '2026-12-07T10:04:05' })])).toMatch(/\[0\]\.timestamp: expected an RFC 3339 time with a zone/)
    expect(refusal([opaDecision({ trace_id: 'not-hex' })])).toBe('OPA decision log: [0].trace_id: expected 32 hex digits, got "not-hex"')
    expect(refusal([opaDecision({ span_id: '00f067aa0ba902b7ff' })])).toMatch(/\[0\]\.span_id: expected 16 hex digits/)
    expect(refusal([opaDecision({ path: ['authz'] })])).toBe('OPA decision log: [0].path: expected a string, got an array')
    expect(refusal([opaDecision({ labels: { id: 3 } })])).toBe('OPA decision log: [0].labels.id: expected a string, got a number')
    expect(refusal([opaDecision({ bundles: { authz: 'r1' } })])).toMatch(/\[0\]\.bundles\.authz: expected \{ "revision": string \}/)
    expect(refusal([opaDecision({ req_id: 1.5 })])).toBe('OPA decision log: [0].req_id: expected an integer, got a number')
    expect(refusal([opaDecision({ erased: ['/input/a', 2] })])).toBe('OPA decision log: [0].erased[1]: expected a string, got a number')
    expect(refusal([opaDecision({ error: 'boom' })])).toBe('OPA decision log: [0].error: expected an object, got "boom"')
  })
})

describe('RFC 3339 times', () => {
  it('reads nanoseconds and zones', () => {
    const base = BigInt(Date.parse('2026-12-07T10:04:05Z')) * 1_000_000n
    expect(rfc3339Nanos('2026-12-07T10:04:05Z')).toBe(base)
    expect(rfc3339Nanos('2026-12-07T10:04:05.000000001Z')).toBe(base + 1n)
    expect(rfc3339Nanos('2026-12-07T12:04:05.5+02:00')).toBe(base + 500_000_000n)
    expect(rfc3339Nanos('2026-12-07T08:34:05-01:30')).toBe(base)
    expect(rfc3339Nanos('2026-13-01T00:00:00Z')).toBeUndefined()
    expect(rfc3339Nanos('2026-12-07T24:00:00Z')).toBeUndefined()
    expect(rfc3339Nanos('1796637845')).toBeUndefined()
  })
})

describe('verdicts', () => {
  it('reads a boolean result or result.allow, and nothing else, by default', () => {
    expect([true, false, { allow: true }, { allow: false, reasons: ['no'] }, { allow: 'yes' }, 'allow', undefined, null].map(defaultVerdict)).toEqual([
      'allow', 'deny', 'allow', 'deny', '', '', '', '',
    ])
  })

  it('reads other shapes through collector.opa_result_expression, over the whole decision', async () => {
    const permit = verdictReader('result.decision = "permit"')
    expect(await permit({ result: { decision: 'permit' } })).toBe('allow')
    expect(await permit({ result: { decision: 'forbid' } })).toBe('deny')
    const byPath = verdictReader('path = "agents/tools/allow" ? (result.outcome = "ok" ? "allow" : "deny") : null')
    expect(await byPath({ path: 'agents/tools/allow', result: { outcome: 'ok' } })).toBe('allow')
    expect(await byPath({ path: 'other', result: { outcome: 'ok' } })).toBe('')
    // outside the compiled subset: the interpreter answers
    const interpreted = verdictReader('$count($filter(result.violations, function($v) { $v.severity = "high" })) = 0')
    expect(await interpreted({ result: { violations: [{ severity: 'low' }] } })).toBe('allow')
    expect(await interpreted({ result: { violations: [{ severity: 'high' }] } })).toBe('deny')
  })
})
