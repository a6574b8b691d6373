/**
 * One-call export to privpath over OTLP/HTTP protobuf. The OpenTelemetry SDK packages are optional
 * peers loaded on demand, so code that only records (the rest of this package) depends on
 * `@opentelemetry/api` alone. Spans batch, except those a decision may depend on: they are
 * exported as they end, so privpath's wait for them before deciding stays short.
 */
import type { Attributes, TracerProvider } from '@opentelemetry/api'
import { ATTR_TENANT_ID } from './attributes.js'
import type { DecisionOptions } from './decision.js'
import { ExportOnEndSpanProcessor } from './export-on-end.js'
import { TaskAttributesSpanProcessor } from './processor.js'
import { configure } from './privpath.js'
import { requireText } from './validate.js'

export interface ExportOptions {
  /**
   * privpath's OTLP/HTTP base URL, e.g. `http://localhost:4318` (`/v1/traces` is appended unless
   * present); setupPrivpath also asks for decisions there.
   */
  endpoint: string
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string
  serviceName: string
  /** The tenant this service runs for, as the resource attribute `tenant.id`. */
  tenantId?: string
  /** More resource attributes, e.g. `{ 'agent.workload.id': 'spiffe://...' }`. */
  resourceAttributes?: Attributes
}

export interface SetupOptions extends ExportOptions {
  /** Applied to the default instance (`configure({ captureContent })`). */
  captureContent?: boolean
}

export interface PrivpathExport {
  tracerProvider: TracerProvider
  /** Export every finished span now. */
  flush(): Promise<void>
  /** Flush, then stop exporting. */
  shutdown(): Promise<void>
}

/**
 * Registers the OpenTelemetry Node SDK globally (tracer provider, AsyncLocalStorage context,
 * W3C trace-context and baggage propagation) exporting to privpath, with the
 * TaskAttributesSpanProcessor in front of the exporter. Points the default instance's decisions
 * at the same privpath and API key, which serve both.
 */
export async function setupPrivpath(options: SetupOptions): Promise<PrivpathExport> {
  const [{ NodeSDK }, parts] = await Promise.all([import('@opentelemetry/sdk-node'), exportParts(options)])
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    resource: parts.resource,
    spanProcessors: [new TaskAttributesSpanProcessor(), parts.exportOnEnd],
    // Traces only: left unset, the Node SDK would also start OTLP metric and log exporters aimed
    // at OTEL_EXPORTER_OTLP_ENDPOINT (default localhost:4318), which privpath does not serve.
    metricReaders: [],
    logRecordProcessors: [],
  })
  sdk.start()
  if (options.captureContent !== undefined) configure({ captureContent: options.captureContent })
  const decisions: DecisionOptions = { endpoint: privpathBase(options.endpoint) }
  if (options.apiKey !== undefined) decisions.apiKey = options.apiKey
  configure({ decisions })
  const { trace } = await import('@opentelemetry/api')
  return {
    tracerProvider: trace.getTracerProvider(),
    flush: () => parts.exportOnEnd.forceFlush(),
    shutdown: () => sdk.shutdown(),
  }
}

/**
 * A tracer provider exporting to privpath that is NOT registered globally, for processes hosting
 * several identities (one provider per service/tenant) — use it with `createPrivpath({ tracerProvider })`.
 * Context propagation still needs a global context manager (setupPrivpath or the OTel SDK's).
 */
export async function createPrivpathTracerProvider(options: ExportOptions): Promise<PrivpathExport> {
  const [{ BasicTracerProvider }, parts] = await Promise.all([
    import('@opentelemetry/sdk-trace-base'),
    exportParts(options),
  ])
  const provider = new BasicTracerProvider({
    resource: parts.resource,
    spanProcessors: [new TaskAttributesSpanProcessor(), parts.exportOnEnd],
  })
  return {
    tracerProvider: provider,
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  }
}

export function tracesUrl(endpoint: string): string {
  return `${privpathBase(endpoint)}/v1/traces`
}

/** The endpoint without `/v1/traces`: privpath serves OTLP and decisions under one base URL. */
function privpathBase(endpoint: string): string {
  return endpoint.replace(/\/+$/, '').replace(/\/v1\/traces$/, '')
}

async function exportParts(options: ExportOptions) {
  requireText('endpoint', options.endpoint)
  requireText('serviceName', options.serviceName)
  const url = tracesUrl(options.endpoint)
  try {
    new URL(url)
  } catch {
    throw new TypeError(`@privpath/sdk: endpoint is not a URL: ${options.endpoint}`)
  }
  const [{ OTLPTraceExporter }, { BatchSpanProcessor }, { resourceFromAttributes, defaultResource }] =
    await Promise.all([
      import('@opentelemetry/exporter-trace-otlp-proto'),
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/resources'),
    ])
  const headers: Record<string, string> = {}
  if (options.apiKey !== undefined && options.apiKey !== '') headers.authorization = `Bearer ${options.apiKey}`
  const attributes: Attributes = { 'service.name': options.serviceName, ...options.resourceAttributes }
  if (options.tenantId !== undefined) attributes[ATTR_TENANT_ID] = options.tenantId
  return {
    resource: defaultResource().merge(resourceFromAttributes(attributes)),
    exportOnEnd: new ExportOnEndSpanProcessor(new BatchSpanProcessor(new OTLPTraceExporter({ url, headers }))),
  }
}
