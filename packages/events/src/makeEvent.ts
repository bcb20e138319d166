import type { CloudEvent } from 'cloudevents'
import { buildEvent } from './attributes.ts'
import { type CatalogEntry, catalog, type EventData, type EventType } from './catalog.ts'
import { InvalidEventError } from './InvalidEventError.ts'
import { traceExtensionsFrom } from './traceContext.ts'
import { uuidv7 } from './uuidv7.ts'
import { dataErrors, formatDataErrors } from './validateEventData.ts'

export type ExtensionValue = string | number | boolean

export interface MakeEventOptions {
  /**
   * A service name (`alert-intake` → `/agent-sre/alert-intake`) or a full URI-reference (anything
   * with `/` or `:`). Default: the catalog producer of the type.
   */
  source?: string
  /** Default: a new UUIDv7. Pass the original id when re-sending, so receivers deduplicate. */
  id?: string
  /** Default: now. */
  time?: Date | string
  /** Default: the catalog subject rule (see docs/events.md). */
  subject?: string
  /** Default: the catalog partitionkey rule. */
  partitionKey?: string
  /** One per alert episode, carried through the chain. Default: this event's id (a new chain). */
  correlationId?: string
  /** W3C traceparent. Default: from the active OpenTelemetry span, if any. */
  traceparent?: string
  /** Only used together with `traceparent`. */
  tracestate?: string
  /** More extension attributes (lower-case a-z0-9 names). */
  extensions?: Readonly<Record<string, ExtensionValue>>
}

/** A catalog event: a validated SDK CloudEvent whose `data` type follows from its `type`. */
export type CatalogEvent<T extends EventType> = CloudEvent<EventData<T>> & {
  readonly type: T
  readonly data: EventData<T>
  readonly correlationid: string
  readonly partitionkey?: string
  readonly traceparent?: string
  readonly tracestate?: string
}

export function sourceFor(service: string): string {
  return `/agent-sre/${service}`
}

/**
 * Builds a catalog event with every attribute the platform relies on filled in. Throws
 * InvalidEventError when `data` does not match the type's schema (answer 400 if it came from a
 * request) or an attribute is not acceptable.
 */
export function makeEvent<T extends EventType>(
  type: T,
  data: EventData<T>,
  opts: MakeEventOptions = {},
): CatalogEvent<T> {
  const entry: CatalogEntry = catalog[type]
  const errors = dataErrors(type, data, 'strict')
  if (errors.length > 0) throw new InvalidEventError(`data for ${type}: ${formatDataErrors(errors)}`)

  const id = opts.id ?? uuidv7()
  const trace =
    opts.traceparent !== undefined
      ? { traceparent: opts.traceparent, tracestate: opts.tracestate }
      : traceExtensionsFrom()
  const time = opts.time instanceof Date ? opts.time.toISOString() : (opts.time ?? new Date().toISOString())
  const attributes: Record<string, unknown> = {
    ...opts.extensions,
    specversion: '1.0',
    id,
    source: resolveSource(type, opts.source ?? entry.producer),
    type,
    time,
    datacontenttype: 'application/json',
    subject: nonEmpty(opts.subject ?? entry.subject(data)),
    partitionkey: nonEmpty(opts.partitionKey ?? entry.partitionKey(data)),
    correlationid: opts.correlationId ?? id,
    traceparent: trace.traceparent,
    tracestate: trace.tracestate,
  }
  return buildEvent(attributes, data) as CatalogEvent<T>
}

function resolveSource(type: EventType, source: string | undefined): string {
  if (source === undefined || source === '') {
    throw new TypeError(`${type} has no default source: pass opts.source`)
  }
  return source.includes('/') || source.includes(':') ? source : sourceFor(source)
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value
}
