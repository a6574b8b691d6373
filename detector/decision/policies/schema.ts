/**
 * PolicyInput as Cedar sees it: one description of every attribute (its Cedar type, meaning and
 * default) that the validator's schema, the inline tests' input checks and defaults, and the table
 * in docs/decisions.md are all made from. Its type is derived from PolicyInput, so a field added
 * to or removed from policy-input.ts without a line here fails to compile: nothing can drift.
 */
import type { SchemaJson, Type } from '@cedar-policy/cedar-wasm/nodejs'
import type { ArgumentPath, CredentialPath, PolicyInput, PrivilegePathContext } from '../policy-input.js'

interface StringAttr { type: 'String'; doc: string; fallback: string }
interface LongAttr { type: 'Long'; doc: string; fallback: number }
interface BoolAttr { type: 'Boolean'; doc: string }
interface SetAttr<E> { type: 'Set'; element: AttrOf<E>; doc: string }
interface RecordAttr<T> { type: 'Record'; name: string; attributes: Attributes<T>; doc: string }

/** The description a TypeScript field type calls for (tuples stop boolean from distributing). */
type AttrOf<T> = [T] extends [string]
  ? StringAttr
  : [T] extends [number]
    ? LongAttr
    : [T] extends [boolean]
      ? BoolAttr
      : [T] extends [Array<infer E>]
        ? SetAttr<E>
        : RecordAttr<T>

/** Exactly the fields of T, each described. */
type Attributes<T> = { [K in keyof T]-?: AttrOf<T[K]> }

export type Attr = StringAttr | LongAttr | BoolAttr | { type: 'Set'; element: Attr; doc: string } | AnyRecord
interface AnyRecord { type: 'Record'; name: string; attributes: Record<string, Attr>; doc: string }

const str = (doc: string, fallback = ''): StringAttr => ({ type: 'String', doc, fallback })
const long = (doc: string, fallback = 0): LongAttr => ({ type: 'Long', doc, fallback })
const bool = (doc: string): BoolAttr => ({ type: 'Boolean', doc })
const set = <E>(element: AttrOf<E>, doc: string): SetAttr<E> => ({ type: 'Set', element, doc })
const record = <T>(name: string, attributes: Attributes<T>, doc: string): RecordAttr<T> => ({ type: 'Record', name, attributes, doc })
const strings = (doc: string): SetAttr<string> => set<string>(str(''), doc)

const CREDENTIAL = record<CredentialPath>('Credential', {
  id: str('credential id'),
  scopes: strings('scopes it grants'),
  ttl_ms: long('milliseconds left before expiry at decision time; -1 when it has no expiry', -1),
  task_id: str('the task it was issued for ("" when not bound)'),
  revoked: bool('it was revoked'),
  expired: bool('it has expired'),
  task_ended: bool('the task it was issued for has ended'),
}, 'a credential')

const ARGUMENT = record<ArgumentPath>('Argument', {
  kind: str('email, url, host, domain, iban, number, path, identifier, phrase'),
  origin: str('where the task first saw it: user, system, tool, untrusted_tool, unknown', 'unknown'),
  injected: bool('it first appeared inside injected instructions in a tool result'),
  source_tool: str('the tool whose result it first appeared in ("" for the user\'s or system\'s text)'),
}, 'one argument value of the call')

export const CONTEXT = record<PrivilegePathContext>('PrivilegePath', {
  task_id: str('the task'),
  trace_id: str('its trace'),
  tenant: str('the task\'s tenant'),
  tool: str('the tool called (the action\'s id)'),
  privileged: bool('the tool matches `detector.privileged_tools`'),
  target_resource: str('the resource the call acts on'),
  target_tenant: str('the tenant of that resource'),
  cross_tenant: bool('target_tenant is set and differs from the task\'s tenant'),
  untrusted_content_seen: bool('the task has read output of an untrusted tool (`detector.untrusted_output_tools`)'),
  injection_seen: bool('some tool result of the task held injected instructions'),
  arguments_injected: bool('some argument value first appeared inside injected instructions (and the user never wrote it)'),
  arguments_untrusted: bool('some argument value came from untrusted tool output'),
  arguments: set<ArgumentPath>(ARGUMENT, 'the call\'s argument values and their origins'),
  has_credential: bool('the call presents a credential (`resource.properties.credential_id`)'),
  credential: record<CredentialPath>('Credential', CREDENTIAL.attributes, 'the credential the call presents (empty when has_credential is false)'),
  live_credentials: set<CredentialPath>(CREDENTIAL, 'credentials issued in the task and still live'),
  approvals_granted: strings('actions approved in the task'),
  approvals_pending: strings('actions awaiting approval'),
  approvals_denied: strings('actions refused'),
  denied_before: bool('an earlier authz decision in the task denied this tool'),
  delegated: bool('the agent was delegated to within the task'),
  delegation_depth: long('how many delegations deep'),
  delegated_scopes: strings('the scopes it was given'),
}, 'the privilege path of the task')

export const PRINCIPAL = record<Omit<PolicyInput['principal'], 'id'>>('Agent', {
  name: str('the agent\'s name'),
  workload: str('its workload'),
}, 'Agent::"<agent id>"')

export const RESOURCE = record<Omit<PolicyInput['resource'], 'id'>>('Resource', {
  tenant: str('the target\'s tenant'),
}, 'Resource::"<target resource, else the tool name>"')

/** Cedar JSON type of a description; records by the name of their common type. */
function cedarType(attr: Attr, common: Map<string, Type<string>>): Type<string> {
  switch (attr.type) {
    case 'Set':
      return { type: 'Set', element: cedarType(attr.element, common) }
    case 'Record': {
      common.set(attr.name, recordType(attr, common))
      return { type: attr.name }
    }
    default:
      return { type: attr.type }
  }
}

function recordType(attr: AnyRecord, common: Map<string, Type<string>>): Type<string> {
  const attributes = Object.fromEntries(Object.entries(attr.attributes).map(([k, a]) => [k, cedarType(a, common)]))
  return { type: 'Record', attributes }
}

/**
 * The validator's schema. Actions are tool names, open-ended: the schema declares the ones the
 * policies mention (each with the same context), or one placeholder when they mention none, so
 * that unconstrained policies are still checked against the context.
 */
export function cedarSchema(actions: readonly string[]): SchemaJson<string> {
  const common = new Map<string, Type<string>>()
  const context = cedarType(CONTEXT as AnyRecord, common)
  const appliesTo = { principalTypes: [PRINCIPAL.name], resourceTypes: [RESOURCE.name], context }
  const names = actions.length > 0 ? actions : ['any tool']
  return {
    '': {
      commonTypes: Object.fromEntries(common),
      entityTypes: {
        [PRINCIPAL.name]: { shape: recordType(PRINCIPAL as AnyRecord, common) },
        [RESOURCE.name]: { shape: recordType(RESOURCE as AnyRecord, common) },
      },
      actions: Object.fromEntries(names.map((name) => [name, { appliesTo }])),
    },
  }
}

/** The value an attribute takes when an inline test leaves it out. */
export function defaultOf(attr: Attr): unknown {
  switch (attr.type) {
    case 'String':
    case 'Long':
      return attr.fallback
    case 'Boolean':
      return false
    case 'Set':
      return []
    case 'Record':
      return Object.fromEntries(Object.entries(attr.attributes).map(([k, a]) => [k, defaultOf(a)]))
  }
}

function typeName(attr: Attr): string {
  if (attr.type === 'Set') return `Set<${typeName(attr.element)}>`
  return attr.type === 'Record' ? attr.name : attr.type
}

function rows(prefix: string, attr: AnyRecord): string[] {
  return Object.entries(attr.attributes).map(([key, a]) => `| \`${prefix}${key}\` | \`${typeName(a)}\` | ${a.doc} |`)
}

/** The attribute tables of docs/decisions.md ("## Cedar policies"), checked by a test. */
export function attributeTables(): string {
  const table = (title: string, lines: string[]) => [title, '', '| Attribute | Cedar type | Meaning |', '| --- | --- | --- |', ...lines, ''].join('\n')
  return [
    table(`The principal, \`${PRINCIPAL.doc}\`:`, rows('principal.', PRINCIPAL as AnyRecord)),
    table(`The resource, \`${RESOURCE.doc}\`:`, rows('resource.', RESOURCE as AnyRecord)),
    table('The context, the privilege path of the task:', rows('context.', CONTEXT as AnyRecord)),
    table('`Credential` records (`context.credential`, `context.live_credentials`):', rows('', CREDENTIAL as AnyRecord)),
    table('`Argument` records (`context.arguments`):', rows('', ARGUMENT as AnyRecord)),
  ].join('\n')
}
