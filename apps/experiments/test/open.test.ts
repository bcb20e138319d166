import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '@agent-sre/service-kit'
import { freshSchemaName } from '@agent-sre/store/testing'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openApp } from '../src/open.ts'

describe('openApp', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'experiments-open-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('reads the API keys from the environment (variable and _FILE) on embedded backends', async () => {
    const keysFile = join(dir, 'keys')
    await writeFile(keysFile, 'sdk:eval-key\n')
    const registry = new Registry()
    const app = await openApp(
      {
        LOG_LEVEL: 'silent',
        DATABASE_SCHEMA: freshSchemaName('experiments'),
        EXPERIMENTS_API_KEYS_FILE: keysFile,
        EXPERIMENTS_ADMIN_API_KEYS: 'ops:admin-key',
      },
      { registry },
    )
    try {
      await app.ready()
      const get = (url: string, key?: string) =>
        app.inject({ method: 'GET', url, ...(key && { headers: { 'x-api-key': key } }) })
      expect((await get('/admin/flags')).statusCode).toBe(401)
      expect((await get('/admin/flags', 'admin-key')).statusCode).toBe(200)
      expect((await get('/ofrep/v1/configuration')).statusCode).toBe(401)
      expect((await get('/ofrep/v1/configuration', 'eval-key')).statusCode).toBe(200)
      // Metrics go to the registry given, not the global one.
      expect(await registry.metrics()).toContain('agentsre_experiments_')
    } finally {
      await app.close()
    }
  })

  it('fails with the variable named when a key file cannot be read', async () => {
    await expect(
      openApp({
        LOG_LEVEL: 'silent',
        DATABASE_SCHEMA: freshSchemaName('experiments'),
        EXPERIMENTS_ADMIN_API_KEYS_FILE: join(dir, 'missing'),
      }),
    ).rejects.toThrow(ConfigError)
  })
})
