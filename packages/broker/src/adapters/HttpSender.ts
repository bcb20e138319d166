import { Agent, request } from 'undici'

export interface HttpResponse {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: Buffer
}

/** No response came back: connection refused or reset, timeout, or a response over the size limit. */
export class TransportError extends Error {
  override readonly name = 'TransportError'
}

export interface HttpSenderOptions {
  /** Keep-alive connections per subscriber origin. */
  readonly connectionsPerOrigin?: number
  /** Largest response body read (a reply event); larger ones count as a failed attempt. */
  readonly maxResponseBytes?: number
}

/** POSTs to subscribers over a keep-alive pool; one instance per broker. */
export class HttpSender {
  readonly #agent: Agent
  readonly #maxResponseBytes: number
  // The requests in flight under each caller signal, aborted together by one listener: a listener
  // per request made every addEventListener walk all the others (EventTarget refuses duplicates),
  // quadratic in the deliveries in flight.
  readonly #inFlight = new WeakMap<AbortSignal, Set<AbortController>>()

  constructor({ connectionsPerOrigin = 128, maxResponseBytes = 1_048_576 }: HttpSenderOptions = {}) {
    this.#agent = new Agent({ connections: connectionsPerOrigin, keepAliveTimeout: 10_000 })
    this.#maxResponseBytes = maxResponseBytes
  }

  /**
   * One POST with an overall deadline. The deadline is a plain setTimeout (not
   * AbortSignal.timeout) so fake timers in tests govern it like the backoff waits.
   */
  async post(
    url: string,
    headers: Record<string, string>,
    body: Buffer | string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<HttpResponse> {
    const controller = new AbortController()
    const siblings = signal && this.#track(signal)
    if (signal?.aborted) controller.abort(signal.reason)
    siblings?.add(controller)
    const timer = setTimeout(
      () => controller.abort(new TransportError(`no response within ${timeoutMs} ms`)),
      timeoutMs,
    )
    try {
      const response = await request(url, {
        method: 'POST',
        headers,
        body,
        dispatcher: this.#agent,
        signal: controller.signal,
      })
      const chunks: Buffer[] = []
      let size = 0
      for await (const chunk of response.body) {
        size += (chunk as Buffer).byteLength
        if (size > this.#maxResponseBytes) {
          response.body.destroy()
          throw new TransportError(`response body larger than ${this.#maxResponseBytes} bytes`)
        }
        chunks.push(chunk as Buffer)
      }
      return {
        status: response.statusCode,
        headers: response.headers,
        body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
      }
    } catch (error) {
      if (signal?.aborted) throw signal.reason
      if (error instanceof TransportError) throw error
      const reason = controller.signal.reason
      throw reason instanceof TransportError
        ? reason
        : new TransportError((error as Error).message, { cause: error })
    } finally {
      clearTimeout(timer)
      siblings?.delete(controller)
    }
  }

  #track(signal: AbortSignal): Set<AbortController> {
    let requests = this.#inFlight.get(signal)
    if (!requests) {
      const created = new Set<AbortController>()
      signal.addEventListener(
        'abort',
        () => {
          for (const controller of created) controller.abort(signal.reason)
        },
        { once: true },
      )
      this.#inFlight.set(signal, created)
      requests = created
    }
    return requests
  }

  close(): Promise<void> {
    return this.#agent.close()
  }
}
