import { Rejections, toDecodeError, within } from './decode-failure.js'
import { eventNameOf, logRecordProblem } from './item-checks.js'
import {
  asArray,
  asEnum,
  asHexId,
  asObject,
  asString,
  asUint64,
  field,
  parseJson,
  readAnyValue,
  readAttributes,
  readResource,
  readScope,
} from './json-common.js'
import type { DecodedLogs, LogRecord, ResourceLogs, ScopeLogs } from './model.js'
import { REJECT_REASON_LIMIT } from './values.js'

const SEVERITY_NUMBERS: Record<string, number> = { SEVERITY_NUMBER_UNSPECIFIED: 0 }
for (const [base, name] of ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].entries()) {
  SEVERITY_NUMBERS[`SEVERITY_NUMBER_${name}`] = base * 4 + 1
  for (let step = 2; step <= 4; step++) SEVERITY_NUMBERS[`SEVERITY_NUMBER_${name}${step}`] = base * 4 + step
}

export function decodeLogsJson(body: Uint8Array | string): DecodedLogs {
  try {
    return readLogsRequest(parseJson(body))
  } catch (error) {
    throw toDecodeError(error, 'ExportLogsServiceRequest')
  }
}

/** For a body some other layer already parsed as JSON. */
export function decodeLogsJsonValue(value: unknown): DecodedLogs {
  try {
    return readLogsRequest(value)
  } catch (error) {
    throw toDecodeError(error, 'ExportLogsServiceRequest')
  }
}

function readLogsRequest(value: unknown): DecodedLogs {
  const rejections = new Rejections(REJECT_REASON_LIMIT)
  const root = asObject(value, '') ?? {}
  const list = asArray(field(root, 'resourceLogs', 'resource_logs'), 'resourceLogs')
  const resourceLogs: ResourceLogs[] = []
  for (let i = 0; i < list.length; i++) {
    try {
      resourceLogs.push(readResourceLogs(list[i], rejections, `resourceLogs[${i}]`))
    } catch (error) {
      within(`resourceLogs[${i}]`, error)
    }
  }
  return { request: { resourceLogs }, rejectedLogRecords: rejections.count, rejectReasons: rejections.reasons() }
}

function readResourceLogs(value: unknown, rejections: Rejections, at: string): ResourceLogs {
  const object = asObject(value, '') ?? {}
  const resource = readResource(object.resource)
  const list = asArray(field(object, 'scopeLogs', 'scope_logs'), 'scopeLogs')
  const scopeLogs: ScopeLogs[] = []
  for (let i = 0; i < list.length; i++) {
    try {
      scopeLogs.push(readScopeLogs(list[i], rejections, `${at}.scopeLogs[${i}]`))
    } catch (error) {
      within(`scopeLogs[${i}]`, error)
    }
  }
  return { resource, scopeLogs }
}

function readScopeLogs(value: unknown, rejections: Rejections, at: string): ScopeLogs {
  const object = asObject(value, '') ?? {}
  const scope = readScope(object.scope)
  const list = asArray(field(object, 'logRecords', 'log_records'), 'logRecords')
  const logRecords: LogRecord[] = []
  for (let i = 0; i < list.length; i++) {
    let read: { record: LogRecord; problem?: string }
    try {
      read = readLogRecord(list[i])
    } catch (error) {
      within(`logRecords[${i}]`, error)
    }
    const problem = read.problem ?? logRecordProblem(read.record)
    if (problem === undefined) logRecords.push(read.record)
    else rejections.add(`${at}.logRecords[${i}].${problem}`)
  }
  return { scope, logRecords }
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
