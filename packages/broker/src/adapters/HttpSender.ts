import { Agent, type Dispatcher } from 'undici'

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

type Abort = (reason: Error) => void

/** Where a subscriber URL sends: undici dispatches by origin and path. */
interface Target {
  readonly origin: string
  readonly path: string
}

// Subscriber and dead-letter URLs come from trigger configuration, so this stays small; a bound
// keeps it so if a caller ever passes arbitrary URLs.
const MAX_CACHED_TARGETS = 1_024

/**
 * POSTs to subscribers over a keep-alive pool; one instance per broker. It drives undici's
 * dispatcher with its own handler rather than `request()`: a delivery reads a small body into
 * memory, so the response stream, async iteration and per-request abort signal of `request()`
 * are pure overhead on the hot path.
 */
export class HttpSender {
  readonly #agent: Agent
  readonly #maxResponseBytes: number
  readonly #targets = new Map<string, Target>()
  // The requests in flight under each caller signal, aborted together by one listener: a listener
  // per request would make every addEventListener walk all the others (EventTarget refuses
  // duplicates), quadratic in the deliveries in flight.
  readonly #inFlight = new WeakMap<AbortSignal, Set<Abort>>()

  constructor({ connectionsPerOrigin = 128, maxResponseBytes = 1_048_576 }: HttpSenderOptions = {}) {
    this.#agent = new Agent({ connections: connectionsPerOrigin, keepAliveTimeout: 10_000 })
    this.#maxResponseBytes = maxResponseBytes
  }

  /**
   * One POST with an overall deadline. The deadline is a plain setTimeout (not
   * AbortSignal.timeout) so fake timers in tests govern it like the backoff waits. Rejects with
   * TransportError, or with the signal's reason once it is aborted.
   */
  post(
    url: string,
    headers: Record<string, string>,
    body: Buffer | string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<HttpResponse> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    let target: Target
    try {
      target = this.#target(url)
    } catch (error) {
      return Promise.reject(new TransportError(`invalid URL ${url}`, { cause: error }))
    }
    return new Promise((resolve, reject) => {
      const siblings = signal && this.#siblings(signal)
      let controller: Dispatcher.DispatchController | undefined
      let failure: Error | undefined
      let status = 0
      let responseHeaders: HttpResponse['headers'] = {}
      const chunks: Buffer[] = []
      let size = 0
      const settle = () => {
        clearTimeout(timer)
        siblings?.delete(abort)
      }
      // Settles at once; undici learns of it when the request starts, or at once if it has.
      const abort: Abort = (reason) => {
        if (failure) return
        failure = reason
        settle()
        reject(reason)
        controller?.abort(reason)
      }
      const timer = setTimeout(
        () => abort(new TransportError(`no response within ${timeoutMs} ms`)),
        timeoutMs,
      )
      siblings?.add(abort)
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(started) {
          controller = started
          if (failure) started.abort(failure)
        },
        onResponseStart(_controller, statusCode, parsedHeaders) {
          // 1xx answers are informational: the response follows.
          if (statusCode < 200) return
          status = statusCode
          responseHeaders = parsedHeaders as HttpResponse['headers']
        },
        onResponseData: (_controller, chunk) => {
          if (failure) return
          size += chunk.byteLength
          if (size > this.#maxResponseBytes) {
            abort(new TransportError(`response body larger than ${this.#maxResponseBytes} bytes`))
            return
          }
          chunks.push(chunk)
        },
        onResponseEnd() {
          if (failure) return
          settle()
          resolve({
            status,
            headers: responseHeaders,
            body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
          })
        },
        onResponseError(_controller, error) {
          if (failure) return
          abort(error instanceof TransportError ? error : new TransportError(error.message, { cause: error }))
        },
      }
      try {
        this.#agent.dispatch(
          { origin: target.origin, path: target.path, method: 'POST', headers, body },
          handler,
        )
      } catch (error) {
        // undici refuses the request itself (an invalid header, a closed pool).
        abort(new TransportError((error as Error).message, { cause: error }))
      }
    })
  }

  #target(url: string): Target {
    let target = this.#targets.get(url)
    if (!target) {
      const parsed = new URL(url)
      target = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` }
      if (this.#targets.size >= MAX_CACHED_TARGETS) this.#targets.clear()
      this.#targets.set(url, target)
    }
    return target
  }

  #siblings(signal: AbortSignal): Set<Abort> {
    let requests = this.#inFlight.get(signal)
    if (!requests) {
      const created = new Set<Abort>()
      signal.addEventListener(
        'abort',
        () => {
          for (const abort of created) abort(signal.reason)
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
