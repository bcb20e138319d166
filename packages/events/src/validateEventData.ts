import { CloneType, type TSchema } from '@sinclair/typebox'
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler'
import type { CloudEvent } from 'cloudevents'
import { catalog, type EventData, type EventType, isCatalogType } from './catalog.ts'

export interface DataError {
  /** JSON Pointer into `data`; `/` is the data itself. */
  path: string
  message: string
}

export type DataValidation =
  | { result: 'valid' }
  | { result: 'invalid'; errors: DataError[] }
  /** Not in the catalog: the caller decides whether to accept, ignore or reject it. */
  | { result: 'unknown-type'; type: string }

/**
 * strict: what producers may send — no field outside the catalog (makeEvent).
 * tolerant: what consumers accept — unknown fields are ignored, so a producer deployed with a new
 * optional field does not break consumers still running the previous catalog.
 */
export type ValidationMode = 'strict' | 'tolerant'

const MAX_ERRORS = 20

// Compiled once at load: validation sits on every receive and emit path.
const checkers = {
  strict: compileAll((schema) => schema),
  tolerant: compileAll(allowUnknownFields),
}

/** Checks an event's `data` against the catalog schema of its `type`, tolerating unknown fields. */
export function validateEventData(event: { type: string; data?: unknown }): DataValidation {
  if (!isCatalogType(event.type)) return { result: 'unknown-type', type: event.type }
  const errors = dataErrors(event.type, event.data, 'tolerant')
  return errors.length === 0 ? { result: 'valid' } : { result: 'invalid', errors }
}

/** A received event whose `data` was checked against the catalog schema of its type. */
export type TypedEvent<T extends EventType> = CloudEvent<EventData<T>> & {
  readonly type: T
  readonly data: EventData<T>
}

/**
 * Narrows a received event to one catalog type when its type matches and its data is valid
 * (tolerantly): `if (isEventOfType(event, EventTypes.AlertFiring)) event.data.alert.labels`.
 */
export function isEventOfType<T extends EventType>(
  event: { type: string; data?: unknown },
  type: T,
): event is TypedEvent<T> {
  return event.type === type && dataErrors(type, event.data, 'tolerant').length === 0
}

export function dataErrors(type: EventType, data: unknown, mode: ValidationMode): DataError[] {
  const checker = checkers[mode].get(type)!
  if (checker.Check(data)) return []
  const errors: DataError[] = []
  for (const error of checker.Errors(data)) {
    errors.push({ path: error.path || '/', message: error.message })
    if (errors.length === MAX_ERRORS) break
  }
  return errors
}

export function formatDataErrors(errors: readonly DataError[]): string {
  return errors.map((e) => `${e.path}: ${e.message}`).join('; ')
}

function compileAll(prepare: (schema: TSchema) => TSchema): Map<EventType, TypeCheck<TSchema>> {
  return new Map(
    Object.entries(catalog).map(([type, entry]) => [
      type as EventType,
      TypeCompiler.Compile(prepare(entry.schema)),
    ]),
  )
}

function allowUnknownFields(schema: TSchema): TSchema {
  const copy = CloneType(schema)
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return
    const record = node as Record<string, unknown>
    if (record.additionalProperties === false && record.properties !== undefined)
      delete record.additionalProperties
    for (const child of Object.values(record)) visit(child)
  }
  visit(copy)
  return copy
}
