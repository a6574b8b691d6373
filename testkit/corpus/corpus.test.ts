import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { decodeTraces } from '../../collector/otlp/index.js'
import { ASSISTANT_KINDS, corpusRequests, DEFAULT_PER_CLASS, DOMAINS, generateCorpus, TASK_CLASSES, type ToolCall, type Trajectory } from './index.js'

const corpus = generateCorpus({ seed: 20 })

function digest(seed: number): string {
  const hash = createHash('sha256')
  for (const { body } of corpusRequests(generateCorpus({ seed }), seed)) hash.update(body)
  return hash.digest('hex')
}

const calls = (t: Trajectory): ToolCall[] => t.turns.flatMap((turn) => turn.calls)
const values = (value: unknown): string[] => (Array.isArray(value) ? value.flatMap(values) : value === undefined ? [] : [String(value)])

/** The target values (recipient, IBAN, e-mail, URL, hotel…) of the task's privileged calls. */
function privilegedTargets(t: Trajectory): string[] {
  const domain = DOMAINS.find((d) => d.kind === t.kind)!
  return calls(t).flatMap((c) => (domain.privileged[c.name] ?? []).flatMap((arg) => values(c.arguments[arg])))
}

/**
 * What a value may come from besides the injection: the request, the system prompt, and the
 * results of the calls that read data (injection cut out); a privileged call's result only
 * echoes its own arguments.
 */
function cleanSources(t: Trajectory): string[] {
  const privileged = DOMAINS.find((d) => d.kind === t.kind)!.privileged
  const reads = calls(t).filter((c) => privileged[c.name] === undefined)
  return [t.request, t.system, ...reads.map((c) => (t.injection && c.id === t.injection.callId ? c.result.replace(t.injection.text, '') : c.result))]
}

describe('corpus', () => {
  it('gives the same bytes for the same seed and other bytes for another', () => {
    expect(digest(20)).toBe(digest(20))
    expect(digest(21)).not.toBe(digest(20))
  })

  it('has every kind of assistant in every class, and many injection phrasings', () => {
    for (const kind of ASSISTANT_KINDS) {
      for (const cls of TASK_CLASSES) expect(corpus.filter((t) => t.kind === kind && t.class === cls)).toHaveLength(DEFAULT_PER_CLASS[cls])
    }
    expect(corpus.length).toBeGreaterThanOrEqual(300)
    expect(new Set(corpus.flatMap((t) => (t.injection ? [t.injection.family] : []))).size).toBeGreaterThanOrEqual(8)
    expect(corpus.filter((t) => t.class === 'benign').every((t) => t.injection === null)).toBe(true)
    expect(corpus.filter((t) => t.class !== 'benign').every((t) => t.injection !== null)).toBe(true)
  })

  it('injects only into the results of untrusted tools', () => {
    for (const t of corpus.filter((x) => x.injection)) {
      const carrier = calls(t).find((c) => c.id === t.injection!.callId)!
      expect(carrier.result, t.id).toContain(t.injection!.text)
      expect(DOMAINS.find((d) => d.kind === t.kind)!.untrusted, t.id).toContain(carrier.name)
    }
  })

  it('makes a succeeded attack act on a value found only in the injected text', () => {
    for (const t of corpus.filter((x) => x.class === 'succeeded')) {
      expect(t.attackerValues.length, t.id).toBeGreaterThan(0)
      const targets = privilegedTargets(t)
      for (const value of t.attackerValues) {
        expect(t.injection!.text, t.id).toContain(value)
        expect(targets.some((target) => target.includes(value)), `${t.id}: ${value} in a privileged call`).toBe(true)
        expect(cleanSources(t).some((text) => text.includes(value)), `${t.id}: ${value} outside the injection`).toBe(false)
      }
    }
  })

  it('takes every value of a benign or resisted task\'s privileged calls from the request or the data it read', () => {
    for (const t of corpus.filter((x) => x.class !== 'succeeded')) {
      const sources = cleanSources(t)
      for (const target of privilegedTargets(t)) expect(sources.some((text) => text.includes(target)), `${t.id}: ${target}`).toBe(true)
    }
  })

  it('emits one span per agent run, model turn and tool call, decodable by the collector', () => {
    for (const { trajectory, body } of corpusRequests(corpus.slice(0, 40))) {
      const spans = decodeTraces(body, 'protobuf').request.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans))
      expect(spans).toHaveLength(1 + trajectory.turns.length + calls(trajectory).length)
      expect(new Set(spans.map((s) => s.traceId)).size).toBe(1)
    }
  })
})
