/**
 * The collector pipeline: accepted OTLP requests in, privpath events on the bus out.
 *
 * In: requests that the write-ahead log made durable (from the receiver), and records the log
 * replays at start; each is a body, decoded when it is taken from the queue, or a request the
 * receiver already decoded. Then: map (conventions → events, redaction) → correlate (spans wait
 * for their parent up to the grace window; a timer places expired ones) → publish on `events`
 * (key = task id), credential events (key = credential id) and task_end also on `credentials`. When the bus
 * has resolved every event a request produced, its WAL record is completed (checkpointed).
 * The queue of received and accepted, unprocessed requests is bounded in requests and in body
 * bytes (QueueRoom): `reserve()` refuses with PP_ERR_QUEUE_FULL before anything is acknowledged,
 * so nothing is answered 200 and then dropped, and a backlog of large requests stays within a
 * known amount of memory. Protobuf requests wait as bodies, off the JavaScript heap: decoded, a
 * backlog would be copied and promoted by every garbage collection while it waited.
 * Not here: HTTP (receiver), decoding rules (otlp), the mapping itself (mapping / correlate).
 */
export { Pipeline } from './pipeline.js'
export type { CorrelatorLike, PipelineRecord, PipelineStages } from './types.js'
