import { describe, expect, it } from 'vitest'
import { freshSchemaName, requireServiceEnv } from '../src/testing.ts'

describe('requireServiceEnv', () => {
  it('returns the value when set', () => {
    expect(requireServiceEnv('REDIS_URL', { REDIS_URL: 'redis://x', CI: 'true' })).toBe('redis://x')
  })

  it('returns undefined locally so the suite can skip', () => {
    expect(requireServiceEnv('REDIS_URL', {})).toBeUndefined()
    expect(requireServiceEnv('REDIS_URL', { REDIS_URL: '  ', CI: 'false' })).toBeUndefined()
  })

  it('throws when services are required by CI or AGENT_SRE_REQUIRE_SERVICES', () => {
    expect(() => requireServiceEnv('DATABASE_URL', { CI: 'true' })).toThrow(/DATABASE_URL is not set/)
    expect(() => requireServiceEnv('DATABASE_URL', { AGENT_SRE_REQUIRE_SERVICES: '1' })).toThrow(
      /real services are required/,
    )
  })
})

describe('freshSchemaName', () => {
  it('gives distinct valid schema names within 63 characters', () => {
    const names = new Set(Array.from({ length: 100 }, () => freshSchemaName('ticketing')))
    expect(names.size).toBe(100)
    for (const name of names) expect(name).toMatch(/^ticketing_[a-z0-9_]+$/)
    expect(freshSchemaName('x'.repeat(80)).length).toBeLessThanOrEqual(63)
  })

  it('rejects a prefix that cannot start a schema name', () => {
    expect(() => freshSchemaName('Bad-Prefix')).toThrow(/invalid schema name/)
  })
})
