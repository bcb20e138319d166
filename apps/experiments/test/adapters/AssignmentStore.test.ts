import { randomUUID } from 'node:crypto'
import type { Database } from '@agent-sre/store'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AssignmentStore, type AssignmentStoreOptions } from '../../src/adapters/AssignmentStore.ts'
import { assignmentKey } from '../../src/domain/assignmentId.ts'
import { requireServiceEnv, testDatabase } from '../helpers.ts'

const databaseUrl = requireServiceEnv('DATABASE_URL')
const silent = { warn() {}, error() {} }

describe.each([
  { name: 'PGlite', url: undefined, enabled: true },
  { name: 'PostgreSQL', url: databaseUrl, enabled: Boolean(databaseUrl) },
])('AssignmentStore on $name', ({ url, enabled }) => {
  let db: Database
  const statements: string[] = []
  let counted: Database
  beforeAll(async () => {
    if (!enabled) return
    db = await testDatabase(url)
    counted = Object.assign(Object.create(db) as Database, {
      query: (sql: string, params?: readonly unknown[]) => {
        statements.push(sql.trim().split(/\s+/)[0]!)
        return db.query(sql, params)
      },
    })
  })
  afterAll(async () => {
    await db?.close()
  })

  const store = (overrides: Partial<AssignmentStoreOptions<string>> = {}) =>
    new AssignmentStore<string>({
      db: counted,
      logger: silent,
      registry: new Registry(),
      flushIntervalMs: 60_000,
      ...overrides,
    })

  it.skipIf(!enabled)(
    'writes pending assignments as one multi-row statement and reads misses in one query',
    async () => {
      const experiment = randomUUID()
      const writer = store()
      const written = Array.from({ length: 50 }, (_, i) => ({
        variant: i % 2 ? 'a' : 'b',
        assignmentId: randomUUID(),
        timestamp: new Date(Date.now() - i * 1_001).toISOString(),
      }))
      for (const [i, assignment] of written.entries())
        writer.remember(assignmentKey(experiment, 1, `u${i}`), { ...assignment })
      expect(writer.pendingCount).toBe(50)
      statements.length = 0
      await writer.flush()
      // One statement: the insert, returning only the rows that lost a race.
      expect(statements).toEqual(['with'])
      expect(writer.pendingCount).toBe(0)

      const reader = store()
      statements.length = 0
      const found = await Promise.all(
        Array.from({ length: 60 }, (_, i) => reader.lookup(assignmentKey(experiment, 1, `u${i}`))),
      )
      expect(statements).toEqual(['select'])
      expect(found.filter(Boolean)).toHaveLength(50)
      expect(found[1]?.variant).toBe('a')
      // Every column as written, to the millisecond; expiry 90 days after the assignment.
      for (const [i, assignment] of written.entries()) expect(found[i]).toEqual(assignment)
      const { rows } = await db.query<{ days: number }>(
        `select distinct extract(epoch from expires_at - assigned_at) / 86400 as days
         from assignments where experiment_id = $1`,
        [experiment],
      )
      expect(rows.map((r) => Number(r.days))).toEqual([90])
      // Cached now, including the misses.
      statements.length = 0
      await Promise.all(
        Array.from({ length: 60 }, (_, i) => reader.lookup(assignmentKey(experiment, 1, `u${i}`))),
      )
      expect(statements).toEqual([])
      await writer.close()
      await reader.close()
    },
  )

  it.skipIf(!enabled)('keeps the first writer across replicas; the loser caches the winner', async () => {
    const experiment = randomUUID()
    // Notes (the app's exposures) come back only from the replica whose row was stored.
    const stored: string[] = []
    const first = store({ onStored: (notes) => stored.push(...notes.map((n) => `first ${n}`)) })
    const second = store({ onStored: (notes) => stored.push(...notes.map((n) => `second ${n}`)) })
    const assignment = (variant: string) => ({
      variant,
      assignmentId: randomUUID(),
      timestamp: new Date().toISOString(),
    })
    first.remember(assignmentKey(experiment, 1, 'race'), assignment('a'), 'race')
    second.remember(assignmentKey(experiment, 1, 'race'), assignment('b'), 'race')
    second.remember(assignmentKey(experiment, 1, 'only-second'), assignment('b'), 'only-second')
    await first.flush()
    expect(stored).toEqual(['first race'])
    statements.length = 0
    await second.flush()
    expect(stored).toEqual(['first race', 'second only-second'])
    // The loser reads the winner back in the flush, so its next request needs no query.
    expect(statements).toEqual(['with', 'select'])
    statements.length = 0
    expect(second.cached(assignmentKey(experiment, 1, 'race'))?.variant).toBe('a')
    expect((await second.lookup(assignmentKey(experiment, 1, 'race')))?.variant).toBe('a')
    expect(statements).toEqual([])
    await first.close()
    await second.close()
  })

  it.skipIf(!enabled)('stores any user id and variant exactly, array-literal syntax included', async () => {
    // The batch reaches Postgres as array literals: quotes, backslashes, braces, commas, blanks,
    // `NULL` and non-ASCII must come back as written, and a replaced row must still be matched.
    const experiment = randomUUID()
    const awkward = ['"', '\\', '\\"', 'a,b', '{x}', ' padded ', 'NULL', 'null', "it's", 'é😀', '\t\n']
    const writer = store()
    const assignment = (variant: string) => ({
      variant,
      assignmentId: randomUUID(),
      timestamp: new Date().toISOString(),
    })
    for (const [i, userId] of awkward.entries())
      writer.remember(assignmentKey(experiment, 1, userId), assignment(awkward[(i + 1) % awkward.length]!))
    await writer.flush()
    expect(writer.pendingCount).toBe(0)
    const { rows } = await db.query<{ user_id: string; variant: string }>(
      'select user_id, variant from assignments where experiment_id = $1',
      [experiment],
    )
    expect(new Map(rows.map((r) => [r.user_id, r.variant]))).toEqual(
      new Map(awkward.map((userId, i) => [userId, awkward[(i + 1) % awkward.length]])),
    )
    // A variant removed from the experiment, named with the same characters, is overwritten.
    writer.remember(assignmentKey(experiment, 1, '{x}'), assignment('fresh'), undefined, awkward[4 + 1])
    await writer.flush()
    const reader = store()
    expect((await reader.lookup(assignmentKey(experiment, 1, '{x}')))?.variant).toBe('fresh')
    await writer.close()
    await reader.close()
  })

  it.skipIf(!enabled)('serves but does not persist a user id Postgres cannot store (NUL)', async () => {
    const experiment = randomUUID()
    const stored: string[] = []
    const writer = store({ onStored: (notes) => stored.push(...notes) })
    const assignment = () => ({
      variant: 'a',
      assignmentId: randomUUID(),
      timestamp: new Date().toISOString(),
    })
    const bad = assignmentKey(experiment, 1, 'nul\u0000user')
    expect(writer.remember(bad, assignment(), 'bad')).toBe(false)
    expect(writer.remember(assignmentKey(experiment, 1, 'fine'), assignment(), 'fine')).toBe(true)
    expect(writer.cached(bad)?.variant).toBe('a')
    await writer.flush()
    // The other assignment of the batch is written, and nothing waits for a retry; the note of the
    // one not stored stays with the caller (remember said false).
    expect(writer.pendingCount).toBe(0)
    expect(stored).toEqual(['fine'])
    const reader = store()
    const [found, none] = await Promise.all([
      reader.lookup(assignmentKey(experiment, 1, 'fine')),
      reader.lookup(bad),
    ])
    expect(found?.variant).toBe('a')
    expect(none).toBeUndefined()
    await writer.close()
  })

  it.skipIf(!enabled)(
    'hands over notes only once a batch commits: a failed batch keeps them for its retry',
    async () => {
      const experiment = randomUUID()
      let down = true
      const flaky = Object.assign(Object.create(db) as Database, {
        query: (sql: string, params?: readonly unknown[]) =>
          down ? Promise.reject(new Error('connection refused')) : db.query(sql, params),
      })
      const stored: string[] = []
      const writer = store({ db: flaky, onStored: (notes) => stored.push(...notes) })
      for (const user of ['p', 'q'])
        writer.remember(
          assignmentKey(experiment, 1, user),
          { variant: 'a', assignmentId: randomUUID(), timestamp: new Date().toISOString() },
          user,
        )
      await writer.flush()
      expect(stored).toEqual([])
      expect(writer.pendingCount).toBe(2)
      down = false
      await writer.flush()
      await writer.flush()
      expect(stored).toEqual(['p', 'q'])
      expect(writer.pendingCount).toBe(0)
    },
  )

  it.skipIf(!enabled)('a throwing onStored neither fails the committed batch nor repeats it', async () => {
    const experiment = randomUUID()
    const errors: object[] = []
    let calls = 0
    const writer = store({
      logger: { warn() {}, error: (obj) => errors.push(obj) },
      onStored: () => {
        calls++
        throw new Error('listener bug')
      },
    })
    writer.remember(
      assignmentKey(experiment, 1, 'once'),
      { variant: 'a', assignmentId: randomUUID(), timestamp: new Date().toISOString() },
      'once',
    )
    await writer.flush()
    await writer.flush()
    expect(calls).toBe(1)
    expect(writer.pendingCount).toBe(0)
    expect(errors).toHaveLength(1)
  })

  const fresh = (variant: string, timestamp = new Date().toISOString()) => ({
    variant,
    assignmentId: randomUUID(),
    timestamp,
  })

  it.skipIf(!enabled)(
    'stores a new assignment over an expired row not purged yet, and hands over its note',
    async () => {
      const experiment = randomUUID()
      const key = assignmentKey(experiment, 1, 'back-after-expiry')
      const old = store({ retentionMs: 1 })
      old.remember(key, fresh('a', new Date(Date.now() - 10_000).toISOString()), 'first')
      await old.close()
      const stored: string[] = []
      const later = store({ onStored: (notes) => stored.push(...notes) })
      expect(await later.lookup(key)).toBeUndefined()
      later.remember(key, fresh('b'), 'again')
      await later.flush()
      expect(stored).toEqual(['again'])
      expect((await store().lookup(key))?.variant).toBe('b')
    },
  )

  it.skipIf(!enabled)(
    'overwrites a stored variant that was removed, on one replica only; a live row holding another variant wins',
    async () => {
      const experiment = randomUUID()
      const key = assignmentKey(experiment, 1, 'moved')
      const first = store()
      first.remember(key, fresh('gone'))
      await first.flush()
      const stored: string[] = []
      const a = store({ onStored: (notes) => stored.push(...notes.map((n) => `a ${n}`)) })
      const b = store({ onStored: (notes) => stored.push(...notes.map((n) => `b ${n}`)) })
      a.remember(key, fresh('kept'), 'moved', 'gone')
      b.remember(key, fresh('kept'), 'moved', 'gone')
      await a.flush()
      await b.flush()
      // One replica's write replaced the row; the other lost the race and caches the new row.
      expect(stored).toEqual(['a moved'])
      expect(b.cached(key)?.variant).toBe('kept')
      // Naming a variant the row does not hold replaces nothing.
      const c = store({ onStored: (notes) => stored.push(...notes.map((n) => `c ${n}`)) })
      c.remember(key, fresh('other'), 'wrong', 'not-stored')
      await c.flush()
      expect(stored).toEqual(['a moved'])
      expect((await store().lookup(key))?.variant).toBe('kept')
    },
  )

  it.skipIf(!enabled)('purges every expired row in batches and keeps the live ones', async () => {
    const experiment = randomUUID()
    const expired = store({ retentionMs: 1 })
    for (let i = 0; i < 7; i++)
      expired.remember(
        assignmentKey(experiment, 1, `old-${i}`),
        fresh('a', new Date(Date.now() - 10_000).toISOString()),
      )
    await expired.close()
    const live = store()
    for (const user of ['new-1', 'new-2']) live.remember(assignmentKey(experiment, 1, user), fresh('a'))
    await live.close()
    // Batches of 3 until none is left (expired rows of other tests may be purged too).
    expect(await store().purgeExpired(3)).toBeGreaterThanOrEqual(7)
    const { rows } = await db.query<{ user_id: string }>(
      'select user_id from assignments where experiment_id = $1 order by user_id',
      [experiment],
    )
    expect(rows).toEqual([{ user_id: 'new-1' }, { user_id: 'new-2' }])
  })

  it.skipIf(!enabled)('ignores expired assignments and purges them', async () => {
    const experiment = randomUUID()
    const old = store({ retentionMs: 1 })
    old.remember(assignmentKey(experiment, 1, 'gone'), {
      variant: 'a',
      assignmentId: randomUUID(),
      timestamp: new Date(Date.now() - 10_000).toISOString(),
    })
    await old.close()
    expect(await store().lookup(assignmentKey(experiment, 1, 'gone'))).toBeUndefined()
    expect(await store().purgeExpired()).toBeGreaterThanOrEqual(1)
  })

  it.skipIf(!enabled)(
    'flushes everything on close and bounds what waits while the database is down',
    async () => {
      const experiment = randomUUID()
      const stored: string[] = []
      const bounded = store({ maxPending: 2, maxBatch: 1, onStored: (notes) => stored.push(...notes) })
      const remember = (user: string) =>
        bounded.remember(
          assignmentKey(experiment, 1, user),
          { variant: 'a', assignmentId: randomUUID(), timestamp: new Date().toISOString() },
          user,
        )
      expect([remember('x'), remember('y'), remember('z')]).toEqual([true, true, false])
      await bounded.close()
      expect(stored).toEqual(['x', 'y'])
      const { rows } = await db.query(
        'select user_id from assignments where experiment_id = $1 order by user_id',
        [experiment],
      )
      expect(rows).toEqual([{ user_id: 'x' }, { user_id: 'y' }])
    },
  )
})
