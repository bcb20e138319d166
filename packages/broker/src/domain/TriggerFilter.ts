/** Reads one CloudEvent attribute (core or extension) as a string; `undefined` when absent. */
export type AttributeReader = (name: string) => string | undefined

/** A compiled filter: true when the event should be delivered. */
export type EventFilter = (attribute: AttributeReader) => boolean

/** Thrown for a filter a Knative Trigger would reject. */
export class InvalidFilterError extends Error {
  override readonly name = 'InvalidFilterError'
}

const DIALECTS = ['exact', 'prefix', 'suffix', 'all', 'any', 'not'] as const
type Dialect = (typeof DIALECTS)[number]

// CloudEvents attribute names: lower-case letters and digits only.
const ATTRIBUTE_NAME = /^[a-z0-9]+$/

const passAll: EventFilter = () => true

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Legacy `filter.attributes`: every listed attribute must equal its value; the empty string
 * means "any value, but present".
 */
export function compileAttributesFilter(attributes: unknown, where = 'filter.attributes'): EventFilter {
  if (attributes === undefined || attributes === null) return passAll
  if (!isRecord(attributes))
    throw new InvalidFilterError(`${where}: expected a mapping of attribute to value`)
  const expected = Object.entries(attributes).map(([name, value]) => {
    if (!ATTRIBUTE_NAME.test(name)) throw new InvalidFilterError(`${where}.${name}: invalid attribute name`)
    if (typeof value !== 'string') throw new InvalidFilterError(`${where}.${name}: value must be a string`)
    return [name, value] as const
  })
  return (attribute) =>
    expected.every(([name, value]) => {
      const actual = attribute(name)
      return actual !== undefined && (value === '' || actual === value)
    })
}

function singleAttribute(value: unknown, where: string): readonly [string, string] {
  if (!isRecord(value)) throw new InvalidFilterError(`${where}: expected { <attribute>: <value> }`)
  const entries = Object.entries(value)
  // Knative: "Multiple items found, can have only one key-value".
  if (entries.length !== 1) throw new InvalidFilterError(`${where}: must name exactly one attribute`)
  const [name, expected] = entries[0]!
  if (!ATTRIBUTE_NAME.test(name)) throw new InvalidFilterError(`${where}.${name}: invalid attribute name`)
  if (typeof expected !== 'string') throw new InvalidFilterError(`${where}.${name}: value must be a string`)
  return [name, expected]
}

function compileList(value: unknown, where: string): EventFilter[] {
  if (!Array.isArray(value)) throw new InvalidFilterError(`${where}: expected a list of filters`)
  return value.map((entry, index) => compileExpression(entry, `${where}[${index}]`))
}

/** One entry of `filters:`: exactly one dialect, as Knative's admission webhook requires. */
export function compileExpression(entry: unknown, where: string): EventFilter {
  if (!isRecord(entry)) throw new InvalidFilterError(`${where}: expected a filter mapping`)
  const keys = Object.keys(entry)
  const unknown = keys.filter((key) => !DIALECTS.includes(key as Dialect))
  if (unknown.length > 0) {
    const cesql = unknown.includes('cesql') ? ' (CESQL is not supported by the local broker)' : ''
    throw new InvalidFilterError(`${where}: unknown dialect ${unknown.join(', ')}${cesql}`)
  }
  if (keys.length !== 1) {
    throw new InvalidFilterError(
      keys.length === 0
        ? `${where}: empty filter, expected one of ${DIALECTS.join(', ')}`
        : `${where}: only one dialect is allowed per filter, found ${keys.join(', ')}`,
    )
  }
  const dialect = keys[0] as Dialect
  const value = entry[dialect]
  const path = `${where}.${dialect}`
  switch (dialect) {
    case 'exact': {
      const [name, expected] = singleAttribute(value, path)
      return (attribute) => attribute(name) === expected
    }
    case 'prefix': {
      const [name, expected] = singleAttribute(value, path)
      return (attribute) => attribute(name)?.startsWith(expected) ?? false
    }
    case 'suffix': {
      const [name, expected] = singleAttribute(value, path)
      return (attribute) => attribute(name)?.endsWith(expected) ?? false
    }
    case 'all': {
      const filters = compileList(value, path)
      return (attribute) => filters.every((filter) => filter(attribute))
    }
    case 'any': {
      const filters = compileList(value, path)
      return (attribute) => filters.some((filter) => filter(attribute))
    }
    case 'not': {
      const filter = compileExpression(value, path)
      return (attribute) => !filter(attribute)
    }
  }
}

/**
 * A Trigger's filter: `filters` (all entries must match) when present, else the legacy
 * `filter.attributes`. As in Knative, `filters` takes precedence when both are given.
 */
export function compileTriggerFilter(spec: { filter?: unknown; filters?: unknown }): EventFilter {
  if (spec.filters !== undefined && spec.filters !== null) {
    const filters = compileList(spec.filters, 'filters')
    return (attribute) => filters.every((filter) => filter(attribute))
  }
  if (spec.filter === undefined || spec.filter === null) return passAll
  if (!isRecord(spec.filter)) throw new InvalidFilterError('filter: expected { attributes: { ... } }')
  return compileAttributesFilter(spec.filter.attributes)
}
