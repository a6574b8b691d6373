/**
 * The simulated fleet's plumbing: one OTLP exporter per tenant (each with that tenant's key when
 * given, as separate deployments would have) and a recording API bound to it. Everything goes
 * through @privpath/sdk and the real OpenTelemetry exporter, exactly as an agent would send it.
 */
import { context, type Tracer } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { createPrivpath, createPrivpathTracerProvider, type Privpath, type PrivpathExport, type TaskHandle } from '@privpath/sdk'

export interface FleetOptions {
  endpoint: string
  tenants: string[]
  /** Key per tenant; a tenant without one uses `apiKey` (or none). */
  tenantKeys: Record<string, string>
  apiKey?: string
}

/** The recording API as the demo's agents use it: every task body is async. */
export type DemoAgents = Omit<Privpath, 'startTask'> & {
  startTask<T>(options: Parameters<Privpath['startTask']>[0], fn: (task: TaskHandle) => Promise<T>): Promise<T>
}

export interface Fleet {
  /**
   * The recording API for agents of `tenant`, optionally with content capture on, or exporting
   * through the deployment's key (`apiKey`) instead of the tenant's own, as a shared service
   * reporting for several tenants would.
   */
  agents(tenant: string, options?: { captureContent?: boolean; deploymentKey?: boolean }): DemoAgents
  /** A plain OpenTelemetry tracer exporting as the tenant's agents do: for what the SDK never records, such as a wrong host clock. */
  tracer(tenant: string): Tracer
  /** Export everything recorded so far. */
  flush(): Promise<void>
  shutdown(): Promise<void>
}

let contextManager: AsyncLocalStorageContextManager | undefined

/** Tasks, tool calls and delegations nest through the active context, which needs a context manager. */
function ensureContextManager(): void {
  if (contextManager !== undefined) return
  contextManager = new AsyncLocalStorageContextManager().enable()
  if (!context.setGlobalContextManager(contextManager)) {
    // Another one (the host's OpenTelemetry SDK) is registered already and does the same job.
    contextManager.disable()
  }
}

/**
 * Sends a task's steps before its root span ends. The collector places a request's parent spans
 * before their children (collector/correlate), so a task root exported in the same request as
 * its steps would publish task_end ahead of them, and task-end rules would run on an empty task.
 * Long tasks export their steps as they go anyway; the demo's tasks last milliseconds.
 */
function stepsBeforeEnd(privpath: Privpath, flush: () => Promise<void>): DemoAgents {
  return {
    ...privpath,
    startTask: (options, fn) =>
      privpath.startTask(options, async (task) => {
        const result = await fn(task)
        await flush()
        return result
      }),
  }
}

export async function createFleet(options: FleetOptions): Promise<Fleet> {
  ensureContextManager()
  const exports = new Map<string, PrivpathExport>()
  const keyOf = (tenant: string, deploymentKey = false) => (deploymentKey ? `${tenant}\u0000deployment` : tenant)
  const exporter = (tenant: string, apiKey: string | undefined) =>
    createPrivpathTracerProvider({ endpoint: options.endpoint, apiKey, serviceName: `privpath-demo-${tenant}`, tenantId: tenant })
  for (const tenant of options.tenants) {
    const own = await exporter(tenant, options.tenantKeys[tenant] ?? options.apiKey)
    exports.set(keyOf(tenant), own)
    // a tenant without a key of its own already sends with the deployment's (or none)
    if (options.tenantKeys[tenant] === undefined) exports.set(keyOf(tenant, true), own)
    else if (options.apiKey !== undefined) exports.set(keyOf(tenant, true), await exporter(tenant, options.apiKey))
  }
  const plain = new Map<string, DemoAgents>()
  const capturing = new Map<string, DemoAgents>()
  const exportOf = (tenant: string, deploymentKey = false): PrivpathExport => {
    const exported = exports.get(keyOf(tenant, deploymentKey))
    if (exported === undefined) throw new Error(`demo fleet has no ${deploymentKey ? 'deployment key for ' : ''}tenant ${tenant}`)
    return exported
  }
  return {
    tracer: (tenant) => exportOf(tenant).tracerProvider.getTracer('privpath-demo'),
    agents(tenant, agentOptions = {}) {
      const key = keyOf(tenant, agentOptions.deploymentKey === true)
      const exported = exportOf(tenant, agentOptions.deploymentKey === true)
      const cache = agentOptions.captureContent === true ? capturing : plain
      let privpath = cache.get(key)
      if (privpath === undefined) {
        privpath = stepsBeforeEnd(
          createPrivpath({ tracerProvider: exported.tracerProvider, captureContent: agentOptions.captureContent === true }),
          () => exported.flush(),
        )
        cache.set(key, privpath)
      }
      return privpath
    },
    async flush() {
      await Promise.all([...new Set(exports.values())].map((exported) => exported.flush()))
    },
    async shutdown() {
      await Promise.all([...new Set(exports.values())].map((exported) => exported.shutdown()))
    },
  }
}
