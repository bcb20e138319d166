import {
  type AnyCloudEvent,
  attributesOf,
  attributeToString,
  binaryModeAttributes,
  buildEvent,
  decodeBinaryData,
  decodeStructured,
  encodeBinaryData,
  mediaType,
  structuredMode,
} from './attributes.ts'
import { InvalidEventError } from './InvalidEventError.ts'

/** Request headers as Node, Fastify and undici hand them over. */
export type HttpHeaders = Readonly<Record<string, string | readonly string[] | undefined>>

/**
 * The raw request body (Buffer or string). An already-parsed JSON value is accepted too, for
 * hosts whose body parser ran first; the raw form is preferred because it keeps bad JSON visible.
 */
export type HttpBody = Uint8Array | string | null | undefined | object

export interface BinaryHttpMessage {
  headers: Record<string, string>
  body: Buffer | string
}

/**
 * Strictly decodes a CloudEvent from an HTTP request in binary or structured mode. Unlike the
 * SDK's HTTP.toEvent it never invents an id or time: anything not acceptable throws
 * InvalidEventError with the reason (answer 400).
 */
export function parseHttpEvent(headers: HttpHeaders, body: HttpBody): AnyCloudEvent {
  const lower = lowerCaseHeaders(headers)
  const contentType = lower.get('content-type')
  const type = mediaType(contentType)
  if (structuredMode(type)) return decodeStructured(rawBody(body))
  const attributes = binaryModeAttributes(lower, 'ce-', contentType, percentDecode)
  const data =
    typeof body === 'object' && body !== null && !(body instanceof Uint8Array)
      ? body
      : decodeBinaryData(type, body ?? '')
  return buildEvent(attributes, data)
}

/** Binary-mode HTTP encoding: ce-* headers (percent-encoded), content-type, data as the body. */
export function toBinaryHttp(event: AnyCloudEvent): BinaryHttpMessage {
  const headers: Record<string, string> = {}
  for (const [name, value] of attributesOf(event)) {
    headers[`ce-${name}`] = percentEncode(attributeToString(value))
  }
  const { contentType, body } = encodeBinaryData(event)
  if (contentType !== undefined) headers['content-type'] = contentType
  return { headers, body: body ?? '' }
}

function lowerCaseHeaders(headers: HttpHeaders): Map<string, string> {
  const map = new Map<string, string>()
  // Object.keys, not entries: no [name, value] array per header. (Not for…in either, which
  // would also take enumerable keys inherited from a polluted Object.prototype.)
  for (const name of Object.keys(headers)) {
    const value = headers[name]
    if (value === undefined) continue
    const key = name.toLowerCase()
    if (typeof value !== 'string') {
      if (value.length !== 1) throw new InvalidEventError(`header ${key} appears more than once`)
      map.set(key, value[0]!)
    } else {
      map.set(key, value)
    }
  }
  return map
}

function rawBody(body: HttpBody): Uint8Array | string | undefined {
  if (body === null || body === undefined) return undefined
  if (typeof body === 'string' || body instanceof Uint8Array) return body
  return JSON.stringify(body)
}

// HTTP binding 3.1.3.2: space, double quote, percent and anything outside printable ASCII are
// percent-encoded as UTF-8; receivers decode. Most values need none: the test is the fast path.
const NEEDS_ENCODING = /[^\x21\x23-\x24\x26-\x7e]/

/** Encodes a CloudEvent attribute value for a `ce-*` HTTP header. */
export function percentEncode(value: string): string {
  if (!NEEDS_ENCODING.test(value)) return value
  let out = ''
  for (const char of value) {
    const code = char.codePointAt(0)!
    if (code > 0x20 && code < 0x7f && char !== '"' && char !== '%') out += char
    else
      for (const byte of Buffer.from(char, 'utf8'))
        out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

function percentDecode(header: string, value: string): string {
  if (!value.includes('%')) return value
  try {
    return decodeURIComponent(value)
  } catch {
    throw new InvalidEventError(`header ${header} is not valid percent-encoded UTF-8`)
  }
}
