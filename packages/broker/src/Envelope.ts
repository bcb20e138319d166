import type { AnyCloudEvent, HttpHeaders, KafkaEventMessage } from '@agent-sre/events'
import { percentEncode, toBinaryHttp } from '@agent-sre/events'
import { TTL_EXTENSION } from './domain/BrokerTtl.ts'

/**
 * An event as the broker carries it from ingress to delivery: the validated event (filters,
 * TTL, logs, dead letters) next to its binary-mode wire form, so nothing is serialised again on
 * the way. `headers` are the `ce-*` headers (percent-encoded) and `content-type` a subscriber
 * receives, without `knativebrokerttl` (Knative strips the hop budget before delivery).
 */
export interface Envelope {
  readonly event: AnyCloudEvent
  readonly headers: Readonly<Record<string, string>>
  readonly body: Buffer | string
}

const TTL_HEADER = `ce-${TTL_EXTENSION}`

/** The wire form of an event built in this process (a reply, a `publish` call): encoded once. */
export function envelopeOf(event: AnyCloudEvent): Envelope {
  const { headers, body } = toBinaryHttp(event)
  delete headers[TTL_HEADER]
  return { event, headers, body }
}

/**
 * The wire form of an event received over HTTP and already validated from these headers and
 * body: a binary-mode request is forwarded as it came (its `ce-*` headers and bytes), a
 * structured one is encoded in binary mode once.
 */
export function envelopeFromHttp(event: AnyCloudEvent, headers: HttpHeaders, body: unknown): Envelope {
  const contentType = headers['content-type']
  const structured =
    typeof contentType === 'string' &&
    contentType.trimStart().toLowerCase().startsWith('application/cloudevents')
  if (
    structured ||
    headers['ce-specversion'] === undefined ||
    !(body instanceof Uint8Array || body == null)
  ) {
    return envelopeOf(event)
  }
  const wire: Record<string, string> = {}
  for (const name in headers) {
    const value = headers[name]
    // parseHttpEvent accepted these, so every ce-* header is a single value.
    if (typeof value === 'string' && name.startsWith('ce-') && name !== TTL_HEADER) wire[name] = value
  }
  if (typeof contentType === 'string') wire['content-type'] = contentType
  return { event, headers: wire, body: (body as Buffer | null) ?? '' }
}

/**
 * The CloudEvents Kafka binding of an envelope: `ce_*` headers (not percent-encoded), the body
 * bytes as the value, `partitionkey` as the key, and the hop budget kept for the next hop.
 */
export function toKafkaRecord(envelope: Envelope): KafkaEventMessage {
  const headers: Record<string, string> = {}
  for (const name in envelope.headers) {
    const value = envelope.headers[name]!
    if (name.startsWith('ce-'))
      headers[`ce_${name.slice(3)}`] = value.includes('%') ? decodeURIComponent(value) : value
    else if (name === 'content-type') headers[name] = value
  }
  const ttl = (envelope.event as unknown as Record<string, unknown>)[TTL_EXTENSION]
  if (ttl !== undefined && ttl !== null) headers[`ce_${TTL_EXTENSION}`] = String(ttl)
  const key = headers.ce_partitionkey
  const { body } = envelope
  return {
    key: key ?? null,
    value: body.length === 0 ? null : typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    headers,
  }
}

/**
 * The envelope of a Kafka record decoded (and so validated) as `event`: binary-mode records are
 * forwarded with their value bytes, structured ones are encoded in binary mode once.
 */
export function envelopeFromKafka(
  event: AnyCloudEvent,
  record: { value: Buffer | null; headers?: Readonly<Record<string, unknown>> },
): Envelope {
  const recordHeaders = record.headers ?? {}
  if (recordHeaders.ce_specversion === undefined) return envelopeOf(event)
  const headers: Record<string, string> = {}
  for (const name in recordHeaders) {
    if (!name.startsWith('ce_') || name === `ce_${TTL_EXTENSION}`) continue
    headers[`ce-${name.slice(3)}`] = percentEncode(String(recordHeaders[name]))
  }
  // The binding maps the record key to partitionkey when no header carries it.
  const key = (event as unknown as Record<string, unknown>).partitionkey
  if (headers['ce-partitionkey'] === undefined && key !== undefined)
    headers['ce-partitionkey'] = percentEncode(String(key))
  if (event.datacontenttype !== undefined) headers['content-type'] = event.datacontenttype
  return { event, headers, body: record.value ?? '' }
}
