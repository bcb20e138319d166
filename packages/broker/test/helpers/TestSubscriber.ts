import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type AnyCloudEvent, parseHttpEvent } from '@agent-sre/events'

// Captured at load, before a test fakes timers: waiting for a delivery must use the real clock
// (vi.waitFor would advance fake timers and break timing assertions).
const realSetTimeout = globalThis.setTimeout

export interface Received {
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
  readonly event: AnyCloudEvent
  /** performance.now() at arrival (real clock, even under fake timers). */
  readonly at: number
}

export interface Answer {
  readonly status?: number
  readonly headers?: Record<string, string>
  readonly body?: string | Buffer
}

export type Handler = (received: Received) => Answer | Promise<Answer>

/** A real HTTP subscriber on loopback that records every delivery and answers per path. */
export class TestSubscriber {
  readonly #server: Server
  readonly #handlers = new Map<string, Handler>()
  readonly received: Received[] = []

  private constructor(server: Server) {
    this.#server = server
  }

  static async start(): Promise<TestSubscriber> {
    const server = createServer()
    const subscriber = new TestSubscriber(server)
    server.on('request', (request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', async () => {
        const body = Buffer.concat(chunks)
        const path = request.url ?? '/'
        const received = {
          path,
          headers: request.headers,
          body,
          event: parseHttpEvent(request.headers, body),
          at: performance.now(),
        }
        subscriber.received.push(received)
        const answer = await (subscriber.#handlers.get(path) ?? ((): Answer => ({ status: 202 })))(received)
        response.writeHead(answer.status ?? 202, answer.headers)
        response.end(answer.body)
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return subscriber
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
  }

  on(path: string, handler: Handler): void {
    this.#handlers.set(path, handler)
  }

  at(path: string): Received[] {
    return this.received.filter((received) => received.path === path)
  }

  /** Waits (on the real clock) until `path` received `count` requests, and returns them. */
  async waitFor(path: string, count: number, timeout = 10_000): Promise<Received[]> {
    const deadline = performance.now() + timeout
    while (this.at(path).length < count) {
      if (performance.now() > deadline)
        throw new Error(`${path}: ${this.at(path).length}/${count} deliveries`)
      await new Promise((resolve) => realSetTimeout(resolve, 5))
    }
    return this.at(path)
  }

  close(): Promise<void> {
    this.#server.closeAllConnections()
    return new Promise((resolve) => this.#server.close(() => resolve()))
  }
}
