import { makeEvent } from '@agent-sre/events'
import { binaryEventRequest } from '@agent-sre/service-kit/testing'
import { requireServiceEnv } from '@agent-sre/store/testing'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { fingerprintOf } from '../src/domain/fingerprint.ts'
import { alert, auth, testApp, webhook } from './helpers.ts'

type T = Awaited<ReturnType<typeof testApp>>

const databaseUrl = requireServiceEnv('DATABASE_URL')
const redisUrl = requireServiceEnv('REDIS_URL')
const backends = [
  { name: 'PGlite and the in-process cache', urls: {} },
  ...(databaseUrl && redisUrl
    ? [{ name: 'PostgreSQL and Redis', urls: { db: databaseUrl, redis: redisUrl } }]
    : []),
]

describe.each(backends)('alert-intake on $name', ({ urls }) => {
  let t: T
  beforeEach(async () => {
    t = await testApp({ STORM_MAX_PER_WINDOW: '3' }, urls)
  })
  afterEach(async () => {
    await t.close()
  })

  const post = (body: unknown, headers: Record<string, string> = auth) =>
    t.app.inject({ method: 'POST', url: '/alertmanager', headers, payload: body as object })

  it('stores a webhook, answers 200 after commit and publishes agentsre.alert.firing', async () => {
    const labels = { alertname: 'HighLatency', severity: 'critical', instance: 'api-1:9090', job: 'api' }
    const res = await post(webhook([alert(labels, { fingerprint: '59d7a84a7536c84e' })]))
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ accepted: 1, duplicates: 0 })
    expect(await t.publisher.drainOnce()).toBe(1)
    const [event] = t.sink.events
    expect(event?.type).toBe('agentsre.alert.firing')
    expect(event?.partitionkey).toBe('59d7a84a7536c84e')
    expect(event?.subject).toBe('HighLatency')
    const data = event?.data as { episodeId: string; groupKey: string; alert: { labels: unknown } }
    expect(event?.correlationid).toBe(data.episodeId)
    expect(event?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/)
    expect(data.groupKey).toBe('{}:{alertname="HighLatency"}')
    expect(data.alert.labels).toEqual(labels)
  })

  it('turns duplicate and retried webhooks into one event', async () => {
    const body = webhook([alert({ alertname: 'A' }), alert({ alertname: 'B' })])
    const results = await Promise.all([post(body), post(body), post(body)])
    expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200])
    expect(results.reduce((n, r) => n + r.json().accepted, 0)).toBe(2)
    expect(await t.publisher.drainOnce()).toBe(2)
    // The same alert later (the cache expired, or another replica): Postgres still refuses it.
    const ms = Date.parse('2024-01-01T00:00:00.123Z')
    for (const name of ['A', 'B'])
      await t.cache.delete(`alert-intake:dedup:${fingerprintOf({ alertname: name })}:firing:${ms}`)
    expect((await post(body)).json()).toEqual({ accepted: 0, duplicates: 2 })
    expect(await t.publisher.drainOnce()).toBe(0)
  })

  it('claims the alerts of a webhook in one cache call; with the cache failing, Postgres deduplicates', async () => {
    const claim = vi.spyOn(t.cache, 'setManyIfAbsent')
    const a = alert({ alertname: 'A' })
    const b = alert({ alertname: 'B' })
    expect((await post(webhook([a, b, a]))).json()).toEqual({ accepted: 2, duplicates: 1 })
    expect(claim).toHaveBeenCalledTimes(1)
    expect(claim.mock.calls[0]?.[0]).toHaveLength(3)
    claim.mockRejectedValue(new Error('redis is unavailable'))
    expect((await post(webhook([a, b, a, alert({ alertname: 'C' })]))).json()).toEqual({
      accepted: 1,
      duplicates: 3,
    })
    expect(await t.publisher.drainOnce()).toBe(3)
  })

  it('publishes resolved with the same episode and correlation id', async () => {
    await post(webhook([alert({ alertname: 'A' })]))
    await post(webhook([alert({ alertname: 'A' }, { status: 'resolved', endsAt: '2024-01-01T00:10:00Z' })]))
    await t.publisher.drainOnce()
    const [firing, resolved] = t.sink.events
    expect(resolved?.type).toBe('agentsre.alert.resolved')
    expect(resolved?.correlationid).toBe(firing?.correlationid)
  })

  it('keeps labels and annotations exactly, unicode included', async () => {
    const labels = { alertname: 'Ünïcödé', summary: '日本語 🚀' }
    const annotations = { description: 'ZWJ 👩‍💻, RTL שלום, NUL-free \u2028 line' }
    await post(webhook([alert(labels, { annotations })]))
    await t.publisher.drainOnce()
    const data = t.sink.events[0]?.data as {
      alert: { labels: unknown; annotations: unknown; fingerprint: string }
    }
    expect(data.alert).toMatchObject({ labels, annotations, fingerprint: '34614dbfe2744124' })
  })

  it('summarises a storm: three published, the rest in one agentsre.alert.storm', async () => {
    const alerts = Array.from({ length: 8 }, (_, i) => alert({ alertname: 'NodeDown', node: `n${i}` }))
    await post(webhook(alerts))
    await t.publisher.drainOnce()
    expect(t.sink.events.filter((e) => e.type === 'agentsre.alert.firing')).toHaveLength(3)
    // Close the window by moving the clock of the sweep past it.
    await t.db.query(`update storm_windows set window_end = now() - interval '1 second'`)
    expect(await t.intake.sweep()).toBe(1)
    await t.publisher.drainOnce()
    const storm = t.sink.events.find((e) => e.type === 'agentsre.alert.storm')
    expect(storm?.data).toMatchObject({ count: 8, threshold: 3, fingerprintsTruncated: false })
    expect((storm?.data as { fingerprints: string[] }).fingerprints).toHaveLength(5)
  })

  it('resolves a firing alert whose endsAt passed without refresh', async () => {
    await post(webhook([alert({ alertname: 'Stale' }, { endsAt: '2024-01-01T00:05:00Z' })]))
    expect(await t.intake.sweep()).toBe(1)
    await t.publisher.drainOnce()
    expect(t.sink.events.map((e) => e.type)).toEqual(['agentsre.alert.firing', 'agentsre.alert.resolved'])
  })

  it('keeps events while the broker is down and publishes them when it returns', async () => {
    t.sink.setDown(true)
    await post(webhook([alert({ alertname: 'A' }), alert({ alertname: 'B' })]))
    expect(await t.publisher.drainOnce()).toBe(0)
    const failures = await t.registry.getSingleMetric('agentsre_alert_intake_publish_failures_total')?.get()
    expect(failures?.values[0]?.value).toBe(2)
    t.sink.setDown(false)
    await t.db.query('update outbox set leased_until = null') // lease expiry, without waiting 30 s
    expect(await t.publisher.drainOnce()).toBe(2)
    expect((await t.db.query('select count(*)::int as n from outbox')).rows[0]).toEqual({ n: 0 })
  })

  it('takes Prometheus alerts as CloudEvents, grouped by the configured labels', async () => {
    const event = makeEvent(
      'io.prometheus.alert.firing',
      {
        labels: { alertname: 'DiskFull', instance: 'db-1' },
        startsAt: '2024-01-01T00:00:00Z',
      },
      { source: '/prometheus-events' },
    )
    const res = await t.app.inject(binaryEventRequest(event))
    expect(res.statusCode).toBe(202)
    await t.publisher.drainOnce()
    expect(t.sink.events[0]?.data).toMatchObject({ groupKey: '{}:{alertname="DiskFull"}' })
  })

  it('lists alerts with matchers and shows the history of one', async () => {
    await post(
      webhook([
        alert({ alertname: 'A', severity: 'critical' }),
        alert({ alertname: 'B', severity: 'warning' }),
        alert(
          { alertname: 'C', severity: 'critical' },
          { status: 'resolved', endsAt: '2024-01-01T01:00:00Z' },
        ),
      ]),
    )
    const list = (q: string) =>
      t.app.inject({ method: 'GET', url: `/alerts?${q}`, headers: auth }).then((r) => r.json())
    expect(
      (await list('filter=severity%3D%22critical%22')).alerts
        .map((a: { labels: { alertname: string } }) => a.labels.alertname)
        .sort(),
    ).toEqual(['A', 'C'])
    expect((await list('status=firing&filter=alertname%3D~%22A%7CB%22')).alerts).toHaveLength(2)
    expect((await list('filter=severity!~%22crit.*%22')).alerts).toHaveLength(1)
    const page = await list('limit=2')
    expect(page.alerts).toHaveLength(2)
    expect((await list(`limit=2&after=${page.next}`)).alerts).toHaveLength(1)
    const bad = await t.app.inject({ method: 'GET', url: '/alerts?filter=a%3D~%22(%22', headers: auth })
    expect(bad.statusCode).toBe(400)
    // A regex that backtracks exponentially would block the event loop on every scanned label.
    const redos = await t.app.inject({
      method: 'GET',
      url: `/alerts?filter=${encodeURIComponent('alertname=~"(.*)*x"')}`,
      headers: auth,
    })
    expect(redos.statusCode).toBe(400)
    expect(redos.json().message).toMatch(/nested quantifiers/)

    const fp = page.alerts[0].fingerprint
    const one = await t.app.inject({ method: 'GET', url: `/alerts/${fp}`, headers: auth })
    expect(one.json().history).toHaveLength(1)
    expect(
      (await t.app.inject({ method: 'GET', url: '/alerts/0000000000000000', headers: auth })).statusCode,
    ).toBe(404)
  })

  it('answers 503 and writes nothing when the database fails mid-transaction', async () => {
    const transaction = t.db.transaction.bind(t.db)
    // The last statement of the flush fails, after the transitions were inserted.
    t.db.transaction = (fn) =>
      transaction((tx) =>
        fn({
          query: (sql, params) =>
            sql.includes('insert into outbox')
              ? Promise.reject(new Error('connection lost'))
              : tx.query(sql, params),
        }),
      )
    const body = webhook([alert({ alertname: 'A' })])
    expect((await post(body)).statusCode).toBe(503)
    const count = await t.db.query<{ n: number }>(
      'select (select count(*) from alerts)::int + (select count(*) from outbox)::int + (select count(*) from alert_transitions)::int as n',
    )
    expect(count.rows[0]?.n).toBe(0)
    // The retry is not mistaken for a duplicate once the database is back.
    t.db.transaction = transaction
    expect((await post(body)).json()).toEqual({ accepted: 1, duplicates: 0 })
  })

  describe('bad input gets a clear 4xx and writes nothing', () => {
    const cases: Array<[string, () => Promise<{ statusCode: number; body: string }>, number]> = [
      ['no credentials', () => post(webhook([alert({ alertname: 'A' })]), {}), 401],
      [
        'wrong token',
        () => post(webhook([alert({ alertname: 'A' })]), { authorization: 'Bearer nope' }),
        401,
      ],
      [
        'malformed JSON',
        () =>
          t.app.inject({
            method: 'POST',
            url: '/alertmanager',
            headers: { ...auth, 'content-type': 'application/json' },
            payload: '{"version":',
          }),
        400,
      ],
      ['wrong version', () => post(webhook([alert({ alertname: 'A' })], { version: '3' })), 400],
      ['missing labels', () => post(webhook([{ ...alert({ alertname: 'A' }), labels: undefined }])), 400],
      ['non-string label', () => post(webhook([alert({ alertname: 1 } as never)])), 400],
      [
        'wrong fingerprint',
        () => post(webhook([alert({ alertname: 'A' }, { fingerprint: '0000000000000000' })])),
        400,
      ],
      [
        'too many alerts',
        () => post(webhook(Array.from({ length: 10_000 }, (_, i) => alert({ alertname: 'A', i: `${i}` })))),
        413,
      ],
      [
        'huge annotation',
        () => post(webhook([alert({ alertname: 'A' }, { annotations: { d: 'x'.repeat(2_000_000) } })])),
        413,
      ],
    ]
    it.each(cases)('%s', async (_name, send, status) => {
      const res = await send()
      expect(res.statusCode).toBe(status)
      expect(JSON.parse(res.body).message).toBeTruthy()
      const rows = await t.db.query<{ n: number }>(
        'select (select count(*) from alerts)::int + (select count(*) from outbox)::int + (select count(*) from alert_transitions)::int as n',
      )
      expect(rows.rows[0]?.n).toBe(0)
      expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200)
    })

    it('refuses more alerts than MAX_ALERTS_PER_WEBHOOK with 400', async () => {
      const res = await post(
        webhook(Array.from({ length: 1001 }, (_, i) => alert({ alertname: 'A', i: `${i}` }))),
      )
      expect(res.statusCode).toBe(400)
      expect(res.json().message).toMatch(/alerts/)
    })
  })
})
