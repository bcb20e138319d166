/**
 * The real-service variable for a test: undefined (skip) when unset locally, but a hard failure
 * when CI=true or AGENT_SRE_REQUIRE_SERVICES=1, so CI can never go green by skipping.
 */
export function requireServiceEnv(name: string): string | undefined {
  const value = process.env[name]
  if (value) return value
  if (process.env.CI === 'true' || process.env.AGENT_SRE_REQUIRE_SERVICES === '1') {
    throw new Error(`${name} is not set: this test needs the real service (run scripts/services up)`)
  }
  return undefined
}
