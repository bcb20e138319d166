import { afterEach, describe, expect, it, vi } from 'vitest'
import { alert, auth, testApp, webhook } from './helpers.ts'

// With background on (as in production) nothing is driven by hand: the publisher drains after
// each commit and on its poll, the sweeper runs every SWEEP_INTERVAL_MS. Real timers, short periods.
describe('background publisher and sweeper', () => {
  let t: Awaited<ReturnType<typeof testApp>> | undefined
  afterEach(async () => {
    await t?.close()
    t = undefined
  })

  it('publishes, retries and resolves a stale alert on its own timers, which stop when the app closes', async () => {
    t = await testApp(
      { SWEEP_INTERVAL_MS: '20', OUTBOX_POLL_INTERVAL_MS: '20', OUTBOX_LEASE_MS: '100' },
      {},
      true,
    )
    const app = t.app
    const post = (alerts: unknown[]) =>
      app.inject({ method: 'POST', url: '/alertmanager', headers: auth, payload: webhook(alerts) })
    expect((await post([alert({ alertname: 'Stale' }, { endsAt: '2024-01-01T00:05:00Z' })])).statusCode).toBe(
      200,
    )
    const sink = t.sink
    await vi.waitFor(
      () =>
        expect(sink.events.map((e) => e.type)).toEqual(['agentsre.alert.firing', 'agentsre.alert.resolved']),
      {
        timeout: 10_000,
        interval: 20,
      },
    )

    // A publish that failed is retried by the poll once its lease expires, with nobody calling it.
    sink.setDown(true)
    await post([alert({ alertname: 'Later' })])
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(sink.events).toHaveLength(2)
    sink.setDown(false)
    await vi.waitFor(() => expect(sink.events).toHaveLength(3), { timeout: 10_000, interval: 20 })

    // After close no timer runs: an event left unsent at shutdown stays in the outbox for the
    // next replica instead of being sent by a closed app.
    sink.setDown(true)
    await post([alert({ alertname: 'AtShutdown' })])
    const db = t.db
    await t.app.close()
    sink.setDown(false)
    await new Promise((resolve) => setTimeout(resolve, 300)) // > lease and several poll periods
    expect(sink.events).toHaveLength(3)
    expect((await db.query<{ n: number }>('select count(*)::int as n from outbox')).rows[0]?.n).toBe(1)
  })
})
