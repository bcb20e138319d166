// The in-process config cache. Entries are compiled once per load and kept for `ttlMs` (a safety
// net); a change made on any replica publishes the key on the cache's pub/sub channel (Redis in
// production), and every replica drops its entry, so changes take effect within a second.
// Concurrent misses for one key share one database read.

import { createHash } from 'node:crypto'
import { type Count, tally } from '@agent-sre/service-kit'
import type { Cache, Unsubscribe } from '@agent-sre/store'
import { type Registry, register } from 'prom-client'
import { type CompiledExperiment, compileExperiment } from '../domain/experiments.ts'
import { type CompiledFlag, compileFlag } from '../domain/flags.ts'
import type { ConfigIssue } from '../domain/issues.ts'
import type { ConfigRepository, Entity } from './ConfigRepository.ts'

export const CONFIG_CHANNEL = 'experiments.config-changed'

export type LoadedExperiment = {
  id: string
  version: number
  experiment: CompiledExperiment
  /** Whether a persisted assignment can differ from the hash, so it must be looked up. */
  stickyReads: boolean
}
/** A stored flag that no longer compiles (e.g. written by a newer release) is served as PARSE_ERROR. */
export type LoadedFlag = { version: number; flag: CompiledFlag } | { version: number; issues: ConfigIssue[] }
export type FlagSet = { etag: string; flags: ReadonlyMap<string, LoadedFlag> }

type Logger = { warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void }
type Entry = { value: unknown; expiresAt: number }

export interface ConfigCacheOptions {
  repository: ConfigRepository
  cache: Pick<Cache, 'publish' | 'subscribe'>
  ttlMs?: number
  registry?: Registry
  logger: Logger
  now?: () => number
}

const FLAG_SET = 'flag-set'

export class ConfigCache {
  readonly #repository: ConfigRepository
  readonly #cache: Pick<Cache, 'publish' | 'subscribe'>
  readonly #ttlMs: number
  readonly #logger: Logger
  readonly #now: () => number
  readonly #entries = new Map<string, Entry>()
  readonly #loading = new Map<string, Promise<unknown>>()
  /** Hit and miss counts per lookup kind (three kinds). */
  readonly #lookups = new Map<string, { hit: Count; miss: Count }>()
  readonly #lookupCount: ReturnType<typeof tally<'kind' | 'result'>>
  // Bumped by every invalidation; a load that started before one must not store its result.
  #generation = 0
  #unsubscribe: Unsubscribe | undefined

  constructor(options: ConfigCacheOptions) {
    this.#repository = options.repository
    this.#cache = options.cache
    this.#ttlMs = options.ttlMs ?? 300_000
    this.#logger = options.logger
    this.#now = options.now ?? Date.now
    this.#lookupCount = tally(
      options.registry ?? register,
      'agentsre_experiments_config_cache_lookups_total',
      'Config cache lookups by kind (experiment, flag, flag_set) and result (hit, miss)',
      ['kind', 'result'],
    )
  }

  async start(): Promise<void> {
    this.#unsubscribe = await this.#cache.subscribe(CONFIG_CHANNEL, (message) => {
      const [entity, key] = message.split('\n') as [Entity, string | undefined]
      if (key !== undefined) this.#invalidate(entity, key)
    })
  }

  async close(): Promise<void> {
    await this.#unsubscribe?.()
    this.#unsubscribe = undefined
  }

  experiment(key: string): Promise<LoadedExperiment | undefined> {
    return this.#lookup('experiment', `experiment:${key}`, async () => {
      const stored = await this.#repository.get('experiment', key)
      if (!stored) return undefined
      const compiled = compileExperiment(stored.config)
      if ('issues' in compiled) {
        this.#logger.error({ experiment: key, issues: compiled.issues }, 'stored experiment does not compile')
        return undefined
      }
      return {
        id: stored.id,
        version: stored.version,
        experiment: compiled.experiment,
        stickyReads: stored.stickyReads,
      }
    })
  }

  flag(key: string): Promise<LoadedFlag | undefined> {
    return this.#lookup('flag', `flag:${key}`, async () => {
      const stored = await this.#repository.get('flag', key)
      return stored ? this.#compileFlag(stored.config, stored.version) : undefined
    })
  }

  /** Every flag, for bulk evaluation; the ETag changes whenever any flag changes. */
  flagSet(): Promise<FlagSet> {
    return this.#lookup('flag_set', FLAG_SET, async () => {
      const stored = await this.#repository.list('flag')
      const hash = createHash('sha256')
      const flags = new Map<string, LoadedFlag>()
      for (const s of stored) {
        hash.update(`${s.config.key}\n${s.version}\n`)
        flags.set(s.config.key, this.#compileFlag(s.config, s.version))
      }
      return { etag: hash.digest('base64url').slice(0, 27), flags }
    })
  }

  /** Drops the entry here and tells every other replica to drop theirs. */
  async changed(entity: Entity, key: string): Promise<void> {
    this.#invalidate(entity, key)
    await this.#cache.publish(CONFIG_CHANNEL, `${entity}\n${key}`)
  }

  #invalidate(entity: Entity, key: string): void {
    this.#generation++
    this.#entries.delete(`${entity}:${key}`)
    if (entity === 'flag') this.#entries.delete(FLAG_SET)
  }

  #compileFlag(config: unknown, version: number): LoadedFlag {
    const compiled = compileFlag(config)
    if ('flag' in compiled) return { version, flag: compiled.flag }
    this.#logger.error(
      { flag: (config as { key?: unknown }).key, issues: compiled.issues },
      'stored flag does not compile',
    )
    return { version, issues: compiled.issues }
  }

  #counts(kind: string): { hit: Count; miss: Count } {
    let counts = this.#lookups.get(kind)
    if (!counts) {
      counts = {
        hit: this.#lookupCount({ kind, result: 'hit' }),
        miss: this.#lookupCount({ kind, result: 'miss' }),
      }
      this.#lookups.set(kind, counts)
    }
    return counts
  }

  async #lookup<T>(kind: string, id: string, load: () => Promise<T>): Promise<T> {
    const entry = this.#entries.get(id)
    if (entry && entry.expiresAt > this.#now()) {
      this.#counts(kind).hit.inc()
      return entry.value as T
    }
    this.#counts(kind).miss.inc()
    const pending = this.#loading.get(id)
    if (pending) return pending as Promise<T>
    const generation = this.#generation
    const promise = load()
      .then((value) => {
        if (generation === this.#generation)
          this.#entries.set(id, { value, expiresAt: this.#now() + this.#ttlMs })
        return value
      })
      .finally(() => this.#loading.delete(id))
    this.#loading.set(id, promise)
    return promise
  }
}
