/**
 * The configuration schema: one TypeBox schema, from which the types, the defaults and the
 * validation messages derive. Each component owns one section; settings are snake_case in YAML
 * and reach code as the same names.
 */
import Type, { type Static } from 'typebox'
import { SEVERITIES } from '../alert.js'

const ServerSection = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 4318 }),
    /** OTLP/gRPC port (on `host`, beside the HTTP one); 0 turns the gRPC receiver off. */
    grpc_port: Type.Integer({ minimum: 0, maximum: 65535, default: 4317 }),
    /** Base URL people reach the console at; used for links in alerts. */
    public_url: Type.String({ default: '' }),
    /** OTLP body limit after decompression. */
    max_body_bytes: Type.Integer({ minimum: 1024, default: 64 * 1024 * 1024 }),
  },
  { additionalProperties: false, default: {} },
)

const StoreSection = Type.Object(
  {
    /** chDB data directory for the embedded store (also holds the WAL and outboxes). */
    data_dir: Type.String({ default: './data' }),
    /** ClickHouse server URL; when set, the embedded chDB is not used. */
    clickhouse_url: Type.String({ default: '' }),
    username: Type.String({ default: 'default' }),
    password: Type.String({ default: '' }),
    database: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', default: 'privpath' }),
    /** Cluster name for `ON CLUSTER` DDL and Replicated engines; empty for a single server. */
    cluster: Type.String({ default: '' }),
    events_ttl_days: Type.Integer({ minimum: 1, default: 30 }),
    insert_batch_rows: Type.Integer({ minimum: 1, default: 20_000 }),
    insert_flush_ms: Type.Integer({ minimum: 0, default: 200 }),
  },
  { additionalProperties: false, default: {} },
)

const AuthSection = Type.Object(
  {
    /** `tenant:key` pairs; a key for tenant `*` is an admin key that reads every tenant. */
    tenant_keys: Type.Array(Type.String({ pattern: '^[^:\\s]+:\\S+$' }), { default: [] }),
    /** File with one `tenant:key` per line (# comments allowed). */
    tenant_keys_file: Type.String({ default: '' }),
  },
  { additionalProperties: false, default: {} },
)

const CollectorSection = Type.Object(
  {
    /** How long a span whose parent has not arrived is held before it is placed anyway. */
    grace_window_ms: Type.Integer({ minimum: 0, default: 30_000 }),
    /** Requests accepted but not yet processed; beyond it OTLP answers 429/503. */
    max_queued_requests: Type.Integer({ minimum: 1, default: 2_000 }),
    /**
     * Body bytes of those requests, and of requests being received (claimed from Content-Length
     * before reading, then the decompressed size); beyond it OTLP answers 429 too. A decoded
     * protobuf request takes about 1.5× its body on the heap, so this bounds what a backlog uses.
     * At least server.max_body_bytes, so every request the server takes fits an empty queue.
     */
    max_queued_bytes: Type.Integer({ minimum: 1, default: 128 * 1024 * 1024 }),
    /** Store prompt, reasoning and tool-argument content (redacted). */
    capture_content: Type.Boolean({ default: true }),
    max_content_chars: Type.Integer({ minimum: 0, default: 4_096 }),
    /** Spans held waiting for a parent; beyond it the oldest are placed at once by fallback. */
    max_held_spans: Type.Integer({ minimum: 1, default: 200_000 }),
    /** The same by their estimated heap size: span content and attributes come from senders. */
    max_held_bytes: Type.Integer({ minimum: 1, default: 256 * 1024 * 1024 }),
    /** Span placements remembered so later children find their task (least recently used evicted, a generation of half this size at a time). */
    max_known_spans: Type.Integer({ minimum: 1, default: 1_000_000 }),
    /**
     * How far past the time a request is received an event may be dated. A later event takes the
     * receive time as ts (flag clock_skew, the time sent kept in attributes['privpath.original_ts']).
     */
    max_future_skew_ms: Type.Integer({ minimum: 0, default: 5 * 60_000 }),
    /** The same before the receive time. Unset: store.events_ttl_days (an older event would be stored already expired). */
    max_past_ms: Type.Optional(Type.Integer({ minimum: 0 })),
    /**
     * JSONata over one OPA decision-log event (`result`, `input`, `path`, …) giving its verdict:
     * true or "allow", false or "deny", anything else none. Empty: a boolean `result`, else `result.allow`.
     */
    opa_result_expression: Type.String({ default: '' }),
  },
  { additionalProperties: false, default: {} },
)

export const DetectorSection = Type.Object(
  {
    rules_dir: Type.String({ default: '' }),
    max_credential_ttl_s: Type.Integer({ minimum: 1, default: 900 }),
    privileged_tools: Type.Array(Type.String(), { default: [] }),
    approval_required_tools: Type.Array(Type.String(), { default: [] }),
    untrusted_output_tools: Type.Array(Type.String(), { default: [] }),
    task_retention_ms: Type.Integer({ minimum: 0, default: 15 * 60_000 }),
    /**
     * A task that never ends (a conversation spanning traces that stopped, a root span that never
     * came) leaves state after this long without events (0: only the cap removes it).
     */
    task_inactivity_ms: Type.Integer({ minimum: 0, default: 30 * 60_000 }),
    /**
     * Rules marked `hold` judge a step this long (event time) after it, so decisions and approvals
     * a gateway exports a moment after the step count. Capped at allowed_lateness_ms.
     */
    decision_hold_ms: Type.Integer({ minimum: 0, default: 2_000 }),
    /**
     * A deny that arrives this long (event time) after the steps of its task were judged still
     * re-judges the `hold` rules for the steps dated at or after it: policy engines that upload
     * their decisions in batches (OPA) report minutes late. 0: only decision_hold_ms. For agents
     * whose decisions come that way, absences expecting a decision wait this long too.
     */
    authz_lateness_ms: Type.Integer({ minimum: 0, default: 15 * 60_000 }),
    credential_grace_ms: Type.Integer({ minimum: 0, default: 60 * 60_000 }),
    allowed_lateness_ms: Type.Integer({ minimum: 0, default: 30_000 }),
    /** Per isolation domain (tenant key): one tenant's flood never evicts another's state. */
    max_tasks: Type.Integer({ minimum: 1, default: 200_000 }),
    /** Per isolation domain, like max_tasks. */
    max_credentials: Type.Integer({ minimum: 1, default: 1_000_000 }),
    /**
     * Revoked and expired credentials are remembered (as tombstones) this long after they ended,
     * event time, so a cached copy replayed later still alerts; 0 keeps none.
     */
    credential_tombstone_ms: Type.Integer({ minimum: 0, default: 7 * 24 * 60 * 60_000 }),
    /** At most this many tombstones per isolation domain (least recently touched leave first; about 505 bytes each, measured by bench:restart). */
    max_credential_tombstones: Type.Integer({ minimum: 0, default: 250_000 }),
    rule_timeout_ms: Type.Integer({ minimum: 1, default: 50 }),
    /** Kafka without a store: how far back a member replays partitions it gains in a rebalance (0: all retained). */
    rebuild_lookback_ms: Type.Integer({ minimum: 0, default: 60 * 60_000 }),
    /** First-seen rules: an agent's first this many tasks only learn what it uses (docs/rules.md, First seen). */
    first_seen_learning_tasks: Type.Integer({ minimum: 0, default: 20 }),
    /** …and so does its first this long of event time after its first event (both must have passed). */
    first_seen_learning_ms: Type.Integer({ minimum: 0, default: 0 }),
    /** First-seen facts remembered per isolation domain; beyond it the least recently seen agents leave whole (and learn again). */
    max_first_seen: Type.Integer({ minimum: 1, default: 100_000 }),
  },
  { additionalProperties: false, default: {} },
)

/** The decision endpoint (detector/decision): asked before a privileged step runs. */
const DecisionSection = Type.Object(
  {
    /** `shadow` decides and records every decision but always answers allow (a dry run). */
    mode: Type.Enum(['enforce', 'shadow'], { default: 'enforce' }),
    /** How long a decision waits for the span it names (`after_span_id`) to be processed. */
    wait_ms: Type.Integer({ minimum: 0, maximum: 10_000, default: 250 }),
    /** The answer when that span was not processed in time: fail closed (deny) or open (allow). */
    on_stale: Type.Enum(['deny', 'allow'], { default: 'deny' }),
    /** Directories of Cedar policies (`*.cedar`), comma-separated; empty: rules decide alone. */
    policies_dir: Type.String({ default: '' }),
    /** Cedar's answer when no policy applies: allow (policies are guards: `forbid` denies) or deny. */
    policy_default: Type.Enum(['allow', 'deny'], { default: 'allow' }),
    /** Most evaluations in one batch request. */
    max_evaluations: Type.Integer({ minimum: 1, maximum: 1_000, default: 64 }),
  },
  { additionalProperties: false, default: {} },
)

const KafkaSection = Type.Object(
  {
    brokers: Type.Array(Type.String({ pattern: '^[^:\\s]+:\\d+$' }), { default: [] }),
    client_id: Type.String({ default: 'privpath' }),
    topic_prefix: Type.String({ default: 'privpath.' }),
    /** A consumer silent this long is declared dead and its partitions move to others. */
    session_timeout_ms: Type.Integer({ minimum: 1_000, default: 10_000 }),
    heartbeat_interval_ms: Type.Integer({ minimum: 100, default: 1_000 }),
    /** Longest a fetch waits for new messages: bounds delivery latency on quiet topics. */
    max_wait_ms: Type.Integer({ minimum: 10, default: 250 }),
    /** A publish Kafka has not acknowledged by then fails (the collector answers 503 Retry-After). */
    publish_timeout_ms: Type.Integer({ minimum: 100, default: 10_000 }),
    ssl: Type.Boolean({ default: false }),
    sasl: Type.Optional(
      Type.Object(
        {
          mechanism: Type.Enum(['plain', 'scram-sha-256', 'scram-sha-512']),
          username: Type.String(),
          password: Type.String(),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, default: {} },
)

const BusSection = Type.Object(
  {
    kind: Type.Enum(['memory', 'kafka'], { default: 'memory' }),
    kafka: KafkaSection,
  },
  { additionalProperties: false, default: {} },
)

const SinkSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9_-]+$' }),
    type: Type.Enum(['slack', 'webhook']),
    url: Type.String({ default: '' }),
    token: Type.String({ default: '' }),
    channel: Type.String({ default: '' }),
    secret: Type.String({ default: '' }),
    timeout_ms: Type.Integer({ minimum: 1, default: 10_000 }),
    max_attempts: Type.Integer({ minimum: 1, default: 12 }),
    /** Requests in flight to this sink at once. */
    concurrency: Type.Integer({ minimum: 1, default: 4 }),
    /** Retry delays grow from this base, doubling per attempt, with full jitter, up to the max. */
    backoff_base_ms: Type.Integer({ minimum: 1, default: 1_000 }),
    backoff_max_ms: Type.Integer({ minimum: 1, default: 300_000 }),
    /** Slack Web API base (bot-token mode); changed only to point at a test receiver. */
    api_url: Type.String({ default: 'https://slack.com/api' }),
  },
  { additionalProperties: false },
)

const RouteSchema = Type.Object(
  {
    name: Type.String(),
    min_severity: Type.Enum(SEVERITIES, { default: 'info' }),
    tenants: Type.Array(Type.String(), { default: [] }),
    tags: Type.Array(Type.String(), { default: [] }),
    /** JSONata over the alert; the route matches when it is truthy. */
    when: Type.String({ default: '' }),
    sinks: Type.Array(Type.String(), { minItems: 1 }),
    /** Deliveries per minute on this route; more are folded into one digest, never dropped. */
    rate_per_minute: Type.Integer({ minimum: 0, default: 0 }),
  },
  { additionalProperties: false },
)

const AlertsSection = Type.Object(
  {
    sinks: Type.Array(SinkSchema, { default: [] }),
    routes: Type.Array(RouteSchema, { default: [] }),
    /** Budget of one route's `when` on the JSONata interpreter; over it the route is skipped for that alert. */
    route_timeout_ms: Type.Integer({ minimum: 1, default: 50 }),
  },
  { additionalProperties: false, default: {} },
)

export const ROLES = ['collector', 'writer', 'detector', 'delivery', 'api'] as const
export type Role = (typeof ROLES)[number]

export const ConfigSchema = Type.Object(
  {
    log_level: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
    roles: Type.Array(Type.Enum(ROLES), { default: [...ROLES] }),
    server: ServerSection,
    store: StoreSection,
    auth: AuthSection,
    collector: CollectorSection,
    detector: DetectorSection,
    decision: DecisionSection,
    bus: BusSection,
    alerts: AlertsSection,
  },
  { additionalProperties: false, default: {} },
)

export type Config = Static<typeof ConfigSchema>
export type SinkConfig = Static<typeof SinkSchema>
export type RouteConfig = Static<typeof RouteSchema>
