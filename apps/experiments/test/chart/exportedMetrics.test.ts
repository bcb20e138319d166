import { readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createEmitter } from '@agent-sre/events'
import { policyFor } from '@agent-sre/resilience'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { experimentBody, flagBody, testApp } from '../helpers.ts'

/**
 * charts/README.md, "Contract: exported-metrics.txt": the chart's dashboards and alerts may only
 * query what /metrics really exports. Every route and metric is exercised once, then the
 * "# TYPE" lines are compared with the file. UPDATE_EXPORTED_METRICS=1 rewrites the file.
 */
const FILE = new URL('../../../../charts/experiments/exported-metrics.txt', import.meta.url)
const HEADER = `# Metric families experiments exports ("<name> <type>", as the "# TYPE" lines of its /metrics).
# Kept true by apps/experiments/test/chart/exportedMetrics.test.ts (UPDATE_EXPORTED_METRICS=1 rewrites it).
`

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
    ctx = await testApp({ registry, emit: (event) => emitter.emit(event) })
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

    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body
    for (const name of [
      'agentsre_experiments_config_cache_lookups_total',
      'agentsre_experiments_sticky_lookups_total',
      'agentsre_experiments_assignment_writes_total',
      'agentsre_experiments_exposures_total',
    ]) {
      expect(text).toMatch(new RegExp(`^${name}\\{[^}]*\\} [1-9]`, 'm'))
    }
    const exported = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`).sort()
    if (process.env.UPDATE_EXPORTED_METRICS === '1') writeFileSync(FILE, `${HEADER}${exported.join('\n')}\n`)
    const listed = readFileSync(FILE, 'utf8')
      .split('\n')
      .map((line) => line.replace(/#.*/, '').trim())
      .filter(Boolean)
      .sort()
    expect(exported).toEqual(listed)
  })
})
