/**
 * The writer role: bus topics `events` and `alerts` → ClickHouse. Events and alerts get store
 * connections of their own, so an alert never waits behind an events insert and the API's reads
 * wait for neither (embedded chDB runs one statement per connection at a time).
 */
import { join } from 'node:path'
import { PrivpathError } from '../../core/errors.js'
import { startWriter } from '../../writer/index.js'
import type { StartRole } from '../role.js'

export const startWriterRole: StartRole = async ({ config, bus, store, telemetry }) => {
  if (!store) throw new PrivpathError('PP_ERR_CONFIG_INVALID', 'the writer role needs the store')
  const writer = await startWriter({
    bus,
    client: store.connection(),
    alertClient: store.connection(),
    database: config.store.database,
    telemetry,
    batchRows: config.store.insert_batch_rows,
    flushMs: config.store.insert_flush_ms,
    deadLetterDir: join(config.store.data_dir, 'dead-letter'),
  })
  return { stop: () => writer.stop() }
}
