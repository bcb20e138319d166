import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '@agent-sre/service-kit'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { fingerprintOf } from '../../src/domain/fingerprint.ts'
import { alert, auth, TOKEN, testApp, webhook } from '../helpers.ts'

type T = Awaited<ReturnType<typeof testApp>>
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
})
const fp = fingerprintOf({ alertname: 'Read' })

async function seed(t: T) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/alertmanager',
    headers: auth,
    payload: webhook([alert({ alertname: 'Read' })]),
  })
  expect(res.statusCode).toBe(200)
}
const read = (t: T, headers: Record<string, string> = {}) =>
  Promise.all(
    ['/alerts', `/alerts/${fp}`].map((url) =>
      t.app.inject({ method: 'GET', url, headers }).then((r) => ({
        status: r.statusCode,
        challenge: r.headers['www-authenticate'],
        body: r.json(),
      })),
    ),
  )

describe('GET /alerts and /alerts/:fingerprint with the webhook credentials (no read token)', () => {
  let t: T
  beforeAll(async () => {
    t = await testApp()
    await seed(t)
  })
  afterAll(async () => {
    await t?.close()
  })

  it('answers the webhook bearer token', async () => {
    const [list, one] = await read(t, auth)
    expect(list?.status).toBe(200)
    expect(list?.body.alerts).toHaveLength(1)
    expect(one?.status).toBe(200)
    expect(one?.body.alert.fingerprint).toBe(fp)
  })

  it.each([
    ['no header', {}],
    ['a wrong token', bearer('nope')],
    ['the token as Basic', basic('alertmanager', TOKEN)],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ])('refuses %s with 401 and a Bearer challenge, leaking nothing', async (_name, headers) => {
    for (const r of await read(t, headers)) {
      expect(r.status).toBe(401)
      expect(r.challenge).toBe('Bearer')
      expect(r.body).toMatchObject({ code: 'AGENTSRE_UNAUTHORIZED' })
      expect(JSON.stringify(r.body)).not.toContain('Read')
    }
  })

  it('refuses before validating the query: a bad query without credentials is 401, not 400', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/alerts?limit=0' })
    expect(res.statusCode).toBe(401)
    expect((await t.app.inject({ method: 'GET', url: '/alerts?limit=0', headers: auth })).statusCode).toBe(
      400,
    )
  })

  it('leaves health and metrics open', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200)
    expect((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200)
  })
})

describe('with a read-only token (ALERTS_READ_TOKEN_FILE)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alert-intake-read-'))
  const file = join(dir, 'token')
  let t: T
  beforeAll(async () => {
    writeFileSync(file, 'reader-token-1\n')
    t = await testApp({ ALERTS_READ_TOKEN_FILE: file })
    await seed(t)
  })
  afterAll(async () => {
    await t?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('reads with the read token or the webhook token', async () => {
    for (const r of [...(await read(t, bearer('reader-token-1'))), ...(await read(t, auth))]) {
      expect(r.status).toBe(200)
    }
  })

  it('does not let the read token post alerts', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/alertmanager',
      headers: bearer('reader-token-1'),
      payload: webhook([alert({ alertname: 'Injected' })]),
    })
    expect(res.statusCode).toBe(401)
  })

  it('follows a rotation of the file, and an emptied file opens nothing (fails closed)', async () => {
    writeFileSync(file, 'reader-token-2\n')
    await vi.waitFor(async () => expect((await read(t, bearer('reader-token-2')))[0]?.status).toBe(200), {
      timeout: 15_000,
      interval: 50,
    })
    expect((await read(t, bearer('reader-token-1')))[0]?.status).toBe(401)
    writeFileSync(file, '')
    await vi.waitFor(async () => expect((await read(t, bearer('reader-token-2')))[0]?.status).toBe(401), {
      timeout: 15_000,
      interval: 50,
    })
    expect((await read(t, {}))[0]?.status).toBe(401)
    expect((await read(t, bearer('')))[0]?.status).toBe(401)
    expect((await read(t, auth))[0]?.status).toBe(200)
  }, 40_000)

  it('refuses to start with an empty token file', async () => {
    writeFileSync(join(dir, 'empty'), '\n')
    await expect(testApp({ ALERTS_READ_TOKEN_FILE: join(dir, 'empty') })).rejects.toThrow(ConfigError)
  })
})

describe('with WEBHOOK_AUTH=none', () => {
  let t: T | undefined
  afterEach(async () => {
    await t?.close()
    t = undefined
  })

  it('reads are open too when no read token is configured', async () => {
    t = await testApp({ WEBHOOK_AUTH: 'none' })
    await seed(t)
    for (const r of await read(t)) expect(r.status).toBe(200)
  })

  it('reads need the read token when one is configured', async () => {
    t = await testApp({ WEBHOOK_AUTH: 'none', ALERTS_READ_TOKEN: 'reader' })
    await seed(t)
    for (const r of await read(t)) expect(r).toMatchObject({ status: 401, challenge: 'Bearer' })
    for (const r of await read(t, bearer('reader'))) expect(r.status).toBe(200)
  })
})

describe('with WEBHOOK_AUTH=basic and a read token', () => {
  let t: T
  beforeAll(async () => {
    t = await testApp({
      WEBHOOK_AUTH: 'basic',
      WEBHOOK_BASIC_PASSWORD: 'pw',
      ALERTS_READ_TOKEN: 'reader',
    })
  })
  afterAll(async () => {
    await t?.close()
  })

  it('reads with either, and challenges for both', async () => {
    for (const r of await read(t, basic('alertmanager', 'pw'))) expect(r.status).not.toBe(401)
    for (const r of await read(t, bearer('reader'))) expect(r.status).not.toBe(401)
    for (const r of await read(t, basic('alertmanager', 'reader'))) {
      expect(r).toMatchObject({ status: 401, challenge: 'Basic realm="alert-intake", Bearer' })
    }
  })
})
