import type { Cache } from '@agent-sre/store'

/** The part of @agent-sre/store's Cache the kit uses: dedup, rate limits, readiness. */
export type KitCache = Pick<Cache, 'setIfAbsent' | 'delete' | 'rateLimit' | 'check'>
