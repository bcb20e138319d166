import type { Static, TObject } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { isSensitiveKey } from './Redaction.ts'

export type Env = Readonly<Record<string, string | undefined>>

const configErrorBrand = Symbol.for('agent-sre.ConfigError')

/** A start-up configuration problem; the message names every offending variable. */
export class ConfigError extends Error {
  readonly [configErrorBrand] = true
  readonly variables: readonly string[]

  constructor(problems: readonly { variable: string; message: string }[]) {
    super(`Invalid configuration: ${problems.map((p) => `${p.variable}: ${p.message}`).join('; ')}`)
    this.name = 'ConfigError'
    this.variables = problems.map((p) => p.variable)
  }
}

export function isConfigError(err: unknown): err is ConfigError {
  return typeof err === 'object' && err !== null && configErrorBrand in err
}

/**
 * Reads the variables named by `schema` from `env`, applies schema defaults, coerces strings to
 * the declared types and validates. Empty strings count as unset, so `FOO=` falls back to the
 * default instead of failing on a number or boolean.
 */
export function loadConfig<T extends TObject>(schema: T, env: Env = process.env): Static<T> {
  const raw: Record<string, string> = {}
  for (const name of Object.keys(schema.properties)) {
    const value = env[name]
    if (value !== undefined && value !== '') raw[name] = value
  }
  const config = Value.Convert(schema, Value.Default(schema, { ...raw }))
  const problems = new Map<string, string>()
  for (const error of Value.Errors(schema, config)) {
    const variable = error.path.split('/')[1] || requiredVariable(error.schema, raw) || '(config)'
    if (problems.has(variable)) continue
    const value = raw[variable]
    // Never echo values of variables that hold credentials.
    const message =
      value === undefined
        ? 'is required but not set'
        : `${error.message.toLowerCase()}${isSensitiveKey(variable) ? '' : `, got "${value}"`}`
    problems.set(variable, message)
  }
  if (problems.size > 0) {
    throw new ConfigError([...problems].map(([variable, message]) => ({ variable, message })))
  }
  return config as Static<T>
}

// A missing required property is reported on the parent object's path (""), so find which one.
function requiredVariable(schema: unknown, raw: Record<string, string>): string | undefined {
  const required = (schema as { required?: string[] }).required ?? []
  return required.find((name) => raw[name] === undefined)
}
