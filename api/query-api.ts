/** The query API plugin: routes, their schemas, and the caller's tenant scope (see index.ts). */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import Type from 'typebox'
import { SEVERITIES } from '../core/alert.js'
import { readScope, type Authenticator, type Caller } from '../core/auth.js'
import { httpErrors } from '../core/http-errors.js'
import { PrivpathError } from '../core/errors.js'
import { parseTime } from './time.js'
import { strictValidation } from './validation.js'


export interface Scope {
  /** The tenant the caller may read, or '*' for every tenant. */
  tenant: string
}

export interface TaskListParams {
  tenant?: string
  since?: number
  until?: number
  limit: number
  has_alerts?: boolean
}

export interface AlertListParams {
  tenant?: string
  since?: number
  until?: number
  rule?: string
  task?: string
  severity?: string
  limit: number
}

export interface ApiQueries {
  listTasks(params: TaskListParams, scope: Scope): Promise<unknown[]>
  /** `tenant` picks among several tenants' tasks of one id (admin callers). */
  getTask(id: string, scope: Scope, tenant?: string): Promise<unknown | undefined>
  getCredential(id: string, scope: Scope): Promise<unknown | undefined>
  listAlerts(params: AlertListParams, scope: Scope): Promise<unknown[]>
  /** Loaded rules with their hit counts in the caller's scope; absent: no /api/rules. */
  listRules?(scope: Scope): Promise<unknown[]>
}

export interface ApiOptions {
  queries: ApiQueries
  auth: Authenticator
}

const Limit = Type.Integer({ minimum: 1, maximum: 10_000, default: 100 })
const Time = Type.String({ maxLength: 40 })
const TaskListQuery = Type.Object(
  {
    tenant: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    since: Type.Optional(Time),
    until: Type.Optional(Time),
    limit: Limit,
    has_alerts: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
const AlertListQuery = Type.Object(
  {
    tenant: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    since: Type.Optional(Time),
    until: Type.Optional(Time),
    rule: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    task: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    severity: Type.Optional(Type.Enum(SEVERITIES)),
    limit: Limit,
  },
  { additionalProperties: false },
)
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 512 }) })
const TaskQuery = Type.Object({ tenant: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })) }, { additionalProperties: false })

export function queryApi(options: ApiOptions) {
  const callers = new WeakMap<FastifyRequest, Caller>()
  const scopeOf = (request: FastifyRequest): Scope => readScope(callers.get(request) ?? { tenant: '', authenticated: false })

  return async function api(base: FastifyInstance): Promise<void> {
    const app = base.withTypeProvider<TypeBoxTypeProvider>()
    httpErrors(app, { what: 'API request' })

    const queries = options.queries
    await app.register(async (scoped) => {
      strictValidation(scoped)
      const api = scoped.withTypeProvider<TypeBoxTypeProvider>()
      api.addHook('onRequest', async (request) => {
        callers.set(request, options.auth.authenticate(request.headers.authorization))
      })

      api.get('/api/tasks', { schema: { querystring: TaskListQuery } }, async (request) => {
        const q = request.query
        const params: TaskListParams = {
          tenant: q.tenant,
          since: parseTime('since', q.since),
          until: parseTime('until', q.until),
          limit: q.limit,
          has_alerts: q.has_alerts,
        }
        return { tasks: await queries.listTasks(params, scopeOf(request)) }
      })

      api.get('/api/tasks/:id', { schema: { params: IdParams, querystring: TaskQuery } }, async (request) => {
        const task = await queries.getTask(request.params.id, scopeOf(request), request.query.tenant)
        if (task === undefined) throw new PrivpathError('PP_ERR_NOT_FOUND', `task ${request.params.id} not found`)
        return task
      })

      api.get('/api/credentials/:id', { schema: { params: IdParams } }, async (request) => {
        const credential = await queries.getCredential(request.params.id, scopeOf(request))
        if (credential === undefined) throw new PrivpathError('PP_ERR_NOT_FOUND', `credential ${request.params.id} not found`)
        return credential
      })

      api.get('/api/alerts', { schema: { querystring: AlertListQuery } }, async (request) => {
        const q = request.query
        const params: AlertListParams = {
          tenant: q.tenant,
          since: parseTime('since', q.since),
          until: parseTime('until', q.until),
          rule: q.rule,
          task: q.task,
          severity: q.severity,
          limit: q.limit,
        }
        return { alerts: await queries.listAlerts(params, scopeOf(request)) }
      })

      const listRules = queries.listRules?.bind(queries)
      if (listRules) api.get('/api/rules', async (request) => ({ rules: await listRules(scopeOf(request)) }))
    })
  }
}
