import { openApp } from '@agent-sre/experiments'
import type { Env } from '@agent-sre/service-kit'
import type { Registry } from 'prom-client'

/** The experiments service as `apps/experiments/src/server.ts` builds it (it opens its own store). */
export async function build(env: Env, registry: Registry) {
  return openApp(env, { registry })
}
