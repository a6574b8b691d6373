/**
 * Hostile timestamps end to end: spans dated in 2100 and in 1990 arrive in one OTLP/HTTP request
 * with a span of today. The misdated ones are accepted and stored at their receive time, flagged
 * clock_skew with the time they were sent with, and raise the low clock-skew alert; the span of
 * today keeps its own time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PrivpathEvent } from '../core/event.js'
import { getJson, postOtlp, startTestApp, type TestApp } from '../testkit/app.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ roles: ['collector', 'writer', 'detector', 'api'] })
})
afterAll(async () => {
  await t?.app.stop()
})

const FUTURE = '4102444800123456789' // 2100-01-01T00:00:00.123456789Z
const PAST = '631152000000000000' // 1990-01-01T00:00:00Z

function jsonSpan(spanId: string, taskId: string, startNanos: string, endNanos: string) {
  return {
    traceId: `${spanId}${'0'.repeat(32 - spanId.length)}`,
    spanId: `${spanId}${'0'.repeat(16 - spanId.length)}`,
    name: 'execute_tool db.query',
    kind: 1,
    startTimeUnixNano: startNanos,
    endTimeUnixNano: endNanos,
    attributes: [
      { key: 'agent.task.id', value: { stringValue: taskId } },
      { key: 'gen_ai.operation.name', value: { stringValue: 'execute_tool' } },
      { key: 'gen_ai.tool.name', value: { stringValue: 'db.query' } },
    ],
    // the task is named, so it spans traces and ends where the agent says so
    events: [{ name: 'agent.task.end', timeUnixNano: endNanos, attributes: [] }],
  }
}

async function eventsOf(taskId: string): Promise<PrivpathEvent[]> {
  let events: PrivpathEvent[] = []
  await expect
    .poll(async () => {
      const res = await getJson<{ events: PrivpathEvent[] }>(`${t.app.url}/api/tasks/${taskId}`)
      events = res.status === 200 ? res.body.events : []
      return events.map((event) => event.kind)
    }, { timeout: 15_000, interval: 100 })
    .toEqual(['task_start', 'tool_invocation', 'task_end'])
  return events
}

async function alertsOf(taskId: string): Promise<Array<{ rule_id: string; severity: string; summary: string }>> {
  const res = await getJson<{ alerts: Array<{ rule_id: string; severity: string; summary: string }> }>(`${t.app.url}/api/alerts?task=${taskId}`)
  return res.body.alerts
}

describe('event times a sender cannot be trusted with', () => {
  it('stores spans dated in 2100 and 1990 at their receive time, flagged, and alerts; a span of today keeps its time', async () => {
    const nowNanos = BigInt(Date.now()) * 1_000_000n
    const today = nowNanos - 2_000_000_000n
    const body = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'agent' } }] },
          scopeSpans: [
            {
              scope: { name: 'clock-test' },
              spans: [
                jsonSpan('a1', 'task-2100', FUTURE, (BigInt(FUTURE) + 1_000_000_000n).toString()),
                jsonSpan('b2', 'task-1990', PAST, (BigInt(PAST) + 1_000_000_000n).toString()),
                jsonSpan('c3', 'task-today', today.toString(), (today + 1_000_000_000n).toString()),
              ],
            },
          ],
        },
      ],
    }
    const sentAt = Date.now()
    const res = await postOtlp(`${t.app.url}/v1/traces`, JSON.stringify(body), { 'content-type': 'application/json' })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({})

    for (const [taskId, sent, sentEnd, direction] of [
      ['task-2100', '2100-01-01T00:00:00.123456789Z', '2100-01-01T00:00:01.123456789Z', 'after'],
      ['task-1990', '1990-01-01T00:00:00Z', '1990-01-01T00:00:01Z', 'before'],
    ]) {
      const [start, tool, end] = await eventsOf(taskId)
      for (const event of [start, tool, end]) {
        expect(event.flags, `${taskId} ${event.kind}`).toContain('clock_skew')
        expect(event.ts).toBe(event.observed_at)
        expect(event.ts).toBeGreaterThanOrEqual(sentAt)
        expect(event.ts).toBeLessThanOrEqual(Date.now())
      }
      expect([start.attributes['privpath.original_ts'], tool.attributes['privpath.original_ts'], end.attributes['privpath.original_ts']]).toEqual([sent, sent, sentEnd])
      // One alert for the task; its summary is that of its latest event, the task_end.
      await expect.poll(() => alertsOf(taskId), { timeout: 15_000, interval: 100 }).toEqual([
        expect.objectContaining({ rule_id: 'clock-skew', severity: 'low', summary: expect.stringMatching(new RegExp(`was dated ${sentEnd.replaceAll('.', '\\.')}, [0-9.]+ years ${direction} it was received`)) }),
      ])
    }

    const [start, tool, end] = await eventsOf('task-today')
    const todayMs = Number(today / 1_000_000n)
    expect([start.ts, tool.ts, end.ts]).toEqual([todayMs, todayMs, todayMs + 1_000])
    for (const event of [start, tool, end]) {
      expect(event.flags).not.toContain('clock_skew')
      expect(event.attributes['privpath.original_ts']).toBeUndefined()
    }
    expect((await alertsOf('task-today')).map((alert) => alert.rule_id)).not.toContain('clock-skew')
  })
})
