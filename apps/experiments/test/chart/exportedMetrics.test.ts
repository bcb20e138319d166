import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createEmitter } from '@agent-sre/events'
import { policyFor } from '@agent-sre/resilience'
import { assertExportedMetrics } from '@agent-sre/service-kit/testing'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { experimentBody, flagBody, testApp } from '../helpers.ts'

/**
 * charts/README.md, "Contract: exported-metrics.txt". Every route and metric is exercised once
 * before /metrics is compared with the file.
 */
const FILE = new URL('../../../../charts/experiments/exported-metrics.txt', import.meta.url)

describe('charts/experiments/exported-metrics.txt', () => {
  let ctx: Awaited<ReturnType<typeof testApp>>
  let sink: Server
  beforeAll(async () => {
    // A broker ingress stand-in, so exposures go through the production emitter and its
    // resilience policy (whose metrics are part of what /metrics exports when K_SINK is set).
    sink = createServer((req, res) => {
      req.resume()
      req.on('end', () => res.writeHead(202).end())
    })
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve))
    const registry = new Registry()
    const emitter = createEmitter({
      sinkUrl: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/`,
      policy: policyFor('event-sink', undefined, { registry }),
    })
    ctx = await testApp({ registry, emitter })
  })
  afterAll(async () => {
    await ctx?.app.close()
    await new Promise((resolve) => sink?.close(resolve))
  })

  it('lists exactly the metric families of GET /metrics', async () => {
    const { app } = ctx
    await app.inject({ method: 'POST', url: '/admin/experiments', payload: experimentBody })
    await app.inject({ method: 'POST', url: '/admin/flags', payload: flagBody })
    for (let i = 0; i < 2; i++)
      await app.inject({ method: 'GET', url: '/assign?experiment_key=checkout-button&user_id=m1' })
    await app.inject({ method: 'POST', url: '/ofrep/v1/evaluate/flags/new-nav', payload: {} })
    await new Promise((resolve) => setTimeout(resolve, 50))

    await assertExportedMetrics(app, {
      file: FILE,
      service: 'experiments',
      keptBy: 'apps/experiments/test/chart/exportedMetrics.test.ts',
      incremented: [
        'agentsre_experiments_config_cache_lookups_total',
        'agentsre_experiments_sticky_lookups_total',
        'agentsre_experiments_assignment_writes_total',
        'agentsre_experiments_exposures_total',
      ],
    })
  })
})
