import type { TSchema } from '@sinclair/typebox'
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler'
import { catalog, type EventType, isCatalogType } from './catalog.ts'

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

const MAX_ERRORS = 20

// Compiled once at load: validation sits on every receive path.
const checkers = new Map<EventType, TypeCheck<TSchema>>(
  Object.entries(catalog).map(([type, entry]) => [type as EventType, TypeCompiler.Compile(entry.schema)]),
)

/** Checks an event's `data` against the catalog schema of its `type`. */
export function validateEventData(event: { type: string; data?: unknown }): DataValidation {
  if (!isCatalogType(event.type)) return { result: 'unknown-type', type: event.type }
  const errors = dataErrors(event.type, event.data)
  return errors.length === 0 ? { result: 'valid' } : { result: 'invalid', errors }
}

export function dataErrors(type: EventType, data: unknown): DataError[] {
  const checker = checkers.get(type)!
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
