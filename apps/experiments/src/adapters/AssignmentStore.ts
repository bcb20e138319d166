// Sticky assignments, kept off the request path's write side.
//
// Reads: pending writes, then an in-process LRU, then Postgres — misses that arrive together are
// gathered into one query (`unnest` of keys) per event-loop turn.
// Writes: `remember` records the assignment in memory and answers at once; a timer writes the
// pending assignments in batches (one multi-row insert per batch: the first writer across
// replicas wins, and a replica that lost a race reads and caches the winner). A stored row gives
// way only when it has expired (and is not purged yet) or when it holds the variant the new
// assignment replaces (one removed from the experiment): otherwise the user would be served a
// variant that is never stored nor exposed, for as long as the old row lives.
// Each assignment may carry a note (the app's exposure event), handed to `onStored` once the row
// is committed — only by the replica whose row it is, so the primary key deduplicates the notes
// across replicas without a second store.
// Keys are `assignmentKey` strings; memory per new user is kept small on purpose (the pending map
// and the cache share the key and the assignment object): at thousands of new users per second,
// what each one retains is what the young-generation collections copy, and their pauses set p99.
//
// Durability (also in docs/experiments.md): an assignment is durable once the batch holding it
// commits, normally within `flushIntervalMs` of the response. On SIGTERM the app's onClose flushes
// everything pending before exit. A hard crash loses the assignments of the last interval that
// were not yet committed; those users are assigned again by the same hash, so they get the same
// variant unless the experiment's weights changed inside that window. While Postgres is down,
// up to `maxPending` assignments wait in memory and are retried; beyond that, new ones are served
// but not persisted, and counted. So is the assignment of a user id holding a NUL character, which
// Postgres `text` cannot store (one such row would fail every batch it was in, for ever).

import { type Count, tallyEach } from '@agent-sre/service-kit'
import type { Queryable } from '@agent-sre/store'
import { type Registry, register } from 'prom-client'
import { assignmentKey, assignmentKeyParts, storableKey } from '../domain/assignmentId.ts'
import { ShardedLru } from '../domain/Lru.ts'
import { gauge } from './metrics.ts'

export type StickyAssignment = {
  variant: string
  assignmentId: string
  /**
   * When the user was first assigned, in ISO 8601 with milliseconds: what every answer quotes and
   * what is stored, so it is the one form kept (new users of one millisecond share one string).
   */
  timestamp: string
}

type Resolve = (value: StickyAssignment | undefined) => void
/** A write not yet committed; short-lived, so the note never outlives the flush. */
type Pending<Note> = {
  assignment: StickyAssignment
  note: Note | undefined
  /** The stored variant this assignment replaces (it was removed from the experiment). */
  replaces: string | undefined
}
type Logger = { warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void }

export const ASSIGNMENT_RETENTION_MS = 90 * 24 * 3_600_000

export interface AssignmentStoreOptions<Note = never> {
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
  /**
   * Called after each commit with the notes of the assignments this replica stored first: never
   * for one another replica had already stored (a lost race), nor for one not stored. Must not
   * throw.
   */
  onStored?: (notes: Note[]) => void
}

export class AssignmentStore<Note = never> {
  readonly #db: Queryable
  readonly #logger: Logger
  readonly #maxBatch: number
  readonly #maxPending: number
  readonly #negativeTtlMs: number
  readonly #cacheTtlMs: number
  readonly #retentionMs: number
  readonly #now: () => number
  readonly #onStored: ((notes: Note[]) => void) | undefined
  readonly #cache: ShardedLru<StickyAssignment | null>
  /** Assignments not yet committed, by key (their assignment objects are those in the cache). */
  readonly #pending = new Map<string, Pending<Note>>()
  #waiting: Map<string, Resolve[]> = new Map()
  #readScheduled = false
  #flushing: Promise<void> | undefined
  readonly #timer: NodeJS.Timeout
  readonly #lookups: Record<'pending' | 'cache' | 'database' | 'none' | 'error', Count>
  readonly #writes: Record<'written' | 'conflict' | 'failed' | 'dropped', Count>

  constructor(options: AssignmentStoreOptions<Note>) {
    this.#db = options.db
    this.#logger = options.logger
    this.#maxBatch = options.maxBatch ?? 1000
    this.#maxPending = options.maxPending ?? 100_000
    this.#negativeTtlMs = options.negativeTtlMs ?? 60_000
    this.#retentionMs = options.retentionMs ?? ASSIGNMENT_RETENTION_MS
    this.#now = options.now ?? Date.now
    this.#onStored = options.onStored
    this.#cacheTtlMs = options.cacheTtlMs ?? 600_000
    this.#cache = new ShardedLru(options.cacheEntries ?? 100_000, this.#cacheTtlMs, this.#now)
    const registry = options.registry ?? register
    this.#lookups = tallyEach(
      registry,
      'agentsre_experiments_sticky_lookups_total',
      'Sticky assignment lookups by where the answer came from (pending, cache, database, none, error)',
      'source',
      ['pending', 'cache', 'database', 'none', 'error'],
    )
    this.#writes = tallyEach(
      registry,
      'agentsre_experiments_assignment_writes_total',
      'Assignments written behind, by outcome (written, conflict, failed, dropped)',
      'outcome',
      ['written', 'conflict', 'failed', 'dropped'],
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
  cached(id: string): StickyAssignment | null | undefined {
    const pending = this.#pending.get(id)
    if (pending) {
      this.#lookups.pending.inc()
      return pending.assignment
    }
    const cached = this.#cache.get(id)
    if (cached !== undefined) this.#lookups[cached ? 'cache' : 'none'].inc()
    return cached
  }

  /** The user's unexpired persisted assignment, if any. Never rejects: a read error counts as none. */
  lookup(id: string): Promise<StickyAssignment | undefined> {
    const known = this.cached(id)
    if (known !== undefined) return Promise.resolve(known ?? undefined)
    return this.load(id)
  }

  /**
   * `lookup` for a user that `cached` just did not know: the database read (batched with the other
   * reads of this event-loop turn) without asking the memory a second time. Never rejects.
   */
  load(id: string): Promise<StickyAssignment | undefined> {
    return new Promise((resolve) => {
      const list = this.#waiting.get(id)
      if (list) list.push(resolve)
      else this.#waiting.set(id, [resolve])
      if (!this.#readScheduled) {
        this.#readScheduled = true
        setImmediate(() => void this.#readBatch())
      }
    })
  }

  /**
   * Records a new assignment; it is written behind, and `note` goes to `onStored` once it is
   * committed. `replaces`: the variant of the user's stored assignment, when that variant was
   * removed from the experiment — the stored row is then overwritten, by one replica only. False
   * when it will not be stored (the buffer is full, or Postgres cannot hold the key): the note is
   * then the caller's.
   */
  remember(id: string, assignment: StickyAssignment, note?: Note, replaces?: string): boolean {
    this.#cache.set(id, assignment)
    if (this.#pending.has(id)) {
      // The newer assignment (its variant replaced one removed in the meantime) is what gets
      // stored. A fresh entry: a flush already writing the older one leaves this one pending.
      this.#pending.set(id, { assignment, note, replaces })
      return true
    }
    if (this.#pending.size >= this.#maxPending || !storableKey(id)) {
      this.#writes.dropped.inc()
      return false
    }
    this.#pending.set(id, { assignment, note, replaces })
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

  /**
   * Deletes expired assignments in batches of `batch` rows until none is left or `maxBatches` ran;
   * returns how many. Rows another replica is deleting are skipped, not waited for.
   */
  async purgeExpired(batch = 10_000, maxBatches = 100): Promise<number> {
    let purged = 0
    for (let i = 0; i < maxBatches; i++) {
      const { rowCount } = await this.#db.query(
        `delete from assignments where ctid in
           (select ctid from assignments where expires_at <= now() limit $1 for update skip locked)`,
        [batch],
      )
      purged += rowCount
      if (rowCount < batch) break
    }
    return purged
  }

  async #writeBatch(): Promise<void> {
    const ids: string[] = []
    const batch: Pending<Note>[] = []
    const rows = new VariantColumns()
    const assignmentIds: string[] = []
    const timestamps: string[] = []
    // Rows that overwrite a removed variant: rare, so kept apart and usually empty.
    const replacing = new VariantColumns()
    for (const [id, p] of this.#pending) {
      ids.push(id)
      batch.push(p)
      const parts = assignmentKeyParts(id)
      rows.push(parts, p.assignment.variant)
      assignmentIds.push(p.assignment.assignmentId)
      timestamps.push(p.assignment.timestamp)
      if (p.replaces !== undefined) replacing.push(parts, p.replaces)
      if (batch.length >= this.#maxBatch) break
    }
    try {
      // One array parameter per column, unnested into rows: Postgres reads each array once, where
      // `->>` on a JSON parameter parsed every element again for each field it took out. Only the
      // rows that lost a race come back, usually none. A conflicting row is overwritten only when
      // expired, or when it holds a replaced variant.
      const { rows: lostRows } = await this.#db.query<{ i: number }>(
        `with batch as (
           select experiment_id, bucket_version, user_id, variant, assignment_id, assigned_at,
                  (i - 1)::int as i
           from unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::uuid[], $6::timestamptz[])
             with ordinality as b(experiment_id, bucket_version, user_id, variant, assignment_id,
                                  assigned_at, i)),
         stored as (
           insert into assignments
             (experiment_id, bucket_version, user_id, variant, assignment_id, assigned_at, expires_at)
           select experiment_id, bucket_version, user_id, variant, assignment_id, assigned_at,
                  assigned_at + $7::bigint * interval '1 millisecond'
           from batch
           on conflict (experiment_id, bucket_version, user_id) do update
             set variant = excluded.variant, assignment_id = excluded.assignment_id,
                 assigned_at = excluded.assigned_at, expires_at = excluded.expires_at
             where assignments.expires_at <= now()
                or (assignments.experiment_id, assignments.bucket_version, assignments.user_id,
                    assignments.variant) in
                   (select * from unnest($8::uuid[], $9::int[], $10::text[], $11::text[]))
           returning experiment_id, bucket_version, user_id)
         select b.i from batch b
         where not exists (select 1 from stored n where (n.experiment_id, n.bucket_version, n.user_id)
                                                      = (b.experiment_id, b.bucket_version, b.user_id))`,
        [
          ...rows.literals(),
          arrayLiteral(assignmentIds),
          arrayLiteral(timestamps),
          this.#retentionMs,
          ...replacing.literals(),
        ],
      )
      for (const [i, id] of ids.entries()) if (this.#pending.get(id) === batch[i]) this.#pending.delete(id)
      this.#writes.written.inc(batch.length - lostRows.length)
      if (this.#onStored) this.#notesOfStored(batch, lostRows)
      if (lostRows.length > 0) {
        this.#writes.conflict.inc(lostRows.length)
        await this.#cacheWinners(lostRows.map((r) => ids[r.i]!))
      }
    } catch (err) {
      this.#writes.failed.inc(batch.length)
      this.#logger.warn(
        { err, batch: batch.length, pending: this.#pending.size },
        'assignment batch not written, will retry',
      )
    }
  }

  /** Hands `onStored` the notes of the rows this batch inserted (all but those that lost a race). */
  #notesOfStored(batch: readonly Pending<Note>[], lostRows: readonly { i: number }[]): void {
    const lost = new Set(lostRows.map((r) => r.i))
    const notes: Note[] = []
    for (const [i, { note }] of batch.entries()) if (note !== undefined && !lost.has(i)) notes.push(note)
    if (notes.length === 0) return
    try {
      this.#onStored!(notes)
    } catch (err) {
      // The rows are committed: a failing callback must not make the batch look failed and retried.
      this.#logger.error({ err, notes: notes.length }, 'onStored failed')
    }
  }

  /**
   * Another replica persisted a first assignment before us: cache theirs now, here in the flush,
   * so the users' next requests answer from memory instead of reading Postgres (or re-assigning).
   */
  async #cacheWinners(lost: readonly string[]): Promise<void> {
    let found: Map<string, StickyAssignment> | undefined
    try {
      found = await this.#select(lost)
    } catch (err) {
      this.#logger.warn({ err, keys: lost.length }, 'reading assignments that won a race failed')
    }
    for (const id of lost) {
      const winner = found?.get(id)
      // Not found (the read failed, or the row that won has expired): forget ours, look up next time.
      if (winner) this.#cacheStored(id, winner)
      else this.#cache.delete(id)
    }
  }

  #cacheStored(id: string, stored: StickyAssignment): void {
    const remaining = Date.parse(stored.timestamp) + this.#retentionMs - this.#now()
    this.#cache.set(id, stored, Math.max(1, Math.min(remaining, this.#cacheTtlMs)))
  }

  async #select(ids: readonly string[]): Promise<Map<string, StickyAssignment>> {
    const keys = ids.map(assignmentKeyParts)
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
      [keys.map((k) => k[0]), keys.map((k) => k[1]), keys.map((k) => k[2])],
    )
    return new Map(
      rows.map((r) => [
        assignmentKey(r.experiment_id, Number(r.bucket_version), r.user_id),
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

  async #readChunk(ids: string[], waiting: Map<string, Resolve[]>): Promise<void> {
    let found: Map<string, StickyAssignment>
    try {
      // A key Postgres cannot hold has no row; left in, it would fail the whole read.
      found = await this.#select(ids.filter(storableKey))
    } catch (err) {
      this.#logger.warn({ err, keys: ids.length }, 'sticky assignment read failed; assigning by hash')
      this.#lookups.error.inc(ids.length)
      for (const id of ids) for (const resolve of waiting.get(id)!) resolve(undefined)
      return
    }
    for (const id of ids) {
      const hit = found.get(id)
      // A write that landed while the read ran wins over a stale "none".
      const value = this.#pending.get(id)?.assignment ?? hit
      if (hit) this.#cacheStored(id, hit)
      else if (!value) this.#cache.set(id, null, this.#negativeTtlMs)
      this.#lookups[value ? 'database' : 'none'].inc()
      for (const resolve of waiting.get(id)!) resolve(value)
    }
  }
}

function storedAssignment(variant: string, assignmentId: string, assignedAt: Date): StickyAssignment {
  return { variant, assignmentId, timestamp: assignedAt.toISOString() }
}

/**
 * Rows of (experiment id, bucket version, user id, variant) as Postgres array literals, one per
 * column. node-postgres would escape each element of an array parameter in a JS loop; these are
 * joined natively, and only the text columns are quoted (a user id may hold any character but
 * NUL, which `storableKey` keeps out).
 */
class VariantColumns {
  readonly #experimentIds: string[] = []
  readonly #bucketVersions: number[] = []
  readonly #userIds: string[] = []
  readonly #variants: string[] = []

  push([experimentId, bucketVersion, userId]: [string, number, string], variant: string): void {
    this.#experimentIds.push(experimentId)
    this.#bucketVersions.push(bucketVersion)
    this.#userIds.push(quoted(userId))
    this.#variants.push(quoted(variant))
  }

  literals(): [experimentIds: string, bucketVersions: string, userIds: string, variants: string] {
    return [
      arrayLiteral(this.#experimentIds),
      arrayLiteral(this.#bucketVersions),
      arrayLiteral(this.#userIds),
      arrayLiteral(this.#variants),
    ]
  }
}

/** Elements that need no quoting (UUIDs, integers, ISO timestamps), or are quoted already. */
function arrayLiteral(elements: readonly (string | number)[]): string {
  return `{${elements.join(',')}}`
}

const ARRAY_ESCAPED = /["\\]/g

/** An element of a Postgres array literal, double-quoted: any text, `NULL` and `""` included. */
function quoted(text: string): string {
  return `"${text.replace(ARRAY_ESCAPED, '\\$&')}"`
}
