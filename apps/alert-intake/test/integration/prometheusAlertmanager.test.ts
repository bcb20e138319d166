import { randomUUID } from 'node:crypto'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { AnyCloudEvent } from '@agent-sre/events'
import { openDatabase } from '@agent-sre/store'
import { requireServiceEnv } from '@agent-sre/store/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { startIntake, startKafkaBroker, startObserver, TOKEN } from './services.ts'

// The whole chain with the real things: a Prometheus rule fires → Alertmanager groups it and calls
// its webhook receiver → alert-intake on 127.0.0.1 → agentsre.alert.firing on the broker (Kafka);
// the rule stops firing → Prometheus resolves it → Alertmanager → agentsre.alert.resolved.
// scripts/services runs Prometheus with evaluation_interval 1s and lifecycle reloads; the rule and
// the receiver are this run's own (a unique label) and are removed afterwards.
const env = {
  db: requireServiceEnv('DATABASE_URL'),
  redis: requireServiceEnv('REDIS_URL'),
  kafka: requireServiceEnv('KAFKA_BROKERS'),
  prometheus: requireServiceEnv('PROMETHEUS_URL'),
  alertmanager: requireServiceEnv('ALERTMANAGER_URL'),
  rulesDir: requireServiceEnv('PROMETHEUS_RULES_DIR'),
  alertmanagerConfig: requireServiceEnv('ALERTMANAGER_CONFIG'),
}
const ready = Object.values(env).every(Boolean)
const run = randomUUID().slice(0, 8)
const receiver = `alert-intake-e2e-${run}`
const FIRING_SECONDS = 12

async function reload(baseUrl: string) {
  const res = await fetch(`${baseUrl}/-/reload`, { method: 'POST' })
  if (!res.ok) throw new Error(`${baseUrl}/-/reload: ${res.status} ${await res.text()}`)
}

type AlertmanagerConfig = {
  route: { routes?: { receiver: string }[] } & Record<string, unknown>
  receivers: { name: string }[]
}

let originalText: string | undefined

/**
 * Re-reads the file and changes only this run's route and receiver, so a concurrent test's stay;
 * when nothing else changed meanwhile, the original text (comments included) is put back.
 */
async function editAlertmanagerConfig(edit: (config: AlertmanagerConfig) => void) {
  const file = env.alertmanagerConfig as string
  const text = await readFile(file, 'utf8')
  originalText ??= text
  const config = parse(text) as AlertmanagerConfig
  config.route.routes = (config.route.routes ?? []).filter((r) => r.receiver !== receiver)
  if (config.route.routes.length === 0) delete config.route.routes
  config.receivers = config.receivers.filter((r) => r.name !== receiver)
  edit(config)
  const unchanged = JSON.stringify(config) === JSON.stringify(parse(originalText))
  await writeFile(file, unchanged ? originalText : stringify(config))
  await reload(env.alertmanager as string)
}

describe.skipIf(!ready)('Prometheus → Alertmanager → alert-intake → broker on Kafka', () => {
  let observer: Awaited<ReturnType<typeof startObserver>>
  let broker: Awaited<ReturnType<typeof startKafkaBroker>>
  let intake: Awaited<ReturnType<typeof startIntake>>
  const ruleFile = join(env.rulesDir ?? '', `alert-intake-e2e-${run}.yml`)

  beforeAll(async () => {
    observer = await startObserver()
    broker = await startKafkaBroker(env.kafka as string, observer.url)
    intake = await startIntake({ db: env.db as string, redis: env.redis as string, sink: broker.ingressUrl })
    await editAlertmanagerConfig((config) => {
      config.route.routes = [
        {
          receiver,
          matchers: [`e2e_run="${run}"`],
          group_by: ['alertname', 'e2e_run'],
          group_wait: '1s',
          group_interval: '1s',
          repeat_interval: '1h',
        } as { receiver: string },
        ...(config.route.routes ?? []),
      ]
      config.receivers.push({
        name: receiver,
        webhook_configs: [
          {
            url: `${intake.address}/alertmanager`,
            send_resolved: true,
            http_config: { authorization: { type: 'Bearer', credentials: TOKEN } },
          },
        ],
      } as { name: string })
    })
    // Fires from the first evaluation until a deadline, then the expression is empty: resolved.
    const until = Math.floor(Date.now() / 1000) + FIRING_SECONDS
    await writeFile(
      ruleFile,
      stringify({
        groups: [
          {
            name: `alert-intake-e2e-${run}`,
            interval: '1s',
            rules: [
              {
                alert: 'AlertIntakeE2E',
                expr: `vector(time()) < ${until}`,
                labels: { e2e_run: run, severity: 'warning' },
                annotations: { summary: 'alert-intake end-to-end test alert' },
              },
            ],
          },
        ],
      }),
    )
    await reload(env.prometheus as string)
  }, 60_000)

  afterAll(async () => {
    await rm(ruleFile, { force: true })
    if (env.prometheus) await reload(env.prometheus).catch(() => {})
    if (env.alertmanagerConfig) await editAlertmanagerConfig(() => {}).catch(() => {})
    await intake?.app.close()
    if (intake) {
      const db = await openDatabase({ url: env.db, schema: intake.schema })
      await db.query(`drop schema ${intake.schema} cascade`)
      await db.close()
    }
    await broker?.close()
    await observer?.close()
  }, 30_000)

  const ours = (e: AnyCloudEvent) =>
    (e.data as { alert?: { labels: Record<string, string> } }).alert?.labels.e2e_run === run

  it(
    'publishes firing, then resolved once the rule stops firing, with one episode',
    async () => {
      await observer.waitFor((events) => events.some(ours), 30_000)
      const [firing] = observer.events.filter(ours)
      expect(firing?.type).toBe('agentsre.alert.firing')
      const data = firing?.data as {
        alert: { labels: Record<string, string>; annotations: Record<string, string>; generatorURL: string }
        groupKey: string
        episodeId: string
      }
      expect(data.alert.labels).toEqual({ alertname: 'AlertIntakeE2E', e2e_run: run, severity: 'warning' })
      expect(data.alert.annotations.summary).toBe('alert-intake end-to-end test alert')
      expect(data.alert.generatorURL).toContain('/graph?g0.expr=')
      // Alertmanager's own group key: the route path and the group labels.
      expect(data.groupKey).toBe(`{}/{e2e_run="${run}"}:{alertname="AlertIntakeE2E", e2e_run="${run}"}`)
      expect(firing?.correlationid).toBe(data.episodeId)

      await observer.waitFor((events) => events.filter(ours).length >= 2, (FIRING_SECONDS + 30) * 1000)
      const [, resolved] = observer.events.filter(ours)
      expect(resolved?.type).toBe('agentsre.alert.resolved')
      expect(resolved?.correlationid).toBe(firing?.correlationid)
      // Alertmanager re-sends the group while it changes; dedup keeps one event per transition.
      expect(observer.events.filter(ours)).toHaveLength(2)
    },
    (FIRING_SECONDS + 60) * 1000,
  )
})
