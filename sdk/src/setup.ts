/**
 * One-call export to privpath over OTLP/HTTP protobuf. The OpenTelemetry SDK packages are optional
 * peers loaded on demand, so code that only records (the rest of this package) depends on
 * `@opentelemetry/api` alone.
 */
import type { Attributes, TracerProvider } from '@opentelemetry/api'
import { ATTR_TENANT_ID } from './attributes.js'
import { TaskAttributesSpanProcessor } from './processor.js'
import { configure } from './privpath.js'
import { requireText } from './validate.js'

export interface ExportOptions {
  /** privpath's OTLP/HTTP base URL, e.g. `http://localhost:4318` (`/v1/traces` is appended unless present). */
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
 * TaskAttributesSpanProcessor in front of the exporter.
 */
export async function setupPrivpath(options: SetupOptions): Promise<PrivpathExport> {
  const [{ NodeSDK }, parts] = await Promise.all([import('@opentelemetry/sdk-node'), exportParts(options)])
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    resource: parts.resource,
    spanProcessors: [new TaskAttributesSpanProcessor(), parts.batch],
    // Traces only: left unset, the Node SDK would also start OTLP metric and log exporters aimed
    // at OTEL_EXPORTER_OTLP_ENDPOINT (default localhost:4318), which privpath does not serve.
    metricReaders: [],
    logRecordProcessors: [],
  })
  sdk.start()
  if (options.captureContent !== undefined) configure({ captureContent: options.captureContent })
  const { trace } = await import('@opentelemetry/api')
  return {
    tracerProvider: trace.getTracerProvider(),
    flush: () => parts.batch.forceFlush(),
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
    spanProcessors: [new TaskAttributesSpanProcessor(), parts.batch],
  })
  return {
    tracerProvider: provider,
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  }
}

export function tracesUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, '')
  return base.endsWith('/v1/traces') ? base : `${base}/v1/traces`
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
    batch: new BatchSpanProcessor(new OTLPTraceExporter({ url, headers })),
  }
}
