/**
 * kafkajs settings derived from the `bus.kafka` section: brokers, TLS, SASL, timeouts short
 * enough that an unreachable cluster fails a publish in seconds (the collector answers 503), and
 * kafkajs logs routed into the injected pino logger.
 */
import { logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs'
import type { Logger } from 'pino'
import type { Config } from '../config/schema.js'

export type KafkaSectionConfig = Config['bus']['kafka']

export interface KafkaTiming {
  /** Consumer session timeout; the group declares a member dead after this. */
  sessionTimeoutMs: number
  heartbeatIntervalMs: number
  /** Longest a fetch waits for data; bounds delivery latency on a quiet topic. */
  maxWaitTimeMs: number
}

export const DEFAULT_TIMING: KafkaTiming = { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 250 }

export function topicName(config: KafkaSectionConfig, topic: string): string {
  return `${config.topic_prefix}${topic}`
}

export function kafkaClientConfig(config: KafkaSectionConfig, logger: Logger): KafkaConfig {
  const sasl: SASLOptions | undefined = config.sasl
    ? { mechanism: config.sasl.mechanism, username: config.sasl.username, password: config.sasl.password }
    : undefined
  return {
    clientId: config.client_id,
    brokers: config.brokers,
    ssl: config.ssl,
    sasl,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2_000 },
    logLevel: logLevel.INFO,
    logCreator: () => (entry: LogEntry) => {
      const { message, ...extra } = entry.log
      const fields = { namespace: entry.namespace, ...extra }
      // kafkajs reports every reconnect and rebalance at INFO/ERROR; the bus logs what matters itself.
      if (entry.level === logLevel.ERROR || entry.level === logLevel.WARN) logger.warn(fields, `kafkajs: ${message}`)
      else logger.debug(fields, `kafkajs: ${message}`)
    },
  }
}
