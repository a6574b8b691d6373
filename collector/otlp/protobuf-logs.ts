import type { Reader } from 'protobufjs/minimal.js'

import { Rejections, toDecodeError, within } from './decode-failure.js'
import { eventNameOf, logRecordProblem } from './item-checks.js'
import type { DecodedLogs, LogRecord, ResourceLogs } from './model.js'
import {
  enter,
  leave,
  readAnyValue,
  readAttribute,
  readFixed64,
  readHex,
  skipField,
} from './protobuf-common.js'
import { readEnvelopes, type EnvelopeSignal } from './protobuf-envelope.js'
import { readString } from './string-cache.js'
import { REJECT_REASON_LIMIT } from './values.js'

/*
 * Field numbers: opentelemetry/proto/collector/logs/v1/logs_service.proto and logs/v1/logs.proto.
 * Tags in the switches are field << 3 | wire type.
 */

const LOGS: EnvelopeSignal<LogRecord> = {
  resources: 'resourceLogs',
  scopes: 'scopeLogs',
  items: 'logRecords',
  readItem: (reader) => readLogRecord(reader),
  problem: logRecordProblem,
}

export function decodeLogsProtobuf(body: Uint8Array): DecodedLogs {
  const rejections = new Rejections(REJECT_REASON_LIMIT)
  try {
    const resourceLogs: ResourceLogs[] = readEnvelopes(body, LOGS, rejections).map((r) => ({
      resource: r.resource,
      scopeLogs: r.scopes.map((s) => ({ scope: s.scope, logRecords: s.items })),
    }))
    return { request: { resourceLogs }, rejectedLogRecords: rejections.count, rejectReasons: rejections.reasons() }
  } catch (error) {
    throw toDecodeError(error, 'ExportLogsServiceRequest')
  }
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
