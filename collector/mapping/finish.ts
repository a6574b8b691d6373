/**
 * The last step of mapping, applied to every event before it leaves the mapper: tenant stamping,
 * redaction, content capture and truncation, credential-id fingerprints, bounded attributes and
 * deterministic event ids.
 */
import { eventId, type EventFlag, type PrivpathEvent } from '../../core/event.js'
import type { AnyValue } from '../otlp/model.js'
import { fingerprint, looksLikeRawSecret, redactAttribute, redactText } from '../redact/index.js'
import { stringify } from './attributes.js'
import { isContentKey } from './content.js'
import { DEFAULT_MAX_CONTENT_CHARS, DEFAULT_TENANT, MAX_ATTRIBUTE_CHARS, MAX_ATTRIBUTES, type MappingOptions } from './record.js'

/** An event under construction plus the leftover attributes of the span, span event or record it came from. */
export interface Draft {
  event: PrivpathEvent
  leftovers: Array<[string, AnyValue]>
}

export interface ResolvedOptions {
  authTenant: string
  observedAt: number
  captureContent: boolean
  maxContentChars: number
}

export function resolveOptions(options: MappingOptions): ResolvedOptions {
  return {
    authTenant: options.authTenant ?? '',
    observedAt: options.observedAt ?? Date.now(),
    captureContent: options.captureContent ?? true,
    maxContentChars: Math.max(0, options.maxContentChars ?? DEFAULT_MAX_CONTENT_CHARS),
  }
}

export interface Tenancy {
  tenantId: string
  /** The claimed tenant when it differs from the authenticated one. */
  mismatch: string
}

/** Authenticated tenant wins; a different claim is flagged and kept. Without auth the claim (or 'default') is used. */
export function resolveTenant(authTenant: string, claim: string): Tenancy {
  if (authTenant !== '') return { tenantId: authTenant, mismatch: claim !== '' && claim !== authTenant ? claim : '' }
  return { tenantId: claim !== '' ? claim : DEFAULT_TENANT, mismatch: '' }
}

export interface RecordContext {
  tenancy: Tenancy
  /** Span id used in event ids (log records use a derived one). */
  idSpanId: string
  /** Added to each event's attributes when room is left: service.name, otel.scope.name. */
  context: Array<[string, string]>
}

function truncate(value: string, max: number): [string, boolean] {
  return value.length > max ? [value.slice(0, max), true] : [value, false]
}

/**
 * Text beyond what is kept is cut before redaction so a huge value costs bounded work. The margin
 * keeps the cut past the final truncation point by more than any token format is long, so a
 * secret split by this cut lies wholly in the part the final truncation removes.
 */
const REDACTION_MARGIN = 4_096

function redactable(value: string, keep: number): string {
  return value.length > keep + REDACTION_MARGIN ? value.slice(0, keep + REDACTION_MARGIN) : value
}

class Findings {
  readonly kinds: string[] = []
  readonly flags = new Set<EventFlag>()

  redact(value: string): string {
    if (value === '') return value
    const { text, kinds } = redactText(value)
    this.note(kinds)
    return text
  }

  note(kinds: string[]): void {
    for (const kind of kinds) if (!this.kinds.includes(kind)) this.kinds.push(kind)
  }
}

function boundedAttributes(draft: Draft, record: RecordContext, options: ResolvedOptions, findings: Findings): Record<string, string> {
  const out: Record<string, string> = {}
  let count = 0
  let dropped = 0
  const put = (key: string, value: string): void => {
    if (Object.hasOwn(out, key)) return
    if (count >= MAX_ATTRIBUTES) {
      dropped++
      return
    }
    out[key] = truncate(value, MAX_ATTRIBUTE_CHARS)[0]
    count++
  }
  for (const [key, raw] of draft.leftovers) {
    if (!options.captureContent && isContentKey(key)) continue
    const redacted = redactAttribute(key, redactable(stringify(raw), MAX_ATTRIBUTE_CHARS))
    findings.note(redacted.kinds)
    put(key, redacted.text)
  }
  for (const [key, value] of record.context) put(key, findings.redact(redactable(value, MAX_ATTRIBUTE_CHARS)))
  if (record.tenancy.mismatch !== '') out['tenant.claimed'] = findings.redact(record.tenancy.mismatch)
  if (dropped > 0) out['privpath.attributes_dropped'] = String(dropped)
  return out
}

function finishOne(draft: Draft, position: number, record: RecordContext, options: ResolvedOptions): PrivpathEvent {
  const event = draft.event
  const findings = new Findings()
  event.tenant_id = record.tenancy.tenantId
  if (record.tenancy.mismatch !== '') findings.flags.add('tenant_mismatch')
  event.attributes = boundedAttributes(draft, record, options, findings)

  const errorChars = Math.max(options.maxContentChars, MAX_ATTRIBUTE_CHARS)
  event.name = truncate(findings.redact(redactable(event.name, MAX_ATTRIBUTE_CHARS)), MAX_ATTRIBUTE_CHARS)[0]
  event.error = truncate(findings.redact(redactable(event.error, errorChars)), errorChars)[0]
  event.target_resource = truncate(findings.redact(redactable(event.target_resource, MAX_ATTRIBUTE_CHARS)), MAX_ATTRIBUTE_CHARS)[0]
  event.authz_resource = truncate(findings.redact(redactable(event.authz_resource, MAX_ATTRIBUTE_CHARS)), MAX_ATTRIBUTE_CHARS)[0]
  if (options.captureContent) {
    const max = options.maxContentChars
    const [content, cutContent] = truncate(findings.redact(redactable(event.content, max)), max)
    const [args, cutArgs] = truncate(findings.redact(redactable(event.tool_arguments, max)), max)
    event.content = content
    event.tool_arguments = args
    if (cutContent || cutArgs) findings.flags.add('content_truncated')
  } else {
    event.content = ''
    event.tool_arguments = ''
  }
  if (event.credential_id !== '' && looksLikeRawSecret(event.credential_id)) {
    event.credential_id = fingerprint(event.credential_id)
    findings.flags.add('credential_id_fingerprinted')
  }
  if (findings.kinds.length > 0) {
    findings.flags.add('secret_redacted')
    event.attributes['redaction.kinds'] = findings.kinds.join(',')
  }
  event.flags = [...event.flags, ...[...findings.flags].filter((flag) => !event.flags.includes(flag))]
  event.event_id = eventId(event.trace_id, record.idSpanId, event.kind, event.seq, position)
  return event
}

/** Finishes the drafts of one span or record; `position` counts events sharing a seq, in draft order. */
export function finishDrafts(drafts: Draft[], record: RecordContext, options: ResolvedOptions): PrivpathEvent[] {
  const perSeq = new Map<number, number>()
  return drafts.map((draft) => {
    const position = perSeq.get(draft.event.seq) ?? 0
    perSeq.set(draft.event.seq, position + 1)
    return finishOne(draft, position, record, options)
  })
}
