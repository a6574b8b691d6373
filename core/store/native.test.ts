import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PrivpathEvent } from '../event.js'
import { readNative } from '../../testkit/native.js'
import { DB, makeEvent, openTestStore, type TestStore } from '../../testkit/store.js'
import { ByteWriter, RowEncodingError } from './bytes.js'
import { EventBlock } from './event-block.js'
import { nativeBlock } from './native.js'
import { EVENT_INSERT_COLUMNS, EVENT_SELECT, eventToCompactRow, eventToRow, rowToEvent } from './rows.js'

/** The values of a one-column block of `type` written by `write`. */
function column(type: string, rows: number, write: (writer: ByteWriter) => void): unknown[] {
  const writer = new ByteWriter(16)
  write(writer)
  return readNative(nativeBlock([{ name: 'c', type, writers: [writer] }], rows)).rows.map(([value]) => value)
}

describe('ByteWriter', () => {
  it('writes strings of any length and script with their UTF-8 byte length', () => {
    const values = [
      '',
      'a',
      'a'.repeat(42),
      'a'.repeat(43),
      'é'.repeat(42), // short in units, 84 bytes
      'a'.repeat(41) + '🙂', // 43 units with a surrogate pair
      'x'.repeat(127),
      'x'.repeat(128),
      'a'.repeat(100) + 'é'.repeat(27), // 127 units, 154 bytes: a two-byte length
      'é'.repeat(127),
      'ü'.repeat(8_192), // 16,384 bytes: a three-byte length
      '日本語\n\t"\\\u0000 mixed '.repeat(5_000),
    ]
    expect(column('String', values.length, (writer) => values.forEach((value) => writer.string(value, 'c')))).toEqual(values)
  })

  it('writes a lone surrogate as U+FFFD, as any UTF-8 encoder does', () => {
    const read = column('String', 2, (writer) => {
      writer.string('cut \ud83d', 'c')
      writer.string('x'.repeat(50) + '\udc00', 'c')
    })
    expect(read).toEqual(['cut \ufffd', 'x'.repeat(50) + '\ufffd'])
  })

  it('writes Int64 ticks before 1970 and far after', () => {
    const ticks = [0, 1, -1, 1_700_000_000_123_456, -2_208_988_800_000_000, 2 ** 53 - 1, -(2 ** 53) + 1]
    expect(column("DateTime64(6, 'UTC')", ticks.length, (writer) => ticks.forEach((t) => writer.int64(t)))).toEqual(ticks)
  })

  it('refuses a value of the wrong type, naming the column', () => {
    const writer = new ByteWriter()
    expect(() => writer.uint32(-1, 'seq')).toThrow(new RowEncodingError('seq is not a UInt32: -1'))
    expect(() => writer.uint32(2 ** 32, 'seq')).toThrow(RowEncodingError)
    expect(() => writer.string(7 as unknown as string, 'tool_name')).toThrow('tool_name is not a string: number')
  })
})

describe('EventBlock', () => {
  it('starts over after reset: the next block holds only the rows added since', () => {
    const block = new EventBlock()
    const row = (e: PrivpathEvent) => EVENT_INSERT_COLUMNS.map((c) => (eventToRow(e) as unknown as Record<string, unknown>)[c])
    const first = makeEvent({ kind: 'prompt', task_id: 'a', flags: ['orphan'], credential_scopes: ['s', 't'], attributes: { k: 'v' }, requested_calls: [{ call_id: 'c', name: 'n', arguments: '{}' }] })
    const second = makeEvent({ kind: 'prompt', task_id: 'b', flags: ['late_parent'], attributes: { x: 'y' } })
    block.add(first)
    expect(readNative(block.finish()).rows).toEqual([row(first)])
    block.reset()
    block.add(second)
    expect(block.rows).toBe(1)
    expect(readNative(block.finish()).rows).toEqual([row(second)])
  })

  it('refuses an event with a value of the wrong type, naming the field, and keeps nothing of it', () => {
    const block = new EventBlock()
    const good = [makeEvent({ kind: 'prompt', task_id: 'a', credential_scopes: ['s'], attributes: { k: 'v' } }), makeEvent({ kind: 'prompt', task_id: 'b', flags: ['orphan'] })]
    block.add(good[0])
    // Each fails after earlier columns, arrays and maps of the row were written.
    const bad: Array<[Partial<PrivpathEvent>, string]> = [
      [{ seq: -1 }, 'seq is not a UInt32: -1'],
      [{ content: 5 as unknown as string }, 'content is not a string: number'],
      [{ flags: 'orphan' as unknown as string[] }, 'flags is not an array: string'],
      [{ attributes: null as unknown as Record<string, string> }, 'attributes is not an object: null'],
      [{ attributes: { k: 1 as unknown as string } }, 'attributes is not a string: number'],
      [{ requested_calls: [{ call_id: 'c', name: 'n', arguments: null as unknown as string }] }, 'requested_calls.arguments is not a string: object'],
      [{ ts: Number.NaN }, 'ts is not a finite time: NaN'],
    ]
    for (const [fields, message] of bad) {
      expect(() => block.add({ ...makeEvent({ kind: 'prompt', task_id: 'bad', credential_scopes: ['x', 'y'], attributes: { a: 'b' } }), ...fields })).toThrow(new RowEncodingError(message))
    }
    block.add(good[1])
    expect(block.rows).toBe(2)
    const read = readNative(block.finish())
    expect(read.rows).toEqual(good.map((e) => EVENT_INSERT_COLUMNS.map((c) => (eventToRow(e) as unknown as Record<string, unknown>)[c])))
  })
})

/** Every column holding something: several entries per array, a map, a time, unicode, long and quoted text. */
function fullEvent(overrides: Partial<PrivpathEvent> = {}): PrivpathEvent {
  const now = Math.floor(Date.now())
  const long = 'line 1\nline 2\ttab \\ backslash "quoted" ünïcode 🙂 日本語 \u0000 nul\r\n'.repeat(3_000)
  return makeEvent({
    kind: 'credential_used',
    task_id: 'rt-full',
    ts: now + 0.457,
    seq: 4_000_000_000,
    observed_at: now + 7,
    domain: 'acme',
    parent_span_id: 'parent-1',
    agent_id: 'agent-é',
    agent_name: 'Agent "one"',
    workload_id: 'wl',
    user_id: 'user\n1',
    source: 'gen_ai',
    name: 'a'.repeat(42) + 'é',
    tool_name: 'é'.repeat(43),
    tool_call_id: 'call-1',
    tool_arguments: '{"sql":"select \'x\'\\n\\t"}',
    tool_result: long,
    requested_calls: [
      { call_id: 'c1', name: 'db.query', arguments: '{"q":"ü"}' },
      { call_id: '', name: '', arguments: '' },
    ],
    target_resource: 'postgres://db/ü',
    target_tenant: 'globex',
    credential_id: 'cred-1',
    credential_type: 'oauth',
    credential_issuer: 'idp',
    credential_subject: 'sub',
    credential_scopes: ['read:db', '', 'write:ü'],
    credential_expires_at: now + 900_001,
    credential_task_id: 'rt-full',
    authz_result: 'deny',
    authz_policy: 'policy-1',
    authz_engine: 'opa',
    authz_action: 'write',
    authz_resource: 'db/ü',
    delegate_agent_id: 'agent-2',
    delegate_agent_name: 'Agent two',
    delegated_scopes: ['read:db'],
    approval_result: 'granted',
    approval_approver: 'alice',
    approval_action: 'deploy',
    content: long + 'paragraph\n\nparagraph\n\n\nend',
    status: 'error',
    error: 'denied: "no"',
    flags: ['secret_redacted', 'clock_skew'],
    attributes: { 'gen_ai.system': 'openai', 'weird key\n': 'value\twith "quotes"', 'ключ': '値', empty: '' },
    ...overrides,
  })
}

describe('the Native insert path', () => {
  let store: TestStore
  beforeAll(async () => {
    store = await openTestStore('privpath-native-')
    await store.client.command({ query: `CREATE TABLE ${DB}.events_json AS ${DB}.events` })
  })
  afterAll(() => store.destroy())

  const columns = EVENT_INSERT_COLUMNS.join(', ')
  const insert = async (table: string, format: string, body: Buffer) =>
    (await store.client.exec({ query: `INSERT INTO ${DB}.${table}${format === 'Native' ? '' : ` (${columns})`} FORMAT ${format}`, values: Readable.from([body]) })).stream.destroy()
  const native = (events: PrivpathEvent[]) => {
    const block = new EventBlock()
    for (const e of events) block.add(e)
    return block.finish()
  }
  const select = async (query: string) => (await store.client.query({ query, format: 'JSONEachRow' })).json<Record<string, unknown>>()

  const events = [
    fullEvent(),
    // seq 2570 is the bytes 0a 0a 00 00: an empty line, which would end a body sent inline.
    fullEvent({ task_id: 'rt-sparse', kind: 'prompt', seq: 2570, requested_calls: [], credential_scopes: [], delegated_scopes: [], flags: [], attributes: {}, credential_expires_at: null, content: '', tool_result: '' }),
    makeEvent({ kind: 'other', task_id: 'rt-empty', ts: Math.floor(Date.now()), credential_expires_at: null }),
  ]

  it('holds eventToRow’s values in insert column order, in the columns’ types (LowCardinality ones as String)', async () => {
    const described = await select(`DESCRIBE TABLE ${DB}.events`)
    const types = new Map(described.map((c) => [c.name as string, (c.type as string).replace(/\s+/g, ' ').replace('( ', '(').replace(/^LowCardinality\((.*)\)$/, '$1')]))
    const read = readNative(native(events))
    expect(read.columns).toEqual(EVENT_INSERT_COLUMNS.map((name) => ({ name, type: types.get(name) })))
    expect(read.rows).toEqual(events.map((e) => EVENT_INSERT_COLUMNS.map((c) => (eventToRow(e) as unknown as Record<string, unknown>)[c])))
  })

  it('stores every column exactly as the JSON path does, and reads back the events it was given', async () => {
    await insert('events', 'Native', native(events))
    await insert('events_json', 'JSONCompactEachRow', Buffer.from(events.map((e) => eventToCompactRow(e) + '\n').join('')))
    // Byte for byte: a hash of every column, then the values themselves.
    const hashes = (table: string) => select(`SELECT event_id, toString(cityHash64(*)) AS hash FROM ${DB}.${table} ORDER BY event_id`)
    expect(await hashes('events')).toEqual(await hashes('events_json'))
    expect(await hashes('events')).toHaveLength(events.length)
    const rows = (table: string) => select(`SELECT * FROM ${DB}.${table} ORDER BY event_id`)
    expect(await rows('events')).toEqual(await rows('events_json'))
    const stored = (await select(`SELECT ${EVENT_SELECT} FROM ${DB}.events ORDER BY event_id`)).map(rowToEvent)
    expect(stored).toEqual([...events].sort((a, b) => (a.event_id < b.event_id ? -1 : 1)))
  })

  it('stores text cut inside a surrogate pair, which the JSON path cannot', async () => {
    const cut = fullEvent({ task_id: 'rt-cut', content: 'emoji cut here \ud83d' })
    await insert('events', 'Native', native([cut]))
    const [stored] = (await select(`SELECT ${EVENT_SELECT} FROM ${DB}.events WHERE task_id = 'rt-cut'`)).map(rowToEvent)
    expect(stored).toEqual({ ...cut, content: 'emoji cut here \ufffd' })
    await expect(insert('events_json', 'JSONCompactEachRow', Buffer.from(eventToCompactRow(cut) + '\n'))).rejects.toMatchObject({ code: '25' })
  })
})
