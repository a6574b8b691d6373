import type { Reader } from 'protobufjs/minimal.js'

import { Rejections, toDecodeError, within } from './decode-failure.js'
import { eventNameOf, logRecordProblem } from './item-checks.js'
import type { DecodedLogs, ExportLogsServiceRequest, LogRecord, ResourceLogs, ScopeLogs } from './model.js'
import {
  createReader,
  emptyResource,
  emptyScope,
  enter,
  leave,
  readAnyValue,
  readAttribute,
  readFixed64,
  readHex,
  readResource,
  readScope,
  skipField,
} from './protobuf-common.js'
import { readString } from './string-cache.js'
import { REJECT_REASON_LIMIT } from './values.js'

/*
 * Field numbers: opentelemetry/proto/collector/logs/v1/logs_service.proto and logs/v1/logs.proto.
 * Tags in the switches are field << 3 | wire type.
 */

export function decodeLogsProtobuf(body: Uint8Array): DecodedLogs {
  const rejections = new Rejections(REJECT_REASON_LIMIT)
  try {
    const reader = createReader(body)
    const resourceLogs: ResourceLogs[] = []
    while (reader.pos < reader.len) {
      const tag = reader.tag()
      if (tag === 10) {
        const at = `resourceLogs[${resourceLogs.length}]`
        try {
          resourceLogs.push(readResourceLogs(reader, rejections, at))
        } catch (error) {
          within(at, error)
        }
      } else {
        skipField(reader, tag)
      }
    }
    return {
      request: { resourceLogs },
      rejectedLogRecords: rejections.count,
      rejectReasons: rejections.reasons(),
    }
  } catch (error) {
    throw toDecodeError(error, 'ExportLogsServiceRequest')
  }
}

function readResourceLogs(reader: Reader, rejections: Rejections, at: string): ResourceLogs {
  const outer = enter(reader)
  const result: ResourceLogs = { resource: emptyResource(), scopeLogs: [] }
  while (reader.pos < reader.len) {
    const tag = reader.tag()
    if (tag === 10) {
      try {
        result.resource = readResource(reader)
      } catch (error) {
        within('resource', error)
      }
    } else if (tag === 18) {
      const scopeAt = `scopeLogs[${result.scopeLogs.length}]`
      try {
        result.scopeLogs.push(readScopeLogs(reader, rejections, `${at}.${scopeAt}`))
      } catch (error) {
        within(scopeAt, error)
      }
    } else {
      skipField(reader, tag)
    }
  }
  leave(reader, outer)
  return result
}

function readScopeLogs(reader: Reader, rejections: Rejections, at: string): ScopeLogs {
  const outer = enter(reader)
  const result: ScopeLogs = { scope: emptyScope(), logRecords: [] }
  let index = 0
  while (reader.pos < reader.len) {
    const tag = reader.tag()
    if (tag === 10) {
      try {
        result.scope = readScope(reader)
      } catch (error) {
        within('scope', error)
      }
    } else if (tag === 18) {
      let record: LogRecord
      try {
        record = readLogRecord(reader)
      } catch (error) {
        within(`logRecords[${index}]`, error)
      }
      const problem = logRecordProblem(record)
      if (problem === undefined) result.logRecords.push(record)
      else rejections.add(`${at}.logRecords[${index}].${problem}`)
      index++
    } else {
      skipField(reader, tag)
    }
  }
  leave(reader, outer)
  return result
}

function readLogRecord(reader: Reader): LogRecord {
  const outer = enter(reader)
  const record: LogRecord = {
    timeUnixNano: 0n,
    observedTimeUnixNano: 0n,
    severityNumber: 0,
    severityText: '',
    body: null,
    attributes: {},
    traceId: '',
    spanId: '',
    eventName: '',
  }
  let attributeIndex = 0
  while (reader.pos < reader.len) {
    const tag = reader.tag()
    switch (tag) {
      case 9: record.timeUnixNano = readFixed64(reader); break
      case 16: record.severityNumber = reader.int32(); break
      case 26: record.severityText = readString(reader); break
      case 42:
        try {
          record.body = readAnyValue(reader, 0)
        } catch (error) {
          within('body', error)
        }
        break
      case 50: readAttribute(reader, record.attributes, attributeIndex++); break
      case 74: record.traceId = readHex(reader); break
      case 82: record.spanId = readHex(reader); break
      case 89: record.observedTimeUnixNano = readFixed64(reader); break
      case 98: record.eventName = readString(reader); break
      default: skipField(reader, tag)
    }
  }
  leave(reader, outer)
  record.eventName = eventNameOf(record)
  return record
}
