import { DATABASE_DEFAULTS, type Database, type DatabaseOptions } from './Database.ts'
import { silentLogger } from './Logger.ts'
import { type MigrationFile, readMigrations } from './Migrations.ts'
import { openPGlite } from './PGliteDatabase.ts'
import { openPostgres } from './PostgresDatabase.ts'
import { assertSchemaName } from './SchemaName.ts'

/**
 * Opens the service's database — Postgres through a `pg` pool when `url` is set, embedded
 * PGlite otherwise — then creates its schema and applies pending migrations before resolving.
 */
export const openDatabase = async (options: DatabaseOptions): Promise<Database> => {
  const schema = assertSchemaName(options.schema)
  const logger = options.logger ?? silentLogger
  const poolMax = options.poolMax ?? DATABASE_DEFAULTS.poolMax
  if (!Number.isInteger(poolMax) || poolMax < 1)
    throw new RangeError(`poolMax must be an integer ≥ 1, got ${poolMax}`)
  const migrations: MigrationFile[] = options.migrationsDir ? await readMigrations(options.migrationsDir) : []
  const url = options.url?.trim()
  return url
    ? openPostgres({
        url,
        schema,
        migrations,
        poolMax,
        connectTimeoutMs: options.connectTimeoutMs,
        checkTimeoutMs: options.checkTimeoutMs,
        logger,
      })
    : openPGlite({
        schema,
        migrations,
        dataDir: options.dataDir,
        checkTimeoutMs: options.checkTimeoutMs,
        logger,
      })
}
