// Sticky assignments, kept off the request path's write side.
//
// Reads: pending writes, then an in-process LRU, then Postgres — misses that arrive together are
// gathered into one query (`unnest` of keys) per event-loop turn.
// Writes: `remember` records the assignment in memory and answers at once; a timer writes the
// pending assignments in batches (one multi-row `insert … on conflict do nothing` per batch: the
// first writer across replicas wins, and a replica that lost a race reads and caches the winner).
//
// Durability (also in docs/experiments.md): an assignment is durable once the batch holding it
// commits, normally within `flushIntervalMs` of the response. On SIGTERM the app's onClose flushes
// everything pending before exit. A hard crash loses the assignments of the last interval that
// were not yet committed; those users are assigned again by the same hash, so they get the same
// variant unless the experiment's weights changed inside that window. While Postgres is down,
// up to `maxPending` assignments wait in memory and are retried; beyond that, new ones are served
// but not persisted, and counted.

import type { Queryable } from '@agent-sre/store'
import { type Counter, type Registry, register } from 'prom-client'
import { Lru } from '../domain/Lru.ts'
import { counter, gauge } from './metrics.ts'

export type StickyAssignment = {
  variant: string
  assignmentId: string
  assignedAt: number
  /** `assignedAt` in ISO 8601, kept once formatted: every answer to a returning user quotes it. */
  timestamp?: string
}

type Key = { experimentId: string; bucketVersion: number; userId: string }
type Pending = Key & StickyAssignment
type Waiting = Key & { resolve: (value: StickyAssignment | undefined) => void }
type Logger = { warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void }

export const ASSIGNMENT_RETENTION_MS = 90 * 24 * 3_600_000

export interface AssignmentStoreOptions {
  db: Queryable
  logger: Logger
  registry?: Registry
  flushIntervalMs?: number
  maxBatch?: number
  maxPending?: number
  cacheEntries?: number
  cacheTtlMs?: number
  /** How long "this user has no stored assignment" is remembered. */
  negativeTtlMs?: number
  retentionMs?: number
  now?: () => number
}

export class AssignmentStore {
  readonly #db: Queryable
  readonly #logger: Logger
  readonly #maxBatch: number
  readonly #maxPending: number
  readonly #negativeTtlMs: number
  readonly #cacheTtlMs: number
  readonly #retentionMs: number
  readonly #now: () => number
  readonly #cache: Lru<string, StickyAssignment | null>
  readonly #pending = new Map<string, Pending>()
  #waiting: Map<string, Waiting[]> = new Map()
  #readScheduled = false
  #flushing: Promise<void> | undefined
  readonly #timer: NodeJS.Timeout
  readonly #lookups: Counter<'source'>
  readonly #writes: Counter<'outcome'>

  constructor(options: AssignmentStoreOptions) {
    this.#db = options.db
    this.#logger = options.logger
    this.#maxBatch = options.maxBatch ?? 1000
    this.#maxPending = options.maxPending ?? 100_000
    this.#negativeTtlMs = options.negativeTtlMs ?? 60_000
    this.#retentionMs = options.retentionMs ?? ASSIGNMENT_RETENTION_MS
    this.#now = options.now ?? Date.now
    this.#cacheTtlMs = options.cacheTtlMs ?? 600_000
    this.#cache = new Lru(options.cacheEntries ?? 100_000, this.#cacheTtlMs, this.#now)
    const registry = options.registry ?? register
    this.#lookups = counter(
      registry,
      'agentsre_experiments_sticky_lookups_total',
      'Sticky assignment lookups by where the answer came from (pending, cache, database, none, error)',
      ['source'],
    )
    this.#writes = counter(
      registry,
      'agentsre_experiments_assignment_writes_total',
      'Assignments written behind, by outcome (written, conflict, failed, dropped)',
      ['outcome'],
    )
    gauge(
      registry,
      'agentsre_experiments_assignment_writes_pending',
      'Assignments not yet committed',
      () => this.#pending.size,
    )
    this.#timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 50)
    this.#timer.unref()
  }

  get pendingCount(): number {
    return this.#pending.size
  }

  /**
   * What this replica knows without I/O: the assignment (pending or cached), null when known to
   * have none, undefined when unknown.
   */
  cached(experimentId: string, bucketVersion: number, userId: string): StickyAssignment | null | undefined {
    const id = keyOf(experimentId, bucketVersion, userId)
    const pending = this.#pending.get(id)
    if (pending) {
      this.#lookups.inc({ source: 'pending' })
      return pending
    }
    const cached = this.#cache.get(id)
    if (cached !== undefined) this.#lookups.inc({ source: cached ? 'cache' : 'none' })
    return cached
  }

  /** The user's unexpired persisted assignment, if any. Never rejects: a read error counts as none. */
  lookup(experimentId: string, bucketVersion: number, userId: string): Promise<StickyAssignment | undefined> {
    const known = this.cached(experimentId, bucketVersion, userId)
    if (known !== undefined) return Promise.resolve(known ?? undefined)
    return this.load(experimentId, bucketVersion, userId)
  }

  /**
   * `lookup` for a user that `cached` just did not know: the database read (batched with the other
   * reads of this event-loop turn) without asking the memory a second time. Never rejects.
   */
  load(experimentId: string, bucketVersion: number, userId: string): Promise<StickyAssignment | undefined> {
    const id = keyOf(experimentId, bucketVersion, userId)
    return new Promise((resolve) => {
      const list = this.#waiting.get(id)
      if (list) list.push({ experimentId, bucketVersion, userId, resolve })
      else this.#waiting.set(id, [{ experimentId, bucketVersion, userId, resolve }])
      if (!this.#readScheduled) {
        this.#readScheduled = true
        setImmediate(() => void this.#readBatch())
      }
    })
  }

  /** Records a new assignment; it is written behind. False when the buffer is full (not persisted). */
  remember(
    experimentId: string,
    bucketVersion: number,
    userId: string,
    assignment: StickyAssignment,
  ): boolean {
    const id = keyOf(experimentId, bucketVersion, userId)
    this.#cache.set(id, assignment)
    if (this.#pending.has(id)) return true
    if (this.#pending.size >= this.#maxPending) {
      this.#writes.inc({ outcome: 'dropped' })
      return false
    }
    this.#pending.set(id, { experimentId, bucketVersion, userId, ...assignment })
    return true
  }

  /** Writes one batch of pending assignments (a no-op while another flush runs). */
  flush(): Promise<void> {
    if (this.#flushing || this.#pending.size === 0) return this.#flushing ?? Promise.resolve()
    this.#flushing = this.#writeBatch().finally(() => {
      this.#flushing = undefined
    })
    return this.#flushing
  }

  /** Flushes until nothing is pending, or a batch fails (what is left is reported). */
  async close(): Promise<void> {
    clearInterval(this.#timer)
    await this.#flushing
    while (this.#pending.size > 0) {
      const before = this.#pending.size
      await this.flush()
      if (this.#pending.size >= before) {
        this.#logger.error({ pending: this.#pending.size }, 'assignments not persisted at shutdown')
        return
      }
    }
  }

  /** Deletes expired assignments, at most `limit` per call; returns how many. */
  async purgeExpired(limit = 10_000): Promise<number> {
    const { rowCount } = await this.#db.query(
      `delete from assignments where ctid in (select ctid from assignments where expires_at <= now() limit $1)`,
      [limit],
    )
    return rowCount
  }

  async #writeBatch(): Promise<void> {
    const batch: Pending[] = []
    for (const p of this.#pending.values()) {
      batch.push(p)
      if (batch.length >= this.#maxBatch) break
    }
    try {
      const { rows } = await this.#db.query<{
        experiment_id: string
        bucket_version: number
        user_id: string
      }>(
        `insert into assignments
           (experiment_id, bucket_version, user_id, variant, assignment_id, assigned_at, expires_at)
         select * from unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::uuid[],
                              $6::timestamptz[], $7::timestamptz[])
         on conflict do nothing
         returning experiment_id, bucket_version, user_id`,
        [
          batch.map((p) => p.experimentId),
          batch.map((p) => p.bucketVersion),
          batch.map((p) => p.userId),
          batch.map((p) => p.variant),
          batch.map((p) => p.assignmentId),
          batch.map((p) => p.timestamp ?? new Date(p.assignedAt).toISOString()),
          batch.map((p) => new Date(p.assignedAt + this.#retentionMs).toISOString()),
        ],
      )
      const inserted = new Set(rows.map((r) => keyOf(r.experiment_id, Number(r.bucket_version), r.user_id)))
      const lost: Pending[] = []
      for (const p of batch) {
        const id = keyOf(p.experimentId, p.bucketVersion, p.userId)
        if (this.#pending.get(id) === p) this.#pending.delete(id)
        if (!inserted.has(id)) lost.push(p)
      }
      this.#writes.inc({ outcome: 'written' }, inserted.size)
      if (lost.length > 0) {
        this.#writes.inc({ outcome: 'conflict' }, lost.length)
        await this.#cacheWinners(lost)
      }
    } catch (err) {
      this.#writes.inc({ outcome: 'failed' }, batch.length)
      this.#logger.warn(
        { err, batch: batch.length, pending: this.#pending.size },
        'assignment batch not written, will retry',
      )
    }
  }

  /**
   * Another replica persisted a first assignment before us: cache theirs now, here in the flush,
   * so the users' next requests answer from memory instead of reading Postgres (or re-assigning).
   */
  async #cacheWinners(lost: readonly Pending[]): Promise<void> {
    let found: Map<string, StickyAssignment> | undefined
    try {
      found = await this.#select(lost)
    } catch (err) {
      this.#logger.warn({ err, keys: lost.length }, 'reading assignments that won a race failed')
    }
    for (const p of lost) {
      const id = keyOf(p.experimentId, p.bucketVersion, p.userId)
      const winner = found?.get(id)
      // Not found (the read failed, or the row that won has expired): forget ours, look up next time.
      if (winner) this.#cacheStored(id, winner)
      else this.#cache.delete(id)
    }
  }

  #cacheStored(id: string, stored: StickyAssignment): void {
    const remaining = stored.assignedAt + this.#retentionMs - this.#now()
    this.#cache.set(id, stored, Math.max(1, Math.min(remaining, this.#cacheTtlMs)))
  }

  async #select(keys: readonly Key[]): Promise<Map<string, StickyAssignment>> {
    const { rows } = await this.#db.query<{
      experiment_id: string
      bucket_version: number
      user_id: string
      variant: string
      assignment_id: string
      assigned_at: Date | string
    }>(
      `select a.experiment_id, a.bucket_version, a.user_id, a.variant, a.assignment_id, a.assigned_at
       from assignments a
       join unnest($1::uuid[], $2::int[], $3::text[]) as k(experiment_id, bucket_version, user_id)
         using (experiment_id, bucket_version, user_id)
       where a.expires_at > now()`,
      [keys.map((k) => k.experimentId), keys.map((k) => k.bucketVersion), keys.map((k) => k.userId)],
    )
    return new Map(
      rows.map((r) => [
        keyOf(r.experiment_id, Number(r.bucket_version), r.user_id),
        storedAssignment(r.variant, r.assignment_id, new Date(r.assigned_at)),
      ]),
    )
  }

  async #readBatch(): Promise<void> {
    this.#readScheduled = false
    const waiting = this.#waiting
    this.#waiting = new Map()
    const ids = [...waiting.keys()]
    for (let start = 0; start < ids.length; start += this.#maxBatch) {
      await this.#readChunk(ids.slice(start, start + this.#maxBatch), waiting)
    }
  }

  async #readChunk(ids: string[], waiting: Map<string, Waiting[]>): Promise<void> {
    const keys = ids.map((id) => waiting.get(id)![0]!)
    let found: Map<string, StickyAssignment>
    try {
      found = await this.#select(keys)
    } catch (err) {
      this.#logger.warn({ err, keys: ids.length }, 'sticky assignment read failed; assigning by hash')
      this.#lookups.inc({ source: 'error' }, ids.length)
      for (const id of ids) for (const w of waiting.get(id)!) w.resolve(undefined)
      return
    }
    for (const id of ids) {
      const hit = found.get(id)
      // A write that landed while the read ran wins over a stale "none".
      const value = this.#pending.get(id) ?? hit
      if (hit) this.#cacheStored(id, hit)
      else if (!value) this.#cache.set(id, null, this.#negativeTtlMs)
      this.#lookups.inc({ source: value ? 'database' : 'none' })
      for (const w of waiting.get(id)!) w.resolve(value)
    }
  }
}

function keyOf(experimentId: string, bucketVersion: number, userId: string): string {
  return `${experimentId}\u0000${bucketVersion}\u0000${userId}`
}

function storedAssignment(variant: string, assignmentId: string, assignedAt: Date): StickyAssignment {
  return { variant, assignmentId, assignedAt: assignedAt.getTime(), timestamp: assignedAt.toISOString() }
}
