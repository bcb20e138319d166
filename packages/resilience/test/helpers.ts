import type { Registry } from 'prom-client'
import type { ResilienceLogger } from '../src/index.ts'

export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name)
  if (!metric) return undefined
  const { values } = await metric.get()
  return values.find((sample) => Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    ?.value
}

export interface LogLine {
  level: 'info' | 'warn'
  fields: Record<string, unknown>
  message: string | undefined
}

export function recordingLogger(): ResilienceLogger & { lines: LogLine[] } {
  const lines: LogLine[] = []
  return {
    lines,
    info: (fields, message) => lines.push({ level: 'info', fields: { ...fields }, message }),
    warn: (fields, message) => lines.push({ level: 'warn', fields: { ...fields }, message }),
  }
}

/** Returns the numbers in order, then fails loudly: a test must say how much randomness it uses. */
export function sequence(...values: number[]): () => number {
  let index = 0
  return () => {
    const value = values[index++]
    if (value === undefined) throw new Error(`random source exhausted after ${values.length} values`)
    return value
  }
}

/** A promise the test settles by hand, to hold a call in flight. */
export function deferred<T>(): {
  promise: Promise<T>
  resolve: (value: T) => void
  reject: (error: unknown) => void
} {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** Settles the promise into a value the test can inspect, so a rejection is never unhandled. */
export const settle = <T>(promise: Promise<T>): Promise<{ value: T } | { error: unknown }> =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  )
