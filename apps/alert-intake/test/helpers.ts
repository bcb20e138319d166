import { type AnyCloudEvent, parseHttpEvent } from '@agent-sre/events'
import { loadConfig } from '@agent-sre/service-kit'
import { openCache, openDatabase } from '@agent-sre/store'
import { freshSchemaName } from '@agent-sre/store/testing'
import { Registry } from 'prom-client'
import type { WireEvent } from '../src/adapters/IntakeRepository.ts'
import { buildApp, MIGRATIONS_DIR } from '../src/app.ts'
import { AppConfigSchema } from '../src/config.ts'

export const TOKEN = 'test-token-0123456789'

/** One attempt, no timeout: the stand-in sink answers at once. */
const noRetry = {
  execute: <T>(fn: (c: { signal: AbortSignal; attempt: number }) => Promise<T>) =>
    fn({ signal: new AbortController().signal, attempt: 1 }),
}

/**
 * A broker stand-in that records what it accepts (decoded from the posted wire form, as the broker
 * ingress would) and can be switched off.
 */
export function recordingSink() {
  const events: AnyCloudEvent[] = []
  let down = false
  return {
    events,
    setDown(value: boolean) {
      down = value
    },
    async post(event: WireEvent) {
      if (down) throw new Error('broker unavailable')
      events.push(parseHttpEvent(event.headers, event.body))
    },
  }
}

export async function testApp(
  env: Record<string, string> = {},
  urls: { db?: string; redis?: string } = {},
  background = false,
) {
  const config = loadConfig(AppConfigSchema, {
    LOG_LEVEL: 'silent',
    WEBHOOK_BEARER_TOKEN: TOKEN,
    DATABASE_SCHEMA: freshSchemaName('alert_intake'),
    ...env,
  })
  const db = await openDatabase({
    url: urls.db,
    schema: config.DATABASE_SCHEMA,
    migrationsDir: MIGRATIONS_DIR,
  })
  const cache = await openCache({ url: urls.redis, keyPrefix: `${config.DATABASE_SCHEMA}:` })
  const sink = recordingSink()
  const registry = new Registry()
  const built = await buildApp({
    config,
    db,
    cache,
    sink: sink.post,
    policy: noRetry,
    registry,
    env: { WEBHOOK_BEARER_TOKEN: TOKEN, ...env },
    background,
  })
  await built.app.ready()
  return {
    ...built,
    db,
    cache,
    sink,
    registry,
    async close() {
      await built.app.close()
      if (db.kind === 'postgres') await db.query(`drop schema ${config.DATABASE_SCHEMA} cascade`)
      await cache.close()
      await db.close()
    },
  }
}

export function alert(labels: Record<string, string>, over: Record<string, unknown> = {}) {
  return {
    status: 'firing',
    labels,
    annotations: { summary: 'something is wrong' },
    startsAt: '2024-01-01T00:00:00.123456789Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus/graph',
    ...over,
  }
}

export function webhook(alerts: unknown[], over: Record<string, unknown> = {}) {
  return {
    version: '4',
    groupKey: '{}:{alertname="HighLatency"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'alert-intake',
    groupLabels: { alertname: 'HighLatency' },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts,
    ...over,
  }
}

export const auth = { authorization: `Bearer ${TOKEN}` }
