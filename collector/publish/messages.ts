/**
 * What the collector publishes for a set of placed span records: every event on `events` (key =
 * task id), and on `credentials` what every detector member's credential registry needs whichever
 * partitions of `events` it owns: credential events (key = credential id) and task_end events
 * (key = task id), in event time.
 *
 * Correlation releases a parent before the children it unblocked, so a task root's task_end would
 * otherwise precede its own steps; the detector reads a task in publish order.
 *
 * A credential's events share its partition, so they are read in order. A task_end is keyed by
 * its task, like on `events`: no key puts it in the partitions of the credentials bound to its
 * task (the collector does not know them all), so a member may read it before the issue of a
 * credential of that task; the registry keeps task ends for that (detector/state/registry.ts).
 */
import type { BusMessage } from '../../core/bus/index.js'
import type { EventKind, PrivpathEvent } from '../../core/event.js'
import { sortEvents } from './event-order.js'

const CREDENTIAL_KINDS = new Set<EventKind>(['credential_issued', 'credential_used', 'credential_revoked'])

export interface EventMessages {
  events: Array<BusMessage<PrivpathEvent>>
  credentials: Array<BusMessage<PrivpathEvent>>
}

export function eventMessages(records: ReadonlyArray<{ events: PrivpathEvent[] }>): EventMessages {
  const all: PrivpathEvent[] = []
  for (const record of records) for (const event of record.events) all.push(event)
  const ordered = sortEvents(all)
  const events: Array<BusMessage<PrivpathEvent>> = []
  const credentials: Array<BusMessage<PrivpathEvent>> = []
  for (const event of ordered) {
    events.push({ key: event.task_id, value: event })
    if (CREDENTIAL_KINDS.has(event.kind)) credentials.push({ key: event.credential_id, value: event })
    else if (event.kind === 'task_end') credentials.push({ key: event.task_id, value: event })
  }
  return { events, credentials }
}
