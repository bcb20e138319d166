import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { Umzug, type UmzugStorage } from 'umzug'
import type { MigrationSession } from './Database.ts'
import type { StoreLogger } from './Logger.ts'

/** Bookkeeping table, one per service schema. */
export const MIGRATIONS_TABLE = 'schema_migrations'

export interface MigrationFile {
  name: string
  path: string
  sql: string
  checksum: string
}

/** Reads `*.sql` files in code-point order of their names (zero-pad numbers: 0001_, 0002_…). */
export const readMigrations = async (dir: string): Promise<MigrationFile[]> => {
  const absolute = resolve(dir)
  let names: string[]
  try {
    names = (await readdir(absolute)).filter((name) => name.endsWith('.sql'))
  } catch (error) {
    throw new Error(`cannot read migrations directory ${absolute}`, { cause: error })
  }
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return Promise.all(
    names.map(async (name) => {
      const path = join(absolute, name)
      const sql = await readFile(path, 'utf8')
      return { name, path, sql, checksum: createHash('sha256').update(sql).digest('hex') }
    }),
  )
}

export interface MigrateOptions {
  schema: string
  migrations: readonly MigrationFile[]
  logger: StoreLogger
}

/**
 * Brings `schema` up to date inside the caller's transaction. A transaction-scoped advisory lock
 * per schema serialises replicas starting together: the second waits, then finds nothing pending.
 * All pending files run in that one transaction, so a failing file leaves no trace at all.
 * Returns the names applied now.
 */
export const migrate = async (session: MigrationSession, options: MigrateOptions): Promise<string[]> => {
  const { schema, migrations, logger } = options
  await session.query(`select pg_advisory_xact_lock(hashtext('agent-sre.migrate'), hashtext($1))`, [schema])
  await session.exec(
    `create schema if not exists ${schema};
     create table if not exists ${schema}.${MIGRATIONS_TABLE} (
       name text primary key,
       checksum text not null,
       applied_at timestamptz not null default now()
     );
     set local search_path to ${schema};`,
  )

  const checksums = new Map(migrations.map((m) => [m.name, m.checksum]))
  const storage: UmzugStorage<MigrationSession> = {
    async executed({ context }) {
      const { rows } = await context.query<{ name: string; checksum: string }>(
        `select name, checksum from ${schema}.${MIGRATIONS_TABLE} order by name`,
      )
      for (const row of rows) {
        const current = checksums.get(row.name)
        // Edited after it ran: the change never reaches this database. Loud, but not fatal.
        if (current !== undefined && current !== row.checksum) {
          logger.warn({ schema, migration: row.name }, 'applied migration file has changed since it ran')
        }
      }
      return rows.map((row) => row.name)
    },
    async logMigration({ name, context }) {
      await context.query(`insert into ${schema}.${MIGRATIONS_TABLE} (name, checksum) values ($1, $2)`, [
        name,
        checksums.get(name) ?? '',
      ])
    },
    async unlogMigration({ name, context }) {
      await context.query(`delete from ${schema}.${MIGRATIONS_TABLE} where name = $1`, [name])
    },
  }

  const umzug = new Umzug<MigrationSession>({
    migrations: migrations.map((m) => ({
      name: m.name,
      path: m.path,
      up: ({ context }) => context.exec(m.sql),
    })),
    context: session,
    storage,
    logger: undefined,
  })
  const applied = await umzug.up()
  for (const m of applied) logger.info({ schema, migration: m.name }, 'migration applied')
  return applied.map((m) => m.name)
}
