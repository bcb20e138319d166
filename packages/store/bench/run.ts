// Write-path shapes the architecture asks for, on whichever backends the environment selects
// (DATABASE_URL / REDIS_URL, else PGlite / in-process). Bounded: fixed row and call counts.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { openCache, openDatabase } from '../src/index.ts'
import { freshSchemaName } from '../src/testing.ts'

const ROWS = 1000
const ROUNDS = 5
const CALLS = 20_000
const CONCURRENCY = 32

const timed = async (run: () => Promise<unknown>): Promise<number> => {
  const started = performance.now()
  await run()
  return performance.now() - started
}

test(`${ROWS}-row write: one unnest statement vs one statement per row`, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'agent-sre-store-bench-'))
  await writeFile(
    join(dir, '0001_alerts.sql'),
    'create table alerts (fingerprint text primary key, value int);\n',
  )
  const schema = freshSchemaName('bench')
  const db = await openDatabase({ url: process.env.DATABASE_URL, schema, migrationsDir: dir })
  try {
    const keys = (round: number) => Array.from({ length: ROWS }, (_, i) => `r${round}-${i}`)
    let batchMs = 0
    let rowMs = 0
    for (let round = 0; round < ROUNDS; round++) {
      const batch = keys(round * 2)
      batchMs += await timed(() =>
        db.query('insert into alerts select * from unnest($1::text[], $2::int[])', [
          batch,
          batch.map((_, i) => i),
        ]),
      )
      const single = keys(round * 2 + 1)
      rowMs += await timed(() =>
        db.transaction(async (tx) => {
          for (const [i, key] of single.entries())
            await tx.query('insert into alerts values ($1, $2)', [key, i])
        }),
      )
    }
    t.diagnostic(`backend: ${db.kind}`)
    t.diagnostic(`unnest:  ${Math.round((ROWS * ROUNDS * 1000) / batchMs)} rows/s`)
    t.diagnostic(`per row: ${Math.round((ROWS * ROUNDS * 1000) / rowMs)} rows/s (one transaction)`)
  } finally {
    if (db.kind === 'postgres') await db.query(`drop schema ${schema} cascade`)
    await db.close()
    await rm(dir, { recursive: true, force: true })
  }
})

test(`cache setIfAbsent: ${CALLS} calls, ${CONCURRENCY} in flight`, async (t) => {
  const cache = openCache({ url: process.env.REDIS_URL, keyPrefix: `${freshSchemaName('bench')}:` })
  try {
    let next = 0
    const ms = await timed(() =>
      Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < CALLS) await cache.setIfAbsent(`dedup:${next++}`, '1', 60_000)
        }),
      ),
    )
    t.diagnostic(`backend: ${cache.kind}`)
    t.diagnostic(`setIfAbsent: ${Math.round((CALLS * 1000) / ms)} calls/s`)
  } finally {
    await cache.close()
  }
})

test(`cache dedup of ${CALLS} keys in requests of 10, ${CONCURRENCY} requests in flight`, async (t) => {
  const cache = openCache({ url: process.env.REDIS_URL, keyPrefix: `${freshSchemaName('bench')}:` })
  // Node CPU per key: what the caller's process pays (Redis' own CPU is not counted).
  const run = async (label: string, claim: (keys: string[]) => Promise<unknown>) => {
    let next = 0
    const cpu = process.cpuUsage()
    const ms = await timed(() =>
      Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < CALLS) {
            const keys = Array.from({ length: 10 }, () => `${label}:${next++}`)
            await claim(keys)
          }
        }),
      ),
    )
    const used = process.cpuUsage(cpu)
    const perKey = (used.user + used.system) / CALLS
    t.diagnostic(`${label}: ${Math.round((CALLS * 1000) / ms)} keys/s, ${perKey.toFixed(1)} µs node CPU/key`)
  }
  try {
    t.diagnostic(`backend: ${cache.kind}`)
    for (const round of [1, 2]) {
      await run(`setIfAbsent ×10 #${round}`, (keys) =>
        Promise.all(keys.map((k) => cache.setIfAbsent(k, '1', 60_000))),
      )
      await run(`setManyIfAbsent #${round}`, (keys) =>
        cache.setManyIfAbsent(
          keys.map((k) => [k, '1']),
          60_000,
        ),
      )
    }
  } finally {
    await cache.close()
  }
})
