/**
 * The embedded collector (one process, in-process bus): OTLP/HTTP receiver → write-ahead log →
 * pipeline (decode → map → correlate) → publisher → bus.
 *
 * In: collector configuration, the data directory, a bus and telemetry. Out: a fastify plugin to
 * mount; 200 only once the request's body is in the write-ahead log (group-commit fsync);
 * readiness (log replayed); `stop()`, which drains the pipeline and closes the log. At start
 * every record after the checkpoint is replayed through the same pipeline, and a record is
 * checkpointed once every event it produced was published.
 * Not here: the HTTP server and the other roles (server/), several collectors sharing one log
 * (each process owns the log in its data directory).
 */
export { startEmbeddedCollector } from './collector.js'
