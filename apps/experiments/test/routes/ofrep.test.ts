import { OFREPProvider } from '@openfeature/ofrep-provider'
import { OpenFeature } from '@openfeature/server-sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONFIG_CHANNEL } from '../../src/adapters/ConfigCache.ts'
import { flagBody, testApp } from '../helpers.ts'

describe('OFREP', () => {
  let ctx: Awaited<ReturnType<typeof testApp>>
  let baseUrl: string
  const key = { 'x-api-key': 'eval-key' }

  beforeAll(async () => {
    ctx = await testApp({ apiKeys: () => [{ name: 'sdk', key: 'eval-key' }] })
    const flags = [
      { ...flagBody, key: 'dark-mode' },
      { ...flagBody, key: 'off', enabled: false },
      {
        key: 'banner',
        enabled: true,
        valueType: 'string',
        defaultValue: 'none',
        targeting: { attribute: 'plan', op: 'in', value: ['pro', 'enterprise'] },
        variants: [{ key: 'gold', value: 'gold-banner', weight: 100 }],
      },
      {
        key: 'limit',
        enabled: true,
        valueType: 'number',
        defaultValue: 10,
        rolloutPercentage: 100,
        variants: [
          { key: 'low', value: 20, weight: 50 },
          { key: 'high', value: 50, weight: 50 },
        ],
      },
      {
        key: 'layout',
        enabled: true,
        valueType: 'object',
        defaultValue: {},
        variants: [{ key: 'grid', value: { columns: 3 }, weight: 100 }],
      },
    ]
    for (const flag of flags) {
      const res = await ctx.app.inject({ method: 'POST', url: '/admin/flags', payload: flag })
      expect(res.statusCode).toBe(201)
    }
    baseUrl = await ctx.app.listen({ port: 0, host: '127.0.0.1' })
  })
  afterAll(async () => {
    await OpenFeature.close()
    await ctx?.app.close()
  })

  it('serves the OpenFeature server SDK through its OFREP provider', async () => {
    await OpenFeature.setProviderAndWait(
      new OFREPProvider({ baseUrl, headers: [['Authorization', 'Bearer eval-key']] }),
    )
    const client = OpenFeature.getClient()

    const dark = await client.getBooleanDetails('dark-mode', false, { targetingKey: 'u-1' })
    expect(dark).toMatchObject({ value: true, variant: 'on', reason: 'STATIC' })

    expect(await client.getBooleanDetails('off', true, { targetingKey: 'u-1' })).toMatchObject({
      value: false,
      reason: 'DISABLED',
    })

    expect(await client.getStringDetails('banner', 'x', { targetingKey: 'u-1', plan: 'pro' })).toMatchObject({
      value: 'gold-banner',
      reason: 'TARGETING_MATCH',
    })
    expect(await client.getStringDetails('banner', 'x', { targetingKey: 'u-1', plan: 'free' })).toMatchObject(
      {
        value: 'none',
        reason: 'DEFAULT',
      },
    )

    const limit = await client.getNumberDetails('limit', 0, { targetingKey: 'u-7' })
    expect(limit.reason).toBe('SPLIT')
    expect([20, 50]).toContain(limit.value)
    const missingKey = await client.getNumberDetails('limit', 0, {})
    expect(missingKey).toMatchObject({ value: 0, reason: 'ERROR', errorCode: 'TARGETING_KEY_MISSING' })

    expect((await client.getObjectDetails('layout', {}, { targetingKey: 'u' })).value).toEqual({ columns: 3 })

    expect(await client.getBooleanDetails('missing', true, { targetingKey: 'u' })).toMatchObject({
      value: true,
      reason: 'ERROR',
      errorCode: 'FLAG_NOT_FOUND',
    })
  })

  it('answers bulk evaluation with an ETag and 304 when nothing changed', async () => {
    const payload = { context: { targetingKey: 'u-1', plan: 'pro' } }
    const first = await ctx.app.inject({
      method: 'POST',
      url: '/ofrep/v1/evaluate/flags',
      headers: key,
      payload,
    })
    expect(first.statusCode).toBe(200)
    const etag = first.headers.etag as string
    expect(first.json().flags).toContainEqual({
      key: 'banner',
      value: 'gold-banner',
      reason: 'TARGETING_MATCH',
      variant: 'gold',
      metadata: { version: 1 },
    })
    const cached = await ctx.app.inject({
      method: 'POST',
      url: '/ofrep/v1/evaluate/flags',
      headers: { ...key, 'if-none-match': etag },
      payload,
    })
    expect(cached.statusCode).toBe(304)

    // Another context is another answer.
    const other = await ctx.app.inject({
      method: 'POST',
      url: '/ofrep/v1/evaluate/flags',
      headers: { ...key, 'if-none-match': etag },
      payload: { context: { targetingKey: 'u-2' } },
    })
    expect(other.statusCode).toBe(200)

    // A flag change changes the ETag.
    await ctx.app.inject({
      method: 'PUT',
      url: '/admin/flags/off',
      headers: { 'if-match': '"1"' },
      payload: { ...flagBody, key: 'off', enabled: true },
    })
    const changed = await ctx.app.inject({
      method: 'POST',
      url: '/ofrep/v1/evaluate/flags',
      headers: { ...key, 'if-none-match': etag },
      payload,
    })
    expect(changed.statusCode).toBe(200)
    expect(changed.headers.etag).not.toBe(etag)
  })

  it('reports OFREP errors in the OFREP shape', async () => {
    const single = (flag: string, payload: unknown) =>
      ctx.app.inject({
        method: 'POST',
        url: `/ofrep/v1/evaluate/flags/${flag}`,
        headers: { ...key, 'content-type': 'application/json' },
        payload: JSON.stringify(payload),
      })
    expect((await single('limit', { context: [] })).json()).toEqual({
      key: 'limit',
      errorCode: 'INVALID_CONTEXT',
      errorDetails: 'context must be a JSON object',
    })
    expect((await single('limit', { context: { targetingKey: 5 } })).statusCode).toBe(400)
    // Deep nesting would overflow the stack while hashing the context (a 500 before the bound).
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`
    const post = (url: string, payload: string) =>
      ctx.app.inject({
        method: 'POST',
        url,
        headers: { ...key, 'content-type': 'application/json' },
        payload,
      })
    const bulk = await post('/ofrep/v1/evaluate/flags', `{"context":{"targetingKey":"u","deep":${deep}}}`)
    expect(bulk.statusCode).toBe(400)
    expect(bulk.json()).toEqual({
      errorCode: 'INVALID_CONTEXT',
      errorDetails: 'context is nested more than 32 levels deep',
    })
    const one = await post('/ofrep/v1/evaluate/flags/limit', `{"context":{"deep":${deep}}}`)
    expect(one.json()).toMatchObject({ errorCode: 'INVALID_CONTEXT' })
    const nested = { a: { b: { c: [1, [2, { d: 'e' }]] } } }
    expect((await single('limit', { context: { targetingKey: 'u', nested } })).statusCode).toBe(200)
    expect((await single('nope', {})).statusCode).toBe(404)
    expect((await single('limit', {})).json()).toMatchObject({ errorCode: 'TARGETING_KEY_MISSING' })
  })

  it('publishes its configuration and requires a key', async () => {
    const config = await ctx.app.inject({ method: 'GET', url: '/ofrep/v1/configuration', headers: key })
    // The shape of the OFREP provider configuration (capabilities.cacheInvalidation / flagEvaluation).
    expect(config.json()).toEqual({
      name: 'agent-sre experiments',
      capabilities: {
        cacheInvalidation: { polling: { enabled: true, minPollingIntervalMs: 10_000 } },
        flagEvaluation: { supportedTypes: ['boolean', 'string', 'integer', 'float', 'object'] },
      },
    })
    expect((await ctx.app.inject({ method: 'GET', url: '/ofrep/v1/configuration' })).statusCode).toBe(401)
  })

  it('answers a stored flag this release cannot compile with PARSE_ERROR, and the other flags as usual', async () => {
    // As a newer release would store it (an operator this one does not know), and announce it on
    // the config channel as its admin API does.
    const broken = {
      ...flagBody,
      key: 'broken',
      rolloutPercentage: 100,
      targeting: { attribute: 'version', op: 'semver_caret', value: '1.2.3' },
    }
    await ctx.db.query('insert into flags (key, version, config) values ($1, 1, $2)', [
      'broken',
      JSON.stringify(broken),
    ])
    await ctx.cache.publish(CONFIG_CHANNEL, 'flag\nbroken')
    await new Promise((resolve) => setImmediate(resolve))

    const single = await ctx.app.inject({
      method: 'POST',
      url: '/ofrep/v1/evaluate/flags/broken',
      headers: key,
      payload: { context: { targetingKey: 'u' } },
    })
    expect(single.statusCode).toBe(400)
    expect(single.json()).toEqual({
      key: 'broken',
      errorCode: 'PARSE_ERROR',
      errorDetails: 'the stored flag configuration is invalid',
    })

    await OpenFeature.setProviderAndWait(new OFREPProvider({ baseUrl, headers: [['X-API-Key', 'eval-key']] }))
    expect(
      await OpenFeature.getClient().getBooleanDetails('broken', true, { targetingKey: 'u' }),
    ).toMatchObject({
      value: true,
      reason: 'ERROR',
      errorCode: 'PARSE_ERROR',
    })

    // Bulk: every flag has an entry; failures take the OFREP failure shape beside the successes.
    const bulk = await ctx.app.inject({
      method: 'POST',
      url: '/ofrep/v1/evaluate/flags',
      headers: key,
      payload: { context: { plan: 'pro' } },
    })
    expect(bulk.statusCode).toBe(200)
    const flags = bulk.json().flags
    expect(flags).toContainEqual({
      key: 'broken',
      errorCode: 'PARSE_ERROR',
      errorDetails: 'the stored flag configuration is invalid',
    })
    expect(flags).toContainEqual({
      key: 'limit',
      errorCode: 'TARGETING_KEY_MISSING',
      errorDetails: 'this flag needs context.targetingKey',
    })
    expect(flags).toContainEqual(
      expect.objectContaining({ key: 'banner', value: 'gold-banner', reason: 'TARGETING_MATCH' }),
    )

    const own = await ctx.app.inject({
      method: 'POST',
      url: '/flags/broken/evaluate',
      headers: key,
      payload: {},
    })
    expect(own.json()).toEqual({
      key: 'broken',
      enabled: false,
      variant: null,
      value: null,
      reason: 'ERROR',
      errorCode: 'PARSE_ERROR',
    })
  })

  it('evaluates through the own API', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/flags/banner/evaluate',
      headers: key,
      payload: { context: { targetingKey: 'u', plan: 'enterprise' } },
    })
    expect(res.json()).toEqual({
      key: 'banner',
      enabled: true,
      variant: 'gold',
      value: 'gold-banner',
      reason: 'TARGETING_MATCH',
    })
    const off = await ctx.app.inject({
      method: 'POST',
      url: '/flags/banner/evaluate',
      headers: key,
      payload: {},
    })
    expect(off.json()).toEqual({
      key: 'banner',
      enabled: false,
      variant: null,
      value: 'none',
      reason: 'DEFAULT',
    })
    expect(
      (await ctx.app.inject({ method: 'POST', url: '/flags/zzz/evaluate', headers: key, payload: {} }))
        .statusCode,
    ).toBe(404)
  })
})
