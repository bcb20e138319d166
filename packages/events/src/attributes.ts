import { createRequire } from 'node:module'
import { CloudEvent } from 'cloudevents'
import { InvalidEventError } from './InvalidEventError.ts'
import { RFC3339_PATTERN } from './schemas.ts'

// The strict core shared by the HTTP and Kafka decoders: both collect context attributes and a
// decoded `data`, and this decides whether that is a CloudEvent we accept.

export type AnyCloudEvent = CloudEvent<unknown>

const REQUIRED = ['id', 'source', 'type'] as const
const OPTIONAL_STRINGS = ['datacontenttype', 'dataschema', 'subject'] as const
const CONTEXT = new Set<string>(['specversion', 'time', ...REQUIRED, ...OPTIONAL_STRINGS])
const EXTENSION_NAME = /^[a-z0-9]+$/
const INT32_MIN = -(2 ** 31)
const INT32_MAX = 2 ** 31 - 1
const rfc3339 = new RegExp(RFC3339_PATTERN)

// The formats of the SDK's v1 schema (uri-reference for source, uri for dataschema, date-time for
// time), taken from the very ajv-formats copy the SDK resolves, so they cannot drift from it.
interface AjvFormats {
  'uri-reference': RegExp
  uri: (value: string) => boolean
  'date-time': { validate: (value: string) => boolean }
}
const sdkRequire = createRequire(createRequire(import.meta.url).resolve('cloudevents'))
const formats: AjvFormats = sdkRequire('ajv-formats/dist/formats').fullFormats

export function isRfc3339(value: string): boolean {
  if (!rfc3339.test(value)) return false
  // The pattern admits 01-31 for every month. Days up to 28 exist in all of them; only later
  // ones need the calendar.
  const day = Number(value.slice(8, 10))
  if (day <= 28) return true
  const year = Number(value.slice(0, 4))
  const month = Number(value.slice(5, 7))
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate()
}

export function isValidExtensionName(name: string): boolean {
  return EXTENSION_NAME.test(name) && !CONTEXT.has(name) && name !== 'data'
}

/** Builds and validates an event from already-decoded attributes; throws InvalidEventError. */
export function buildEvent(attributes: Readonly<Record<string, unknown>>, data: unknown): AnyCloudEvent {
  const specversion = attributes.specversion
  if (specversion === undefined || specversion === null)
    throw invalid('missing required attribute specversion')
  if (specversion !== '1.0') {
    throw invalid(`unsupported specversion ${JSON.stringify(specversion)}: only 1.0 is accepted`)
  }
  // CloudEvents 0.3's name for dataschema. The SDK's constructor throws a plain TypeError for it on
  // a 1.0 event (a receiver would answer 500); this is the sender's mistake, so it is a 400.
  if (attributes.schemaurl) {
    throw invalid('attribute schemaurl is CloudEvents 0.3; a 1.0 event names its schema in dataschema')
  }
  for (const name of REQUIRED) {
    const value = attributes[name]
    if (value === undefined || value === null || value === '') {
      throw invalid(`missing required attribute ${name}`)
    }
    if (typeof value !== 'string') throw invalid(`attribute ${name} must be a string`)
  }
  for (const name of OPTIONAL_STRINGS) {
    const value = attributes[name]
    if (value === undefined || value === null) continue
    if (typeof value !== 'string' || value === '')
      throw invalid(`attribute ${name} must be a non-empty string`)
  }
  const time = attributes.time
  if (time !== undefined && time !== null && (typeof time !== 'string' || !isRfc3339(time))) {
    throw invalid(`attribute time must be an RFC 3339 timestamp, got ${JSON.stringify(time)}`)
  }

  let complete = true
  for (const name of Object.keys(attributes)) {
    const value = attributes[name]
    if (value === undefined || value === null) complete = false
    else if (!CONTEXT.has(name)) checkExtension(name, value)
  }
  // A spread copies in one step; only attributes left without a value (makeEvent's unset
  // options, JSON nulls) need the copy that leaves them out.
  const fields = complete ? { ...attributes } : withValues(attributes)
  if (data !== undefined) fields.data = data

  // strict=false: the checks above and schemaError replace the constructor's and validate()'s.
  const event = new CloudEvent<unknown>(fields, false)
  const error = schemaError(event)
  if (error !== undefined) throw invalid(error)
  return event
}

/**
 * What the SDK's validate() would still reject in an event that passed buildEvent's checks, in
 * its order and with its message (ajv's, prefixed with the attribute). Those checks already
 * cover the rest of its schema: required and typed non-empty strings, and attribute names
 * (extensions are checked, the other names are the SDK's own).
 */
export function schemaError(event: AnyCloudEvent): string | undefined {
  if (!formats['uri-reference'].test(event.source))
    return 'attribute source must match format "uri-reference"'
  if (typeof event.dataschema === 'string' && !formats.uri(event.dataschema)) {
    return 'attribute dataschema must match format "uri"'
  }
  // time passed isRfc3339; of those, ajv's date-time rejects only a leap second not at 23:59
  // (the tests hold it to that), so it is asked only when the seconds are 60.
  const time = event.time
  if (time !== undefined && time[17] === '6' && !formats['date-time'].validate(time)) {
    return 'attribute time must match format "date-time"'
  }
  // ajv's JSON types; its number must be finite (JSON.parse reads 1e400 as Infinity).
  const data = event.data
  if (
    data !== undefined &&
    typeof data !== 'object' &&
    typeof data !== 'string' &&
    !(typeof data === 'number' && Number.isFinite(data)) &&
    typeof data !== 'boolean'
  ) {
    return 'attribute data must be object,string,number,array,boolean,null'
  }
  return undefined
}

function withValues(attributes: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const fields: Record<string, unknown> = {}
  for (const name of Object.keys(attributes)) {
    const value = attributes[name]
    if (value !== undefined && value !== null) fields[name] = value
  }
  return fields
}

function checkExtension(name: string, value: unknown): void {
  if (!isValidExtensionName(name)) {
    throw invalid(`invalid extension name ${JSON.stringify(name)}: names are lower-case a-z and 0-9 only`)
  }
  const ok =
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX)
  if (!ok) {
    throw invalid(`invalid value for extension ${name}: must be a string, boolean or 32-bit integer`)
  }
}

function invalid(reason: string, cause?: unknown): InvalidEventError {
  return new InvalidEventError(reason, cause === undefined ? undefined : { cause })
}

/** The CloudEvents canonical string form of an attribute value (HTTP and Kafka headers). */
export function attributeToString(value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'boolean' || typeof value === 'number') return String(value)
  if (value instanceof Date) return value.toISOString()
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64')
  throw new TypeError(`attribute value of type ${typeof value} has no CloudEvents string form`)
}

// Not attributes to encode: data in its two forms, datacontenttype (the content type carries it),
// and the 0.3-only attributes the SDK class always declares.
const NOT_ENCODED = new Set(['data', 'data_base64', 'datacontenttype', 'schemaurl', 'datacontentencoding'])

/** Context attributes and extensions of an event, without data. Undefined ones are left out. */
export function attributesOf(event: AnyCloudEvent): [string, unknown][] {
  // Object.keys, not Object.entries: on an event no for…in has walked (the SDK's validate() did),
  // V8 has no enum cache for its shape and entries() costs ~3x as much.
  const fields = event as unknown as Record<string, unknown>
  const attributes: [string, unknown][] = []
  for (const name of Object.keys(fields)) {
    const value = fields[name]
    if (value !== undefined && !NOT_ENCODED.has(name)) attributes.push([name, value])
  }
  return attributes
}

export function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';', 1)[0]?.trim().toLowerCase() || undefined
}

export function isJsonMediaType(type: string | undefined): boolean {
  return type === 'application/json' || type === 'text/json' || (type?.endsWith('+json') ?? false)
}

/**
 * Decodes a binary-mode body by its media type (`mediaType` of the content type, worked out once
 * per message): JSON (also when no content type is given), text, or bytes.
 */
export function decodeBinaryData(type: string | undefined, body: Uint8Array | string): unknown {
  if (body.length === 0) return undefined
  if (type === undefined || isJsonMediaType(type)) {
    const text = typeof body === 'string' ? body : utf8(body)
    try {
      return JSON.parse(text)
    } catch (err) {
      throw invalid(`data is not valid JSON (content type ${type ?? 'absent'})`, err)
    }
  }
  if (type.startsWith('text/')) return typeof body === 'string' ? body : utf8(body)
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body)
}

/** Reads bytes as UTF-8 through a view: Buffer.from(bytes) would copy them first. */
function utf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
}

/** Encodes event data for a binary-mode body and its content type. */
export function encodeBinaryData(event: AnyCloudEvent): { contentType?: string; body?: Buffer | string } {
  const data = event.data
  if (data === undefined) return {}
  const type = mediaType(event.datacontenttype)
  const contentType = event.datacontenttype ?? 'application/json'
  if (data instanceof Uint8Array) return { contentType, body: Buffer.from(data) }
  if (typeof data === 'string' && type !== undefined && !isJsonMediaType(type))
    return { contentType, body: data }
  return { contentType, body: JSON.stringify(data) }
}

export const STRUCTURED_MEDIA_TYPE = 'application/cloudevents+json'
const BATCH_MEDIA_TYPE = 'application/cloudevents-batch+json'

/** Which content mode a media type selects; throws for batch and non-JSON event formats. */
export function structuredMode(type: string | undefined): boolean {
  if (type === BATCH_MEDIA_TYPE) {
    throw invalid(
      'batch mode (application/cloudevents-batch+json) is not supported: send one event per message',
    )
  }
  if (type === STRUCTURED_MEDIA_TYPE) return true
  if (type?.startsWith('application/cloudevents')) {
    throw invalid(`unsupported event format ${type}: only application/cloudevents+json is accepted`)
  }
  return false
}

// Header names and attribute names as constants: a string built per event (`${prefix}…`, a
// slice of the header name) has to be hashed or interned per event before it can be looked up
// or become a key, these already are. Other extensions fall back to the slice.
const SPECVERSION_HEADER = { 'ce-': 'ce-specversion', ce_: 'ce_specversion' } as const
const ATTRIBUTE_OF_HEADER = new Map(
  [...CONTEXT, 'partitionkey', 'correlationid', 'traceparent', 'tracestate'].flatMap((name) => [
    [`ce-${name}`, name],
    [`ce_${name}`, name],
  ]),
)

/**
 * The context attributes of a binary-mode message: one per `<prefix><name>` header (HTTP `ce-`,
 * Kafka `ce_`), and datacontenttype from the content type. `decode` maps a header's value to the
 * attribute's (HTTP percent-decodes). Throws InvalidEventError when there is no specversion header
 * (not a CloudEvent) or datacontenttype arrives as a header.
 */
export function binaryModeAttributes(
  headers: ReadonlyMap<string, string>,
  prefix: 'ce-' | 'ce_',
  contentType: string | undefined,
  decode: (header: string, value: string) => string = (_header, value) => value,
): Record<string, unknown> {
  if (!headers.has(SPECVERSION_HEADER[prefix])) {
    throw invalid(
      `not a CloudEvent: no ${prefix}specversion header (binary mode) and content type is not ${STRUCTURED_MEDIA_TYPE} (structured mode)`,
    )
  }
  const attributes: Record<string, unknown> = {}
  for (const [name, value] of headers) {
    if (!name.startsWith(prefix)) continue
    const attribute = ATTRIBUTE_OF_HEADER.get(name) ?? name.slice(prefix.length)
    if (attribute === 'datacontenttype') {
      throw invalid(`binary mode carries datacontenttype in content-type, not ${prefix}datacontenttype`)
    }
    attributes[attribute] = decode(name, value)
  }
  if (contentType !== undefined) attributes.datacontenttype = contentType
  return attributes
}

/** Decodes a structured-mode (application/cloudevents+json) body. */
export function decodeStructured(body: Uint8Array | string | undefined): AnyCloudEvent {
  if (body === undefined || body.length === 0) throw invalid('structured mode with an empty body')
  let parsed: unknown
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : utf8(body))
  } catch (err) {
    throw invalid('structured body is not valid JSON', err)
  }
  if (Array.isArray(parsed)) {
    throw invalid('batch mode (a JSON array of events) is not supported: send one event per message')
  }
  if (typeof parsed !== 'object' || parsed === null) throw invalid('structured body must be a JSON object')
  const { data, data_base64: base64, ...attributes } = parsed as Record<string, unknown>
  if (base64 !== undefined && base64 !== null) {
    if (data !== undefined && data !== null) throw invalid('both data and data_base64 are present')
    if (typeof base64 !== 'string' || !isBase64(base64)) throw invalid('data_base64 is not valid base64')
    return buildEvent(attributes, Buffer.from(base64, 'base64'))
  }
  return buildEvent(attributes, data ?? undefined)
}

function isBase64(value: string): boolean {
  return /^[A-Za-z0-9+/]*={0,2}$/.test(value) && value.length % 4 === 0
}
