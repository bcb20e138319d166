import { type Env, loadConfig } from '@agent-sre/service-kit'
import type { Registry } from 'prom-client'
import { buildApp } from '../../../alert-intake/src/app.ts'
import { AppConfigSchema } from '../../../alert-intake/src/config.ts'

/** The alert-intake service as `apps/alert-intake/src/server.ts` builds it (it opens its own store). */
export async function build(env: Env, registry: Registry) {
  const config = loadConfig(AppConfigSchema, env)
  return (await buildApp({ config, env, registry })).app
}
