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

type HeaderValue = Buffer | string

/** A Kafka record as kafkajs produces it (`Message`) and consumes it (`KafkaMessage`). */
export interface KafkaRecord {
  key?: Buffer | string | null
  value: Buffer | string | null
  headers?: Readonly<Record<string, HeaderValue | readonly HeaderValue[] | undefined>>
}

/** What toKafkaMessage produces: directly usable as a kafkajs `Message`. */
export interface KafkaEventMessage {
  key: string | null
  value: Buffer | null
  headers: Record<string, string>
}

/**
 * CloudEvents Kafka protocol binding, binary mode: `ce_<attribute>` headers, `content-type`,
 * data as the value, and `partitionkey` as the record key (null without one: round-robin).
 */
export function toKafkaMessage(event: AnyCloudEvent): KafkaEventMessage {
  const headers: Record<string, string> = {}
  for (const [name, value] of attributesOf(event)) headers[`ce_${name}`] = attributeToString(value)
  const { contentType, body } = encodeBinaryData(event)
  if (contentType !== undefined) headers['content-type'] = contentType
  const key = event.partitionkey
  return {
    key: key === undefined ? null : attributeToString(key),
    value: body === undefined ? null : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
    headers,
  }
}

/** Strictly decodes a Kafka record in binary or structured mode; throws InvalidEventError. */
export function fromKafkaMessage(message: KafkaRecord): AnyCloudEvent {
  const headers = new Map<string, string>()
  let contentType: string | undefined
  const raw = message.headers ?? {}
  for (const name of Object.keys(raw)) {
    const value = raw[name]
    if (value === undefined) continue
    const text = headerString(name, value)
    headers.set(name, text)
    // Kafka header names are case-sensitive; only content-type is looked up case-insensitively
    // (the first one). Only a 12-character name lower-cases to it: the others are not lowered.
    if (contentType === undefined && name.length === 12 && name.toLowerCase() === 'content-type') {
      contentType = text
    }
  }
  const value = message.value ?? undefined
  const type = mediaType(contentType)
  if (structuredMode(type)) return decodeStructured(value)
  const attributes = binaryModeAttributes(headers, 'ce_', contentType)
  // The binding maps the key to partitionkey; an explicit header wins.
  if (attributes.partitionkey === undefined && message.key !== undefined && message.key !== null) {
    attributes.partitionkey = message.key.toString()
  }
  return buildEvent(attributes, value === undefined ? undefined : decodeBinaryData(type, value))
}

function headerString(name: string, value: HeaderValue | readonly HeaderValue[]): string {
  if (typeof value === 'string' || Buffer.isBuffer(value)) return value.toString()
  if (value.length !== 1) throw new InvalidEventError(`header ${name} appears more than once`)
  return value[0]!.toString()
}
