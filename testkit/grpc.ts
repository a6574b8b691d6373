/**
 * A raw OTLP/gRPC client for tests: sends any bytes as an Export request (grpc-js frames them,
 * gzip when asked) and returns the status, the response bytes and the RetryInfo delay, if any.
 */
import { credentials, makeGenericClientConstructor, Metadata, type ServiceError } from '@grpc/grpc-js'
import { otlpServiceDefinition } from '../collector/receiver/index.js'
import { otlpProtoRoot } from './fixtures/otlp-proto.js'

interface GrpcAnswer {
  /** grpc status code: 0 OK. */
  code: number
  details: string
  response?: Buffer
  /** The google.rpc.RetryInfo delay in grpc-status-details-bin, in seconds. */
  retryDelaySeconds?: number
}

export interface RawGrpcClient {
  export(body: Uint8Array, key?: string): Promise<GrpcAnswer>
  close(): void
}

const root = otlpProtoRoot()
const Status = root.lookupType('otlp.RpcStatus')
const RetryInfo = root.lookupType('otlp.RetryInfo')

/** The retry delay a google.rpc.Status (grpc-status-details-bin) carries as a RetryInfo detail. */
function retryDelaySeconds(statusBytes: Buffer): number | undefined {
  const status = Status.toObject(Status.decode(statusBytes)) as { details?: Array<{ type_url: string; value: Uint8Array }> }
  const detail = status.details?.find((d) => d.type_url === 'type.googleapis.com/google.rpc.RetryInfo')
  if (!detail) return undefined
  const info = RetryInfo.toObject(RetryInfo.decode(detail.value), { longs: Number, defaults: true }) as { retry_delay?: { seconds: number } }
  return info.retry_delay?.seconds ?? 0
}

export function rawGrpcClient(port: number, signal: 'traces' | 'logs', options: { gzip?: boolean } = {}): RawGrpcClient {
  const Client = makeGenericClientConstructor(otlpServiceDefinition(signal), 'OtlpExport')
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), {
    ...(options.gzip ? { 'grpc.default_compression_algorithm': 2 } : {}),
  }) as InstanceType<typeof Client> & {
    Export(body: Buffer, metadata: Metadata, callback: (error: ServiceError | null, response?: Buffer) => void): void
  }
  return {
    export: (body, key) =>
      new Promise((resolve) => {
        const metadata = new Metadata()
        if (key !== undefined) metadata.set('authorization', `Bearer ${key}`)
        client.Export(Buffer.from(body), metadata, (error, response) => {
          if (!error) return resolve({ code: 0, details: '', response })
          const details = error.metadata?.get('grpc-status-details-bin')[0]
          resolve({
            code: error.code,
            details: error.details,
            retryDelaySeconds: Buffer.isBuffer(details) ? retryDelaySeconds(details) : undefined,
          })
        })
      }),
    close: () => client.close(),
  }
}
