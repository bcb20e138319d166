// Minimal HTTP/1.1 message framing for the benchmark's raw-socket fixtures (the load generator
// reads the ingress's responses, the no-op subscriber reads the broker's requests): start line,
// headers, and a body framed by Content-Length, pipelined messages back to back. Anything it does
// not understand (chunked bodies, a missing or repeated Content-Length, a bad line)
// throws MalformedHttpError: the benchmark fails rather than count a message it misread.

export class MalformedHttpError extends Error {
  override readonly name = 'MalformedHttpError'
}

export interface Http1Message {
  readonly startLine: string
  /** Header names lower-cased; a repeated header keeps its last value (only framing headers are checked). */
  readonly headers: ReadonlyMap<string, string>
  readonly bodyBytes: number
}

const HEAD_END = '\r\n\r\n'
const MAX_HEAD = 64 * 1024

/** Splits a byte stream into HTTP/1.1 messages, each of which must carry Content-Length. */
export class Http1Reader {
  // Latin-1 keeps one character per byte, so string offsets are byte offsets.
  #pending = ''
  #bodyLeft = 0

  push(chunk: Buffer): Http1Message[] {
    const messages: Http1Message[] = []
    let text = this.#pending + chunk.toString('latin1')
    let at = 0
    if (this.#bodyLeft > 0) {
      const skip = Math.min(this.#bodyLeft, text.length)
      this.#bodyLeft -= skip
      at = skip
    }
    while (this.#bodyLeft === 0 && at < text.length) {
      const end = text.indexOf(HEAD_END, at)
      if (end === -1) {
        if (text.length - at > MAX_HEAD) throw new MalformedHttpError('header section over 64 KiB')
        break
      }
      const message = parseHead(text.slice(at, end))
      messages.push(message)
      const bodyStart = end + HEAD_END.length
      const available = text.length - bodyStart
      if (available >= message.bodyBytes) {
        at = bodyStart + message.bodyBytes
      } else {
        this.#bodyLeft = message.bodyBytes - available
        at = text.length
      }
    }
    text = at >= text.length ? '' : text.slice(at)
    this.#pending = text
    return messages
  }

  /** True when no partial message is buffered. */
  get idle(): boolean {
    return this.#pending === '' && this.#bodyLeft === 0
  }
}

function parseHead(head: string): Http1Message {
  const lineEnd = head.indexOf('\r\n')
  const startLine = lineEnd === -1 ? head : head.slice(0, lineEnd)
  if (!startLine.startsWith('HTTP/1.1 ') && !startLine.endsWith(' HTTP/1.1')) {
    throw new MalformedHttpError(`not an HTTP/1.1 start line: ${JSON.stringify(startLine.slice(0, 80))}`)
  }
  const headers = new Map<string, string>()
  let length: number | undefined
  let at = lineEnd === -1 ? head.length : lineEnd + 2
  while (at < head.length) {
    let next = head.indexOf('\r\n', at)
    if (next === -1) next = head.length
    const colon = head.indexOf(':', at)
    if (colon === -1 || colon > next) {
      throw new MalformedHttpError(`bad header line: ${JSON.stringify(head.slice(at, next))}`)
    }
    const name = head.slice(at, colon).toLowerCase()
    const value = head.slice(colon + 1, next).trim()
    if (name === 'content-length') {
      if (length !== undefined || !/^\d+$/.test(value)) {
        throw new MalformedHttpError(`bad or repeated content-length: ${JSON.stringify(value)}`)
      }
      length = Number(value)
    } else if (name === 'transfer-encoding') {
      throw new MalformedHttpError(`transfer-encoding ${value} is not supported by the bench fixtures`)
    }
    headers.set(name, value)
    at = next + 2
  }
  // Both peers (the Fastify ingress, undici in the broker) always frame with Content-Length.
  if (length === undefined) throw new MalformedHttpError('message without content-length')
  return { startLine, headers, bodyBytes: length }
}
