import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { loadConfig } from '@agent-sre/service-kit'
import { assertExportedMetrics } from '@agent-sre/service-kit/testing'
import { freshSchemaName } from '@agent-sre/store/testing'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp, type IntakeApp } from '../../src/app.ts'
import { AppConfigSchema } from '../../src/config.ts'
import { alert, auth, TOKEN, webhook } from '../helpers.ts'

/**
 * charts/README.md, "Contract: exported-metrics.txt". The app is built as in production (real
 * emitter, so the resilience metrics of the event sink appear) and every metric is made to appear
 * once before /metrics is compared with the file.
 */
const FILE = new URL('../../../../charts/alert-intake/exported-metrics.txt', import.meta.url)

describe('charts/alert-intake/exported-metrics.txt', () => {
  let sink: Server
  let built: IntakeApp
  let refuse = false

  beforeAll(async () => {
    // A broker ingress stand-in: 202, or 400 (not retried) to make a publish failure appear.
    sink = createServer((req, res) => {
      req.resume()
      req.on('end', () => res.writeHead(refuse ? 400 : 202).end())
    })
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve))
    const port = (sink.address() as AddressInfo).port
    const env = { WEBHOOK_BEARER_TOKEN: TOKEN }
    const config = loadConfig(AppConfigSchema, {
      LOG_LEVEL: 'silent',
      DATABASE_SCHEMA: freshSchemaName('alert_intake'),
      BROKER_URL: `http://127.0.0.1:${port}/`,
      STORM_MAX_PER_WINDOW: '1',
      FLAP_THRESHOLD: '1',
      ...env,
    })
    built = await buildApp({ config, env, registry: new Registry(), background: false })
    await built.app.ready()
  })
  afterAll(async () => {
    await built?.app.close()
    await new Promise((resolve) => sink?.close(resolve))
  })

  it('lists exactly the metric families of GET /metrics', async () => {
    const { app, publisher } = built
    const post = (body: unknown) =>
      app.inject({ method: 'POST', url: '/alertmanager', headers: auth, payload: body as object })
    const firing = alert({ alertname: 'A' })
    const resolved = alert({ alertname: 'A' }, { status: 'resolved', endsAt: '2024-01-01T00:10:00Z' })
    const refired = alert({ alertname: 'A' }, { startsAt: '2024-01-01T00:20:00Z' })
    // A second new alert in the group: storm-suppressed (STORM_MAX_PER_WINDOW=1).
    expect((await post(webhook([firing, alert({ alertname: 'A', i: '2' })]))).statusCode).toBe(200)
    // A duplicate, then two status changes: flapping (FLAP_THRESHOLD=1).
    for (const a of [firing, resolved, refired]) expect((await post(webhook([a]))).statusCode).toBe(200)
    expect(await publisher.drainOnce()).toBeGreaterThan(0)
    refuse = true
    await post(webhook([alert({ alertname: 'B' })], { groupKey: '{}:{alertname="B"}' }))
    await publisher.drainOnce()
    await publisher.refreshLag()

    await assertExportedMetrics(app, {
      file: FILE,
      service: 'alert-intake',
      keptBy: 'apps/alert-intake/test/chart/exportedMetrics.test.ts',
      // Each was incremented above, so a broken scenario cannot hide a family.
      incremented: [
        'agentsre_alert_intake_alerts_deduplicated_total',
        'agentsre_alert_intake_alerts_flapping_total',
        'agentsre_alert_intake_alerts_storm_suppressed_total',
        'agentsre_alert_intake_publish_failures_total',
      ],
    })
  })
})
