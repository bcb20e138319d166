import type { AnyCloudEvent } from '@agent-sre/events'
import type { AttributeReader } from './domain/TriggerFilter.ts'

/** Exposes an event's context attributes (core and extensions, not data) to trigger filters. */
export function attributesOf(event: AnyCloudEvent): AttributeReader {
  const fields = event as unknown as Record<string, unknown>
  return (name) => {
    if (name === 'data' || name === 'data_base64') return undefined
    const value = fields[name]
    return value === undefined || value === null ? undefined : String(value)
  }
}

/** The ordering key of an event for an ordered trigger: its `partitionkey` extension. */
export function partitionKeyOf(event: AnyCloudEvent): string | undefined {
  const key = (event as unknown as Record<string, unknown>).partitionkey
  return key === undefined || key === null ? undefined : String(key)
}
