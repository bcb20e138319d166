import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { makeEvent, parseHttpEvent } from '@agent-sre/events'
import { loadConfig } from '@agent-sre/service-kit'
import { openDatabase } from '@agent-sre/store'
import { freshSchemaName } from '@agent-sre/store/testing'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toWire } from '../../src/adapters/OutboxPublisher.ts'
import { buildApp, MIGRATIONS_DIR } from '../../src/app.ts'
import { AppConfigSchema } from '../../src/config.ts'
import { alert, auth, TOKEN, webhook } from '../helpers.ts'

describe('toWire', () => {
  it('is the binary-mode form of the event: ce-* headers and the JSON data as a string body', () => {
    const event = makeEvent(
      'agentsre.alert.storm',
      {
        groupKey: '{}:{alertname="Ünïcode A"}',
        count: 3,
        threshold: 2,
        windowMs: 60_000,
        windowStart: '2024-01-01T00:00:00Z',
        windowEnd: '2024-01-01T00:01:00Z',
        fingerprints: ['0123456789abcdef'],
        fingerprintsTruncated: false,
      },
      {
        id: 'e1',
        time: '2024-01-01T00:01:00Z',
        correlationId: 'c1',
        traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`,
      },
    )
    const wire = toWire(event)
    expect(wire.headers).toMatchObject({
      'ce-id': 'e1',
      'ce-type': 'agentsre.alert.storm',
      'ce-correlationid': 'c1',
      'ce-partitionkey': '{}:{alertname=%22%C3%9Cn%C3%AFcode%20A%22}',
      'content-type': 'application/json',
    })
    expect(parseHttpEvent(wire.headers, wire.body)).toEqual(event)
  })
})

describe('the default sink (the events emitter to BROKER_URL)', () => {
  let broker: Server
  let brokerUrl: string
  const received: { url: string | undefined; headers: IncomingHttpHeaders; body: string }[] = []
  let refuse = 1
  beforeAll(async () => {
    // A broker ingress stand-in: the first POST is answered 503 (retried by the batch policy).
    broker = createServer((request, response) => {
      let body = ''
      request.setEncoding('utf8')
      request.on('data', (chunk: string) => {
        body += chunk
      })
      request.on('end', () => {
        received.push({ url: request.url, headers: request.headers, body })
        if (refuse-- > 0) response.writeHead(503, { 'retry-after': '0' }).end('busy')
        else response.writeHead(202).end()
      })
    })
    await new Promise<void>((resolve) => broker.listen(0, '127.0.0.1', resolve))
    brokerUrl = `http://127.0.0.1:${(broker.address() as AddressInfo).port}/default/ingress`
  })
  afterAll(async () => {
    broker.closeAllConnections()
    await new Promise((resolve) => broker.close(resolve))
  })

  it('posts each stored event as it is, retrying the batch through the policy', async () => {
    const env = { WEBHOOK_BEARER_TOKEN: TOKEN }
    const config = loadConfig(AppConfigSchema, {
      LOG_LEVEL: 'silent',
      DATABASE_SCHEMA: freshSchemaName('alert_intake'),
      BROKER_URL: brokerUrl,
      ...env,
    })
    const db = await openDatabase({ schema: config.DATABASE_SCHEMA, migrationsDir: MIGRATIONS_DIR })
    const { app, publisher } = await buildApp({
      config,
      db,
      registry: new Registry(),
      env,
      background: false,
    })
    try {
      await app.ready()
      const res = await app.inject({
        method: 'POST',
        url: '/alertmanager',
        headers: auth,
        payload: webhook([alert({ alertname: 'A', instance: '1' })]),
      })
      expect(res.statusCode).toBe(200)
      const { rows } = await db.query<{ headers: Record<string, string>; body: string }>(
        'select headers, body from outbox',
      )
      expect(await publisher.drainOnce()).toBe(1)
      expect(received).toHaveLength(2)
      for (const r of received) {
        expect(r.url).toBe('/default/ingress')
        expect(r.body).toBe(rows[0]?.body)
        expect(r.headers).toMatchObject(rows[0]?.headers ?? {})
      }
      expect(parseHttpEvent(received[1]!.headers, received[1]!.body).type).toBe('agentsre.alert.firing')
    } finally {
      await app.close()
      await db.close()
    }
  })
})
