import { randomBytes } from 'node:crypto'
import { assertSchemaName } from './SchemaName.ts'

/** True when real services must be present: in CI, or when asked with AGENT_SRE_REQUIRE_SERVICES=1. */
export const servicesRequired = (env: NodeJS.ProcessEnv = process.env): boolean =>
  env.CI === 'true' || env.CI === '1' || env.AGENT_SRE_REQUIRE_SERVICES === '1'

/**
 * The value of a real-service variable (DATABASE_URL, REDIS_URL, …) for a test suite, or
 * undefined when unset so the suite can skip locally. Throws when it is unset but services are
 * required, so CI can never go green by skipping.
 *
 *   const url = requireServiceEnv('DATABASE_URL')
 *   describe.skipIf(!url)('on PostgreSQL', () => { … })
 */
export const requireServiceEnv = (name: string, env: NodeJS.ProcessEnv = process.env): string | undefined => {
  const value = env[name]?.trim()
  if (value) return value
  if (servicesRequired(env)) {
    throw new Error(
      `${name} is not set but real services are required (CI=true or AGENT_SRE_REQUIRE_SERVICES=1): ` +
        'start them with scripts/services and export the variable',
    )
  }
  return undefined
}

/** A schema name no other test run uses, so suites can share one real Postgres safely. */
export const freshSchemaName = (prefix = 'test'): string => {
  const suffix = `_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`
  return assertSchemaName(prefix.slice(0, 63 - suffix.length) + suffix)
}
