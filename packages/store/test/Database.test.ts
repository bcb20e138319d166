import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  type Database,
  type DatabaseOptions,
  isStoreUnavailableError,
  openDatabase,
  type Queryable,
} from '../src/index.ts'
import { freshSchemaName, requireServiceEnv } from '../src/testing.ts'

const MIGRATIONS = fileURLToPath(new URL('./fixtures/migrations', import.meta.url))
const BROKEN = fileURLToPath(new URL('./fixtures/broken', import.meta.url))
const databaseUrl = requireServiceEnv('DATABASE_URL')

const spyLogger = () => ({ debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() })

/** The same behaviour, asserted against embedded PGlite and against a real PostgreSQL. */
const databaseSuite = (kind: 'pglite' | 'postgres', url: string | undefined) => {
  const opened: Database[] = []
  const schemas: string[] = []
  const tempDirs: string[] = []

  const freshSchema = (prefix = 'store') => {
    const schema = freshSchemaName(prefix)
    schemas.push(schema)
    return schema
  }
  /** Where two successive opens find the same database: a PGlite data dir, or the server. */
  const persistentPlace = async (): Promise<Partial<DatabaseOptions>> => {
    if (kind === 'postgres') return {}
    const dataDir = await mkdtemp(join(tmpdir(), 'agent-sre-store-'))
    tempDirs.push(dataDir)
    return { dataDir }
  }
  const open = async (schema: string, options: Partial<DatabaseOptions> = {}) => {
    const db = await openDatabase({ url, schema, migrationsDir: MIGRATIONS, ...options })
    opened.push(db)
    return db
  }
  const names = async (db: Queryable, from = 'items') =>
    (await db.query<{ name: string }>(`select name from ${from} order by name`)).rows.map((r) => r.name)

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((db) => db.close()))
  })
  afterAll(async () => {
    await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })))
    if (kind === 'postgres' && schemas.length > 0) {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      try {
        for (const schema of schemas) await client.query(`drop schema if exists ${schema} cascade`)
      } finally {
        await client.end()
      }
    }
  })

  it('reports its kind and points search_path at the service schema', async () => {
    const schema = freshSchema()
    const db = await open(schema)
    expect(db.kind).toBe(kind)
    expect(db.schema).toBe(schema)
    expect((await db.query('show search_path')).rows).toEqual([{ search_path: schema }])
  })

  it('applies migrations into the service schema once, and not again on reopen', async () => {
    const place = await persistentPlace()
    const schema = freshSchema()
    const logger = spyLogger()
    const first = await open(schema, { ...place, logger })
    const tables = await first.query(
      `select table_schema from information_schema.tables where table_name = 'items' and table_schema in ($1, 'public')`,
      [schema],
    )
    expect(tables.rows).toEqual([{ table_schema: schema }])
    expect(logger.info).toHaveBeenCalledTimes(2)
    expect(logger.info).toHaveBeenCalledWith(
      { schema, migration: '0002_seed_items.sql' },
      'migration applied',
    )
    await first.close()

    logger.info.mockClear()
    const second = await open(schema, { ...place, logger })
    expect(logger.info).not.toHaveBeenCalled()
    expect(await names(second, 'schema_migrations')).toEqual(['0001_create_items.sql', '0002_seed_items.sql'])
    expect(await names(second)).toEqual(['seed'])
  })

  it('keeps two services that share a database apart, each in its own schema', async () => {
    const place = await persistentPlace()
    const a = freshSchema('svc_a')
    const b = freshSchema('svc_b')
    const dbA = await open(a, place)
    await dbA.query(`insert into items (name) values ('only-in-a')`)
    await dbA.close()

    const dbB = await open(b, place)
    expect(await names(dbB)).toEqual(['seed'])
    // Same database, so the other schema is reachable, but only when named.
    expect(await names(dbB, `${a}.items`)).toEqual(['only-in-a', 'seed'])
  })

  it('rolls back every file of a failing migration run, schema included', async () => {
    const place = await persistentPlace()
    const schema = freshSchema()
    await expect(open(schema, { ...place, migrationsDir: BROKEN })).rejects.toThrow(/0002_broken\.sql/)

    const other = await open(freshSchema(), place)
    const found = await other.query('select nspname from pg_namespace where nspname = $1', [schema])
    expect(found.rowCount).toBe(0)
  })

  it('warns when an applied migration file was edited afterwards', async () => {
    const place = await persistentPlace()
    const dir = await mkdtemp(join(tmpdir(), 'agent-sre-migrations-'))
    tempDirs.push(dir)
    await cp(MIGRATIONS, dir, { recursive: true })
    const schema = freshSchema()
    await (await open(schema, { ...place, migrationsDir: dir })).close()

    await writeFile(join(dir, '0002_seed_items.sql'), `insert into items (name) values ('edited');\n`)
    const logger = spyLogger()
    const db = await open(schema, { ...place, migrationsDir: dir, logger })
    expect(logger.warn).toHaveBeenCalledWith(
      { schema, migration: '0002_seed_items.sql' },
      'applied migration file has changed since it ran',
    )
    expect(await names(db)).toEqual(['seed'])
  })

  it.runIf(kind === 'postgres')('migrates safely when several replicas start at once', async () => {
    const schema = freshSchema()
    const replicas = await Promise.all(Array.from({ length: 4 }, () => open(schema, { poolMax: 2 })))
    const [db] = replicas
    expect(await names(db!, 'schema_migrations')).toEqual(['0001_create_items.sql', '0002_seed_items.sql'])
    expect(await names(db!)).toEqual(['seed'])
  })

  it.runIf(kind === 'postgres')('survives its connection being killed inside a transaction', async () => {
    const db = await open(freshSchema(), { poolMax: 1 })
    const admin = new pg.Client({ connectionString: url })
    await admin.connect()
    try {
      await expect(
        db.transaction(async (tx) => {
          const { rows } = await tx.query<{ pid: number }>('select pg_backend_pid() as pid')
          await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid])
          // Idle inside the transaction while the server drops the connection.
          await new Promise((resolve) => setTimeout(resolve, 200))
          await tx.query('select 1')
        }),
      ).rejects.toThrow()
    } finally {
      await admin.end()
    }
    // The dead connection was destroyed, not handed back: the single-slot pool works again.
    expect((await db.query('select 1 as one')).rows).toEqual([{ one: 1 }])
  })

  it('check() resolves while open and rejects with StoreUnavailableError once closed', async () => {
    const db = await open(freshSchema())
    await expect(db.check()).resolves.toBeUndefined()
    await db.close()
    await db.close()
    const failure = await db.check().then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(isStoreUnavailableError(failure)).toBe(true)
    expect(String(failure)).toMatch(new RegExp(`${kind} is unavailable`))
  })

  describe('queries', () => {
    let db: Database
    beforeAll(async () => {
      db = await openDatabase({ url, schema: freshSchema(), migrationsDir: MIGRATIONS })
    })
    afterAll(() => db.close())

    it('commits every statement of a transaction together and returns its value', async () => {
      const id = await db.transaction(async (tx) => {
        await tx.query(`insert into items (name) values ('tx-1')`)
        const { rows } = await tx.query<{ id: string }>(
          `insert into items (name) values ('tx-2') returning id`,
        )
        return rows[0]!.id
      })
      expect(id).toMatch(/^\d+$/)
      expect(await names(db)).toEqual(expect.arrayContaining(['tx-1', 'tx-2']))
    })

    it('rolls back everything when the transaction function throws, rethrowing its error', async () => {
      const boom = new Error('boom')
      await expect(
        db.transaction(async (tx) => {
          await tx.query(`insert into items (name) values ('rolled-back-1')`)
          throw boom
        }),
      ).rejects.toBe(boom)
      await expect(
        db.transaction(async (tx) => {
          await tx.query(`insert into items (name) values ('rolled-back-2')`)
          await tx.query(`insert into items (name) values ('seed')`)
        }),
      ).rejects.toThrow(/duplicate key/)
      expect(await names(db)).not.toEqual(expect.arrayContaining(['rolled-back-1']))
      expect(await names(db)).not.toEqual(expect.arrayContaining(['rolled-back-2']))
    })

    it('refuses a transaction handle used after its transaction ended', async () => {
      let leaked: Queryable | undefined
      await db.transaction(async (tx) => {
        leaked = tx
      })
      await expect(leaked!.query('select 1')).rejects.toThrow(/transaction already finished/)
    })

    it('takes arrays as parameters for one-round-trip batches with unnest', async () => {
      const batch = ['batch-a', 'batch "b"', 'batch,c', 'bätch-d']
      const inserted = await db.query(
        'insert into items (name, qty) select * from unnest($1::text[], $2::int[]) returning id',
        [batch, [1, 2, 3, 4]],
      )
      expect(inserted.rowCount).toBe(4)

      const upserted = await db.query(
        `insert into items (name, qty) select * from unnest($1::text[], $2::int[])
         on conflict (name) do update set qty = items.qty + excluded.qty`,
        [batch.slice(0, 2), [10, 20]],
      )
      expect(upserted).toEqual({ rows: [], rowCount: 2 })

      const selected = await db.query(
        'select name, qty from items where name = any($1::text[]) order by qty',
        [batch],
      )
      expect(selected.rows).toEqual([
        { name: 'batch,c', qty: 3 },
        { name: 'bätch-d', qty: 4 },
        { name: 'batch-a', qty: 11 },
        { name: 'batch "b"', qty: 22 },
      ])
      expect(selected.rowCount).toBe(4)
    })

    it('runs a named statement again and again, prepared once per connection on Postgres', async () => {
      const named = { name: 'store_test_items_by_qty' }
      const byQty = (q: Queryable, qty: number) =>
        q.query<{ name: string }>('select name from items where qty = $1 order by name', [qty], named)
      await db.query('insert into items (name, qty) values ($1, 707), ($2, 707), ($3, 708)', [
        'n-1',
        'n-2',
        'n-3',
      ])
      for (let i = 0; i < 7; i++) {
        expect((await byQty(db, 707)).rows.map((r) => r.name)).toEqual(['n-1', 'n-2'])
      }
      const prepared = await db.transaction(async (tx) => {
        expect((await byQty(tx, 708)).rows).toEqual([{ name: 'n-3' }])
        return (
          await tx.query<{ statement: string }>(
            'select statement from pg_prepared_statements where name = $1',
            [named.name],
          )
        ).rows
      })
      // node-postgres prepares it under its name; PGlite has no statements to name and ignores it.
      expect(prepared).toEqual(
        kind === 'postgres' ? [{ statement: 'select name from items where qty = $1 order by name' }] : [],
      )
    })

    it('returns the same JavaScript values on both backends', async () => {
      const at = new Date('2024-05-01T10:00:00.123Z')
      const { rows } = await db.query(
        `select 9007199254740993::int8 as big, 1.50::numeric as num, $1::jsonb as doc,
                $2::timestamptz as at, array['x', 'y'] as tags, true as flag, null::text as nothing`,
        [{ a: [1, 'two'] }, at],
      )
      expect(rows).toEqual([
        {
          big: '9007199254740993',
          num: '1.50',
          doc: { a: [1, 'two'] },
          at,
          tags: ['x', 'y'],
          flag: true,
          nothing: null,
        },
      ])
    })
  })
}

describe('pglite database', () => databaseSuite('pglite', undefined))
describe.skipIf(!databaseUrl)('postgres database', () => databaseSuite('postgres', databaseUrl))

describe('openDatabase', () => {
  it('rejects an unreachable Postgres without echoing the password', async () => {
    const failure = await openDatabase({
      url: 'postgres://agent:s3cret@127.0.0.1:1/none',
      schema: 'unreachable',
      connectTimeoutMs: 500,
    }).then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(String(failure)).toMatch(/ECONNREFUSED/)
    expect(String(failure)).not.toContain('s3cret')
  })

  it('rejects a bad schema name before connecting', async () => {
    await expect(openDatabase({ schema: 'alert-intake' })).rejects.toThrow(
      /invalid schema name "alert-intake"/,
    )
    await expect(openDatabase({ schema: 'pg_temp' })).rejects.toThrow(/invalid schema name/)
  })

  it('rejects a missing migrations directory by name', async () => {
    await expect(openDatabase({ schema: 'svc', migrationsDir: '/nonexistent/migrations' })).rejects.toThrow(
      /cannot read migrations directory \/nonexistent\/migrations/,
    )
  })

  it('rejects a database url that is not a URL, without echoing it', async () => {
    await expect(openDatabase({ schema: 'svc', url: 'host=db password=s3cret' })).rejects.toThrow(
      /^database url is not a valid postgres:\/\/ URL$/,
    )
  })
})
