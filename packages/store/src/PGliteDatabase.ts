import { PGlite, types } from '@electric-sql/pglite'
import {
  DATABASE_DEFAULTS,
  type Database,
  type MigrationSession,
  type Queryable,
  type QueryResult,
  type Row,
} from './Database.ts'
import type { StoreLogger } from './Logger.ts'
import { type MigrationFile, migrate } from './Migrations.ts'
import { probe } from './StoreUnavailableError.ts'
import { runScoped } from './Transaction.ts'

type PGliteRunner = Pick<PGlite, 'query' | 'exec'>

// Same values as node-postgres returns: int8 stays a string (no silent precision loss).
const PARSERS = { [types.INT8]: (value: string) => value }

const session = (runner: PGliteRunner): MigrationSession => ({
  async query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    const result = await runner.query<R>(sql, params as unknown[] | undefined)
    // PGlite reports affectedRows 0 for SELECT; pg reports the rows returned.
    return { rows: result.rows, rowCount: Math.max(result.affectedRows ?? 0, result.rows.length) }
  },
  async exec(sql: string) {
    await runner.exec(sql)
  },
})

export interface PGliteDatabaseOptions {
  schema: string
  migrations: readonly MigrationFile[]
  dataDir: string | undefined
  checkTimeoutMs: number | undefined
  logger: StoreLogger
}

export const openPGlite = async (options: PGliteDatabaseOptions): Promise<Database> => {
  const { schema, logger } = options
  const pglite = new PGlite({ ...(options.dataDir ? { dataDir: options.dataDir } : {}), parsers: PARSERS })
  try {
    await pglite.waitReady
    await pglite.transaction((tx) => migrate(session(tx), { schema, migrations: options.migrations, logger }))
    // One embedded connection, so a session-level search_path covers every later query.
    await pglite.exec(`set search_path to ${schema}`)
  } catch (error) {
    await pglite.close().catch(() => {})
    throw error
  }
  const db = session(pglite)
  const checkTimeoutMs = options.checkTimeoutMs ?? DATABASE_DEFAULTS.checkTimeoutMs

  return {
    kind: 'pglite',
    schema,
    query: db.query,
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) =>
      pglite.transaction((raw) => runScoped(session(raw), fn)),
    check: () => probe('pglite', checkTimeoutMs, () => pglite.query('select 1')),
    async close() {
      if (!pglite.closed) await pglite.close()
    },
  }
}
