/**
 * The last step of mapping, applied to every event before it leaves the mapper: tenant stamping,
 * redaction, content capture and truncation, credential-id fingerprints, bounded attributes, the
 * clock_skew flag of times the record's clock replaced (clock.ts) and deterministic event ids.
 */
import { ADMIN_TENANT } from '../../core/auth.js'
import { eventId, type EventFlag, type EventKind, type EventSource, type PrivpathEvent, type RequestedCall } from '../../core/event.js'
import type { AnyValue } from '../otlp/index.js'
import { fingerprint, looksLikeRawSecret, redactAttributeInto, redactInto, redactScalarAttributeInto, redactText } from '../redact/index.js'
import { stringify } from './attributes.js'
import { ORIGINAL_TS_ATTRIBUTE, type TimeBounds } from './clock.js'
import { isContentKey } from './content.js'
import { MAX_DEFINITION_CHARS, TOOL_DEFINITIONS_ATTRIBUTE, type ToolDefinition } from './mcp.js'
import { attributePlace, SecretPlaces, type SecretPlace } from './places.js'
import {
  DEFAULT_MAX_CONTENT_CHARS,
  DEFAULT_MAX_FUTURE_SKEW_MS,
  DEFAULT_MAX_PAST_MS,
  DEFAULT_TENANT,
  MAX_ATTRIBUTE_CHARS,
  MAX_ATTRIBUTES,
  type MappingOptions,
} from './record.js'

/** An event under construction plus the leftover attributes of the span, span event or record it came from. */
export interface Draft {
  event: PrivpathEvent
  leftovers: Array<[string, AnyValue]>
  /** The event's time as sent when the record's clock replaced it (clock.ts); absent or '' when kept. */
  originalTs?: string
  /** An id shared with other spans reporting the same thing (core/event.ts sharedInvocationId); absent: the span's own. */
  eventId?: string
  /** Attributes kept whatever the bound on attributes: what the detector reads (e.g. `mcp.method.name`). */
  pinned?: Array<[string, AnyValue]>
  /** The tools the span offers (mcp.ts), written to `privpath.tool_definitions`. */
  definitions?: ToolDefinition[]
}

/**
 * Another event of the same span or record: a copy of its common fields (a clone of one object
 * shape, which V8 does in one step) with its own kind, source and time.
 */
export function deriveEvent(base: PrivpathEvent, kind: EventKind, source: EventSource, ts: number): PrivpathEvent {
  const event = { ...base }
  event.kind = kind
  event.source = source
  event.ts = ts
  return event
}

export interface ResolvedOptions extends TimeBounds {
  authTenant: string
  captureContent: boolean
  maxContentChars: number
}

export function resolveOptions(options: MappingOptions): ResolvedOptions {
  const observedAt = options.observedAt ?? Date.now()
  return {
    authTenant: options.authTenant ?? '',
    observedAt,
    earliest: observedAt - Math.max(0, options.maxPastMs ?? DEFAULT_MAX_PAST_MS),
    latest: observedAt + Math.max(0, options.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS),
    captureContent: options.captureContent ?? true,
    maxContentChars: Math.max(0, options.maxContentChars ?? DEFAULT_MAX_CONTENT_CHARS),
  }
}

export interface Tenancy {
  tenantId: string
  /** The isolation domain (PrivpathEvent.domain): the key's tenant, '' without keys or for an admin key. */
  domain: string
  /** False when tenantId is only the 'default' fallback (the correlator then takes the parent's). */
  settled: boolean
  /** The claimed tenant when it differs from the authenticated one. */
  mismatch: string
}

/** A tenant key's tenant wins; a different claim is flagged and kept. Without a key, or with an admin key, the claim (or 'default') is used. */
export function resolveTenant(authTenant: string, claim: string): Tenancy {
  if (authTenant !== '' && authTenant !== ADMIN_TENANT) {
    return { tenantId: authTenant, domain: authTenant, settled: true, mismatch: claim !== '' && claim !== authTenant ? claim : '' }
  }
  // an admin key ingests for many tenants: the data names the tenant, the deployment is the domain
  return { tenantId: claim !== '' ? claim : DEFAULT_TENANT, domain: '', settled: claim !== '', mismatch: '' }
}

/** A context attribute (service.name, otel.scope.name) already redacted: the same for every span of a scope. */
export interface ContextAttribute {
  key: string
  text: string
  kinds: string[]
}

/** Redacts the non-empty context values once, for all the spans or records of one resource scope. */
export function contextAttributes(serviceName: string, scopeName: string): ContextAttribute[] {
  const out: ContextAttribute[] = []
  for (const [key, value] of [['service.name', serviceName], ['otel.scope.name', scopeName]] as const) {
    if (value === '') continue
    const { text, kinds } = redactText(redactable(value, MAX_ATTRIBUTE_CHARS))
    out.push({ key, text, kinds })
  }
  return out
}

export interface RecordContext {
  tenancy: Tenancy
  /** Span id used in event ids (log records use a derived one). */
  idSpanId: string
  /** Added to each event's attributes when room is left. */
  context: readonly ContextAttribute[]
}

function truncated(value: string, max: number): string {
  return value.length > max ? value.slice(0, max) : value
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
  readonly places = new SecretPlaces()
  readonly flags: EventFlag[] = []

  /** Redacts one value found at `place`; kinds are gathered per value so each is placed. */
  redact(value: string, place: SecretPlace): string {
    if (value === '') return value
    const found: string[] = []
    const text = redactInto(value, found)
    this.places.note(place, found)
    return text
  }

  /** Content, whose findings are placed by the message they sit in (places.ts). */
  redactContent(eventKind: EventKind, value: string): string {
    if (value === '') return value
    const found: string[] = []
    const text = redactInto(value, found)
    this.places.noteContent(eventKind, text, found)
    return text
  }

  /** For names, resources and attributes that repeat across spans (never content): see redactInto. */
  redactRepeated(value: string): string {
    if (value === '') return value
    const found: string[] = []
    const text = redactInto(value, found, true)
    this.places.note('attributes', found)
    return text
  }

  redactAttribute(eventKind: EventKind, key: string, raw: AnyValue): string {
    const found: string[] = []
    const text =
      typeof raw === 'number' || typeof raw === 'boolean' || typeof raw === 'bigint'
        ? redactScalarAttributeInto(key, stringify(raw), found)
        : redactAttributeInto(key, redactable(stringify(raw), MAX_ATTRIBUTE_CHARS), found, !isContentKey(key))
    this.places.note(attributePlace(eventKind, key), found)
    return text
  }

  /** Content text found at `place`: redacted, then cut to `max` (flag content_truncated). */
  content(value: string, max: number, place: SecretPlace): string {
    const redacted = this.redact(redactable(value, max), place)
    if (redacted.length <= max) return redacted
    this.flag('content_truncated')
    return redacted.slice(0, max)
  }

  note(kinds: readonly string[]): void {
    this.places.note('attributes', kinds)
  }

  flag(flag: EventFlag): void {
    if (!this.flags.includes(flag)) this.flags.push(flag)
  }
}

/** Stringified attributes, at most MAX_ATTRIBUTES (the rest counted), each cut to MAX_ATTRIBUTE_CHARS. */
class BoundedAttributes {
  readonly out: Record<string, string> = {}
  private count = 0
  private dropped = 0

  put(key: string, value: string): void {
    if (Object.hasOwn(this.out, key)) return
    if (this.count >= MAX_ATTRIBUTES) {
      this.dropped++
      return
    }
    this.out[key] = truncated(value, MAX_ATTRIBUTE_CHARS)
    this.count++
  }

  /** Outside the bound: privpath's own annotations. */
  set(key: string, value: string): void {
    this.out[key] = value
  }

  finish(): Record<string, string> {
    if (this.dropped > 0) this.out['privpath.attributes_dropped'] = String(this.dropped)
    return this.out
  }
}

/** Name and hash are no content; the definition text is, like a prompt (redacted, '' when capture is off). */
function definitionsJson(definitions: readonly ToolDefinition[], options: ResolvedOptions, findings: Findings): string {
  const kept = definitions.map(({ name, hash, definition }) => ({
    name: truncated(name, MAX_ATTRIBUTE_CHARS),
    hash,
    definition: options.captureContent ? truncated(findings.redact(redactable(definition, MAX_DEFINITION_CHARS), 'attributes'), MAX_DEFINITION_CHARS) : '',
  }))
  return JSON.stringify(kept)
}

function boundedAttributes(draft: Draft, record: RecordContext, options: ResolvedOptions, findings: Findings): Record<string, string> {
  const attributes = new BoundedAttributes()
  for (const [key, raw] of draft.pinned ?? []) attributes.set(key, truncated(findings.redactAttribute(draft.event.kind, key, raw), MAX_ATTRIBUTE_CHARS))
  if (draft.definitions !== undefined && draft.definitions.length > 0) attributes.set(TOOL_DEFINITIONS_ATTRIBUTE, definitionsJson(draft.definitions, options, findings))
  for (const [key, raw] of draft.leftovers) {
    if (!options.captureContent && isContentKey(key)) continue
    attributes.put(key, findings.redactAttribute(draft.event.kind, key, raw))
  }
  for (const { key, text, kinds } of record.context) {
    findings.note(kinds)
    attributes.put(key, text)
  }
  if (record.tenancy.mismatch !== '') attributes.set('tenant.claimed', findings.redact(record.tenancy.mismatch, 'attributes'))
  if (draft.originalTs) attributes.set(ORIGINAL_TS_ATTRIBUTE, draft.originalTs)
  return attributes.finish()
}

/** More calls in one model output than any agent makes; the rest are cut (flag content_truncated). */
const MAX_REQUESTED_CALLS = 64

/**
 * Arguments are content. Call ids and names are kept unredacted, like tool_call_id and tool_name
 * (a provider's random call id looks like a high-entropy secret, and redacting it would break the
 * match with the executed call), and bounded like names.
 */
function finishCalls(calls: readonly RequestedCall[], options: ResolvedOptions, findings: Findings): RequestedCall[] {
  if (calls.length > MAX_REQUESTED_CALLS) findings.flag('content_truncated')
  return calls.slice(0, MAX_REQUESTED_CALLS).map((call) => ({
    call_id: truncated(call.call_id, MAX_ATTRIBUTE_CHARS),
    name: truncated(call.name, MAX_ATTRIBUTE_CHARS),
    arguments: options.captureContent ? findings.content(call.arguments, options.maxContentChars, 'model_output') : '',
  }))
}

function finishOne(draft: Draft, position: number, record: RecordContext, options: ResolvedOptions): PrivpathEvent {
  const event = draft.event
  const findings = new Findings()
  event.tenant_id = record.tenancy.tenantId
  event.domain = record.tenancy.domain
  if (record.tenancy.mismatch !== '') findings.flag('tenant_mismatch')
  if (draft.originalTs) findings.flag('clock_skew')
  event.attributes = boundedAttributes(draft, record, options, findings)

  const errorChars = Math.max(options.maxContentChars, MAX_ATTRIBUTE_CHARS)
  event.name = truncated(findings.redactRepeated(redactable(event.name, MAX_ATTRIBUTE_CHARS)), MAX_ATTRIBUTE_CHARS)
  event.error = truncated(findings.redact(redactable(event.error, errorChars), 'attributes'), errorChars)
  event.target_resource = truncated(findings.redactRepeated(redactable(event.target_resource, MAX_ATTRIBUTE_CHARS)), MAX_ATTRIBUTE_CHARS)
  event.authz_resource = truncated(findings.redactRepeated(redactable(event.authz_resource, MAX_ATTRIBUTE_CHARS)), MAX_ATTRIBUTE_CHARS)
  if (options.captureContent) {
    const max = options.maxContentChars
    const content = findings.redactContent(event.kind, redactable(event.content, max))
    event.content = truncated(content, max)
    if (content.length > max) findings.flag('content_truncated')
    event.tool_arguments = findings.content(event.tool_arguments, max, 'tool_arguments')
    event.tool_result = findings.content(event.tool_result, max, 'tool_result')
  } else {
    event.content = ''
    event.tool_arguments = ''
    event.tool_result = ''
  }
  if (event.requested_calls.length > 0) event.requested_calls = finishCalls(event.requested_calls, options, findings)
  if (event.credential_id !== '' && looksLikeRawSecret(event.credential_id)) {
    event.credential_id = fingerprint(event.credential_id)
    findings.flag('credential_id_fingerprinted')
  }
  if (findings.places.kinds.length > 0) {
    findings.flag('secret_redacted')
    Object.assign(event.attributes, findings.places.attributes())
  }
  // A list of its own: the correlator adds flags event by event.
  const flags = event.flags.slice()
  for (const flag of findings.flags) if (!flags.includes(flag)) flags.push(flag)
  event.flags = flags
  event.event_id = draft.eventId ?? eventId(event.trace_id, record.idSpanId, event.kind, event.seq, position)
  return event
}

/** Finishes the drafts of one span or record; `position` counts events sharing a seq, in draft order. */
export function finishDrafts(drafts: Draft[], record: RecordContext, options: ResolvedOptions): PrivpathEvent[] {
  const events: PrivpathEvent[] = []
  for (const draft of drafts) {
    let position = 0
    for (const earlier of events) if (earlier.seq === draft.event.seq) position++
    events.push(finishOne(draft, position, record, options))
  }
  return events
}
