/**
 * What differs between one ClickHouse (or chDB) and a cluster, in one place: table engines,
 * `ON CLUSTER`, and the local/Distributed table pair. Migrations write their DDL through this so
 * the same migration serves both layouts, and readers always query the plain table name.
 */

export interface DdlOptions {
  database: string
  /** Empty for a single server or chDB. */
  cluster: string
  eventsTtlDays: number
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

export function quoteIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`invalid ClickHouse identifier: ${JSON.stringify(name)}`)
  return `\`${name}\``
}

function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

export interface TableSpec {
  name: string
  /** Column and index definitions, one per entry. */
  columns: string[]
  /** Engine family without the `Replicated` prefix, e.g. `ReplacingMergeTree`. */
  engine: string
  engineArgs?: string
  /** PARTITION BY / ORDER BY / TTL / SETTINGS clauses. */
  clauses: string[]
  /** Expression rows are spread over shards by; rows that must collapse together share it. */
  shardingKey: string
}

export class Ddl {
  readonly clustered: boolean

  constructor(readonly options: DdlOptions) {
    quoteIdentifier(options.database)
    this.clustered = options.cluster !== ''
  }

  get onCluster(): string {
    return this.clustered ? ` ON CLUSTER ${quoteIdentifier(this.options.cluster)}` : ''
  }

  /** The name readers and writers use: the Distributed table on a cluster, the table itself otherwise. */
  table(name: string): string {
    return `${quoteIdentifier(this.options.database)}.${quoteIdentifier(name)}`
  }

  /** Where rows physically live: `<name>_local` on a cluster. */
  storage(name: string): string {
    return this.table(this.clustered ? `${name}_local` : name)
  }

  createDatabase(): string {
    return `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(this.options.database)}${this.onCluster}`
  }

  engine(family: string, args = '', replicaPath = `/clickhouse/tables/{shard}/{database}/{table}`): string {
    if (!this.clustered) return `${family}(${args})`
    const replicated = [quoteString(replicaPath), quoteString('{replica}'), ...(args ? [args] : [])]
    return `Replicated${family}(${replicated.join(', ')})`
  }

  /** CREATE statements for a table: the storage table, plus its Distributed front on a cluster. */
  createTable(spec: TableSpec): string[] {
    const storage = [
      `CREATE TABLE IF NOT EXISTS ${this.storage(spec.name)}${this.onCluster}`,
      `(\n  ${spec.columns.join(',\n  ')}\n)`,
      `ENGINE = ${this.engine(spec.engine, spec.engineArgs)}`,
      ...spec.clauses,
    ].join('\n')
    if (!this.clustered) return [storage]
    return [storage, this.createDistributed(spec.name, spec.shardingKey)]
  }

  createDistributed(name: string, shardingKey: string): string {
    const { database, cluster } = this.options
    return [
      `CREATE TABLE IF NOT EXISTS ${this.table(name)}${this.onCluster}`,
      `AS ${this.storage(name)}`,
      `ENGINE = Distributed(${quoteString(cluster)}, ${quoteString(database)}, ${quoteString(`${name}_local`)}, ${shardingKey})`,
    ].join('\n')
  }

  /**
   * A materialized view feeding `target` from inserts into `source`. On a cluster both ends are
   * the local tables: each shard aggregates the events it stores, and reads merge the partial
   * aggregates across shards through the Distributed table.
   */
  createMaterializedView(name: string, source: string, target: string, select: string): string {
    return [
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${this.table(name)}${this.onCluster}`,
      `TO ${this.storage(target)}`,
      `AS ${select.replace('{source}', this.storage(source))}`,
    ].join('\n')
  }
}
