import { Type } from '@sinclair/typebox'
import { describe, expect, it } from 'vitest'
import { type ConfigError, isConfigError, loadConfig } from '../src/Config.ts'
import { ServiceConfigSchema, SinkSettings, sinkUrlOf, storeSettings } from '../src/ServiceConfig.ts'

const Schema = Type.Object({
  PORT: Type.Integer({ default: 8080 }),
  DEBUG: Type.Boolean({ default: false }),
  RATIO: Type.Number({ default: 0.5 }),
  DATABASE_URL: Type.String(),
  API_TOKEN: Type.Optional(Type.Integer()),
})

describe('loadConfig', () => {
  it('applies defaults and coerces strings to the declared types', () => {
    const config = loadConfig(Schema, { PORT: '9090', DEBUG: 'true', DATABASE_URL: 'postgres://x' })
    expect(config).toEqual({ PORT: 9090, DEBUG: true, RATIO: 0.5, DATABASE_URL: 'postgres://x' })
  })

  it('treats an empty variable as unset, so the default applies', () => {
    expect(loadConfig(Schema, { PORT: '', DATABASE_URL: 'x' }).PORT).toBe(8080)
  })

  it('fails with a message naming each bad variable and its value', () => {
    let error: unknown
    try {
      loadConfig(Schema, { PORT: 'eighty', DEBUG: 'maybe' })
    } catch (err) {
      error = err
    }
    expect(isConfigError(error)).toBe(true)
    const message = (error as ConfigError).message
    expect(message).toContain('PORT: expected integer, got "eighty"')
    expect(message).toContain('DEBUG: expected boolean, got "maybe"')
    expect(message).toContain('DATABASE_URL: is required but not set')
    expect((error as ConfigError).variables).toEqual(
      expect.arrayContaining(['PORT', 'DEBUG', 'DATABASE_URL']),
    )
  })

  it('does not echo the value of a credential variable', () => {
    expect(() => loadConfig(Schema, { DATABASE_URL: 'x', API_TOKEN: 'hunter2' })).toThrow(
      /API_TOKEN: expected integer$/,
    )
  })

  it('reads only the variables the schema names', () => {
    const config = loadConfig(Schema, { DATABASE_URL: 'x', UNRELATED: 'y' })
    expect(config).not.toHaveProperty('UNRELATED')
  })

  it('gives the kit settings usable defaults with an empty environment', () => {
    const config = loadConfig(ServiceConfigSchema, {})
    expect(config).toMatchObject({
      PORT: 8080,
      LOG_LEVEL: 'info',
      SHUTDOWN_DRAIN_DELAY_MS: 5000,
      K_REVISION: 'local',
    })
    expect(() => loadConfig(ServiceConfigSchema, { LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/)
  })
})

describe('storeSettings and SinkSettings', () => {
  const Schema = Type.Object({ ...storeSettings('ticketing'), ...SinkSettings })

  it('default the schema to the service name and the pool to 10, and leave URLs unset', () => {
    expect(loadConfig(Schema, {})).toEqual({ DATABASE_SCHEMA: 'ticketing', DATABASE_POOL_MAX: 10 })
  })

  it('emit to K_SINK, else to BROKER_URL', () => {
    expect(sinkUrlOf(loadConfig(Schema, { K_SINK: 'http://sink/', BROKER_URL: 'http://broker/' }))).toBe(
      'http://sink/',
    )
    expect(sinkUrlOf(loadConfig(Schema, { K_SINK: '', BROKER_URL: 'http://broker/' }))).toBe('http://broker/')
    expect(sinkUrlOf(loadConfig(Schema, {}))).toBeUndefined()
  })

  it('refuse a pool size below 1', () => {
    expect(() => loadConfig(Schema, { DATABASE_POOL_MAX: '0' })).toThrow(/DATABASE_POOL_MAX/)
  })
})
