// The privilege-path graph of one task: who did what with which authority, left to right —
// credentials → agents → tools → resources → tenants. A layered SVG layout rather than a graph
// library: the columns are the path's reading order, the layout is deterministic (the same task
// always draws the same), and every node and edge is a DOM element with a title, readable by
// screen readers and tests.
import { s } from './dom.js'

const COLUMNS = ['credential', 'agent', 'tool', 'resource', 'tenant']
const NODE_W = 190
const NODE_H = 38
const COL_GAP = 90
const ROW_GAP = 18
const PAD = 24

/** Nodes and edges from a task's events and alerts. */
export function buildGraph(task, events, alerts) {
  const home = task.tenant_id
  const alerting = new Set(alerts.flatMap((a) => a.event_ids))
  const isolation = new Set(alerts.filter((a) => a.tags.includes('tenant-isolation')).flatMap((a) => a.event_ids))
  const nodes = new Map()
  const edges = new Map()
  const agentNames = new Map()
  for (const e of events) if (e.agent_id && e.agent_name) agentNames.set(e.agent_id, e.agent_name)
  const node = (type, id, label) => {
    const key = `${type}:${id}`
    if (!nodes.has(key)) nodes.set(key, { key, type, id, label: label ?? id, alerting: false, foreign: type === 'tenant' && id !== home })
    return key
  }
  const agent = (id) => node('agent', id || '(unknown agent)', agentNames.get(id) || id || '(unknown agent)')
  const edge = (source, relation, target, event, crossTenant) => {
    const key = `${source}|${relation}|${target}`
    const current = edges.get(key) ?? { key, source, target, relation, crossTenant: false, alerting: false, steps: 0, eventIds: [] }
    current.steps++
    current.eventIds.push(event.event_id)
    current.crossTenant ||= crossTenant || event.flags.includes('tenant_mismatch')
    current.alerting ||= alerting.has(event.event_id)
    edges.set(key, current)
  }
  for (const e of events) {
    const foreign = e.target_tenant !== '' && e.target_tenant !== home
    if (e.kind === 'tool_invocation' && e.tool_name) {
      const tool = node('tool', e.tool_name)
      edge(agent(e.agent_id), 'invoked', tool, e, false)
      if (e.target_resource) edge(tool, 'targets', node('resource', e.target_resource), e, foreign)
      if (e.target_tenant) edge(e.target_resource ? `resource:${e.target_resource}` : tool, 'targets', node('tenant', e.target_tenant), e, foreign)
    } else if (e.kind === 'credential_issued' && e.credential_id) {
      edge(node('credential', e.credential_id, credentialLabel(e)), 'issued', agent(e.agent_id), e, false)
    } else if (e.kind === 'credential_used' && e.credential_id) {
      const user = e.tool_name ? node('tool', e.tool_name) : agent(e.agent_id)
      // A credential of another tenant: the event cannot tell, a tenant-isolation alert on it can.
      edge(node('credential', e.credential_id, credentialLabel(e)), 'used', user, e, foreign || isolation.has(e.event_id))
    } else if (e.kind === 'delegation' && e.delegate_agent_id) {
      if (e.delegate_agent_name) agentNames.set(e.delegate_agent_id, e.delegate_agent_name)
      edge(agent(e.agent_id), 'delegated', agent(e.delegate_agent_id), e, false)
    }
  }
  for (const e of edges.values()) {
    if (!e.alerting && !e.crossTenant) continue
    nodes.get(e.target).alerting = true
    if (e.relation === 'used' || e.relation === 'issued') nodes.get(e.source).alerting = true
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] }
}

function credentialLabel(e) {
  return e.credential_type ? `${e.credential_id} (${e.credential_type})` : e.credential_id
}

function clip(text, max = 22) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

function layout(graph) {
  const used = COLUMNS.filter((type) => graph.nodes.some((n) => n.type === type))
  const rows = new Map(used.map((type) => [type, 0]))
  const at = new Map()
  for (const n of graph.nodes) {
    const col = used.indexOf(n.type)
    const row = rows.get(n.type)
    rows.set(n.type, row + 1)
    at.set(n.key, { x: PAD + col * (NODE_W + COL_GAP), y: PAD + 22 + row * (NODE_H + ROW_GAP) })
  }
  const height = PAD * 2 + 22 + Math.max(1, ...rows.values()) * (NODE_H + ROW_GAP)
  const width = PAD * 2 + used.length * NODE_W + Math.max(0, used.length - 1) * COL_GAP + 60
  return { used, at, width, height }
}

function edgePath(a, b) {
  if (b.x > a.x) {
    const [x1, y1, x2, y2] = [a.x + NODE_W, a.y + NODE_H / 2, b.x, b.y + NODE_H / 2]
    const mid = (x1 + x2) / 2
    return { d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2 - 2},${y2}`, lx: mid, ly: (y1 + y2) / 2 }
  }
  // Same column (delegation) or backwards: an arc on the right side.
  const [x1, y1, y2] = [a.x + NODE_W, a.y + NODE_H / 2, b.y + NODE_H / 2]
  const bulge = x1 + 50
  return { d: `M${x1},${y1} C${bulge},${y1} ${bulge},${y2} ${x1 + 2},${y2}`, lx: bulge - 6, ly: (y1 + y2) / 2 }
}

export function renderGraph(graph) {
  const { used, at, width, height } = layout(graph)
  const marker = (id, cls) => s('marker', { id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerUnits: 'userSpaceOnUse', markerWidth: 11, markerHeight: 11, orient: 'auto-start-reverse' }, s('path', { d: 'M0,0 L10,5 L0,10 z', class: cls }))
  const svg = s('svg', { class: 'graph', viewBox: `0 0 ${width} ${height}`, width, role: 'img', 'aria-label': `Privilege path: ${graph.nodes.length} nodes, ${graph.edges.length} edges` },
    s('defs', {}, marker('arrow', 'arrow'), marker('arrow-red', 'arrow red')),
    used.map((type, col) => s('text', { class: 'col-title', x: PAD + col * (NODE_W + COL_GAP), y: PAD }, `${type}s`)),
  )
  for (const e of graph.edges) {
    const { d, lx, ly } = edgePath(at.get(e.source), at.get(e.target))
    const red = e.crossTenant || e.alerting
    const classes = ['edge', `rel-${e.relation}`, e.crossTenant && 'cross-tenant', e.alerting && 'alerting'].filter(Boolean).join(' ')
    svg.append(s('g', { class: classes, dataset: { relation: e.relation, source: e.source, target: e.target, crossTenant: String(e.crossTenant), alerting: String(e.alerting) } },
      s('title', {}, `${e.source} ${e.relation} ${e.target} (${e.steps} step${e.steps === 1 ? '' : 's'})${e.crossTenant ? ' — crosses a tenant boundary' : ''}${e.alerting ? ' — part of an alert' : ''}`),
      s('path', { d, 'marker-end': `url(#${red ? 'arrow-red' : 'arrow'})` }),
      s('text', { x: lx, y: ly - 4, 'text-anchor': 'middle' }, e.steps > 1 ? `${e.relation} ×${e.steps}` : e.relation),
    ))
  }
  for (const n of graph.nodes) {
    const { x, y } = at.get(n.key)
    const classes = ['node', `node-${n.type}`, n.alerting && 'alerting', n.foreign && 'foreign'].filter(Boolean).join(' ')
    svg.append(s('g', { class: classes, transform: `translate(${x},${y})`, dataset: { key: n.key, type: n.type } },
      s('title', {}, `${n.type} ${n.label}${n.foreign ? ' — another tenant' : ''}`),
      s('rect', { width: NODE_W, height: NODE_H, rx: 7 }),
      s('text', { x: 10, y: 15, class: 'node-type' }, n.type),
      s('text', { x: 10, y: 30, class: 'node-label' }, clip(n.label)),
    ))
  }
  return svg
}
