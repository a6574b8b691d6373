/** The query API plugin: routes, their schemas, and the caller's tenant scope (see index.ts). */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Alert, AlertCategory, Severity } from '../core/alert.js'
import { readScope, type Authenticator, type Caller } from '../core/auth.js'
import { errorReply, httpErrors } from '../core/http-errors.js'
import { PrivpathError } from '../core/errors.js'
import {
  AlertListQuery,
  AlertListSchema,
  CredentialLifecycleSchema,
  idParams,
  RuleListSchema,
  TaskDetailSchema,
  TaskListQuery,
  TaskListSchema,
  TaskQuery,
  type CredentialLifecycle,
  type RuleStatusRow,
  type TaskDetail,
  type TaskSummary,
} from './schemas.js'
import { parseTime } from './time.js'
import { strictValidation } from '../core/http-validation.js'


export interface Scope {
  /** The tenant the caller may read, or '*' for every tenant. */
  tenant: string
}

export interface TaskListParams {
  tenant?: string
  since?: number
  until?: number
  /** The schema's default (100) when the caller gives none. */
  limit?: number
  has_alerts?: boolean
}

export interface AlertListParams {
  tenant?: string
  since?: number
  until?: number
  rule?: string
  task?: string
  severity?: Severity
  category?: AlertCategory
  /** The schema's default (100) when the caller gives none. */
  limit?: number
}

export interface ApiQueries {
  listTasks(params: TaskListParams, scope: Scope): Promise<TaskSummary[]>
  /** `tenant` picks among several tenants' tasks of one id (admin callers). */
  getTask(id: string, scope: Scope, tenant?: string): Promise<TaskDetail | undefined>
  getCredential(id: string, scope: Scope): Promise<CredentialLifecycle | undefined>
  listAlerts(params: AlertListParams, scope: Scope): Promise<Alert[]>
  /** Loaded rules with their hit counts in the caller's scope; absent: no /api/rules. */
  listRules?(scope: Scope): Promise<RuleStatusRow[]>
}

export interface ApiOptions {
  queries: ApiQueries
  auth: Authenticator
}

const TAGS = ['query']
const BAD_REQUEST = { 400: errorReply('A parameter is invalid or unknown (PP_ERR_BAD_REQUEST); the message names it') }
const UNAUTHORIZED = { 401: errorReply('Tenant keys are configured and the request has none, or an unknown one (PP_ERR_UNAUTHORIZED)') }
const NOT_FOUND = { 404: errorReply("Not in the caller's tenant scope (PP_ERR_NOT_FOUND)") }
const INTERNAL = { 500: errorReply('An unexpected failure, such as the store not answering (PP_ERR_INTERNAL); details in the server log') }

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

      api.get(
        '/api/tasks',
        {
          schema: {
            summary: 'Tasks, newest first, with counts by kind and alert counts',
            tags: TAGS,
            querystring: TaskListQuery,
            response: { 200: TaskListSchema, ...BAD_REQUEST, ...UNAUTHORIZED, ...INTERNAL },
          },
        },
        async (request) => {
          const q = request.query
          const params: TaskListParams = {
            tenant: q.tenant,
            since: parseTime('since', q.since),
            until: parseTime('until', q.until),
            limit: q.limit,
            has_alerts: q.has_alerts,
          }
          return { tasks: await queries.listTasks(params, scopeOf(request)) }
        },
      )

      api.get(
        '/api/tasks/:id',
        {
          schema: {
            summary: 'One task and its events',
            tags: TAGS,
            params: idParams('Task id'),
            querystring: TaskQuery,
            response: { 200: TaskDetailSchema, ...BAD_REQUEST, ...UNAUTHORIZED, ...NOT_FOUND, ...INTERNAL },
          },
        },
        async (request) => {
          const task = await queries.getTask(request.params.id, scopeOf(request), request.query.tenant)
          if (task === undefined) throw new PrivpathError('PP_ERR_NOT_FOUND', `task ${request.params.id} not found`)
          return task
        },
      )

      api.get(
        '/api/credentials/:id',
        {
          schema: {
            summary: "A credential's lifecycle: issuance, the tasks that used it, revocation",
            tags: TAGS,
            params: idParams('Credential id'),
            response: { 200: CredentialLifecycleSchema, ...BAD_REQUEST, ...UNAUTHORIZED, ...NOT_FOUND, ...INTERNAL },
          },
        },
        async (request) => {
          const credential = await queries.getCredential(request.params.id, scopeOf(request))
          if (credential === undefined) throw new PrivpathError('PP_ERR_NOT_FOUND', `credential ${request.params.id} not found`)
          return credential
        },
      )

      api.get(
        '/api/alerts',
        {
          schema: {
            summary: 'Alerts, newest activity first',
            tags: TAGS,
            querystring: AlertListQuery,
            response: { 200: AlertListSchema, ...BAD_REQUEST, ...UNAUTHORIZED, ...INTERNAL },
          },
        },
        async (request) => {
          const q = request.query
          const params: AlertListParams = {
            tenant: q.tenant,
            since: parseTime('since', q.since),
            until: parseTime('until', q.until),
            rule: q.rule,
            task: q.task,
            severity: q.severity,
            category: q.category,
            limit: q.limit,
          }
          return { alerts: await queries.listAlerts(params, scopeOf(request)) }
        },
      )

      const listRules = queries.listRules?.bind(queries)
      if (listRules) {
        api.get(
          '/api/rules',
          {
            schema: {
              summary: 'The loaded rules, each with the alerts it raised in the caller’s scope',
              tags: TAGS,
              response: { 200: RuleListSchema, ...UNAUTHORIZED, ...INTERNAL },
            },
          },
          async (request) => ({ rules: await listRules(scopeOf(request)) }),
        )
      }
    })
  }
}
