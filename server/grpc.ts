/**
 * The one gRPC server of a process (OTLP/gRPC, server.grpc_port), serving what the roles bring,
 * beside the HTTP server: same host, its own port.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js'
import type { GrpcService } from '../collector/index.js'
import { PrivpathError } from '../core/errors.js'

export interface GrpcListenOptions {
  host: string
  /** 0 binds a port the system picks. */
  port: number
  /** Largest message taken, after decompression (server.max_body_bytes); larger ones are answered RESOURCE_EXHAUSTED. */
  maxMessageBytes: number
  services: readonly GrpcService[]
}

export interface GrpcListener {
  port: number
  /** Takes no new calls, lets those under way finish (each answered once durable), then closes. */
  stop(): Promise<void>
}

/** How long calls under way get to finish at shutdown before their connections are cut. */
const STOP_DEADLINE_MS = 10_000

export async function listenGrpc(options: GrpcListenOptions): Promise<GrpcListener> {
  const server = new Server({
    'grpc.max_receive_message_length': options.maxMessageBytes,
  })
  for (const service of options.services) server.addService(service.definition, service.implementation)
  const host = options.host.includes(':') && !options.host.startsWith('[') ? `[${options.host}]` : options.host
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${options.port}`, ServerCredentials.createInsecure(), (error, bound) => {
      if (error) {
        server.forceShutdown()
        reject(
          new PrivpathError('PP_ERR_CONFIG_INVALID', `server.grpc_port: cannot listen on ${host}:${options.port}: ${error.message}`, {
            cause: error,
          }),
        )
      } else resolve(bound)
    })
  })
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        const deadline = setTimeout(() => {
          server.forceShutdown()
          resolve()
        }, STOP_DEADLINE_MS)
        deadline.unref()
        server.tryShutdown(() => {
          clearTimeout(deadline)
          resolve()
        })
      }),
  }
}
