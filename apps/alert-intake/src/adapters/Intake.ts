import type { Cache, Database } from '@agent-sre/store'
import {
  type AlertState,
  decide,
  type OutboxEvent,
  type PipelineConfig,
  type PipelineItem,
  releaseHeld,
  stormEvent,
} from '../domain/pipeline.ts'
import { staleSince } from '../domain/staleness.ts'
import { GroupCommit, type GroupCommitOptions } from './GroupCommit.ts'
import {
  type AlertSource,
  type AlertWrite,
  claimTransitions,
  lockDue,
  type TransitionInput,
  takeClosedStorms,
  writeState,
} from './IntakeRepository.ts'
import type { IntakeMetrics } from './metrics.ts'
import { outboxRecord } from './OutboxPublisher.ts'

export interface IntakeOptions {
  readonly db: Database
  readonly cache: Pick<Cache, 'setManyIfAbsent' | 'delete'>
  readonly metrics: IntakeMetrics
  readonly pipeline: PipelineConfig
  readonly groupCommit: GroupCommitOptions
  readonly dedupTtlMs: number
  readonly staleGraceMs: number
  /** Called after a flush committed events, so the publisher need not wait for its poll. */
  readonly onEvents?: () => void
  readonly now?: () => number
  readonly logger?: { warn(obj: object, msg: string): void }
}

export type IntakeOutcome = 'accepted' | 'duplicate'

/**
 * The write path: cache dedup in front (cheap, shared by replicas; one round trip per request), then group commit of the
 * survivors into Postgres, where the unique key on (fingerprint, status, startsAt) has the last word.
 * The cache key is released when the write fails, so the sender's retry is not mistaken for a
 * duplicate of something that was never stored.
 */
export class Intake {
  readonly #o: IntakeOptions
  readonly #now: () => number
  readonly #writer: GroupCommit<TransitionInput, boolean>

  constructor(options: IntakeOptions) {
    this.#o = options
    this.#now = options.now ?? Date.now
    this.#writer = new GroupCommit((inputs) => this.#flush(inputs), options.groupCommit)
  }

  get queued(): number {
    return this.#writer.queued
  }

  async accept(items: readonly PipelineItem[], startsAtMs: readonly number[], source: AlertSource) {
    const { cache, metrics } = this.#o
    const keys = items.map(
      (it, i) => `alert-intake:dedup:${it.alert.fingerprint}:${it.alert.status}:${startsAtMs[i]}`,
    )
    // One round trip for the whole request; a key repeated in it is claimed by its first alert only.
    let claims: boolean[]
    try {
      claims = await cache.setManyIfAbsent(
        keys.map((key) => [key, '1'] as const),
        this.#o.dedupTtlMs,
      )
    } catch {
      // Cache down: Postgres still deduplicates, only less cheaply (repeats within the request too).
      const seen = new Set<string>()
      claims = keys.map((key) => {
        if (seen.has(key)) return false
        seen.add(key)
        return true
      })
    }
    const outcomes: IntakeOutcome[] = claims.map((c) => (c ? 'accepted' : 'duplicate'))
    const inputs: TransitionInput[] = []
    const claimed: string[] = []
    let firing = 0
    items.forEach((item, i) => {
      if (item.alert.status === 'firing') firing++
      if (claims[i]) {
        inputs.push({ item, startsAtMs: startsAtMs[i] as number, source })
        claimed.push(keys[i] as string)
      }
    })
    // One increment per status and request, not per alert (a labelled increment hashes its labels).
    if (firing > 0) metrics.received.inc({ source, status: 'firing' }, firing)
    if (items.length > firing) metrics.received.inc({ source, status: 'resolved' }, items.length - firing)
    try {
      const fresh = await this.#writer.submit(inputs)
      let j = 0
      outcomes.forEach((o, i) => {
        if (o === 'accepted' && fresh[j++] === false) outcomes[i] = 'duplicate'
      })
    } catch (err) {
      await Promise.all(claimed.map((k) => cache.delete(k).catch(() => {})))
      throw err
    }
    const dups = outcomes.filter((o) => o === 'duplicate').length
    if (dups > 0) metrics.deduplicated.inc({ source }, dups)
    return outcomes
  }

  /** BEGIN, claim (insert + lock + read), write, COMMIT: four round trips per flush, whatever its size. */
  async #flush(inputs: TransitionInput[]): Promise<boolean[]> {
    const now = this.#now()
    const { pipeline, metrics } = this.#o
    const result = await this.#o.db.transaction(async (tx) => {
      const claimed = await claimTransitions(tx, inputs)
      const fresh = new Array<boolean>(inputs.length).fill(false)
      for (const i of claimed.fresh) fresh[i] = true
      const items = claimed.fresh.map((i) => (inputs[i] as TransitionInput).item)
      if (items.length === 0) return { fresh, events: 0, flapping: 0, suppressed: 0 }
      const d = decide(items, claimed.alerts, claimed.storms, now, pipeline)
      const touched = new Set(items.map((i) => i.alert.fingerprint))
      await writeState(tx, {
        alerts: [...d.alerts.values()].filter((a) => touched.has(a.fingerprint)).map((a) => this.#row(a)),
        storms: new Map([...d.storms].filter(([k, w]) => claimed.storms.get(k) !== w)),
        stormWindowMs: pipeline.storm.windowMs,
        events: d.events.map((e) => outboxRecord(e, now)),
      })
      return { fresh, events: d.events.length, flapping: d.flapping, suppressed: d.stormSuppressed }
    })
    // Counted only once committed: a rolled-back flush is retried by the sender and counted then.
    if (result.flapping > 0) metrics.flapping.inc(result.flapping)
    if (result.suppressed > 0) metrics.stormSuppressed.inc(result.suppressed)
    if (result.events > 0) this.#o.onEvents?.()
    return result.fresh
  }

  #row(a: AlertState): AlertWrite {
    const { heldSince } = a.flap
    return {
      ...a,
      staleAtMs: staleSince(a.status, a.item.alert.endsAt, this.#o.staleGraceMs),
      releaseAtMs: heldSince === null ? null : heldSince + this.#o.pipeline.flap.stabilizationMs,
    }
  }

  /**
   * Periodic work, serialised with the flushes: resolves stale alerts (through the normal pipeline,
   * as a `resolved` from source `staleness`), releases held resolutions, summarises closed storms.
   */
  sweep(limit = 500): Promise<number> {
    return this.#writer.exclusive(async () => {
      const now = this.#now()
      const { db, pipeline } = this.#o
      const events: OutboxEvent[] = []
      const stale: TransitionInput[] = []
      await db.transaction(async (tx) => {
        const due = await lockDue(tx, now, limit)
        const released: AlertWrite[] = []
        for (const { due: kind, state } of due) {
          if (kind === 'release') {
            const r = releaseHeld(state)
            if (r.event) events.push(r.event)
            released.push(this.#row(r.state))
          } else {
            const endsAt = state.item.alert.endsAt
            const item: PipelineItem = {
              ...state.item,
              alert: { ...state.item.alert, status: 'resolved', endsAt },
            }
            stale.push({ item, startsAtMs: Date.parse(item.alert.startsAt), source: 'staleness' })
          }
        }
        for (const { groupKey, window } of await takeClosedStorms(tx, now, limit)) {
          const e = stormEvent(
            groupKey,
            window,
            pipeline.storm,
            released[0]?.item.traceparent ?? newTraceparent(),
          )
          if (e) events.push(e)
        }
        if (released.length > 0 || events.length > 0) {
          await writeState(tx, {
            alerts: released,
            storms: new Map(),
            stormWindowMs: pipeline.storm.windowMs,
            events: events.map((e) => outboxRecord(e, now)),
          })
        }
      })
      let staleEvents = 0
      if (stale.length > 0) {
        this.#o.metrics.received.inc({ source: 'staleness', status: 'resolved' }, stale.length)
        await this.#flush(stale)
        staleEvents = stale.length
      }
      if (events.length > 0) this.#o.onEvents?.()
      return events.length + staleEvents
    })
  }

  /** Waits for queued writes (shutdown). */
  drain(): Promise<void> {
    return this.#writer.drain()
  }
}

/** A root trace context for events no request caused (sweeps): random ids, not sampled. */
export function newTraceparent(): string {
  const hex = (n: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(n))).toString('hex')
  return `00-${hex(16)}-${hex(8)}-00`
}
