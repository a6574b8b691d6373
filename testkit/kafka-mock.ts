/**
 * A Kafka for tests: librdkafka's mock cluster hosted by `kcat`, or the real Kafka named by
 * `PRIVPATH_TEST_KAFKA_BROKERS`. Each test file starts its own mock and stops it on teardown.
 * Without kcat the Kafka suites skip with a message, except under CI=true where they fail.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { Kafka, logLevel } from 'kafkajs'
import type { KafkaSectionConfig } from '../core/bus/index.js'

export interface KafkaUnderTest {
  brokers: string[]
  /** Whether this is the kcat mock (no CreateTopics, 4 partitions per auto-created topic). */
  mock: boolean
  /** Freezes the mock broker (SIGSTOP): connections stay open, nothing is answered. Mock only. */
  freeze(): void
  thaw(): void
  stop(): Promise<void>
}

export interface KafkaAvailability {
  available: boolean
  reason: string
}

export function kafkaAvailability(env: Record<string, string | undefined> = process.env): KafkaAvailability {
  if (env.PRIVPATH_TEST_KAFKA_BROKERS) return { available: true, reason: '' }
  const probe = spawnSync('kcat', ['-V'], { encoding: 'utf8' })
  if (probe.error === undefined && probe.status === 0) return { available: true, reason: '' }
  const reason = 'kcat is not installed (apt-get install kcat) and PRIVPATH_TEST_KAFKA_BROKERS is not set: Kafka tests cannot run'
  if (env.CI === 'true') throw new Error(`${reason}. CI=true requires them.`)
  return { available: false, reason }
}

const ADDRESS = /replaced with (\S+:\d+)/

/** Starts a one-broker mock cluster and resolves once it prints its bootstrap address. */
export async function startKafkaMock(timeoutMs = 10_000): Promise<KafkaUnderTest> {
  const external = process.env.PRIVPATH_TEST_KAFKA_BROKERS
  if (external) {
    const unsupported = () => {
      throw new Error('freezing needs the kcat mock; unset PRIVPATH_TEST_KAFKA_BROKERS')
    }
    return { brokers: external.split(',').map((b) => b.trim()), mock: false, freeze: unsupported, thaw: unsupported, stop: async () => undefined }
  }
  const child = spawn('kcat', ['-C', '-q', '-X', 'test.mock.num.brokers=1', '-b', '127.0.0.1:1', '-t', '__keepalive', '-o', 'end'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  const address = await new Promise<string>((resolve, reject) => {
    let stderr = ''
    const timer = setTimeout(() => reject(new Error(`kcat mock cluster did not start in ${timeoutMs} ms: ${stderr}`)), timeoutMs)
    child.stderr!.setEncoding('utf8')
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk
      const match = ADDRESS.exec(stderr)
      if (match) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`kcat exited (${code}) before the mock cluster started: ${stderr}`))
    })
  })
  child.stderr!.resume()
  return {
    brokers: [address],
    mock: true,
    freeze: () => void child.kill('SIGSTOP'),
    thaw: () => void child.kill('SIGCONT'),
    stop: () => stopChild(child),
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGKILL')
  await exited
}

/** The bus settings of a test client: short session and heartbeat, so members join and leave in seconds. */
export function testKafkaConfig(kafka: KafkaUnderTest, prefix: string, clientId: string): KafkaSectionConfig {
  return {
    brokers: kafka.brokers,
    client_id: clientId,
    topic_prefix: prefix,
    ssl: false,
    session_timeout_ms: 3_000,
    heartbeat_interval_ms: 500,
    max_wait_ms: 200,
    publish_timeout_ms: 3_000,
  }
}

/** How many partitions `topic` (full name, prefix included) has. */
export async function partitionCount(kafka: KafkaUnderTest, topic: string): Promise<number> {
  const admin = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] })
    return topics[0].partitions.length
  } finally {
    await admin.disconnect()
  }
}
