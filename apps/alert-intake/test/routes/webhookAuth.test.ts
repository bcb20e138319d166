import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alert, testApp, webhook } from '../helpers.ts'

// Basic auth as Alertmanager sends it (http_config.basic_auth with password_file), over a real
// loopback socket rather than app.inject, so header parsing is the one a client meets.
describe('webhook Basic auth over HTTP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alert-intake-auth-'))
  const passwordFile = join(dir, 'password')
  let t: Awaited<ReturnType<typeof testApp>>
  let url: string

  beforeAll(async () => {
    writeFileSync(passwordFile, 's3cret: with colon\n')
    t = await testApp({
      WEBHOOK_AUTH: 'basic',
      WEBHOOK_BASIC_USERNAME: 'alertmanager',
      WEBHOOK_BASIC_PASSWORD_FILE: passwordFile,
    })
    url = `${await t.app.listen({ port: 0, host: '127.0.0.1' })}/alertmanager`
  })
  afterAll(async () => {
    await t?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const send = (authorization?: string) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization && { authorization }) },
      body: JSON.stringify(webhook([alert({ alertname: 'Basic' })])),
    })
  const basic = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`

  it('accepts the configured user and password (a colon inside the password included)', async () => {
    const res = await send(basic('alertmanager', 's3cret: with colon'))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ accepted: 1, duplicates: 0 })
  })

  it.each([
    ['no header', undefined],
    ['wrong password', basic('alertmanager', 'nope')],
    ['wrong user', basic('root', 's3cret: with colon')],
    ['bearer instead of basic', 'Bearer s3cret: with colon'],
    ['no colon', `Basic ${Buffer.from('alertmanager').toString('base64')}`],
  ])('refuses %s with 401 and a Basic challenge', async (_name, authorization) => {
    const res = await send(authorization)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="alert-intake"')
    expect(((await res.json()) as { message: string }).message).toBeTruthy()
  })
})
