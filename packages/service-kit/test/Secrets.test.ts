import { mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { isConfigError } from '../src/Config.ts'
import { credentialsOf, safeEqual, secret } from '../src/Secrets.ts'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'secret-'))
  dirs.push(dir)
  return dir
}

async function eventually(read: () => string | undefined, expected: string): Promise<void> {
  const deadline = Date.now() + 3000
  while (read() !== expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
  expect(read()).toBe(expected)
}

describe('secret', () => {
  it('reads <NAME>_FILE, trims the trailing newline and follows changes without a restart', async () => {
    const file = join(tempDir(), 'token')
    writeFileSync(file, 'first\n')
    const token = secret('WEBHOOK_TOKEN', { env: { WEBHOOK_TOKEN_FILE: file } })
    expect(token.value()).toBe('first')
    writeFileSync(file, 'second\n')
    await eventually(token.value, 'second')
    token.close()
  })

  it('follows a Kubernetes-style ..data symlink swap', async () => {
    const dir = tempDir()
    const write = (version: string, value: string) => {
      writeFileSync(join(dir, version), value)
      symlinkSync(version, join(dir, '..data_tmp'))
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'))
    }
    write('v1', 'key-1')
    symlinkSync('..data', join(dir, 'token'))
    const token = secret('API_KEY', { env: { API_KEY_FILE: join(dir, 'token') } })
    expect(token.value()).toBe('key-1')
    write('v2', 'key-2')
    await eventually(token.value, 'key-2')
    token.close()
  })

  it('notices changes through the periodic stat alone', async () => {
    const file = join(tempDir(), 'token')
    writeFileSync(file, 'a')
    const token = secret('T', { env: { T_FILE: file }, pollIntervalMs: 20, watch: false })
    writeFileSync(file, 'b-longer')
    await eventually(token.value, 'b-longer')
    token.close()
  })

  it('stops re-reading once closed', async () => {
    const file = join(tempDir(), 'token')
    writeFileSync(file, 'a')
    const token = secret('T', { env: { T_FILE: file }, pollIntervalMs: 10 })
    await new Promise((r) => setTimeout(r, 30))
    token.close()
    writeFileSync(file, 'b')
    await new Promise((r) => setTimeout(r, 50))
    expect(token.value()).toBe('a')
  })

  it('uses the variable itself when there is no file, and fails start-up on an unreadable file', () => {
    expect(secret('TOKEN', { env: { TOKEN: 'plain' } }).value()).toBe('plain')
    expect(secret('TOKEN', { env: {} }).value()).toBeUndefined()
    let error: unknown
    try {
      secret('TOKEN', { env: { TOKEN_FILE: '/nonexistent/token' } })
    } catch (err) {
      error = err
    }
    expect(isConfigError(error)).toBe(true)
    expect((error as Error).message).toContain('TOKEN_FILE')
  })
})

describe('safeEqual', () => {
  it('compares tokens of any length without leaking through an exception', () => {
    expect(safeEqual('s3cret', 's3cret')).toBe(true)
    expect(safeEqual('s3cret', 's3cres')).toBe(false)
    expect(safeEqual('short', 'much-longer-secret')).toBe(false)
    expect(safeEqual(undefined, 's3cret')).toBe(false)
    expect(safeEqual('', '')).toBe(false)
  })
})

describe('credentialsOf', () => {
  it('reads the scheme case-insensitively and the value after the spaces (RFC 9110 §11.6.2)', () => {
    for (const header of ['Bearer t0k3n', 'bearer t0k3n', 'BEARER   t0k3n', ' Bearer t0k3n '])
      expect(credentialsOf(header)).toEqual({ scheme: 'bearer', value: 't0k3n' })
    expect(credentialsOf('Basic dXNlcjpwYXNz')).toEqual({ scheme: 'basic', value: 'dXNlcjpwYXNz' })
    // A value may hold spaces of its own (other schemes' parameters): only the first run separates.
    expect(credentialsOf('Custom a=1, b=2')).toEqual({ scheme: 'custom', value: 'a=1, b=2' })
  })

  it('gives nothing for a missing header, a scheme alone or no scheme', () => {
    for (const header of [undefined, '', 'Bearer', 'Bearer ', '   ', 't0k3n'])
      expect(credentialsOf(header)).toBeUndefined()
  })
})
