import type { Database, Queryable } from '@agent-sre/store'
import type { FlapState } from '../domain/flapping.ts'
import type { AlertState, OutboxEvent, PipelineItem } from '../domain/pipeline.ts'
import type { StormWindow } from '../domain/storm.ts'

/** SQL of the intake. Every write of a flush is one statement over its rows as JSON. */

export type AlertSource = 'alertmanager' | 'cloudevent' | 'staleness'

export interface TransitionInput {
  readonly item: PipelineItem
  readonly startsAtMs: number
  readonly source: AlertSource
}

type AlertRow = {
  fingerprint: string
  status: 'firing' | 'resolved'
  episode_id: string
  announced_episode_id: string | null
  flap: FlapState
  item: PipelineItem
}

const toState = (r: AlertRow): AlertState => ({
  fingerprint: r.fingerprint,
  status: r.status,
  episodeId: r.episode_id,
  announcedEpisodeId: r.announced_episode_id,
  flap: r.flap,
  item: r.item,
})

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

export interface Claimed {
  /** Indexes of the inputs that were new (ascending). */
  readonly fresh: number[]
  /** Stored state of the fresh inputs' alerts and storm windows, locked until commit. */
  readonly alerts: Map<string, AlertState>
  readonly storms: Map<string, StormWindow>
}

/**
 * One round trip: inserts the transitions, skipping (fingerprint, status, startsAt) already stored
 * — this unique key is what makes HA pairs and retries safe — and locks and reads the state rows
 * and storm windows of the new ones (sorted, so concurrent flushes cannot deadlock). The locking
 * reads see the snapshot from before the insert, which is right: the insert touches neither table.
 */
export async function claimTransitions(tx: Queryable, inputs: readonly TransitionInput[]): Promise<Claimed> {
  const { rows } = await tx.query<{
    fresh: number[] | null
    alerts: AlertRow[] | null
    storms: { group_key: string; state: StormWindow }[] | null
  }>(
    `with input as (
       select * from json_to_recordset($1::json)
         as u(ord int, fingerprint text, status text, starts_at timestamptz, episode_id uuid, ends_at text,
              source text, group_key text)
     ), ins as (
       insert into alert_transitions (fingerprint, status, starts_at, episode_id, ends_at, source)
       select fingerprint, status, starts_at, episode_id, ends_at, source from input
       on conflict (fingerprint, status, starts_at) do nothing
       returning fingerprint, status, starts_at
     ), fresh as (
       select input.ord, input.fingerprint, input.group_key from input join ins using (fingerprint, status, starts_at)
     ), a as (
       select fingerprint, status, episode_id, announced_episode_id, flap, item from alerts
       where fingerprint in (select fingerprint from fresh) order by fingerprint for update
     ), s as (
       select group_key, state from storm_windows
       where group_key in (select group_key from fresh) order by group_key for update
     )
     select (select json_agg(ord order by ord) from fresh) as fresh,
            (select json_agg(a) from a) as alerts,
            (select json_agg(s) from s) as storms`,
    // One JSON parameter instead of an array per column: JSON.stringify is native, while pg
    // escapes every element of a text array in JS.
    [
      JSON.stringify(
        inputs.map((i, ord) => ({
          ord,
          fingerprint: i.item.alert.fingerprint,
          status: i.item.alert.status,
          starts_at: new Date(i.startsAtMs).toISOString(),
          episode_id: i.item.episodeId,
          ends_at: i.item.alert.endsAt,
          source: i.source,
          group_key: i.item.groupKey,
        })),
      ),
    ],
    { name: 'alert_intake_claim' },
  )
  const row = rows[0]
  return {
    fresh: row?.fresh ?? [],
    alerts: new Map((row?.alerts ?? []).map((r) => [r.fingerprint, toState(r)])),
    storms: new Map((row?.storms ?? []).map((r) => [r.group_key, r.state])),
  }
}

export type AlertWrite = AlertState & {
  readonly staleAtMs: number | null
  readonly releaseAtMs: number | null
}

export interface StateWrite {
  readonly alerts: readonly AlertWrite[]
  readonly storms: ReadonlyMap<string, StormWindow>
  readonly stormWindowMs: number
  readonly events: readonly OutboxRecord[]
}

/** A CloudEvent in its binary-mode HTTP form as the outbox stores it (`ce-*` headers, JSON body). */
export interface WireEvent {
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** An event as the outbox keeps it: already in its wire form (see OutboxPublisher). */
export interface OutboxRecord {
  readonly eventId: string
  readonly type: OutboxEvent['type']
  readonly partitionKey: string
  readonly wire: WireEvent
}

/** Separates JSON texts in one parameter; split with `string_to_array($n, E'\\x1e')`. */
const RECORD_SEPARATOR = '\x1e'

/**
 * Joins JSON texts into one text parameter for Postgres to split, not parse. Inside a JSON
 * parameter a body is a string whose every quote is escaped, the slowest path of Postgres' JSON
 * lexer, and the whole parameter is parsed twice (validated on input, then by json_to_recordset):
 * that was the largest item of the flush's Postgres CPU. A JSON text is never empty and never holds
 * a raw U+001E (control characters are escaped), so the split gives back exactly these texts.
 */
export function joinJsonTexts(texts: readonly string[]): string {
  for (const text of texts) {
    if (text.length === 0 || text.includes(RECORD_SEPARATOR)) {
      throw new TypeError('not a JSON text: empty or holding a raw U+001E')
    }
  }
  return texts.join(RECORD_SEPARATOR)
}

/** Upserts alert state and storm windows and appends the outbox rows: one round trip. */
export async function writeState(tx: Queryable, write: StateWrite): Promise<void> {
  await tx.query(
    `with a as (
       insert into alerts (fingerprint, status, episode_id, announced_episode_id, group_key, alertname,
                           item, flap, stale_at, release_at, updated_at)
       select fingerprint, status, episode_id, announced, item->>'groupKey',
              coalesce(item->'alert'->'labels'->>'alertname', ''), item, flap, stale_at, release_at, now()
       from jsonb_to_recordset($1::jsonb)
         as u(fingerprint text, status text, episode_id uuid, announced uuid, item jsonb, flap jsonb,
              stale_at timestamptz, release_at timestamptz)
       on conflict (fingerprint) do update set
         status = excluded.status, episode_id = excluded.episode_id,
         announced_episode_id = excluded.announced_episode_id, group_key = excluded.group_key,
         alertname = excluded.alertname, item = excluded.item,
         flap = excluded.flap, stale_at = excluded.stale_at, release_at = excluded.release_at,
         updated_at = excluded.updated_at
       returning 1
     ), s as (
       insert into storm_windows (group_key, window_start, window_end, state)
       select group_key, to_timestamp((state->>'windowStart')::bigint / 1000.0),
              to_timestamp(((state->>'windowStart')::bigint + $3::bigint) / 1000.0), state
       from jsonb_to_recordset($2::jsonb) as u(group_key text, state jsonb)
       on conflict (group_key) do update set
         window_start = excluded.window_start, window_end = excluded.window_end, state = excluded.state
       returning 1
     ), o as (
       insert into outbox (event_id, type, partition_key, headers, body)
       select u.event_id, u.type, u.partition_key, w.headers::json, w.body
       from rows from (json_to_recordset($4::json) as (event_id text, type text, partition_key text))
              with ordinality as u(event_id, type, partition_key, n)
       join unnest(string_to_array($5, E'\\x1e'), string_to_array($6, E'\\x1e')) with ordinality as w(headers, body, n)
         using (n)
       returning 1
     )
     select (select count(*) from a) as alerts, (select count(*) from s) as storms, (select count(*) from o) as events`,
    // Each table's rows as one JSON parameter (see claimTransitions); the group key and alertname
    // are taken from the item in SQL rather than serialised a second time. The outbox's wire forms
    // go apart, as JSON texts (see joinJsonTexts).
    [
      JSON.stringify(
        write.alerts.map((s) => ({
          fingerprint: s.fingerprint,
          status: s.status,
          episode_id: s.episodeId,
          announced: s.announcedEpisodeId,
          item: s.item,
          flap: s.flap,
          stale_at: iso(s.staleAtMs),
          release_at: iso(s.releaseAtMs),
        })),
      ),
      JSON.stringify([...write.storms].map(([group_key, state]) => ({ group_key, state }))),
      write.stormWindowMs,
      JSON.stringify(
        write.events.map((e) => ({ event_id: e.eventId, type: e.type, partition_key: e.partitionKey })),
      ),
      joinJsonTexts(write.events.map((e) => JSON.stringify(e.wire.headers))),
      joinJsonTexts(write.events.map((e) => e.wire.body)),
    ],
    { name: 'alert_intake_write' },
  )
}

/** Firing alerts past their stale time, and held resolutions due for release. */
export async function lockDue(tx: Queryable, now: number, limit: number) {
  const { rows } = await tx.query<AlertRow & { due: 'stale' | 'release' }>(
    `select fingerprint, status, episode_id, announced_episode_id, flap, item,
            case when release_at is not null and release_at <= $1 then 'release' else 'stale' end as due
     from alerts
     where (stale_at <= $1) or (release_at <= $1)
     order by fingerprint limit $2 for update skip locked`,
    [new Date(now).toISOString(), limit],
  )
  return rows.map((r) => ({ due: r.due, state: toState(r) }))
}

/** Storm windows that closed, removed and returned so their summary can be published. */
export async function takeClosedStorms(tx: Queryable, now: number, limit: number) {
  const { rows } = await tx.query<{ group_key: string; state: StormWindow }>(
    `delete from storm_windows where group_key in (
       select group_key from storm_windows where window_end <= $1 order by window_end limit $2
       for update skip locked)
     returning group_key, state`,
    [new Date(now).toISOString(), limit],
  )
  return rows.map((r) => ({ groupKey: r.group_key, window: r.state }))
}

export type OutboxRow = {
  id: string
  event_id: string
  type: OutboxEvent['type']
  partition_key: string | null
  headers: Record<string, string> | null
  body: string | null
  // rows from before migration 003 carry the event's parts instead of its wire form
  data: OutboxEvent['data'] | null
  correlation_id: string | null
  traceparent: string | null
  created_at: Date | string
  attempts: number
}

/**
 * Leases the oldest unsent rows (autocommit: no transaction stays open while sending), deleting the
 * rows of the previous pass that were sent in the same statement. The lease's subquery sees the
 * snapshot before the delete, where those rows are still leased, so it never picks them.
 *
 * Planned afresh each time (no statement name): the outbox is nearly empty most of the time and
 * holds a backlog after a broker outage, and a plan cached while it was empty scans it whole on
 * every pass of the drain. The rows are picked once (a materialised CTE), so no plan can run the
 * locking subquery again for each row it updates.
 */
export async function leaseOutbox(
  db: Queryable,
  limit: number,
  leaseMs: number,
  sentBefore: readonly string[] = [],
): Promise<OutboxRow[]> {
  const { rows } = await db.query<OutboxRow>(
    `with sent as (delete from outbox where id = any($3::bigint[])),
     picked as materialized (
       select id from outbox where leased_until is null or leased_until < now()
       order by id limit $1 for update skip locked)
     update outbox o set leased_until = now() + ($2::int * interval '1 millisecond'), attempts = o.attempts + 1
     from picked where o.id = picked.id
     returning o.id, o.event_id, o.type, o.partition_key, o.headers, o.body, o.data, o.correlation_id,
               o.traceparent, o.created_at, o.attempts`,
    [limit, leaseMs, sentBefore],
  )
  return rows.sort((x, y) => Number(x.id) - Number(y.id))
}

export async function deleteOutbox(db: Queryable, ids: readonly string[]): Promise<void> {
  // Planned afresh each time, as the lease (its table's size swings the same way).
  if (ids.length > 0) await db.query('delete from outbox where id = any($1::bigint[])', [ids])
}

/** Seconds the oldest unsent event has waited (0 when the outbox is empty). */
export async function outboxLagSeconds(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ lag: number | string | null }>(
    'select extract(epoch from now() - min(created_at)) as lag from outbox',
  )
  return Math.max(0, Number(rows[0]?.lag ?? 0))
}

export type AlertListRow = {
  fingerprint: string
  status: string
  episode_id: string
  group_key: string
  labels: Record<string, string>
  item: PipelineItem
  flap: FlapState
  updated_at: Date | string
}

/** A keyset page: alerts after `after` in fingerprint order, optionally by status and label subset. */
export async function pageAlerts(
  db: Database,
  opts: {
    status?: string | undefined
    after?: string | undefined
    contains: Record<string, string>
    limit: number
  },
): Promise<AlertListRow[]> {
  const { rows } = await db.query<AlertListRow>(
    `select fingerprint, status, episode_id, group_key, item->'alert'->'labels' as labels, item, flap, updated_at
     from alerts
     where ($1::text is null or status = $1) and fingerprint > $2 and item->'alert'->'labels' @> $3::jsonb
     order by fingerprint limit $4`,
    [opts.status ?? null, opts.after ?? '', JSON.stringify(opts.contains), opts.limit],
  )
  return rows
}

export async function alertHistory(db: Database, fingerprint: string, limit: number) {
  const current = await db.query<AlertListRow>(
    `select fingerprint, status, episode_id, group_key, item->'alert'->'labels' as labels, item, flap, updated_at
     from alerts where fingerprint = $1`,
    [fingerprint],
  )
  const history = await db.query<{
    status: string
    starts_at: Date | string
    ends_at: string
    episode_id: string
    source: string
    received_at: Date | string
  }>(
    `select status, starts_at, ends_at, episode_id, source, received_at from alert_transitions
     where fingerprint = $1 order by id desc limit $2`,
    [fingerprint, limit],
  )
  return { current: current.rows[0], history: history.rows }
}
