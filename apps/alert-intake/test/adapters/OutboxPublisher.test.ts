import { parseHttpEvent } from '@agent-sre/events'
import { HttpStatusError, policyFor } from '@agent-sre/resilience'
import { type Database, openDatabase } from '@agent-sre/store'
import { freshSchemaName } from '@agent-sre/store/testing'
import { Registry } from 'prom-client'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { WireEvent } from '../../src/adapters/IntakeRepository.ts'
import { joinJsonTexts, leaseOutbox, writeState } from '../../src/adapters/IntakeRepository.ts'
import { intakeMetrics } from '../../src/adapters/metrics.ts'
import { OutboxPublisher, outboxRecord } from '../../src/adapters/OutboxPublisher.ts'
import { MIGRATIONS_DIR } from '../../src/app.ts'
import type { OutboxEvent } from '../../src/domain/pipeline.ts'

const TRACE = `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`

function storm(groupKey: string, count: number): OutboxEvent {
  return {
    type: 'agentsre.alert.storm',
    data: {
      groupKey,
      count,
      threshold: 1,
      windowMs: 60_000,
      windowStart: '2024-01-01T00:00:00.000Z',
      windowEnd: '2024-01-01T00:01:00.000Z',
      fingerprints: [],
      fingerprintsTruncated: false,
    },
    correlationId: `${groupKey}-${count}`,
    traceparent: TRACE,
  }
}

describe('OutboxPublisher', () => {
  let db: Database
  let registry: Registry
  beforeEach(async () => {
    db = await openDatabase({ schema: freshSchemaName('alert_intake'), migrationsDir: MIGRATIONS_DIR })
    registry = new Registry()
  })
  afterEach(async () => {
    await db.close()
  })

  const publisher = (sink: (e: WireEvent) => Promise<void>, maxAttempts: number, batchSize = 100) => {
    const policy = policyFor(
      'event-sink',
      {
        timeoutMs: 5_000,
        retry: { maxAttempts, initialDelayMs: 0, maxDelayMs: 0, jitter: 0 },
        breaker: false,
      },
      { registry },
    )
    return new OutboxPublisher({
      db,
      sink,
      policy,
      metrics: intakeMetrics(registry),
      batchSize,
      leaseMs: 30_000,
      pollIntervalMs: 1_000,
      concurrency: 4,
    })
  }
  const outboxCount = async () =>
    (await db.query<{ n: number }>('select count(*)::int as n from outbox')).rows[0]?.n

  it('retries a batch from where each key stopped: every event once, in order per key', async () => {
    const events = [storm('a', 1), storm('b', 1), storm('a', 2), storm('b', 2), storm('a', 3)]
    const records = events.map((e) => outboxRecord(e, Date.parse('2024-01-01T00:01:00Z')))
    await writeState(db, { alerts: [], storms: new Map(), stormWindowMs: 60_000, events: records })
    const posted: string[] = []
    let refusedOnce = false
    const sink = async (wire: WireEvent) => {
      const event = parseHttpEvent(wire.headers, wire.body)
      const data = event.data as { groupKey: string; count: number }
      if (data.groupKey === 'a' && data.count === 2 && !refusedOnce) {
        refusedOnce = true
        throw new HttpStatusError(503)
      }
      posted.push(`${event.id}:${data.groupKey}${data.count}`)
    }
    expect(await publisher(sink, 2).drainOnce()).toBe(5)
    expect(refusedOnce).toBe(true)
    // The stored id is what is sent; nothing twice; a1 < a2 < a3 and b1 < b2.
    expect(posted.map((p) => p.split(':')[0]).sort()).toEqual(records.map((r) => r.eventId).sort())
    const order = posted.map((p) => p.split(':')[1])
    expect(order.filter((k) => k?.startsWith('a'))).toEqual(['a1', 'a2', 'a3'])
    expect(order.filter((k) => k?.startsWith('b'))).toEqual(['b1', 'b2'])
    expect(await outboxCount()).toBe(0)
  })

  it('keeps what the policy gave up on leased, deletes what went, counts one failure per stuck key', async () => {
    const records = [storm('a', 1), storm('a', 2), storm('b', 1)].map((e) => outboxRecord(e, Date.now()))
    await writeState(db, { alerts: [], storms: new Map(), stormWindowMs: 60_000, events: records })
    const sink = async (wire: WireEvent) => {
      if (wire.headers['ce-partitionkey'] === 'a') throw new HttpStatusError(400)
    }
    expect(await publisher(sink, 3).drainOnce()).toBe(1)
    expect(await outboxCount()).toBe(2)
    const failures = await registry.getSingleMetric('agentsre_alert_intake_publish_failures_total')?.get()
    expect(failures?.values[0]?.value).toBe(1)
  })

  it('sends a row stored before the wire form (migration 003) with its original id and time', async () => {
    const e = storm('legacy', 1)
    await db.query(
      `insert into outbox (event_id, type, data, correlation_id, traceparent, created_at)
       values ('0190a0c0-0000-7000-8000-000000000001', $1, $2, $3, $4, '2024-01-01T00:01:00Z')`,
      [e.type, JSON.stringify(e.data), e.correlationId, e.traceparent],
    )
    const received: WireEvent[] = []
    expect(await publisher(async (w) => void received.push(w), 1).drainOnce()).toBe(1)
    const event = parseHttpEvent(received[0]?.headers ?? {}, received[0]?.body)
    expect(event).toMatchObject({
      id: '0190a0c0-0000-7000-8000-000000000001',
      time: '2024-01-01T00:01:00.000Z',
      correlationid: 'legacy-1',
      partitionkey: 'legacy',
      data: e.data,
    })
  })

  it('stores each wire form byte for byte, whatever its quotes, escapes and characters', async () => {
    const awkward = ['"quoted" \\ back\\slash', 'line\nbreak\ttab\u0001', 'ünïcødé ✓ 🚨', ' ', '\u001e']
    const records = awkward.map((groupKey, n) => outboxRecord(storm(groupKey, n + 1), Date.now()))
    await writeState(db, { alerts: [], storms: new Map(), stormWindowMs: 60_000, events: records })
    const rows = await leaseOutbox(db, 10, 30_000)
    expect(rows.map((r) => ({ eventId: r.event_id, headers: r.headers, body: r.body }))).toEqual(
      records.map((r) => ({ eventId: r.eventId, headers: r.wire.headers, body: r.wire.body })),
    )
    expect(rows.map((r) => JSON.parse(r.body ?? '').groupKey)).toEqual(awkward)
  })

  it('refuses to join a text that is not JSON and could not be split back', () => {
    expect(joinJsonTexts(['{"a":1}', '[]'])).toBe('{"a":1}\x1e[]')
    expect(() => joinJsonTexts(['{}', ''])).toThrow(/not a JSON text/)
    expect(() => joinJsonTexts(['"a\x1eb"'])).toThrow(/not a JSON text/)
  })

  it('drains a backlog batch after batch on its own, deleting each batch with the next lease', async () => {
    const records = [1, 2, 3, 4, 5].map((n) => outboxRecord(storm('k', n), Date.now()))
    await writeState(db, { alerts: [], storms: new Map(), stormWindowMs: 60_000, events: records })
    const statements: string[] = []
    const query = db.query.bind(db)
    db.query = ((sql: string, params?: unknown[]) => {
      statements.push(sql.trim().split(/\s+/).slice(0, 2).join(' '))
      return query(sql, params)
    }) as typeof db.query
    const posted: number[] = []
    const p = publisher(async (w) => void posted.push(JSON.parse(w.body).count), 1, 2)
    p.start()
    p.wake()
    await vi.waitFor(async () => expect(await outboxCount()).toBe(0), { timeout: 5_000, interval: 20 })
    await p.stop()
    expect(posted).toEqual([1, 2, 3, 4, 5])
    // Three leases (2 + 2 + 1 rows), the first two deleting the batch before; one delete at the end.
    expect(statements.filter((s) => s === 'with sent')).toHaveLength(3)
    expect(statements.filter((s) => s === 'delete from')).toHaveLength(1)
  })
})
