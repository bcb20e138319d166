import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { experimentBody, flagBody, requireServiceEnv, testApp } from '../helpers.ts'

const databaseUrl = requireServiceEnv('DATABASE_URL')
const redisUrl = requireServiceEnv('REDIS_URL')

const backends = [
  { name: 'PGlite + memory cache', databaseUrl: undefined, redisUrl: undefined, enabled: true },
  { name: 'PostgreSQL + Redis', databaseUrl, redisUrl, enabled: Boolean(databaseUrl && redisUrl) },
]

describe.each(backends)('admin API on $name', ({ databaseUrl, redisUrl, enabled }) => {
  let ctx: Awaited<ReturnType<typeof testApp>>
  const admin = { 'x-api-key': 'admin-secret' }
  beforeAll(async () => {
    if (!enabled) return
    ctx = await testApp({ databaseUrl, redisUrl, adminKeys: () => [{ name: 'alice', key: 'admin-secret' }] })
  })
  afterAll(async () => {
    await ctx?.app.close()
  })

  it.skipIf(!enabled)(
    'creates, reads, replaces and deletes an experiment with optimistic concurrency',
    async () => {
      const { app } = ctx
      const body = { ...experimentBody, key: 'crud' }
      const created = await app.inject({
        method: 'POST',
        url: '/admin/experiments',
        payload: body,
        headers: admin,
      })
      expect(created.statusCode).toBe(201)
      expect(created.headers.etag).toBe('"1"')
      expect(created.json()).toMatchObject({
        key: 'crud',
        version: 1,
        config: { seed: 'crud', bucketVersion: 1 },
      })

      const again = await app.inject({
        method: 'POST',
        url: '/admin/experiments',
        payload: body,
        headers: admin,
      })
      expect(again.statusCode).toBe(409)

      const read = await app.inject({ method: 'GET', url: '/admin/experiments/crud', headers: admin })
      expect(read.headers.etag).toBe('"1"')

      const changed = { ...body, trafficAllocation: 50 }
      const noPrecondition = await app.inject({
        method: 'PUT',
        url: '/admin/experiments/crud',
        payload: changed,
        headers: admin,
      })
      expect(noPrecondition.statusCode).toBe(428)

      const ok = await app.inject({
        method: 'PUT',
        url: '/admin/experiments/crud',
        payload: changed,
        headers: { ...admin, 'if-match': '"1"' },
      })
      expect(ok.statusCode).toBe(200)
      expect(ok.headers.etag).toBe('"2"')

      // A second writer still holding version 1 loses.
      const stale = await app.inject({
        method: 'PUT',
        url: '/admin/experiments/crud',
        payload: body,
        headers: { ...admin, 'if-match': '"1"' },
      })
      expect(stale.statusCode).toBe(412)
      expect(stale.headers.etag).toBe('"2"')

      const deleted = await app.inject({
        method: 'DELETE',
        url: '/admin/experiments/crud',
        headers: { ...admin, 'if-match': '"2"' },
      })
      expect(deleted.statusCode).toBe(204)
      expect(
        (await app.inject({ method: 'GET', url: '/admin/experiments/crud', headers: admin })).statusCode,
      ).toBe(404)

      const audit = await app.inject({ method: 'GET', url: '/admin/experiments/crud/audit', headers: admin })
      expect(
        audit
          .json()
          .items.map((e: { action: string; version: number; actor: string }) => [
            e.action,
            e.version,
            e.actor,
          ]),
      ).toEqual([
        ['delete', 3, 'alice'],
        ['update', 2, 'alice'],
        ['create', 1, 'alice'],
      ])
      expect(audit.json().items[1]).toMatchObject({
        before: { trafficAllocation: 100 },
        after: { trafficAllocation: 50 },
      })
    },
  )

  it.skipIf(!enabled)('rejects invalid configs with every problem and its path', async () => {
    const { app } = ctx
    const res = await app.inject({
      method: 'POST',
      url: '/admin/experiments',
      headers: admin,
      payload: {
        ...experimentBody,
        key: 'invalid',
        variants: [
          { key: 'a', weight: 60 },
          { key: 'b', weight: 30 },
        ],
        targeting: { attribute: 'email', op: 'regex', value: '(a+)+$' },
      },
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().code).toBe('EXPERIMENTS_INVALID_CONFIG')
    expect(res.json().details).toEqual([
      { path: 'body.variants', message: 'weights must sum to 100' },
      { path: 'body.targeting.value', message: 'nested quantifiers are not allowed' },
    ])

    const badKey = await app.inject({
      method: 'POST',
      url: '/admin/flags',
      headers: admin,
      payload: { ...flagBody, key: 'no spaces' },
    })
    expect(badKey.statusCode).toBe(400)

    const badType = await app.inject({
      method: 'POST',
      url: '/admin/flags',
      headers: admin,
      payload: { ...flagBody, key: 'typed', defaultValue: 'off' },
    })
    expect(badType.json().details).toEqual([{ path: 'body.defaultValue', message: 'must be a boolean' }])

    // A deeply nested value would overflow the stack while validating or storing it (a 500).
    const deep = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`
    const tooDeep = await app.inject({
      method: 'POST',
      url: '/admin/flags',
      headers: { ...admin, 'content-type': 'application/json' },
      payload: `{"key":"deep","enabled":true,"valueType":"object","defaultValue":${deep},"variants":[{"key":"a","value":{},"weight":100}]}`,
    })
    expect(tooDeep.statusCode).toBe(400)
    expect(tooDeep.json().details).toEqual([{ path: 'body', message: 'is nested more than 32 levels deep' }])
  })

  it.skipIf(!enabled)('manages flags the same way', async () => {
    const { app } = ctx
    const created = await app.inject({
      method: 'POST',
      url: '/admin/flags',
      headers: admin,
      payload: { ...flagBody, key: 'f1' },
    })
    expect(created.statusCode).toBe(201)
    const list = await app.inject({ method: 'GET', url: '/admin/flags', headers: admin })
    expect(list.json().items.map((f: { key: string }) => f.key)).toContain('f1')
    const mismatch = await app.inject({
      method: 'PUT',
      url: '/admin/flags/f1',
      headers: { ...admin, 'if-match': '"1"' },
      payload: { ...flagBody, key: 'other' },
    })
    expect(mismatch.statusCode).toBe(400)
  })

  it.skipIf(!enabled)('requires an admin key', async () => {
    const { app } = ctx
    expect((await app.inject({ method: 'GET', url: '/admin/flags' })).statusCode).toBe(401)
    expect(
      (await app.inject({ method: 'GET', url: '/admin/flags', headers: { 'x-api-key': 'nope' } })).statusCode,
    ).toBe(403)
    const bearer = await app.inject({
      method: 'GET',
      url: '/admin/flags',
      headers: { authorization: 'Bearer admin-secret' },
    })
    expect(bearer.statusCode).toBe(200)
    // The scheme is case-insensitive (RFC 9110): `bearer` is the same scheme.
    const lower = await app.inject({
      method: 'GET',
      url: '/admin/flags',
      headers: { authorization: 'bearer admin-secret' },
    })
    expect(lower.statusCode).toBe(200)
  })
})
