/**
 * The envelope both OTLP export requests share, read once for traces and logs:
 * request → resource* (field 1) → { resource (1), scope* (2) } → { scope (1), item* (2) }.
 * Each signal supplies its field names (for error paths), its item reader and its item check;
 * an item that fails the check is counted as rejected, not kept.
 */
import type { Reader } from 'protobufjs/minimal.js'
import { type Rejections, within } from './decode-failure.js'
import type { InstrumentationScope, Resource } from './model.js'
import { createReader, emptyResource, emptyScope, enter, leave, readResource, readScope, skipField } from './protobuf-common.js'
import { releaseRequestBuffer } from './string-cache.js'

export interface ScopeEnvelope<Item> {
  scope: InstrumentationScope
  items: Item[]
}

export interface ResourceEnvelope<Item> {
  resource: Resource
  scopes: Array<ScopeEnvelope<Item>>
}

export interface EnvelopeSignal<Item> {
  /** Field names as error paths spell them, e.g. resourceSpans / scopeSpans / spans. */
  resources: string
  scopes: string
  items: string
  readItem(reader: Reader): Item
  /** Why an item is rejected (a path below the item), or undefined to keep it. */
  problem(item: Item): string | undefined
}

export function readEnvelopes<Item>(body: Uint8Array, signal: EnvelopeSignal<Item>, rejections: Rejections): Array<ResourceEnvelope<Item>> {
  const reader = createReader(body)
  const resources: Array<ResourceEnvelope<Item>> = []
  try {
    while (reader.pos < reader.len) {
      const tag = reader.tag()
      if (tag === 10) {
        const at = `${signal.resources}[${resources.length}]`
        try {
          resources.push(readResourceEnvelope(reader, signal, rejections, at))
        } catch (error) {
          within(at, error)
        }
      } else {
        skipField(reader, tag)
      }
    }
  } finally {
    releaseRequestBuffer()
  }
  return resources
}

function readResourceEnvelope<Item>(reader: Reader, signal: EnvelopeSignal<Item>, rejections: Rejections, at: string): ResourceEnvelope<Item> {
  const outer = enter(reader)
  const result: ResourceEnvelope<Item> = { resource: emptyResource(), scopes: [] }
  while (reader.pos < reader.len) {
    const tag = reader.tag()
    if (tag === 10) {
      try {
        result.resource = readResource(reader)
      } catch (error) {
        within('resource', error)
      }
    } else if (tag === 18) {
      const scopeAt = `${signal.scopes}[${result.scopes.length}]`
      try {
        result.scopes.push(readScopeEnvelope(reader, signal, rejections, `${at}.${scopeAt}`))
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

function readScopeEnvelope<Item>(reader: Reader, signal: EnvelopeSignal<Item>, rejections: Rejections, at: string): ScopeEnvelope<Item> {
  const outer = enter(reader)
  const result: ScopeEnvelope<Item> = { scope: emptyScope(), items: [] }
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
      let item: Item
      try {
        item = signal.readItem(reader)
      } catch (error) {
        within(`${signal.items}[${index}]`, error)
      }
      const problem = signal.problem(item)
      if (problem === undefined) result.items.push(item)
      else rejections.add(`${at}.${signal.items}[${index}].${problem}`)
      index++
    } else {
      skipField(reader, tag)
    }
  }
  leave(reader, outer)
  return result
}
