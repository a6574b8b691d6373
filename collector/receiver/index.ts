/**
 * The OTLP receivers: OTLP/HTTP (a fastify plugin, `POST /v1/traces` and `POST /v1/logs`) and
 * OTLP/gRPC (grpc-js services, TraceService/Export and LogsService/Export, grpc.ts), one way in.
 *
 * In: protobuf or JSON export requests, optionally gzip/deflate, optionally with a tenant key.
 * Out: 200 with an Export*ServiceResponse (partial_success when spans were rejected) only after
 * the write-ahead log's fsync covers the request and the pipeline holds it; otherwise a
 * google.rpc.Status in the request's encoding: 400 undecodable, 401 bad key, 413 too large, 415
 * unsupported type or encoding, 429/503 with Retry-After when the pipeline cannot take more.
 * The request is checked here (to answer 400 or a partial success) and handed on as its body, to
 * be decoded where it is mapped; an encoding whose check is a full decode (JSON) hands on the
 * decoded request instead, so nothing is decoded twice.
 * gRPC answers the same cases with their status codes: INVALID_ARGUMENT, UNAUTHENTICATED,
 * RESOURCE_EXHAUSTED (too large, or queue full), UNAVAILABLE; the retryable ones with a
 * google.rpc.RetryInfo in grpc-status-details-bin.
 * Not here: mapping and correlation (pipeline), the OTLP wire formats (otlp codec, injected).
 */
export { formatOf } from './body.js'
export { claimBeforeReading, drainBounds, readClaimedBody } from './claim.js'
export { requestBodyDocs, RETRY_AFTER } from './openapi.js'
export { otlpReceiver } from './receiver.js'

export { otlpGrpcServices, otlpServiceDefinition } from './grpc.js'
export type { GrpcService } from './grpc.js'
export type { CheckedExport, IngestSink, OtlpCodec } from './receiver.js'
