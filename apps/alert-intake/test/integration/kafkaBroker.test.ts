import type { AnyCloudEvent } from '@agent-sre/events'
import { openDatabase } from '@agent-sre/store'
import { requireServiceEnv } from '@agent-sre/store/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alert, webhook } from '../helpers.ts'
import { sleep, startIntake, startKafkaBroker, startObserver, TOKEN } from './services.ts'

// alert-intake → real PostgreSQL, Redis and the local broker on Kafka → a trigger subscriber.
// Background publisher and sweeper run on their own timers here; nothing is driven by hand.
const databaseUrl = requireServiceEnv('DATABASE_URL')
const redisUrl = requireServiceEnv('REDIS_URL')
const kafkaBrokers = requireServiceEnv('KAFKA_BROKERS')
const ready = Boolean(databaseUrl && redisUrl && kafkaBrokers)

describe.skipIf(!ready)('alert-intake on PostgreSQL, Redis and the broker on Kafka', () => {
  let observer: Awaited<ReturnType<typeof startObserver>>
  let broker: Awaited<ReturnType<typeof startKafkaBroker>>
  let intake: Awaited<ReturnType<typeof startIntake>>

  beforeAll(async () => {
    observer = await startObserver()
    broker = await startKafkaBroker(kafkaBrokers as string, observer.url)
    intake = await startIntake(
      { db: databaseUrl as string, redis: redisUrl as string, sink: broker.ingressUrl },
      { FLAP_THRESHOLD: '1', FLAP_STABILIZATION_MS: '1000' },
    )
  }, 60_000)
  afterAll(async () => {
    await intake?.app.close()
    if (intake) {
      const db = await openDatabase({ url: databaseUrl, schema: intake.schema })
      await db.query(`drop schema ${intake.schema} cascade`)
      await db.close()
    }
    await broker?.close()
    await observer?.close()
  }, 30_000)

  const post = (body: unknown) =>
    fetch(`${intake.address}/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  const named = (name: string) => (e: AnyCloudEvent) =>
    (e.data as { alert?: { labels: Record<string, string> } }).alert?.labels.alertname === name
  const typesOf = (name: string) => observer.events.filter(named(name)).map((e) => e.type)

  it('turns concurrent and repeated duplicate webhooks into one event on the broker', async () => {
    const body = webhook([alert({ alertname: 'Dup', instance: 'a' })])
    const first = await Promise.all([post(body), post(body), post(body)])
    expect(first.map((r) => r.status)).toEqual([200, 200, 200])
    const counts = (await Promise.all(first.map((r) => r.json()))) as { accepted: number }[]
    expect(counts.reduce((n, c) => n + c.accepted, 0)).toBe(1)
    await observer.waitFor((events) => events.some(named('Dup')))
    expect((await post(body)).status).toBe(200) // Alertmanager's repeat_interval resend
    await sleep(1_500) // several publisher polls and broker deliveries later, still one
    expect(typesOf('Dup')).toEqual(['agentsre.alert.firing'])
  })

  it('keeps events while the broker ingress answers 503 and publishes them, in order, when it returns', async () => {
    broker.setDown(true)
    const firing = alert({ alertname: 'Outage' })
    const resolved = alert({ alertname: 'Outage' }, { status: 'resolved', endsAt: '2024-01-01T00:10:00Z' })
    expect((await post(webhook([firing, alert({ alertname: 'Outage', instance: 'b' })]))).status).toBe(200)
    expect((await post(webhook([resolved]))).status).toBe(200)
    const failures = async () =>
      (await intake.registry.getSingleMetric('agentsre_alert_intake_publish_failures_total')?.get())
        ?.values[0]?.value ?? 0
    const deadline = Date.now() + 10_000
    while ((await failures()) < 3 && Date.now() < deadline) await sleep(50)
    expect(await failures()).toBeGreaterThanOrEqual(3) // tried, refused, retried after the lease
    expect(typesOf('Outage')).toEqual([])
    broker.setDown(false)
    await observer.waitFor((events) => events.filter(named('Outage')).length === 3)
    const fp = (e: AnyCloudEvent) => (e.data as { alert: { fingerprint: string } }).alert.fingerprint
    const outage = observer.events.filter(named('Outage'))
    const first = outage.filter(
      (e) => fp(e) === fp(outage.find((x) => x.type.endsWith('resolved')) as AnyCloudEvent),
    )
    expect(first.map((e) => e.type)).toEqual(['agentsre.alert.firing', 'agentsre.alert.resolved'])
    await sleep(500)
    expect(observer.events.filter(named('Outage'))).toHaveLength(3) // nothing sent twice either
  })

  it('answers 503 and writes nothing when its database connection is terminated mid-flush', async () => {
    const admin = await openDatabase({ url: databaseUrl, schema: intake.schema })
    const fingerprintCount = async () =>
      (
        await admin.query<{ n: number }>(
          `select (select count(*) from alerts where alertname = 'DbDown')::int
                + (select count(*) from outbox where body::json->'alert'->'labels'->>'alertname' = 'DbDown')::int
                + (select count(*) from alert_transitions t join alerts a using (fingerprint) where a.alertname = 'DbDown')::int as n`,
        )
      ).rows[0]?.n
    const body = webhook([alert({ alertname: 'DbDown' })])
    let answer: Promise<Response> | undefined
    await admin.transaction(async (tx) => {
      // Hold the table so the flush blocks inside its transaction, then kill that backend.
      await tx.query('lock table alert_transitions in exclusive mode')
      const { rows: me } = await tx.query<{ pid: number }>('select pg_backend_pid() as pid')
      answer = post(body)
      const deadline = Date.now() + 10_000
      for (;;) {
        const { rows } = await tx.query<{ pid: number }>(
          'select pid from pg_stat_activity where $1 = any(pg_blocking_pids(pid))',
          [me[0]?.pid],
        )
        if (rows[0]) {
          await tx.query('select pg_terminate_backend($1)', [rows[0].pid])
          break
        }
        if (Date.now() > deadline) throw new Error('the flush never blocked on the lock')
        await sleep(20)
      }
    })
    const res = await (answer as Promise<Response>)
    expect(res.status).toBe(503)
    expect(await fingerprintCount()).toBe(0)
    // The pool replaces the dead connection and the sender's retry is not taken for a duplicate.
    const retry = await post(body)
    expect(retry.status).toBe(200)
    expect(await retry.json()).toEqual({ accepted: 1, duplicates: 0 })
    await observer.waitFor((events) => events.some(named('DbDown')))
    await admin.close()
  })

  it('resolves a stale alert and publishes it without being asked (sweeper timer)', async () => {
    expect(
      (await post(webhook([alert({ alertname: 'Stale' }, { endsAt: '2024-01-01T00:05:00Z' })]))).status,
    ).toBe(200)
    await observer.waitFor((events) => events.filter(named('Stale')).length === 2)
    expect(typesOf('Stale')).toEqual(['agentsre.alert.firing', 'agentsre.alert.resolved'])
  })

  it('holds the resolved of a flapping alert and releases it once stable', async () => {
    const at = (m: number) => `2024-01-01T00:${String(m).padStart(2, '0')}:00Z`
    const send = (status: 'firing' | 'resolved', startsAt: string) =>
      post(
        webhook([
          alert(
            { alertname: 'Flappy' },
            { status, startsAt, endsAt: status === 'resolved' ? at(59) : '0001-01-01T00:00:00Z' },
          ),
        ]),
      )
    // FLAP_THRESHOLD=1: the second status change makes it flap.
    for (const [status, startsAt] of [
      ['firing', at(0)],
      ['resolved', at(0)],
      ['firing', at(10)],
    ] as const) {
      expect((await send(status, startsAt)).status).toBe(200)
    }
    await observer.waitFor((events) => events.filter(named('Flappy')).length === 3)
    await observer.waitFor((events) =>
      events.some(
        (e) =>
          e.type === 'agentsre.alert.flapping' &&
          (e.data as { labels: Record<string, string> }).labels.alertname === 'Flappy',
      ),
    )
    expect((await send('resolved', at(10))).status).toBe(200)
    const heldAt = Date.now()
    await observer.waitFor((events) => events.filter(named('Flappy')).length === 4)
    // Released by the sweeper only after FLAP_STABILIZATION_MS (1 s) of staying resolved.
    expect(Date.now() - heldAt).toBeGreaterThanOrEqual(900)
    expect(typesOf('Flappy')).toEqual([
      'agentsre.alert.firing',
      'agentsre.alert.resolved',
      'agentsre.alert.firing',
      'agentsre.alert.resolved',
    ])
  })
})
