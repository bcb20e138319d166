import pg from 'pg'
import {
  DATABASE_DEFAULTS,
  type Database,
  type MigrationSession,
  type Queryable,
  type QueryOptions,
  type QueryResult,
  type Row,
} from './Database.ts'
import { describeError, type StoreLogger } from './Logger.ts'
import { type MigrationFile, migrate } from './Migrations.ts'
import { probe } from './StoreUnavailableError.ts'
import { runScoped } from './Transaction.ts'

type Runner = Pick<pg.Pool | pg.PoolClient, 'query'>

const session = (runner: Runner): MigrationSession => ({
  async query<R extends Row = Row>(
    sql: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<R>> {
    const values = params as unknown[] | undefined
    const result = await (options?.name === undefined
      ? runner.query<R>(sql, values)
      : runner.query<R>({ name: options.name, text: sql, ...(values && { values }) }))
    return { rows: result.rows, rowCount: result.rowCount ?? result.rows.length }
  },
  async exec(sql: string) {
    // Without parameters pg uses the simple protocol, which accepts several statements.
    await runner.query(sql)
  },
})

/**
 * Adds `-c search_path=<schema>` to the URL's `options` (kept, not replaced: operators may set
 * e.g. statement_timeout there). Set at connection start-up: no extra round trip per checkout.
 * Connection-string values override pg's config object, hence editing the URL itself.
 */
export const withSearchPath = (url: string, schema: string): string => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    // The URL is not echoed: it may hold a password.
    throw new TypeError('database url is not a valid postgres:// URL')
  }
  const options = [parsed.searchParams.get('options'), `-c search_path=${schema}`].filter(Boolean).join(' ')
  parsed.searchParams.set('options', options)
  return parsed.toString()
}

export interface PostgresDatabaseOptions {
  url: string
  schema: string
  migrations: readonly MigrationFile[]
  poolMax: number | undefined
  connectTimeoutMs: number | undefined
  checkTimeoutMs: number | undefined
  logger: StoreLogger
}

export const openPostgres = async (options: PostgresDatabaseOptions): Promise<Database> => {
  const { schema, logger } = options
  const pool = new pg.Pool({
    connectionString: withSearchPath(options.url, schema),
    max: options.poolMax ?? DATABASE_DEFAULTS.poolMax,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DATABASE_DEFAULTS.connectTimeoutMs,
    application_name: schema,
  })
  // An idle connection dropped by the server emits here; unhandled it would crash the process.
  pool.on('error', (error) =>
    logger.warn({ schema, err: describeError(error) }, 'postgres idle connection error'),
  )

  const transaction = async <T>(fn: (tx: MigrationSession) => Promise<T>): Promise<T> => {
    const client = await pool.connect()
    let broken: Error | undefined
    // A checked-out connection the server drops between statements emits 'error' on the client
    // (the pool listens only to idle ones); unheard, that would crash the process.
    const onError = (error: Error) => {
      broken = error
    }
    client.on('error', onError)
    let began = false
    try {
      await client.query('begin')
      began = true
      const result = await fn(session(client))
      await client.query('commit')
      return result
    } catch (error) {
      // A failed begin means the connection is at fault; otherwise undo the caller's work.
      if (!began) broken ??= error as Error
      else {
        await client.query('rollback').catch((rollbackError: Error) => {
          broken ??= rollbackError
        })
      }
      throw error
    } finally {
      client.off('error', onError)
      // Passing an error destroys the connection instead of returning it to the pool.
      client.release(broken)
    }
  }

  try {
    await transaction((tx) => migrate(tx, { schema, migrations: options.migrations, logger }))
  } catch (error) {
    await pool.end().catch(() => {})
    throw error
  }

  const db = session(pool)
  const checkTimeoutMs = options.checkTimeoutMs ?? DATABASE_DEFAULTS.checkTimeoutMs
  let closed: Promise<void> | undefined

  return {
    kind: 'postgres',
    schema,
    query: db.query,
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) => transaction((raw) => runScoped(raw, fn)),
    check: () => probe('postgres', checkTimeoutMs, () => pool.query('select 1')),
    close() {
      closed ??= pool.end()
      return closed
    },
  }
}
