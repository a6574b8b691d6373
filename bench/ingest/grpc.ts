/**
 * bench:ingest over OTLP/gRPC: one grpc-js client per worker, each on a connection of its own
 * (a local subchannel pool), as the HTTP pool gives each worker its own connection, sending the
 * bodies as they are through TraceService/Export.
 */
import { credentials, makeGenericClientConstructor, Metadata, status, type Client, type ServiceError } from '@grpc/grpc-js'
import { otlpServiceDefinition } from '../../collector/receiver/index.js'
import type { Send } from './server.js'

type ExportClient = Client & { Export(body: Buffer, metadata: Metadata, callback: (error: ServiceError | null) => void): void }

export function grpcSenders(port: number, concurrency: number): { send: Send; close(): void } {
  const Constructor = makeGenericClientConstructor(otlpServiceDefinition('traces'), 'TraceService')
  const clients = Array.from(
    { length: concurrency },
    () => new Constructor(`127.0.0.1:${port}`, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }) as unknown as ExportClient,
  )
  const send: Send = (body, worker) =>
    new Promise((resolve, reject) => {
      clients[worker].Export(Buffer.from(body.buffer, body.byteOffset, body.byteLength), new Metadata(), (error) => {
        if (!error) resolve('ok')
        else if (error.code === status.RESOURCE_EXHAUSTED || error.code === status.UNAVAILABLE) resolve('retry')
        else reject(new Error(`unexpected gRPC status ${status[error.code]}: ${error.details}`))
      })
    })
  return { send, close: () => clients.forEach((client) => client.close()) }
}
