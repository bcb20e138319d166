import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { inspect } from 'node:util'
import { isHttpStatusError, policyFor } from '@agent-sre/resilience'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createEmitter, makeEvent, parseHttpEvent, toBinaryHttp } from '../src/index.ts'
import { sampleData } from './fixtures.ts'

type Reply = (res: ServerResponse) => void
interface Received {
  url: string | undefined
  headers: IncomingHttpHeaders
  body: Buffer
}

/** A fake event sink (broker ingress / K_SINK) answering each request with the next scripted reply. */
class FakeSink {
  readonly received: Received[] = []
  replies: Reply[] = []
  connections = 0
  private readonly server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    this.received.push({ url: req.url, headers: req.headers, body: Buffer.concat(chunks) })
    const reply = this.replies.shift() ?? status(202)
    reply(res)
  })

  async start(): Promise<string> {
    this.server.on('connection', () => this.connections++)
    this.server.listen(0, '127.0.0.1')
    await once(this.server, 'listening')
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections()
    this.server.close()
    await once(this.server, 'close')
  }
}

const status =
  (code: number, headers: Record<string, string> = {}): Reply =>
  (res) => {
    res.writeHead(code, headers).end()
  }
const dropConnection: Reply = (res) => {
  res.socket?.destroy()
}

let policies = 0
const testPolicy = () =>
  policyFor(`event-sink-test-${++policies}`, {
    timeoutMs: 2_000,
    retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 1_500, jitter: 0 },
    breaker: false,
  })

const event = makeEvent('agentsre.remediation.failed', sampleData['agentsre.remediation.failed'], {
  correlationId: 'episode-1',
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
})

describe('createEmitter', () => {
  let sink: FakeSink
  let sinkUrl: string
  beforeEach(async () => {
    sink = new FakeSink()
    sinkUrl = await sink.start()
  })
  afterEach(async () => {
    await sink.stop()
  })

  it('POSTs the event in binary mode', async () => {
    await createEmitter({ sinkUrl }).emit(event)
    expect(sink.received).toHaveLength(1)
    const [request] = sink.received
    expect(request!.headers).toMatchObject({
      'ce-specversion': '1.0',
      'ce-id': event.id,
      'ce-source': '/agent-sre/function-invoker',
      'ce-type': 'agentsre.remediation.failed',
      'ce-partitionkey': event.partitionkey,
      'ce-correlationid': 'episode-1',
      'ce-traceparent': '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      'content-type': 'application/json',
    })
    expect(parseHttpEvent(request!.headers, request!.body).toJSON()).toEqual(event.toJSON())
  })

  it('retries 503 and delivers the same event id each time', async () => {
    sink.replies = [status(503), status(503), status(202)]
    await createEmitter({ sinkUrl, policy: testPolicy() }).emit(event)
    expect(sink.received.map((r) => r.headers['ce-id'])).toEqual([event.id, event.id, event.id])
  })

  it('retries 429 after the Retry-After delay', async () => {
    sink.replies = [status(429, { 'retry-after': '1' }), status(202)]
    const started = performance.now()
    await createEmitter({ sinkUrl, policy: testPolicy() }).emit(event)
    expect(sink.received).toHaveLength(2)
    expect(performance.now() - started).toBeGreaterThanOrEqual(990)
  })

  it('retries a dropped connection', async () => {
    sink.replies = [dropConnection, status(202)]
    await createEmitter({ sinkUrl, policy: testPolicy() }).emit(event)
    expect(sink.received).toHaveLength(2)
  })

  it('does not retry 400: the sink refused the event itself', async () => {
    sink.replies = [status(400)]
    const warn = vi.fn()
    const logger = { debug: vi.fn(), info: vi.fn(), warn }
    const error = await createEmitter({ sinkUrl, policy: testPolicy(), logger })
      .emit(event)
      .catch((err: unknown) => err)
    expect(isHttpStatusError(error) && error.status).toBe(400)
    expect(sink.received).toHaveLength(1)
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ id: event.id, attempts: 1, err: expect.objectContaining({ status: 400 }) }),
      'event not delivered',
    )
  })

  it('gives up after the policy attempts with the last status', async () => {
    sink.replies = [status(503), status(502), status(500)]
    const error = await createEmitter({ sinkUrl, policy: testPolicy() })
      .emit(event)
      .catch((err: unknown) => err)
    expect(isHttpStatusError(error) && error.status).toBe(500)
    expect(sink.received).toHaveLength(3)
  })

  it('sends credentials of the sink URL as basic auth and keeps them out of the logs', async () => {
    const debug = vi.fn()
    const url = new URL(sinkUrl)
    url.username = 'user'
    url.password = 's3cret'
    const logger = { debug, info: vi.fn(), warn: vi.fn() }
    const emitter = createEmitter({ sinkUrl: url, policy: testPolicy(), logger })
    await emitter.emit(event)
    expect(emitter.sinkUrl).toBe(sinkUrl)
    expect(sink.received[0]!.headers.authorization).toBe(`Basic ${btoa('user:s3cret')}`)
    expect(JSON.stringify(debug.mock.calls)).not.toContain('s3cret')
    expect(debug).toHaveBeenCalledWith(
      expect.objectContaining({ sink: sinkUrl, type: event.type, id: event.id, attempts: 1 }),
      'event delivered',
    )
  })

  it('posts a pre-encoded event byte for byte, over kept-alive connections', async () => {
    const encoded = toBinaryHttp(event)
    const stored = { headers: { ...encoded.headers }, body: String(encoded.body) }
    const emitter = createEmitter({ sinkUrl: `${sinkUrl}ingress?x=1`, policy: testPolicy(), connections: 1 })
    await Promise.all([1, 2, 3].map(() => emitter.emitEncoded(stored)))
    await emitter.close()
    expect(sink.received).toHaveLength(3)
    for (const r of sink.received) {
      expect(r.url).toBe('/ingress?x=1')
      expect(r.body.toString()).toBe(stored.body)
      expect(r.headers).toMatchObject(stored.headers)
      expect(parseHttpEvent(r.headers, r.body).toJSON()).toEqual(event.toJSON())
    }
    expect(sink.connections).toBe(1)
  })

  it('rejects a non-2xx answer with HttpStatusError carrying Retry-After and a bounded body', async () => {
    sink.replies = [
      (res) => {
        res.writeHead(503, { 'retry-after': '7', 'content-type': 'text/plain' }).end('x'.repeat(10_000))
      },
    ]
    const error = await createEmitter({ sinkUrl, policy: false })
      .emitEncoded(toBinaryHttp(event))
      .catch((err: unknown) => err)
    expect(isHttpStatusError(error)).toBe(true)
    expect(error).toMatchObject({ status: 503, retryAfterMs: 7_000 })
    expect((error as { body: string }).body).toHaveLength(4096)
  })

  it('keeps the status when the error body breaks off (regression: a 400 was retried as a socket error)', async () => {
    sink.replies = [
      (res) => {
        res.writeHead(400, { 'content-length': '100' })
        res.write('half a reason', () => res.socket?.destroy())
      },
    ]
    const error = await createEmitter({ sinkUrl, policy: testPolicy() })
      .emit(event)
      .catch((err: unknown) => err)
    expect(isHttpStatusError(error) && error.status).toBe(400)
    expect(sink.received).toHaveLength(1)
  })

  it('decodes an error body split inside a character', async () => {
    const reason = 'é'.repeat(3)
    const bytes = Buffer.from(reason)
    sink.replies = [
      (res) => {
        res.writeHead(409, { 'content-length': String(bytes.length) })
        res.write(bytes.subarray(0, 1), () => setTimeout(() => res.end(bytes.subarray(1)), 20))
      },
    ]
    const error = await createEmitter({ sinkUrl, policy: false })
      .emit(event)
      .catch((err: unknown) => err)
    expect(error).toMatchObject({ status: 409, body: reason })
  })

  it('close() resolves once the emits in flight are answered', async () => {
    sink.replies = [(res) => setTimeout(() => status(202)(res), 50)]
    const emitter = createEmitter({ sinkUrl, policy: false })
    let delivered = false
    const emitting = emitter.emit(event).then(() => {
      delivered = true
    })
    await vi.waitFor(() => expect(sink.received).toHaveLength(1))
    await emitter.close()
    expect(delivered).toBe(true)
    await emitting
    await expect(emitter.emit(event)).rejects.toMatchObject({ code: 'UND_ERR_DESTROYED' })
  })

  it('makes exactly one attempt with policy: false', async () => {
    sink.replies = [status(503)]
    const error = await createEmitter({ sinkUrl, policy: false })
      .emit(event)
      .catch((err: unknown) => err)
    expect(isHttpStatusError(error) && error.status).toBe(503)
    expect(sink.received).toHaveLength(1)
  })

  it('rejects a connection failure with the socket error', async () => {
    const closed = new FakeSink()
    const url = await closed.start()
    await closed.stop()
    const error = await createEmitter({ sinkUrl: url, policy: false })
      .emit(event)
      .catch((err: unknown) => err)
    expect(error).toMatchObject({ code: 'ECONNREFUSED' })
  })

  it('aborts the request in flight when the signal aborts (policy: false)', async () => {
    sink.replies = [() => {}] // never answers
    const controller = new AbortController()
    const emitting = createEmitter({ sinkUrl, policy: false }).emit(event, controller.signal)
    await vi.waitFor(() => expect(sink.received).toHaveLength(1))
    controller.abort()
    await expect(emitting).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('refuses a sink URL that is not http(s)', () => {
    expect(() => createEmitter({ sinkUrl: 'ftp://broker/' })).toThrow(TypeError)
  })

  it('refuses an invalid sink URL without echoing it (regression: its credentials reached the crash output)', () => {
    let error: unknown
    try {
      createEmitter({ sinkUrl: 'http://user:s3cret@broker:99999/' })
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(TypeError)
    expect(inspect(error)).not.toContain('s3cret')
  })

  it('stops when the caller aborts', async () => {
    sink.replies = [status(503)]
    const controller = new AbortController()
    const emitting = createEmitter({
      sinkUrl,
      policy: policyFor(`event-sink-test-${++policies}`, {
        retry: { maxAttempts: 3, initialDelayMs: 200, maxDelayMs: 200, jitter: 0 },
        breaker: false,
      }),
    }).emit(event, controller.signal)
    await vi.waitFor(() => expect(sink.received).toHaveLength(1))
    controller.abort()
    await expect(emitting).rejects.toThrow()
    expect(sink.received).toHaveLength(1)
  })
})
