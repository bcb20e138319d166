import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { Writable } from 'node:stream'
import { type AnyCloudEvent, toBinaryHttp } from '@agent-sre/events'
import type { FastifyInstance } from 'fastify'

/** Options for `app.inject` that deliver an event on `POST /` as the broker would. */
export interface InjectEventRequest {
  method: 'POST'
  url: string
  headers: Record<string, string>
  payload: string | Buffer
}

export interface EventRequestOptions {
  url?: string
  /** Attributes to drop, e.g. `['id']` for a malformed delivery (binary: `ce-id` goes). */
  omit?: readonly string[]
  /** Attributes to replace with raw strings, e.g. `{ time: 'yesterday' }`. */
  override?: Readonly<Record<string, string>>
}

/** Binary mode: attributes as `ce-*` headers, data as the body (what Knative brokers send). */
export function binaryEventRequest(
  event: AnyCloudEvent,
  options: EventRequestOptions = {},
): InjectEventRequest {
  const { headers, body } = toBinaryHttp(event)
  for (const name of options.omit ?? []) delete headers[`ce-${name}`]
  for (const [name, value] of Object.entries(options.override ?? {})) headers[`ce-${name}`] = value
  return { method: 'POST', url: options.url ?? '/', headers, payload: body }
}

/** Structured mode: the whole event as `application/cloudevents+json`. */
export function structuredEventRequest(
  event: AnyCloudEvent,
  options: EventRequestOptions = {},
): InjectEventRequest {
  const json: Record<string, unknown> = { ...event.toJSON() }
  for (const name of options.omit ?? []) delete json[name]
  Object.assign(json, options.override)
  return {
    method: 'POST',
    url: options.url ?? '/',
    headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
    payload: JSON.stringify(json),
  }
}

/** Reads a binary-mode reply (from `app.inject`) back into attributes and parsed JSON data. */
export function replyAttributes(headers: Record<string, unknown>): Record<string, string> {
  const attributes: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('ce-') && typeof value === 'string')
      attributes[name.slice(3)] = decodeURIComponent(value)
  }
  return attributes
}

export interface LogCapture {
  /** Pass as `logDestination` to `createService` (or `destination` to `createLogger`). */
  destination: Writable
  /** Every line written so far, parsed. */
  lines(): Record<string, unknown>[]
  /** Everything written so far, raw. */
  text(): string
}

/** An in-memory log sink, to assert what a service logs (and what it must never log). */
export function captureLogs(): LogCapture {
  const chunks: string[] = []
  const destination = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString())
      callback()
    },
  })
  const text = () => chunks.join('')
  return {
    destination,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  }
}

export interface ExportedMetricsOptions {
  /** The chart's `exported-metrics.txt`: one `<name> <type>` line per metric family. */
  file: URL
  /** The service, named in the header the file is rewritten with. */
  service: string
  /** The test that keeps the file true (path from the repository root), named in the header. */
  keptBy: string
  /** Families the test made count: each needs a sample above 0, so a broken scenario cannot hide one. */
  incremented?: readonly string[]
}

/**
 * charts/README.md, "Contract: exported-metrics.txt": dashboards and alerts may only query what
 * /metrics really exports. Compares the "# TYPE" lines of `GET /metrics` with the file, after the
 * test made every metric appear; `UPDATE_EXPORTED_METRICS=1` rewrites the file first.
 */
export async function assertExportedMetrics(
  app: Pick<FastifyInstance, 'inject'>,
  { file, service, keptBy, incremented = [] }: ExportedMetricsOptions,
): Promise<void> {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body
  for (const name of incremented) {
    assert.match(text, new RegExp(`^${name}\\{[^}]*\\} [1-9]`, 'm'), `${name} was not incremented`)
  }
  const exported = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`).sort()
  if (process.env.UPDATE_EXPORTED_METRICS === '1') {
    const header = `# Metric families ${service} exports ("<name> <type>", as the "# TYPE" lines of its /metrics).
# Kept true by ${keptBy} (UPDATE_EXPORTED_METRICS=1 rewrites it).
`
    writeFileSync(file, `${header}${exported.join('\n')}\n`)
  }
  const listed = readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean)
    .sort()
  assert.deepEqual(exported, listed, `${file.pathname} differs from GET /metrics`)
}
