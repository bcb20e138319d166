import type { StoreLogger } from './Logger.ts'

export type Row = Record<string, unknown>

export interface QueryResult<R extends Row = Row> {
  rows: R[]
  /** Rows returned, or rows affected by INSERT/UPDATE/DELETE without RETURNING. */
  rowCount: number
}

export interface QueryOptions {
  /**
   * Postgres: prepares the statement once per connection under this name, then only binds and
   * executes it: no parse, analysis or planning per call (Postgres may settle on a generic plan
   * after five executions). For hot statements of fixed text: one name always goes with the same SQL
   * text. PGlite ignores it.
   */
  readonly name?: string | undefined
}

/** Something that runs one SQL statement: the database itself, or a transaction. */
export interface Queryable {
  /**
   * Runs one statement with `$1`-style parameters. Arrays are sent as Postgres arrays, so a batch
   * is one round trip: `insert into t (a, b) select * from unnest($1::text[], $2::int[])`.
   */
  query<R extends Row = Row>(
    sql: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<R>>
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite'
  /** The service's schema; unqualified table names resolve to it. */
  readonly schema: string
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws (the
   * error is rethrown). The `tx` handle must not be used after `fn` settles.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>
  /** Readiness: resolves when a trivial query answers in time, else rejects with StoreUnavailableError. */
  check(): Promise<void>
  /** Releases the pool or closes PGlite. Idempotent. */
  close(): Promise<void>
}

export interface DatabaseOptions {
  /** Postgres URL (`DATABASE_URL`); unset or empty → embedded PGlite. */
  url?: string | undefined
  /** The service's schema, created when absent; every connection's search_path is set to it. */
  schema: string
  /** Directory of `.sql` migrations applied on open, in file-name order. Omit for none. */
  migrationsDir?: string | undefined
  /** PGlite only: directory to persist data in; unset → in memory (lost on close). */
  dataDir?: string | undefined
  /** Postgres only: maximum pool connections. Default 10. */
  poolMax?: number | undefined
  /** Postgres only: how long to wait for a new connection before failing. Default 5000 ms. */
  connectTimeoutMs?: number | undefined
  /** Deadline for `check()`. Default 2000 ms. */
  checkTimeoutMs?: number | undefined
  logger?: StoreLogger | undefined
}

export const DATABASE_DEFAULTS = Object.freeze({ poolMax: 10, connectTimeoutMs: 5000, checkTimeoutMs: 2000 })

/** What migrations need from a connection inside the migration transaction. */
export interface MigrationSession extends Queryable {
  /** Runs a script of one or more statements without parameters. */
  exec(sql: string): Promise<void>
}
