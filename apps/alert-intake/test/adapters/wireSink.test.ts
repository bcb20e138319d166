import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { makeEvent, parseHttpEvent } from '@agent-sre/events'
import { isHttpStatusError } from '@agent-sre/resilience'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toWire, wireSink } from '../../src/adapters/wireSink.ts'

let server: Server
let url: string
let connections = 0
const received: { method?: string; url?: string; headers: Record<string, unknown>; body: string }[] = []

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString()
    })
    request.on('end', () => {
      received.push({ method: request.method, url: request.url, headers: request.headers, body })
      if (request.url === '/busy') {
        response.writeHead(503, { 'retry-after': '7', 'content-type': 'text/plain' }).end('try later')
      } else if (request.url === '/refused') {
        response.writeHead(400).end('x'.repeat(10_000))
      } else if (request.url === '/slow') {
        setTimeout(() => response.writeHead(202).end(), 2000)
      } else {
        response.writeHead(202, { 'content-type': 'text/plain' }).end('accepted')
      }
    })
  })
  server.on('connection', () => connections++)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

const signal = () => new AbortController().signal

describe('wireSink', () => {
  it('posts the stored headers and body as they are, over one reused connection', async () => {
    const post = wireSink(`${url}/ingress?x=1`, 4)
    const before = connections
    for (let i = 0; i < 5; i++) {
      await post(
        { headers: { 'ce-id': `e${i}`, 'content-type': 'application/json' }, body: `{"i":${i}}` },
        signal(),
      )
    }
    expect(connections - before).toBe(1)
    expect(received.at(-1)).toMatchObject({
      method: 'POST',
      url: '/ingress?x=1',
      headers: { 'ce-id': 'e4', 'content-type': 'application/json' },
      body: '{"i":4}',
    })
  })

  it('rejects a non-2xx answer with HttpStatusError carrying Retry-After and the body', async () => {
    const err = await wireSink(`${url}/busy`, 1)({ headers: {}, body: 'x' }, signal()).catch(
      (e: unknown) => e,
    )
    expect(isHttpStatusError(err)).toBe(true)
    expect(err).toMatchObject({ status: 503, retryAfterMs: 7000, body: 'try later' })
  })

  it('keeps at most 4096 characters of an error body', async () => {
    const err = await wireSink(`${url}/refused`, 1)({ headers: {}, body: 'x' }, signal()).catch(
      (e: unknown) => e,
    )
    expect(err).toMatchObject({ status: 400 })
    expect((err as { body: string }).body).toHaveLength(4096)
  })

  it('aborts with the signal', async () => {
    const controller = new AbortController()
    const sent = wireSink(`${url}/slow`, 1)({ headers: {}, body: 'x' }, controller.signal)
    setTimeout(() => controller.abort(), 50)
    await expect(sent).rejects.toMatchObject({ name: 'AbortError' })
  })
})

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
