import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { loadTriggersFromCharts, parseTriggerValues } from '@agent-sre/broker'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CHARTS_DIR } from '../src/config.ts'
import { type Platform, startPlatform } from '../src/Platform.ts'
import { SERVICES } from '../src/services.ts'

/** A trigger subscriber recording the CloudEvents (binary mode) it receives. */
async function startSubscriber() {
  const received: { headers: IncomingHttpHeaders; body: string }[] = []
  const waiters: (() => void)[] = []
  const server: Server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => {
      body += chunk
    })
    request.on('end', () => {
      received.push({ headers: request.headers, body })
      response.writeHead(202).end()
      for (const wake of waiters.splice(0)) wake()
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  const waitFor = async (type: string) => {
    for (;;) {
      const event = received.find((r) => r.headers['ce-type'] === type)
      if (event) return event
      await new Promise<void>((resolve) => waiters.push(resolve))
    }
  }
  const close = async () => {
    server.closeAllConnections()
    server.close()
    await once(server, 'close')
  }
  return { url, waitFor, close }
}

// Handles that outlive a clean shutdown keep a process alive: servers, sockets, timers.
/** Polls until every listener is ready: right after a PGlite boot the load shedder answers 503. */
async function waitUntilReady(urls: readonly string[], deadlineMs = 20_000) {
  const deadline = Date.now() + deadlineMs
  for (const url of urls) {
    for (;;) {
      const status = await fetch(`${url}/readyz`).then((r) => r.status)
      if (status === 200) break
      if (Date.now() > deadline) throw new Error(`${url}/readyz still answers ${status}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

const LEAK_TYPES = new Set(['TCPServerWrap', 'TCPSocketWrap', 'Timeout'])
const leakCount = () => process.getActiveResourcesInfo().filter((type) => LEAK_TYPES.has(type)).length

describe('startPlatform on embedded defaults', () => {
  let platform: Platform
  let subscriber: Awaited<ReturnType<typeof startSubscriber>>
  let baseline: number

  beforeAll(async () => {
    baseline = leakCount()
    subscriber = await startSubscriber()
    const testTriggers = parseTriggerValues(
      {
        triggers: [
          {
            name: 'test-ingress',
            filter: { attributes: { type: 'test.platform.ping' } },
            subscriber: { uri: subscriber.url },
          },
          {
            name: 'test-alerts',
            filter: { attributes: { type: 'agentsre.alert.firing' } },
            subscriber: { uri: subscriber.url },
          },
        ],
      },
      'platform-test',
    )
    platform = await startPlatform({
      env: { LOG_LEVEL: 'silent', BROKER_PORT: '0', ALERT_INTAKE_PORT: '0', EXPERIMENTS_PORT: '0' },
      triggers: [...(await loadTriggersFromCharts(DEFAULT_CHARTS_DIR)), ...testTriggers],
    })
    await waitUntilReady([platform.broker.url, ...platform.services.map((s) => s.url)])
  })

  afterAll(async () => {
    await platform?.close()
    await subscriber?.close()
  })

  it('starts every registered service on its own port and prints where each listens', () => {
    expect(platform.services.map((s) => s.name)).toEqual(SERVICES.map((s) => s.name))
    const urls = [platform.broker.url, ...platform.services.map((s) => s.url)]
    expect(new Set(urls).size).toBe(urls.length)
    for (const url of urls) expect(platform.table).toContain(url)
    expect(platform.broker.backend).toBe('memory')
  })

  it('answers /healthz and /readyz on every listener', async () => {
    for (const { url } of [platform.broker, ...platform.services]) {
      const health = await fetch(`${url}/healthz`)
      expect(health.status, `${url}/healthz`).toBe(200)
      const ready = await fetch(`${url}/readyz`)
      expect(ready.status, `${url}/readyz`).toBe(200)
    }
  })

  it('delivers an event sent to the ingress to the subscriber of a matching trigger', async () => {
    const response = await fetch(platform.broker.ingressUrl, {
      method: 'POST',
      headers: {
        'ce-specversion': '1.0',
        'ce-id': 'ping-1',
        'ce-source': '/platform-test',
        'ce-type': 'test.platform.ping',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ hello: 'broker' }),
    })
    expect(response.status).toBe(202)
    const delivered = await subscriber.waitFor('test.platform.ping')
    expect(delivered.headers['ce-id']).toBe('ping-1')
    expect(JSON.parse(delivered.body)).toEqual({ hello: 'broker' })
  })

  it('carries an Alertmanager webhook from alert-intake through the broker as agentsre.alert.firing', async () => {
    const intake = platform.services.find((s) => s.name === 'alert-intake')
    expect(intake, 'alert-intake is registered').toBeDefined()
    const startsAt = new Date(Date.now() - 60_000).toISOString()
    const response = await fetch(`${intake?.url}/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        version: '4',
        groupKey: '{}:{alertname="PlatformTest"}',
        truncatedAlerts: 0,
        status: 'firing',
        receiver: 'agent-sre',
        groupLabels: { alertname: 'PlatformTest' },
        commonLabels: { alertname: 'PlatformTest', severity: 'warning' },
        commonAnnotations: {},
        externalURL: 'http://alertmanager.test',
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'PlatformTest', severity: 'warning' },
            annotations: { summary: 'platform test' },
            startsAt,
            endsAt: '0001-01-01T00:00:00Z',
            generatorURL: 'http://prometheus.test/graph',
          },
        ],
      }),
    })
    expect(response.status, await response.clone().text()).toBe(200)
    const delivered = await subscriber.waitFor('agentsre.alert.firing')
    expect(delivered.headers['ce-source']).toBe('/agent-sre/alert-intake')
    expect(JSON.parse(delivered.body)).toMatchObject({ alert: { labels: { alertname: 'PlatformTest' } } })
  })

  it('closes everything: no server, socket or timer outlives close()', async () => {
    await platform.close()
    await subscriber.close()
    // Closed handles leave the list on a later tick; one that stays is a leak. (Not vi.waitFor:
    // its own timers would be counted.)
    for (let tries = 0; tries < 40 && leakCount() > baseline; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(leakCount(), process.getActiveResourcesInfo().join(' ')).toBeLessThanOrEqual(baseline)
    await Promise.all(
      [platform.broker, ...platform.services].map(async ({ url }) => {
        await expect(fetch(`${url}/healthz`)).rejects.toThrow()
      }),
    )
  })
})
