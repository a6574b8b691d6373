// List pages: tasks (with alert badges by severity), alerts, rules.
import { getJson } from './api.js'
import { h } from './dom.js'
import { duration, severityBadge, severityBadges, SEVERITIES, timeCell } from './format.js'

const RANGES = [['15m', 15 * 60e3], ['1h', 3600e3], ['6h', 6 * 3600e3], ['24h', 24 * 3600e3], ['7d', 7 * 24 * 3600e3], ['all', 0]]

function sinceOf(range) {
  const ms = (RANGES.find(([name]) => name === range) ?? RANGES[3])[1]
  return ms === 0 ? undefined : String(Date.now() - ms)
}

function taskHref(tenant, taskId) {
  return `/tasks/${encodeURIComponent(taskId)}?tenant=${encodeURIComponent(tenant)}`
}

/** A GET form whose submission becomes a client-side navigation. */
function filterForm(action, fields, navigate) {
  const form = h('form', { class: 'filters', role: 'search', onsubmit: (event) => {
    event.preventDefault()
    const params = new URLSearchParams([...new FormData(form)].filter(([, v]) => v !== ''))
    navigate(params.size > 0 ? `${action}?${params}` : action)
  } }, fields, h('button', { type: 'submit' }, 'Apply'))
  return form
}

function field(label, control) {
  return h('label', {}, h('span', {}, label), control)
}

function select(name, options, value) {
  return h('select', { name }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)))
}

function table(headers, rows, empty) {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty)
  return h('table', {}, h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, rows))
}

export async function tasksPage(params, navigate) {
  const range = params.get('range') ?? '24h'
  const tenant = params.get('tenant') ?? ''
  const hasAlerts = params.get('has_alerts') ?? ''
  const since = sinceOf(range)
  const [{ tasks }, { alerts }] = await Promise.all([
    getJson('/api/tasks', { limit: 500, since, tenant, has_alerts: hasAlerts }),
    getJson('/api/alerts', { limit: 5000, since, tenant }),
  ])
  const bySeverity = new Map()
  for (const alert of alerts) {
    // a posture finding belongs to an agent and a tool across tasks, not to its first task
    if (alert.category === 'posture') continue
    const key = `${alert.tenant_id}\u0000${alert.task_id}`
    const counts = bySeverity.get(key) ?? {}
    counts[alert.severity] = (counts[alert.severity] ?? 0) + 1
    bySeverity.set(key, counts)
  }
  const rows = tasks.map((t) => {
    const counts = bySeverity.get(`${t.tenant_id}\u0000${t.task_id}`) ?? {}
    const worst = SEVERITIES.find((s) => counts[s] > 0)
    return h('tr', { class: worst ? `row-${worst}` : '', dataset: { taskId: t.task_id, tenant: t.tenant_id } },
      h('td', {}, h('a', { href: taskHref(t.tenant_id, t.task_id), 'data-link': true }, t.task_id)),
      h('td', {}, t.tenant_id),
      h('td', {}, severityBadges(counts)),
      h('td', {}, (t.agent_names.length > 0 ? t.agent_names : t.agents).join(', ')),
      h('td', {}, t.tools.join(', ')),
      h('td', {}, t.target_tenants.filter((x) => x !== t.tenant_id).map((x) => h('span', { class: 'foreign-tenant' }, x))),
      h('td', {}, timeCell(t.started_at)),
      h('td', {}, t.ended_at === null ? h('span', { class: 'running' }, 'running') : duration(t.ended_at - t.started_at)),
      h('td', { class: 'num' }, t.event_count),
    )
  })
  return h('section', {},
    h('h1', {}, 'Tasks'),
    filterForm('/', [
      field('Tenant', h('input', { name: 'tenant', value: tenant, placeholder: 'all visible', size: 14 })),
      field('Time', select('range', RANGES.map(([name]) => [name, name === 'all' ? 'all time' : `last ${name}`]), range)),
      field('Alerts', select('has_alerts', [['', 'any'], ['true', 'with alerts'], ['false', 'without alerts']], hasAlerts)),
    ], navigate),
    h('p', { class: 'muted' }, `${tasks.length} task${tasks.length === 1 ? '' : 's'}, newest first`),
    table(['Task', 'Tenant', 'Alerts', 'Agents', 'Tools', 'Other tenants reached', 'Started', 'Duration', 'Events'], rows, 'No tasks match these filters.'),
  )
}

export function alertRow(a, { withTask = true } = {}) {
  return h('tr', { class: `row-${a.severity}`, dataset: { ruleId: a.rule_id, taskId: a.task_id } },
    h('td', {}, severityBadge(a.severity)),
    h('td', {}, h('strong', {}, a.rule_title), h('div', { class: 'muted small' }, a.rule_id)),
    h('td', {}, a.summary, a.path ? h('div', { class: 'path small' }, a.path) : null),
    withTask ? h('td', {}, a.task_id ? h('a', { href: taskHref(a.tenant_id, a.task_id), 'data-link': true }, a.task_id) : '—') : null,
    h('td', {}, a.tenant_id),
    h('td', {}, timeCell(a.first_seen)),
    h('td', { class: 'num' }, a.count),
    h('td', { class: 'small' }, a.frameworks.map((f) => h('span', { class: 'fw' }, f))),
  )
}

export const ALERT_HEADERS = ['Severity', 'Rule', 'What happened', 'Task', 'Tenant', 'First seen', 'Count', 'Frameworks']

const POSTURE_HEADERS = ['Severity', 'Rule', 'Finding', 'Agent', 'First task', 'Tenant', 'First seen', 'Last seen', 'Count']

/** A standing gap (one per agent and tool, say): when it started, when it was last seen, how often. */
function postureRow(a) {
  return h('tr', { class: `row-${a.severity}`, dataset: { ruleId: a.rule_id, taskId: a.task_id } },
    h('td', {}, severityBadge(a.severity)),
    h('td', {}, h('strong', {}, a.rule_title), h('div', { class: 'muted small' }, a.rule_id)),
    h('td', {}, a.summary),
    h('td', {}, a.agent_id || '—'),
    h('td', {}, a.task_id ? h('a', { href: taskHref(a.tenant_id, a.task_id), 'data-link': true }, a.task_id) : '—'),
    h('td', {}, a.tenant_id),
    h('td', {}, timeCell(a.first_seen)),
    h('td', {}, timeCell(a.last_seen)),
    h('td', { class: 'num' }, a.count),
  )
}

const CATEGORIES = [['', 'incidents and posture'], ['incident', 'incidents'], ['posture', 'posture findings']]
const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`

export async function alertsPage(params, navigate) {
  const range = params.get('range') ?? '24h'
  const filters = { tenant: params.get('tenant') ?? '', severity: params.get('severity') ?? '', rule: params.get('rule') ?? '', category: params.get('category') ?? '' }
  const { alerts } = await getJson('/api/alerts', { limit: 1000, since: sinceOf(range), ...filters })
  const incidents = alerts.filter((a) => a.category !== 'posture')
  const posture = alerts.filter((a) => a.category === 'posture')
  // posture findings are listed apart: a gap to fix once, not an incident to triage per task
  const sections = []
  if (filters.category !== 'posture') {
    sections.push(h('section', { class: 'incidents', 'aria-labelledby': 'incidents-title' },
      h('h2', { id: 'incidents-title' }, 'Incidents'),
      h('p', { class: 'muted' }, `${plural(incidents.length, 'incident', 'incidents')}, newest activity first`),
      table(ALERT_HEADERS, incidents.map((a) => alertRow(a)), 'No incidents match these filters.'),
    ))
  }
  if (filters.category !== 'incident') {
    sections.push(h('section', { class: 'posture', 'aria-labelledby': 'posture-title' },
      h('h2', { id: 'posture-title' }, 'Posture findings'),
      h('p', { class: 'muted' }, `${plural(posture.length, 'finding', 'findings')}: standing gaps in how agents are set up, one per gap with its count`),
      table(POSTURE_HEADERS, posture.map(postureRow), 'No posture findings match these filters.'),
    ))
  }
  return h('section', {},
    h('h1', {}, 'Alerts'),
    filterForm('/alerts', [
      field('Show', select('category', CATEGORIES, filters.category)),
      field('Severity', select('severity', [['', 'any'], ...SEVERITIES.map((s) => [s, s])], filters.severity)),
      field('Rule', h('input', { name: 'rule', value: filters.rule, placeholder: 'rule id', size: 22 })),
      field('Tenant', h('input', { name: 'tenant', value: filters.tenant, placeholder: 'all visible', size: 14 })),
      field('Time', select('range', RANGES.map(([name]) => [name, name === 'all' ? 'all time' : `last ${name}`]), range)),
    ], navigate),
    sections,
  )
}

export async function rulesPage() {
  const { rules } = await getJson('/api/rules')
  const order = (r) => SEVERITIES.indexOf(r.severity)
  const rows = [...rules].sort((a, b) => order(a) - order(b) || a.rule_id.localeCompare(b.rule_id)).map((r) =>
    h('tr', { dataset: { ruleId: r.rule_id } },
      h('td', {}, h('strong', {}, r.title), h('div', { class: 'muted small' }, r.rule_id)),
      h('td', {}, severityBadge(r.severity)),
      h('td', {}, h('span', { class: `status status-${r.status}` }, r.status)),
      h('td', { class: 'num' }, r.hits.alerts > 0 ? h('a', { href: `/alerts?rule=${encodeURIComponent(r.rule_id)}&range=all`, 'data-link': true }, r.hits.alerts) : '0'),
      h('td', { class: 'num' }, r.hits.tasks),
      h('td', {}, timeCell(r.hits.last_seen)),
      h('td', { class: 'small' }, r.frameworks.map((f) => h('span', { class: 'fw' }, f))),
    ),
  )
  const loadedAt = rules[0]?.loaded_at
  return h('section', {},
    h('h1', {}, 'Rules'),
    h('p', { class: 'muted' }, loadedAt ? [`${rules.length} rules loaded `, timeCell(loadedAt), '. Hits count alerts you can see.'] : 'No rules recorded yet.'),
    table(['Rule', 'Severity', 'Status', 'Alerts', 'Tasks', 'Last hit', 'Frameworks'], rows, 'No rules loaded.'),
  )
}
