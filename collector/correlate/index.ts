/**
 * Correlation: mapped span/log records in (arrival order, children often before parents, across
 * requests), the same records out with every event's task_id set — each record exactly once, from
 * `add` when its place is known, else from `expire` when its grace window passes or early when the
 * hold is full. Task: explicit id > parent's task (same authenticated tenant and trace) >
 * conversation/session id > trace id; a span that claims no tenant takes its parent's. Also
 * decides delegations (agent differs from the parent's) and adds task_start to task root spans,
 * and task_end to those of a task that is its trace (task-boundaries.ts). State is in memory
 * only: held spans are recovered from the WAL.
 */
export { Correlator } from './correlator.js'
