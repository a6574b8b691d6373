// One task: header, its alerts, the privilege-path graph with its legend, and the ordered
// timeline (content hidden until asked for: it is redacted, and still often sensitive).
import { getJson } from './api.js'
import { h } from './dom.js'
import { duration, kindLabel, SEVERITIES, timeCell } from './format.js'
import { buildGraph, renderGraph } from './graph.js'
import { ALERT_HEADERS, alertRow } from './pages.js'
import { provenanceBlocks } from './provenance.js'

export async function taskPage(taskId, params) {
  const tenant = params.get('tenant') ?? ''
  const detail = await getJson(`/api/tasks/${encodeURIComponent(taskId)}`, { tenant })
  const { task, events, truncated } = detail
  const { alerts } = await getJson('/api/alerts', { task: taskId, tenant: task.tenant_id, limit: 1000 })
  const graph = buildGraph(task, events, alerts)
  const alertsByEvent = new Map()
  for (const alert of alerts) for (const id of alert.event_ids) alertsByEvent.set(id, [...(alertsByEvent.get(id) ?? []), alert])
  const worst = SEVERITIES.find((s) => alerts.some((a) => a.severity === s))
  const chains = provenanceBlocks(alerts, events)

  return h('section', { class: 'task' },
    h('p', { class: 'crumbs' }, h('a', { href: '/', 'data-link': true }, 'Tasks'), ' / ', task.tenant_id),
    h('h1', {}, 'Task ', h('code', {}, task.task_id)),
    h('dl', { class: 'facts' },
      fact('Tenant', task.tenant_id),
      fact('Agents', (task.agent_names.length > 0 ? task.agent_names : task.agents).join(', ') || '—'),
      fact('Started', timeCell(task.started_at)),
      fact('Status', task.ended_at === null ? h('span', { class: 'running' }, 'running') : `ended after ${duration(task.ended_at - task.started_at)}`),
      fact('Events', String(task.event_count)),
      fact('Alerts', alerts.length === 0 ? 'none' : h('span', { class: `sev sev-${worst}` }, `${alerts.length} (worst: ${worst})`)),
    ),
    h('h2', {}, 'Alerts'),
    alerts.length === 0 ? h('p', { class: 'empty' }, 'No alerts on this task.') : h('table', { class: 'alerts' },
      h('thead', {}, h('tr', {}, ALERT_HEADERS.filter((t) => t !== 'Task').map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, alerts.map((a) => alertRow(a, { withTask: false })))),
    chains.length > 0 ? h('section', { class: 'why', 'aria-labelledby': 'why-title' },
      h('h2', { id: 'why-title' }, 'Why: where the values of the calls came from'), chains) : null,
    h('h2', {}, 'Privilege path'),
    legend(),
    graph.edges.length === 0 ? h('p', { class: 'empty' }, 'No tool calls, credentials or delegations in this task.') : h('div', { class: 'graph-wrap', id: 'graph' }, renderGraph(graph)),
    h('h2', {}, 'Timeline'),
    truncated ? h('p', { class: 'error' }, `Showing the first ${events.length} events; the task has more.`) : null,
    h('ol', { class: 'timeline' }, events.map((e) => timelineItem(e, task, alertsByEvent.get(e.event_id) ?? []))),
  )
}

function fact(term, value) {
  return h('div', {}, h('dt', {}, term), h('dd', {}, value))
}

function legend() {
  const item = (cls, text) => h('li', {}, h('span', { class: `swatch ${cls}`, 'aria-hidden': 'true' }), text)
  return h('ul', { class: 'legend', 'aria-label': 'Legend' },
    item('sw-node', 'credential · agent · tool · resource · tenant (left to right)'),
    item('sw-edge', 'step: invoked, used, issued, delegated, targets'),
    item('sw-red', 'red: crosses a tenant boundary or part of an alert'),
    item('sw-foreign', 'red outline: another tenant, or a node an alert involves'),
  )
}

function describe(e) {
  const parts = []
  if (e.tool_name) parts.push(['tool', e.tool_name])
  if (e.target_resource) parts.push(['resource', e.target_resource])
  if (e.target_tenant) parts.push(['tenant', e.target_tenant])
  if (e.credential_id) parts.push(['credential', e.credential_scopes.length > 0 ? `${e.credential_id} [${e.credential_scopes.join(' ')}]` : e.credential_id])
  if (e.credential_expires_at !== null) parts.push(['expires', new Date(e.credential_expires_at).toLocaleString()])
  if (e.authz_result) parts.push(['authz', `${e.authz_result}${e.authz_action ? ` ${e.authz_action}` : ''}${e.authz_policy ? ` (${e.authz_policy})` : ''}`])
  if (e.delegate_agent_id) parts.push(['delegate', `${e.delegate_agent_name || e.delegate_agent_id}${e.delegated_scopes.length > 0 ? ` [${e.delegated_scopes.join(' ')}]` : ''}`])
  if (e.approval_result) parts.push(['approval', `${e.approval_result}${e.approval_approver ? ` by ${e.approval_approver}` : ''}`])
  if (e.status === 'error') parts.push(['error', e.error || 'error'])
  return parts
}

function timelineItem(e, task, alerts) {
  const foreign = e.target_tenant !== '' && e.target_tenant !== task.tenant_id
  const classes = ['step', `kind-${e.kind}`, alerts.length > 0 && 'alerting', foreign && 'cross-tenant', e.status === 'error' && 'failed'].filter(Boolean).join(' ')
  const hidden = [e.content && ['content', e.content], e.tool_arguments && ['tool arguments', e.tool_arguments]].filter(Boolean)
  return h('li', { class: classes, dataset: { kind: e.kind, eventId: e.event_id } },
    h('div', { class: 'step-head' },
      h('span', { class: 'kind' }, kindLabel(e.kind)),
      h('span', { class: 'step-name' }, e.name || ''),
      h('span', { class: 'agent muted' }, e.agent_name || e.agent_id),
      timeCell(e.ts),
    ),
    h('div', { class: 'step-facts' }, describe(e).map(([k, v]) => h('span', { class: `fact fact-${k}` }, h('span', { class: 'muted' }, `${k} `), v))),
    e.flags.length > 0 ? h('div', { class: 'flags small' }, e.flags.map((f) => h('span', { class: 'flag' }, f.replace(/_/g, ' ')))) : null,
    alerts.map((a) => h('div', { class: `step-alert sev-border-${a.severity}` }, h('span', { class: `sev sev-${a.severity}` }, a.severity), ` ${a.rule_title}: ${a.summary}`)),
    hidden.length > 0 ? h('details', { class: 'content' },
      h('summary', {}, `Show ${hidden.map(([k]) => k).join(' and ')} (redacted)`),
      hidden.map(([k, v]) => [h('div', { class: 'muted small' }, k), h('pre', {}, v)])) : null,
  )
}
