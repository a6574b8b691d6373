import { Rejections, within } from './decode-failure.js'
import { eventNameOf, logRecordProblem } from './item-checks.js'
import {
  asEnum,
  asHexId,
  asObject,
  asString,
  asUint64,
  field,
  readAnyValue,
  readAttributes,
} from './json-common.js'
import type { DecodedLogs, LogRecord, ResourceLogs } from './model.js'
import { jsonDecoder, readJsonEnvelopes, type JsonEnvelopeSignal } from './json-envelope.js'
import { REJECT_REASON_LIMIT } from './values.js'

const SEVERITY_NUMBERS: Record<string, number> = { SEVERITY_NUMBER_UNSPECIFIED: 0 }
for (const [base, name] of ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].entries()) {
  SEVERITY_NUMBERS[`SEVERITY_NUMBER_${name}`] = base * 4 + 1
  for (let step = 2; step <= 4; step++) SEVERITY_NUMBERS[`SEVERITY_NUMBER_${name}${step}`] = base * 4 + step
}

const decoder = jsonDecoder('ExportLogsServiceRequest', (value) => readLogsRequest(value))

export function decodeLogsJson(body: Uint8Array | string): DecodedLogs {
  return decoder.body(body)
}

/** For a body some other layer already parsed as JSON. */
export function decodeLogsJsonValue(value: unknown): DecodedLogs {
  return decoder.value(value)
}

const LOGS: JsonEnvelopeSignal<LogRecord> = {
  resources: ['resourceLogs', 'resource_logs'],
  scopes: ['scopeLogs', 'scope_logs'],
  items: ['logRecords', 'log_records'],
  readItem: (value) => {
    const read = readLogRecord(value)
    return { item: read.record, problem: read.problem }
  },
  problem: logRecordProblem,
}

function readLogsRequest(value: unknown): DecodedLogs {
  const rejections = new Rejections(REJECT_REASON_LIMIT)
  const resourceLogs: ResourceLogs[] = readJsonEnvelopes(value, LOGS, rejections).map((r) => ({
    resource: r.resource,
    scopeLogs: r.scopes.map((sc) => ({ scope: sc.scope, logRecords: sc.items })),
  }))
  return { request: { resourceLogs }, rejectedLogRecords: rejections.count, rejectReasons: rejections.reasons() }
}

function readLogRecord(value: unknown): { record: LogRecord; problem?: string } {
  const object = asObject(value, '') ?? {}
  const traceId = asHexId(field(object, 'traceId', 'trace_id'), 'traceId')
  const spanId = asHexId(field(object, 'spanId', 'span_id'), 'spanId')
  let body
  try {
    body = readAnyValue(object.body, 0)
  } catch (error) {
    within('body', error)
  }
  const record: LogRecord = {
    timeUnixNano: asUint64(field(object, 'timeUnixNano', 'time_unix_nano'), 'timeUnixNano'),
    observedTimeUnixNano: asUint64(
      field(object, 'observedTimeUnixNano', 'observed_time_unix_nano'),
      'observedTimeUnixNano',
    ),
    severityNumber: asEnum(field(object, 'severityNumber', 'severity_number'), 'severityNumber', SEVERITY_NUMBERS),
    severityText: asString(field(object, 'severityText', 'severity_text'), 'severityText'),
    body,
    attributes: readAttributes(object),
    traceId: traceId.id,
    spanId: spanId.id,
    eventName: asString(field(object, 'eventName', 'event_name'), 'eventName'),
  }
  record.eventName = eventNameOf(record)
  const problem = traceId.problem ?? spanId.problem
  return problem === undefined ? { record } : { record, problem }
}
