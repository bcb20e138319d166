import { createService } from '@agent-sre/service-kit'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { type ApiKey, parseApiKeys, requireApiKey } from '../../src/routes/auth.ts'

function appWith(keys: () => readonly ApiKey[]) {
  return createService({
    name: 'auth-test',
    config: { LOG_LEVEL: 'silent' },
    registry: new Registry(),
    routes: async (app) => {
      app.addHook('onRequest', requireApiKey(keys))
      app.get('/who', async (request) => ({ principal: request.principal }))
    },
  })
}

describe('requireApiKey', () => {
  it('runs open only for a service that never had keys', async () => {
    const app = appWith(() => [])
    const res = await app.inject({ method: 'GET', url: '/who' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ principal: 'anonymous' })
    await app.close()
  })

  // Regression: an empty re-read of a rotated key file used to switch authentication off.
  it('fails closed when the keys it had are gone', async () => {
    let keys = parseApiKeys('sdk:k1')
    const app = appWith(() => keys)
    expect((await app.inject({ method: 'GET', url: '/who', headers: { 'x-api-key': 'k1' } })).json()).toEqual(
      {
        principal: 'sdk',
      },
    )
    keys = parseApiKeys('')
    expect((await app.inject({ method: 'GET', url: '/who' })).statusCode).toBe(401)
    expect(
      (await app.inject({ method: 'GET', url: '/who', headers: { 'x-api-key': 'k1' } })).statusCode,
    ).toBe(401)
    keys = parseApiKeys('sdk:k2')
    expect(
      (await app.inject({ method: 'GET', url: '/who', headers: { 'x-api-key': 'k2' } })).statusCode,
    ).toBe(200)
    await app.close()
  })
})
