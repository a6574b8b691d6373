/**
 * The envelope both OTLP/JSON export requests share, read once for traces and logs:
 * { resourceX: [{ resource, scopeX: [{ scope, items: [...] }] }] } (lowerCamelCase or the proto's
 * snake_case names). Each signal supplies its field names, its item reader and its item check; an
 * item with a problem is counted as rejected, not kept.
 */
import { type Rejections, toDecodeError, within } from './decode-failure.js'
import { asArray, asObject, field, parseJson, readResource, readScope } from './json-common.js'
import type { ResourceEnvelope, ScopeEnvelope } from './protobuf-envelope.js'

export interface JsonEnvelopeSignal<Item> {
  /** [lowerCamelCase, snake_case] field names; the camel one is also how error paths spell it. */
  resources: readonly [string, string]
  scopes: readonly [string, string]
  items: readonly [string, string]
  /** Reads one item; `problem` rejects it (e.g. a malformed id) without failing the request. */
  readItem(value: unknown): { item: Item; problem?: string }
  problem(item: Item): string | undefined
}

export function readJsonEnvelopes<Item>(value: unknown, signal: JsonEnvelopeSignal<Item>, rejections: Rejections): Array<ResourceEnvelope<Item>> {
  const root = asObject(value, '') ?? {}
  const [name, snake] = signal.resources
  const list = asArray(field(root, name, snake), name)
  const resources: Array<ResourceEnvelope<Item>> = []
  for (let i = 0; i < list.length; i++) {
    try {
      resources.push(readResourceEnvelope(list[i], signal, rejections, `${name}[${i}]`))
    } catch (error) {
      within(`${name}[${i}]`, error)
    }
  }
  return resources
}

function readResourceEnvelope<Item>(value: unknown, signal: JsonEnvelopeSignal<Item>, rejections: Rejections, at: string): ResourceEnvelope<Item> {
  const object = asObject(value, '') ?? {}
  const resource = readResource(object.resource)
  const [name, snake] = signal.scopes
  const list = asArray(field(object, name, snake), name)
  const scopes: Array<ScopeEnvelope<Item>> = []
  for (let i = 0; i < list.length; i++) {
    try {
      scopes.push(readScopeEnvelope(list[i], signal, rejections, `${at}.${name}[${i}]`))
    } catch (error) {
      within(`${name}[${i}]`, error)
    }
  }
  return { resource, scopes }
}

function readScopeEnvelope<Item>(value: unknown, signal: JsonEnvelopeSignal<Item>, rejections: Rejections, at: string): ScopeEnvelope<Item> {
  const object = asObject(value, '') ?? {}
  const scope = readScope(object.scope)
  const [name, snake] = signal.items
  const list = asArray(field(object, name, snake), name)
  const items: Item[] = []
  for (let i = 0; i < list.length; i++) {
    let read: { item: Item; problem?: string }
    try {
      read = signal.readItem(list[i])
    } catch (error) {
      within(`${name}[${i}]`, error)
    }
    const problem = read.problem ?? signal.problem(read.item)
    if (problem === undefined) items.push(read.item)
    else rejections.add(`${at}.${name}[${i}].${problem}`)
  }
  return { scope, items }
}

/**
 * A signal's JSON decoder over a body, or over a value some other layer already parsed as JSON;
 * whatever fails on the way becomes one decode error naming the request `message`.
 */
export function jsonDecoder<Decoded>(message: string, read: (value: unknown) => Decoded): {
  body(body: Uint8Array | string): Decoded
  value(value: unknown): Decoded
} {
  const decode = (parsed: () => unknown): Decoded => {
    try {
      return read(parsed())
    } catch (error) {
      throw toDecodeError(error, message)
    }
  }
  return { body: (body) => decode(() => parseJson(body)), value: (value) => decode(() => value) }
}
