import { type Database, openCache, openDatabase } from '@agent-sre/store'
import { freshSchemaName } from '@agent-sre/store/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ExposureEvent } from '../../src/adapters/ExposureRecorder.ts'
import { experimentBody, MIGRATIONS, requireServiceEnv, testApp, testDatabase } from '../helpers.ts'

const databaseUrl = requireServiceEnv('DATABASE_URL')
const redisUrl = requireServiceEnv('REDIS_URL')

const backends = [
  { name: 'PGlite + memory cache', databaseUrl: undefined, redisUrl: undefined, enabled: true },
  { name: 'PostgreSQL + Redis', databaseUrl, redisUrl, enabled: Boolean(databaseUrl && redisUrl) },
]

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(5)
  }
}

describe.each(backends)('assignment on $name', ({ databaseUrl, redisUrl, enabled }) => {
  let ctx: Awaited<ReturnType<typeof testApp>>
  const emitted: ExposureEvent[] = []
  beforeAll(async () => {
    if (!enabled) return
    ctx = await testApp({
      databaseUrl,
      redisUrl,
      emitter: {
        emit: async (event) => {
          emitted.push(event as ExposureEvent)
        },
        close: async () => {},
      },
    })
  })
  afterAll(async () => {
    await ctx?.app.close()
  })

  async function create(key: string, overrides: object = {}) {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/admin/experiments',
      payload: { ...experimentBody, key, ...overrides },
    })
    expect(res.statusCode).toBe(201)
    return res.json() as { id: string; version: number }
  }

  async function update(key: string, version: number, body: object) {
    const res = await ctx.app.inject({
      method: 'PUT',
      url: `/admin/experiments/${key}`,
      headers: { 'if-match': `"${version}"` },
      payload: { ...experimentBody, key, ...body },
    })
    expect(res.statusCode).toBe(200)
  }

  const assign = (key: string, user: string) =>
    ctx.app.inject({
      method: 'GET',
      url: `/assign?experiment_key=${key}&user_id=${encodeURIComponent(user)}`,
    })

  it.skipIf(!enabled)('answers 400 for invalid input and 404 for unknown or draft experiments', async () => {
    await create('drafted', { status: 'DRAFT' })
    expect((await assign('has space', 'u')).statusCode).toBe(400)
    expect((await ctx.app.inject({ method: 'GET', url: '/assign?experiment_key=x' })).statusCode).toBe(400)
    expect((await assign('nope', 'u')).statusCode).toBe(404)
    expect((await assign('drafted', 'u')).statusCode).toBe(404)
  })

  it.skipIf(!enabled)(
    'keeps a user on the first variant when weights change, until the bucket version is raised',
    async () => {
      const { id } = await create('sticky')
      const users = Array.from({ length: 40 }, (_, i) => `user-${i}`)
      const first = new Map<string, string>()
      const firstAnswer = new Map<string, { assignment_id: string; timestamp: string }>()
      for (const user of users) {
        const res = await assign('sticky', user)
        expect(res.statusCode).toBe(200)
        const body = res.json()
        expect(body).toMatchObject({ experiment_id: id, reason: 'ASSIGNED' })
        first.set(user, body.variant)
        firstAnswer.set(user, { assignment_id: body.assignment_id, timestamp: body.timestamp })
      }
      expect(new Set(first.values())).toEqual(new Set(['control', 'treatment']))
      await sleep(100) // let the write-behind flush

      await update('sticky', 1, {
        variants: [
          { key: 'control', weight: 0 },
          { key: 'treatment', weight: 100 },
        ],
      })
      for (const user of users) {
        const body = (await assign('sticky', user)).json()
        expect(body.variant).toBe(first.get(user))
        expect(body.reason).toBe('STICKY')
        // The first assignment's id and time, whether answered from memory or from Postgres.
        expect(body).toMatchObject(firstAnswer.get(user)!)
      }
      // A new user follows the new weights.
      expect((await assign('sticky', 'newcomer')).json().variant).toBe('treatment')

      await update('sticky', 2, {
        variants: [
          { key: 'control', weight: 0 },
          { key: 'treatment', weight: 100 },
        ],
        bucketVersion: 2,
      })
      for (const user of users)
        expect((await assign('sticky', user)).json()).toMatchObject({
          variant: 'treatment',
          reason: 'ASSIGNED',
        })
    },
  )

  it.skipIf(!enabled)('persists assignments behind the response, with a 90-day expiry', async () => {
    const { id } = await create('persisted')
    const body = (await assign('persisted', 'p-1')).json()
    await sleep(100)
    const { rows } = await ctx.db.query<{ variant: string; assignment_id: string; days: number }>(
      `select variant, assignment_id, extract(day from expires_at - assigned_at)::int as days
       from assignments where experiment_id = $1 and user_id = 'p-1'`,
      [id],
    )
    expect(rows).toEqual([{ variant: body.variant, assignment_id: body.assignment_id, days: 90 }])
  })

  it.skipIf(!enabled)('answers PAUSED and COMPLETED experiments with no variant and a reason', async () => {
    await create('paused', { status: 'PAUSED' })
    expect((await assign('paused', 'u')).json()).toMatchObject({
      variant: null,
      assignment_id: null,
      reason: 'EXPERIMENT_PAUSED',
    })
    await create('done', { status: 'COMPLETED' })
    expect((await assign('done', 'u')).json()).toMatchObject({
      variant: null,
      reason: 'EXPERIMENT_COMPLETED',
    })
  })

  it.skipIf(!enabled)('targets with the POST context', async () => {
    await create('targeted', { targeting: { attribute: 'country', op: 'eq', value: 'DE' } })
    const post = (context: object) =>
      ctx.app.inject({
        method: 'POST',
        url: '/assign',
        payload: { experiment_key: 'targeted', user_id: 't-1', context },
      })
    expect((await post({ country: 'US' })).json()).toMatchObject({ variant: null, reason: 'NOT_TARGETED' })
    expect((await post({ country: 'DE' })).json().reason).toBe('ASSIGNED')
    expect((await post({ country: { nested: true } })).statusCode).toBe(400)
  })

  it.skipIf(!enabled)('emits one exposure per new assignment, once it is stored', async () => {
    await create('exposed')
    const answers = []
    for (let i = 0; i < 3; i++) answers.push((await assign('exposed', 'e-1')).json())
    answers.push((await assign('exposed', 'e-2')).json())
    const exposedFor = () => emitted.filter((e) => e.data.experiment === 'exposed')
    await until(() => exposedFor().length >= 2)
    // Later answers come from the stored assignment and were exposed with it: no more events.
    await assign('exposed', 'e-1')
    await sleep(50)
    const events = exposedFor()
    expect(events.map((e) => e.data.userId).sort()).toEqual(['e-1', 'e-2'])
    expect(events[0]).toMatchObject({
      type: 'agentsre.experiment.exposure',
      source: '/agent-sre/experiments',
    })
    const byUser = new Map(events.map((e) => [e.data.userId, e.data]))
    expect(byUser.get('e-1')).toMatchObject({ variant: answers[0].variant, sticky: false })
    expect(byUser.get('e-2')).toMatchObject({ variant: answers[3].variant, sticky: false })
  })
})

describe.each(backends)(
  'a stored variant removed from the experiment on $name',
  ({ databaseUrl, enabled }) => {
    it.skipIf(!enabled)('is replaced: the new variant is served, stored and exposed once', async () => {
      const emitted: { userId: string; variant: string }[] = []
      const ctx = await testApp({
        databaseUrl,
        emitter: {
          emit: async (event) => {
            const { userId, variant } = (event as ExposureEvent).data
            emitted.push({ userId, variant })
          },
          close: async () => {},
        },
      })
      const body = { ...experimentBody, key: 'removed' }
      expect(
        (await ctx.app.inject({ method: 'POST', url: '/admin/experiments', payload: body })).statusCode,
      ).toBe(201)
      const assign = async (user: string) =>
        (await ctx.app.inject({ url: `/assign?experiment_key=removed&user_id=${user}` })).json()
      let user = ''
      for (let i = 0; !user; i++) if ((await assign(`rm-${i}`)).variant === 'treatment') user = `rm-${i}`
      await until(() => emitted.some((e) => e.userId === user))
      const removed = await ctx.app.inject({
        method: 'PUT',
        url: '/admin/experiments/removed',
        headers: { 'if-match': '"1"' },
        payload: { ...body, variants: [{ key: 'control', weight: 100 }] },
      })
      expect(removed.statusCode).toBe(200)
      expect(await assign(user)).toMatchObject({ variant: 'control', reason: 'ASSIGNED' })
      await until(() => emitted.filter((e) => e.userId === user).length === 2)
      expect(await assign(user)).toMatchObject({ variant: 'control', reason: 'STICKY' })
      await sleep(50)
      expect(emitted.filter((e) => e.userId === user)).toEqual([
        { userId: user, variant: 'treatment' },
        { userId: user, variant: 'control' },
      ])
      const { rows } = await ctx.db.query('select variant from assignments where user_id = $1', [user])
      expect(rows).toEqual([{ variant: 'control' }])
      await ctx.app.close()
    })
  },
)

describe.each(backends)('exposures across replicas on $name', ({ databaseUrl, enabled }) => {
  it.skipIf(!enabled)(
    'sends one exposure per user when two replicas assign the same users at once',
    async () => {
      // Two replicas on one database, each with its own pool (PGlite: one in-process database) and
      // its own in-process cache: the assignments table's primary key is the only thing shared.
      const schema = freshSchemaName('experiments')
      const open = () => openDatabase({ url: databaseUrl, schema, migrationsDir: MIGRATIONS })
      const dbA = await open()
      const dbB = databaseUrl ? await open() : dbA
      const emitted: { replica: string; userId: string; variant: string }[] = []
      const replica = (name: string, db: Database) =>
        testApp({
          db,
          cache: openCache(),
          emitter: {
            emit: async (event) => {
              const { userId, variant } = (event as ExposureEvent).data
              emitted.push({ replica: name, userId, variant })
            },
            close: async () => {},
          },
        })
      const a = await replica('a', dbA)
      const b = await replica('b', dbB)
      const created = await a.app.inject({
        method: 'POST',
        url: '/admin/experiments',
        payload: { ...experimentBody, key: 'both' },
      })
      expect(created.statusCode).toBe(201)
      await until(
        async () => (await b.app.inject({ url: '/assign?experiment_key=both&user_id=x' })).statusCode === 200,
      )
      const users = Array.from({ length: 40 }, (_, i) => `both-${i}`)
      const answers = await Promise.all(
        users.flatMap((user) =>
          [a, b].map(async ({ app }) =>
            (await app.inject({ url: `/assign?experiment_key=both&user_id=${user}` })).json(),
          ),
        ),
      )
      await until(() => emitted.filter((e) => e.userId !== 'x').length >= users.length)
      await sleep(100)
      const exposed = emitted.filter((e) => e.userId !== 'x')
      expect(exposed.map((e) => e.userId).sort()).toEqual([...users].sort())
      // Both replicas gave each user the same variant, and the exposure names it.
      const answered = new Map(
        users.map((user, i) => [user, [answers[2 * i].variant, answers[2 * i + 1].variant]]),
      )
      for (const e of exposed) expect(answered.get(e.userId)).toEqual([e.variant, e.variant])
      // Every user was written by both replicas: one insert stored it, the other lost the race.
      const writes = async (outcome: string) => {
        let total = 0
        for (const { registry } of [a, b]) {
          const metric = await registry.getSingleMetric('agentsre_experiments_assignment_writes_total')!.get()
          total += metric.values.find((v) => v.labels.outcome === outcome)?.value ?? 0
        }
        return total
      }
      expect(await writes('written')).toBe(users.length + 1)
      expect(await writes('conflict')).toBe(users.length)
      const { rows } = await dbA.query<{ n: number }>(
        `select count(*)::int as n from assignments where user_id like 'both-%'`,
      )
      expect(rows[0]!.n).toBe(users.length)
      await a.app.close()
      await b.app.close()
    },
  )
})

describe('stickiness across replicas', () => {
  it('serves a replica that never saw the user the first assignment, once the rules changed', async () => {
    const db = await testDatabase()
    const cache = openCache()
    const a = await testApp({ db, cache })
    const b = await testApp({ db, cache })
    const body = { ...experimentBody, key: 'replicas' }
    expect(
      (await a.app.inject({ method: 'POST', url: '/admin/experiments', payload: body })).statusCode,
    ).toBe(201)
    const users = Array.from({ length: 30 }, (_, i) => `r-${i}`)
    const first = new Map<string, { variant: string; assignment_id: string }>()
    for (const user of users) {
      first.set(
        user,
        (
          await a.app.inject({ method: 'GET', url: `/assign?experiment_key=replicas&user_id=${user}` })
        ).json(),
      )
    }
    await sleep(100)
    const moved = await a.app.inject({
      method: 'PUT',
      url: '/admin/experiments/replicas',
      headers: { 'if-match': '"1"' },
      payload: {
        ...body,
        variants: [
          { key: 'control', weight: 100 },
          { key: 'treatment', weight: 0 },
        ],
      },
    })
    expect(moved.statusCode).toBe(200)
    for (const user of users) {
      const res = (
        await b.app.inject({ method: 'GET', url: `/assign?experiment_key=replicas&user_id=${user}` })
      ).json()
      expect(res).toMatchObject({ ...first.get(user), reason: 'STICKY' })
    }
    const lowered = await a.app.inject({
      method: 'PUT',
      url: '/admin/experiments/replicas',
      headers: { 'if-match': '"2"' },
      payload: { ...body, bucketVersion: 0 },
    })
    expect(lowered.statusCode).toBe(400)
    await a.app.close()
    await b.app.close()
  })
})

describe('assignment under a stalled database', () => {
  it('answers without waiting for the assignment write, and writes once the database recovers', async () => {
    const real = await testDatabase()
    let release: () => void = () => {}
    const stalled = new Promise<void>((resolve) => {
      release = resolve
    })
    let stall = false
    // Inserts into assignments hang until released; everything else passes through.
    const db: Database = Object.assign(Object.create(real) as Database, {
      query: async (sql: string, params?: readonly unknown[]) => {
        if (stall && sql.includes('insert into assignments')) await stalled
        return real.query(sql, params)
      },
    })
    const { app } = await testApp({ db })
    const created = await app.inject({
      method: 'POST',
      url: '/admin/experiments',
      payload: { ...experimentBody, key: 'stall' },
    })
    stall = true
    const started = Date.now()
    const res = await app.inject({ method: 'GET', url: '/assign?experiment_key=stall&user_id=u-1' })
    expect(res.statusCode).toBe(200)
    expect(Date.now() - started).toBeLessThan(500)
    await sleep(50)
    const before = await real.query('select count(*)::int as n from assignments')
    expect(before.rows[0]).toEqual({ n: 0 })
    release()
    await sleep(100)
    const after = await real.query('select count(*)::int as n from assignments')
    expect(after.rows[0]).toEqual({ n: 1 })
    expect(created.statusCode).toBe(201)
    await app.close()
  })
})

describe('shutdown', () => {
  it('sends the queued exposures before it closes the emitter', async () => {
    const calls: string[] = []
    const ctx = await testApp({
      emitter: {
        emit: async (event) => {
          await new Promise((resolve) => setTimeout(resolve, 5))
          calls.push(`emit ${(event as ExposureEvent).data.userId}`)
        },
        close: async () => {
          calls.push('close')
        },
      },
    })
    const created = await ctx.app.inject({
      method: 'POST',
      url: '/admin/experiments',
      payload: experimentBody,
    })
    expect(created.statusCode).toBe(201)
    for (const user of ['u1', 'u2', 'u3']) {
      const res = await ctx.app.inject({
        url: `/assign?experiment_key=${experimentBody.key}&user_id=${user}`,
      })
      expect(res.statusCode).toBe(200)
    }
    await ctx.app.close()
    expect(calls.slice(0, 3).sort()).toEqual(['emit u1', 'emit u2', 'emit u3'])
    expect(calls.slice(3)).toEqual(['close'])
  })
})
