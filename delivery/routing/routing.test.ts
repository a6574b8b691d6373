import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type Alert, SEVERITIES } from '../../core/alert.js'
import { type CoreTopics, MemoryBus } from '../../core/bus/index.js'
import { loadConfig, validateConfig } from '../../core/config/load.js'
import type { RouteConfig } from '../../core/config/schema.js'
import { startDelivery } from '../service.js'
import { MemorySink } from '../sink.js'
import { capturedTelemetry, makeAlert, metricValue } from '../../testkit/delivery.js'
import { waitFor } from '../../testkit/wait.js'
import { Router } from './router.js'

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

const route = (r: Partial<RouteConfig> & { name: string; sinks: string[] }): RouteConfig => ({
  min_severity: 'info',
  tenants: [],
  tags: [],
  when: '',
  rate_per_minute: 0,
  ...r,
})
const sinks = [{ name: 'pager' }, { name: 'team' }, { name: 'audit' }]
/** `alerts.route_timeout_ms` by default. */
const budget = { timeoutMs: 50 }

describe('route matching', () => {
  const router = Router.compile(
    [
      route({ name: 'critical-anywhere', min_severity: 'critical', sinks: ['pager'] }),
      route({ name: 'acme-high', min_severity: 'high', tenants: ['acme'], sinks: ['team'] }),
      route({ name: 'tenancy-tags', tags: ['tenancy', 'credential'], sinks: ['team'] }),
      route({ name: 'prod-agents', when: "$contains(agent_id, 'prod') and count >= 2", sinks: ['audit'] }),
      route({ name: 'combined', min_severity: 'medium', tenants: ['globex'], tags: ['delegation'], when: "rule_id = 'scope_escalation'", sinks: ['audit'] }),
    ],
    sinks,
    budget,
  )
  const names = async (overrides: Parameters<typeof makeAlert>[0]) => (await router.match(makeAlert(overrides))).map((r) => r.config.name)

  it('applies the minimum severity across every severity', async () => {
    for (const severity of SEVERITIES) {
      const matched = await names({ severity, tenant_id: 'other', tags: [] })
      expect(matched.includes('critical-anywhere'), severity).toBe(severity === 'critical')
    }
  })

  it('combines severity with the tenant list', async () => {
    for (const severity of SEVERITIES) {
      for (const tenant_id of ['acme', 'globex']) {
        const expected = tenant_id === 'acme' && (severity === 'high' || severity === 'critical')
        expect((await names({ severity, tenant_id, tags: [] })).includes('acme-high'), `${severity}/${tenant_id}`).toBe(expected)
      }
    }
  })

  it('matches when any listed tag is present', async () => {
    expect(await names({ severity: 'low', tenant_id: 'x', tags: ['credential'] })).toEqual(['tenancy-tags'])
    expect(await names({ severity: 'low', tenant_id: 'x', tags: ['tenancy', 'other'] })).toEqual(['tenancy-tags'])
    expect(await names({ severity: 'low', tenant_id: 'x', tags: ['other'] })).toEqual([])
  })

  it('evaluates JSONata over the alert', async () => {
    expect(await names({ severity: 'low', tags: [], agent_id: 'prod-agent-1', count: 2 })).toEqual(['prod-agents'])
    expect(await names({ severity: 'low', tags: [], agent_id: 'prod-agent-1', count: 1 })).toEqual([])
    expect(await names({ severity: 'low', tags: [], agent_id: 'dev-agent', count: 5 })).toEqual([])
  })

  it('routes posture findings apart from incidents by their category', async () => {
    const byCategory = Router.compile(
      [
        route({ name: 'incidents', min_severity: 'medium', when: 'category = "incident"', sinks: ['pager'] }),
        route({ name: 'posture', when: 'category = "posture"', sinks: ['team'] }),
      ],
      sinks,
      budget,
    )
    const matched = async (category: 'incident' | 'posture') =>
      (await byCategory.match(makeAlert({ severity: 'medium', category }))).map((r) => r.config.name)
    expect(await matched('incident')).toEqual(['incidents'])
    expect(await matched('posture')).toEqual(['posture'])
  })

  it('requires every condition of a route to hold', async () => {
    const base = { severity: 'medium' as const, tenant_id: 'globex', tags: ['delegation'], rule_id: 'scope_escalation' }
    expect(await names(base)).toEqual(['combined'])
    expect(await names({ ...base, severity: 'low' })).toEqual([])
    expect(await names({ ...base, tenant_id: 'acme' })).toEqual([])
    expect(await names({ ...base, tags: ['x'] })).toEqual([])
    expect(await names({ ...base, rule_id: 'other' })).toEqual([])
  })

  it('skips a route whose expression fails at run time', async () => {
    const failing = Router.compile([route({ name: 'boom', when: '$error("no")', sinks: ['pager'] })], sinks, budget)
    expect(await failing.match(makeAlert())).toEqual([])
  })

  it('routes everything to every sink when no route is configured', async () => {
    const defaults = Router.compile([], sinks, budget)
    const [only] = await defaults.match(makeAlert({ severity: 'info' }))
    expect(only.config).toMatchObject({ name: 'default', sinks: ['pager', 'team', 'audit'] })
  })

  it('rejects unknown sinks, duplicate routes and bad expressions by route name', () => {
    expect(() => Router.compile([route({ name: 'oncall', sinks: ['pager', 'slak'] })], sinks, budget)).toThrow(
      /alerts\.routes\[0\] "oncall": unknown sink "slak" \(configured sinks: pager, team, audit\)/,
    )
    expect(() => Router.compile([route({ name: 'a', sinks: ['pager'] }), route({ name: 'a', sinks: ['team'] })], sinks, budget)).toThrow(/routes\[1\] "a": duplicate/)
    expect(() => Router.compile([route({ name: 'bad', when: 'severity = ', sinks: ['pager'] })], sinks, budget)).toThrow(/"bad"\.when: not a valid JSONata/)
  })
})

describe('route expressions', () => {
  const matching = async (router: Router, alert: Parameters<typeof makeAlert>[0]) => (await router.match(makeAlert(alert))).map((r) => r.config.name)

  it("has privpath's functions, as rules do", async () => {
    const telemetry = capturedTelemetry()
    const router = Router.compile([route({ name: 'acme-family', when: "$glob(tenant_id, 'acme-*')", sinks: ['team'] })], sinks, { ...budget, logger: telemetry.logger })
    expect(await matching(router, { tenant_id: 'acme-eu' })).toEqual(['acme-family'])
    expect(await matching(router, { tenant_id: 'globex' })).toEqual([])
    expect(telemetry.lines).toEqual([])
  })

  it('gives the same answers compiled and interpreted', async () => {
    const whens = [
      "$glob(tenant_id, ['acme-*', 'initech'])",
      "count >= 3 and $contains(agent_id, 'prod')",
      "'credential' in tags",
      "tags[0] = 'tenancy'",
      "last_seen - first_seen >= $ms('5m')",
      "$not($exists(runbook))",
      "frameworks[$contains($, 'nhi')]",
      "$contains_all(tags, ['tenancy', 'credential'])",
      "count % 2 = 0 ? $glob(agent_id, '*prod*') : false",
      'missing.field',
      "count > 'a'",
    ]
    const routes = whens.map((when, i) => route({ name: `r${i}`, when, sinks: ['audit'] }))
    const compiled = Router.compile(routes, sinks, budget)
    const interpreted = Router.compile(routes, sinks, { ...budget, compile: false })
    expect(compiled.routes.every((r) => r.expression?.sync)).toBe(true)
    expect(interpreted.routes.some((r) => r.expression?.sync)).toBe(false)
    const seen = new Set<string>()
    for (const tenant_id of ['acme-eu', 'initech', 'globex']) {
      for (const count of [1, 2, 3, 4]) {
        for (const tags of [[], ['tenancy'], ['credential', 'tenancy']]) {
          for (const agent_id of ['prod-agent-1', 'dev-agent']) {
            const alert = {
              tenant_id,
              count,
              tags,
              agent_id,
              last_seen: 1_700_000_000_000 + count * 150_000,
              runbook: count === 4 ? undefined : 'docs/runbooks/x.md',
              frameworks: count === 1 ? ['owasp_agentic:T3'] : ['owasp_agentic:T3', 'owasp_nhi:NHI5'],
            }
            const answer = await matching(compiled, alert)
            expect(answer, JSON.stringify(alert)).toEqual(await matching(interpreted, alert))
            seen.add(answer.join())
          }
        }
      }
    }
    // the alerts make every route both match and not match somewhere
    for (const { config } of compiled.routes.slice(0, -2)) {
      expect([...seen].some((s) => s.split(',').includes(config.name)), config.name).toBe(true)
      expect([...seen].some((s) => !s.split(',').includes(config.name)), config.name).toBe(true)
    }
  })

  it('stops an expression that outruns the budget and skips its route with a warning', async () => {
    const telemetry = capturedTelemetry()
    // 2^17 interpreted calls: true after about a second unbudgeted, so a missing budget shows as a match
    const slow = '($f := function($n) { $n = 0 ? 0 : $f($n - 1) + $f($n - 1) }; $f(17) = 0)'
    const router = Router.compile(
      [route({ name: 'runaway', when: slow, sinks: ['pager'] }), route({ name: 'everything', sinks: ['team'] })],
      sinks,
      { timeoutMs: 20, logger: telemetry.logger },
    )
    expect(router.routes[0].expression?.sync).toBeUndefined()
    expect(await matching(router, {})).toEqual(['everything'])
    const [warning] = telemetry.lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(warning).toMatchObject({ level: 40, route: 'runaway', code: 'D1012', msg: 'route expression failed; route skipped' })
  })

  it('names the position of a syntax error', () => {
    expect(() => Router.compile([route({ name: 'bad', when: 'severity = ', sinks: ['pager'] })], sinks, budget)).toThrow(
      /alerts\.routes\[0\] "bad"\.when: not a valid JSONata expression at character 11: Unexpected end of expression/,
    )
    expect(() => Router.compile([route({ name: 'typo', when: "count >= 3 and $contains(agent_id 'prod')", sinks: ['pager'] })], sinks, budget)).toThrow(
      /"typo"\.when: not a valid JSONata expression at character 40: Expected "\)", got "prod"/,
    )
  })
})

describe('routing inside delivery', () => {
  async function start(routes: unknown[], memory: MemorySink[], rateWindowMs = 60_000, now?: () => number) {
    const bus = new MemoryBus<CoreTopics>()
    const telemetry = capturedTelemetry()
    const config = validateConfig({ alerts: { routes } })
    const dataDir = mkdtempSync(join(tmpdir(), 'pp-routing-'))
    const delivery = startDelivery({ bus, config, dataDir, telemetry, sinks: memory, rateWindowMs, now })
    await delivery.ready
    cleanup.push(async () => {
      await delivery.stop()
      await bus.close()
    })
    return { bus, delivery, telemetry, dataDir }
  }

  it('fans out to the sinks of every matching route, once per sink, and counts unrouted alerts', async () => {
    const pager = new MemorySink('pager')
    const team = new MemorySink('team')
    const { bus, delivery, telemetry } = await start(
      [
        { name: 'crit', min_severity: 'critical', sinks: ['pager', 'team'] },
        { name: 'acme', tenants: ['acme'], sinks: ['team'] },
      ],
      [pager, team],
    )
    const critical = makeAlert({ severity: 'critical' })
    const acmeLow = makeAlert({ severity: 'low', dedup_key: 'k2' })
    const none = makeAlert({ severity: 'low', tenant_id: 'other', dedup_key: 'k3' })
    await bus.publish('alerts', [critical, acmeLow, none].map((value) => ({ key: value.alert_id, value })))
    await waitFor(() => team.received.length === 2 && pager.received.length === 1, 5_000, 'fan-out')
    expect(pager.received.map((r) => (r.notification.kind === 'alert' ? r.notification.alert.alert_id : ''))).toEqual([critical.alert_id])
    expect(team.received.map((r) => (r.notification.kind === 'alert' ? r.notification.alert.alert_id : '')).sort()).toEqual(
      [critical.alert_id, acmeLow.alert_id].sort(),
    )
    expect(delivery.stats().unrouted).toBe(1)
    expect(await metricValue(telemetry.registry, 'privpath_delivery_unrouted_total')).toBe(1)
  })

  it('skips and counts messages that are not alerts without blocking the ones after them', async () => {
    const team = new MemorySink('team')
    const { bus, delivery, telemetry } = await start([], [team])
    const good = makeAlert()
    const bad = { ...makeAlert({ dedup_key: 'bad' }), severity: 'apocalyptic' } as unknown as typeof good
    await bus.publish('alerts', [
      { key: 'x', value: bad },
      { key: good.alert_id, value: good },
    ])
    await waitFor(() => team.received.length === 1, 5_000, 'valid alert')
    expect(delivery.stats().rejected).toBe(1)
    expect(await metricValue(telemetry.registry, 'privpath_delivery_rejected_total')).toBe(1)
    expect(telemetry.lines.join('')).toContain('not an alert')
  })

  it('delivers an alert published before alerts had a category as an incident', async () => {
    const team = new MemorySink('team')
    const { bus } = await start([route({ name: 'incidents', when: 'category = "incident"', sinks: ['team'] })], [team])
    const { category: _, ...old } = makeAlert()
    await bus.publish('alerts', [{ key: old.alert_id, value: old as Alert }])
    await waitFor(() => team.received.length === 1, 5_000, 'old alert')
    const received = team.received[0].notification
    expect(received.kind === 'alert' && received.alert.category).toBe('incident')
  })

  it('folds the excess over rate_per_minute into one digest per window instead of dropping it', async () => {
    const team = new MemorySink('team')
    const pager = new MemorySink('pager')
    // A clock that stands still inside one window while the alerts arrive, then moves past its end.
    let clock = 1_000_000
    const { bus, delivery, telemetry, dataDir } = await start(
      [
        { name: 'noisy', sinks: ['team'], rate_per_minute: 2 },
        { name: 'crit', min_severity: 'critical', sinks: ['pager'] },
      ],
      [team, pager],
      500,
      () => clock,
    )
    const alerts = Array.from({ length: 5 }, (_, i) => makeAlert({ dedup_key: `k${i}`, task_id: `task-${i}` }))
    await bus.publish('alerts', alerts.map((value) => ({ key: value.alert_id, value })))
    expect(readdirSync(join(dataDir, 'outbox', '.digests')).length).toBe(1)
    await waitFor(() => team.received.length === 2, 5_000, 'two alerts within the limit')
    clock += 600
    await waitFor(() => team.received.length === 3, 5_000, 'two alerts and a digest')
    const [a, b, digest] = team.received.map((r) => r.notification)
    expect([a.kind, b.kind, digest.kind]).toEqual(['alert', 'alert', 'digest'])
    if (digest.kind !== 'digest') throw new Error('unreachable')
    expect(digest.digest.route).toBe('noisy')
    expect(digest.digest.total).toBe(3)
    expect(digest.digest.items.map((i) => i.task_id).sort()).toEqual(['task-2', 'task-3', 'task-4'])
    expect(team.received[2].context.idempotencyKey).toBe(digest.digest.digest_id)
    expect(await metricValue(telemetry.registry, 'privpath_delivery_digested_total', { route: 'noisy' })).toBe(3)
    expect(pager.received).toHaveLength(0)
    expect(delivery.stats().sinks.find((s) => s.name === 'team')?.pending).toBe(0)
  })

  it('flushes digests held before a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pp-routing-'))
    const routes = [{ name: 'noisy', sinks: ['team'], rate_per_minute: 1 }]
    const config = validateConfig({ alerts: { routes } })
    const bus1 = new MemoryBus<CoreTopics>()
    const first = startDelivery({ bus: bus1, config, dataDir, telemetry: capturedTelemetry(), sinks: [new MemorySink('team', [{ status: 'retry', error: 'down' }])], rateWindowMs: 60_000 })
    await first.ready
    const alerts = Array.from({ length: 3 }, (_, i) => makeAlert({ dedup_key: `r${i}` }))
    await bus1.publish('alerts', alerts.map((value) => ({ key: value.alert_id, value })))
    await first.stop()
    await bus1.close()

    const team = new MemorySink('team')
    const bus2 = new MemoryBus<CoreTopics>()
    const second = startDelivery({ bus: bus2, config, dataDir, telemetry: capturedTelemetry(), sinks: [team], rateWindowMs: 60_000, now: () => Date.now() + 61_000 })
    await second.ready
    cleanup.push(async () => {
      await second.stop()
      await bus2.close()
    })
    await waitFor(() => team.received.length === 2, 5_000, 'resumed alert and digest')
    const kinds = team.received.map((r) => r.notification.kind).sort()
    expect(kinds).toEqual(['alert', 'digest'])
    const digest = team.received.find((r) => r.notification.kind === 'digest')!.notification
    expect(digest.kind === 'digest' && digest.digest.total).toBe(2)
  })
})

describe('environment quick setup', () => {
  it('creates slack and webhook sinks from the environment, joining the default route', () => {
    const config = loadConfig({
      env: {
        PRIVPATH_SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/X',
        PRIVPATH_WEBHOOK_URL: 'https://receiver.example/hook',
        PRIVPATH_WEBHOOK_SECRET: 's3cret',
      },
    })
    expect(config.alerts.sinks).toMatchObject([
      { name: 'slack', type: 'slack', url: 'https://hooks.slack.com/services/T/B/X' },
      { name: 'webhook', type: 'webhook', url: 'https://receiver.example/hook', secret: 's3cret', max_attempts: 12 },
    ])
    expect(config.alerts.routes).toEqual([])
    expect(Router.compile(config.alerts.routes, config.alerts.sinks, { timeoutMs: config.alerts.route_timeout_ms }).routes[0].config.sinks).toEqual(['slack', 'webhook'])
  })

  it('adds a route for an environment sink when the file configures routes, and fills a named sink from the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-routing-'))
    const file = join(dir, 'privpath.yaml')
    writeFileSync(
      file,
      'alerts:\n  sinks:\n    - { name: webhook, type: webhook, url: "https://a.example/x" }\n  routes:\n    - { name: all, sinks: [webhook] }\n',
    )
    const config = loadConfig({ file, env: { PRIVPATH_WEBHOOK_SECRET: 'k', PRIVPATH_SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/1' } })
    expect(config.alerts.sinks.find((s) => s.name === 'webhook')).toMatchObject({ url: 'https://a.example/x', secret: 'k' })
    expect(config.alerts.routes.map((r) => r.name)).toEqual(['all', 'env-slack'])
    expect(config.alerts.routes[1]).toMatchObject({ sinks: ['slack'], min_severity: 'info' })
  })
})
