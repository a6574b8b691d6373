/**
 * The HTTP surface, described twice: `/openapi.json` for machines, docs/api.md for people. A
 * process with every role serves the document; @fastify/swagger collects it from the server
 * root before any route is registered, so its paths are every route the process serves.
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ASSET_PREFIX, PAGE_ROUTES } from '../console/index.js'
import { getJson, startTestApp, type TestApp } from '../testkit/app.js'

interface Parameter {
  name: string
  in: string
  required?: boolean
  schema: Record<string, unknown>
}
interface Operation {
  summary?: string
  tags?: string[]
  security?: Array<Record<string, string[]>>
  parameters?: Parameter[]
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> }
  responses: Record<string, { description: string; content?: Record<string, { schema: Record<string, unknown> }> }>
}
interface Document {
  openapi: string
  info: { title: string; version: string }
  tags: Array<{ name: string }>
  components: { securitySchemes: Record<string, unknown> }
  security: Array<Record<string, string[]>>
  paths: Record<string, Record<string, Operation>>
}

let t: TestApp
let doc: Document

beforeAll(async () => {
  t = await startTestApp({ roles: ['collector', 'writer', 'detector', 'delivery', 'api'], auth: { tenant_keys: ['acme:acme-key', '*:admin-key'] } })
  const res = await getJson<Document>(`${t.app.url}/openapi.json`)
  expect(res.status).toBe(200)
  doc = res.body
})

afterAll(async () => {
  await t?.app.stop()
})

/** `GET /api/tasks/:id`, as fastify and docs/api.md spell routes. */
function routes(document: Document): string[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.keys(item).map((method) => `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, (_, name: string) => (name === '*' ? '*' : `:${name}`))}`),
  )
}

const operation = (method: string, path: string): Operation => doc.paths[path]?.[method] as Operation
const names = (op: Operation, where: string) => (op.parameters ?? []).filter((p) => p.in === where).map((p) => p.name)

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.0 document, served without a key', async () => {
    expect((await getJson(`${t.app.url}/api/tasks`)).status).toBe(401)
    expect(doc.openapi).toMatch(/^3\.0\.\d+$/)
    expect(doc.info).toMatchObject({ title: 'privpath', version: expect.stringMatching(/^\d+\.\d+\.\d+/) })
    const tags = new Set(doc.tags.map((tag) => tag.name))
    for (const [path, item] of Object.entries(doc.paths)) {
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1])
      for (const [method, op] of Object.entries(item)) {
        const where = `${method} ${path}`
        expect(['get', 'post'], where).toContain(method)
        expect(Object.keys(op.responses).length, where).toBeGreaterThan(0)
        for (const response of Object.values(op.responses)) expect(typeof response.description, where).toBe('string')
        for (const parameter of op.parameters ?? []) {
          expect(['query', 'header', 'path'], where).toContain(parameter.in)
          expect(typeof parameter.schema, where).toBe('object')
        }
        expect(names(op, 'path').sort(), where).toEqual([...templated].sort())
        for (const tag of op.tags ?? []) expect(tags, where).toContain(tag)
        for (const requirement of op.security ?? doc.security) {
          for (const scheme of Object.keys(requirement)) expect(doc.components.securitySchemes, where).toHaveProperty(scheme)
        }
      }
    }
  })

  it('lists every API route of every role with its parameters, and not the console\'s pages', () => {
    expect(routes(doc).sort()).toEqual(
      [
        'GET /openapi.json',
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
        'POST /v1/traces',
        'POST /v1/logs',
        'POST /v1/opa/logs',
        'GET /api/deliveries',
        'POST /api/deliveries/redeliver',
        'GET /api/tasks',
        'GET /api/tasks/:id',
        'GET /api/credentials/:id',
        'GET /api/alerts',
        'GET /api/rules',
        'POST /access/v1/evaluation',
        'POST /access/v1/evaluations',
        'GET /.well-known/authzen-configuration',
      ].sort(),
    )
    expect(names(operation('get', '/api/tasks'), 'query')).toEqual(['tenant', 'since', 'until', 'limit', 'has_alerts'])
    expect(names(operation('get', '/api/tasks/{id}'), 'query')).toEqual(['tenant'])
    expect(names(operation('get', '/api/alerts'), 'query')).toEqual(['tenant', 'since', 'until', 'rule', 'task', 'severity', 'category', 'limit'])
    expect(names(operation('get', '/api/deliveries'), 'query')).toEqual(['sink', 'limit'])
    expect(operation('get', '/api/alerts').parameters?.find((p) => p.name === 'severity')?.schema).toEqual({
      enum: ['info', 'low', 'medium', 'high', 'critical'],
    })
    const redeliver = operation('post', '/api/deliveries/redeliver').requestBody?.content['application/json'].schema
    expect(Object.keys(redeliver?.properties as object)).toEqual(['sink', 'id'])
  })

  it("shows /api/tasks' limit with its bounds and default, as optional", () => {
    const limit = operation('get', '/api/tasks').parameters?.find((p) => p.name === 'limit')
    expect(limit).toMatchObject({ in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 10_000, default: 100 } })
  })

  it('describes the OTLP bodies in both encodings, and the answers', () => {
    for (const path of ['/v1/traces', '/v1/logs']) {
      const otlp = operation('post', path)
      expect(otlp.tags).toEqual(['ingest'])
      expect(otlp.requestBody?.content['application/x-protobuf'].schema).toMatchObject({ type: 'string', format: 'binary' })
      expect(otlp.requestBody?.content['application/json'].schema).toMatchObject({ type: 'object' })
      expect(Object.keys(otlp.responses)).toEqual(['200', '400', '401', '413', '415', '429', '503'])
    }
  })

  it('describes the OPA decision-log upload and its answers', () => {
    const opa = operation('post', '/v1/opa/logs')
    expect(opa.tags).toEqual(['ingest'])
    expect(opa.requestBody?.content['application/json'].schema).toMatchObject({ type: 'array', items: { required: ['decision_id', 'timestamp'] } })
    expect(Object.keys(opa.responses)).toEqual(['200', '400', '401', '413', '415', '429', '503'])
    expect(opa.responses['200'].content?.['application/json'].schema).toMatchObject({ properties: { accepted: { type: 'integer' } } })
    expect(opa.responses['400'].content?.['application/json'].schema).toMatchObject({ required: ['code', 'message'] })
  })

  it('marks which routes need no key', () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json']) expect(operation('get', path).security, path).toEqual([])
    expect(doc.security).toEqual([{ tenantKey: [] }, {}])
    expect(operation('get', '/api/tasks').security).toBeUndefined()
  })

  it('gives every query API answer its schema and its errors', () => {
    const answers: Record<string, string[]> = {
      '/api/tasks': ['200', '400', '401', '500'],
      '/api/tasks/{id}': ['200', '400', '401', '404', '500'],
      '/api/credentials/{id}': ['200', '400', '401', '404', '500'],
      '/api/alerts': ['200', '400', '401', '500'],
      '/api/rules': ['200', '401', '500'],
    }
    for (const [path, statuses] of Object.entries(answers)) {
      const op = operation('get', path)
      expect(Object.keys(op.responses), path).toEqual(statuses)
      expect(op.responses['200'].content?.['application/json'].schema, path).toMatchObject({ type: 'object', required: expect.any(Array) })
      expect(op.responses['401'].content?.['application/json'].schema, path).toMatchObject({ required: ['code', 'message'] })
    }
  })
})

describe('docs/api.md', () => {
  const markdown = readFileSync(new URL('../docs/api.md', import.meta.url), 'utf8')
  const documented = [...markdown.matchAll(/^\| `((?:GET|POST) \/\S*)` \|/gm)].map((m) => m[1])
  // The API routes, and the console's pages, which the OpenAPI document leaves out.
  const served = () => [...routes(doc), ...PAGE_ROUTES.map((route) => `GET ${route}`), `GET ${ASSET_PREFIX}:file`]

  it('names every route a process with every role serves in its route table', () => {
    for (const route of served()) expect(documented, `${route} missing from the route table of docs/api.md`).toContain(route)
  })

  it('names no route that is not served', () => {
    for (const route of documented) expect(served(), `${route} is in docs/api.md but not served`).toContain(route)
  })

  it('points at /openapi.json as the machine-readable reference', () => {
    expect(markdown).toMatch(/Machine-readable reference:\*\* every process serves its own OpenAPI 3 document at\s+`GET \/openapi\.json`/)
  })
})

describe('ids in paths', () => {
  it('are bounded by the route schema and answered with privpath\'s own 400, not fastify\'s 414', async () => {
    const long = await getJson(`${t.app.url}/api/tasks/${'t'.repeat(600)}`, 'admin-key')
    expect(long.status).toBe(400)
    expect(long.body).toEqual({ code: 'PP_ERR_BAD_REQUEST', message: 'params/id must NOT have more than 512 characters' })
    // a conversation id well past fastify's default 100 characters is still an id like any other
    expect((await getJson(`${t.app.url}/api/tasks/${'c'.repeat(300)}`, 'admin-key')).status).toBe(404)
  })
})
