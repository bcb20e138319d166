// alert-intake benchmark: Alertmanager webhooks of 10 new alerts each (every alert a new episode,
// so every one is written and becomes an outbox event) against real PostgreSQL, Redis and the
// local broker on Kafka, next to bare Fastify taking the same bodies, same run, same machine.
//   eval "$(bash scripts/services env)" && pnpm --filter @agent-sre/alert-intake bench
//   pnpm --filter @agent-sre/alert-intake bench:smoke   (~2 s per target; embedded backends if unset)
// BENCH_DURATION=<s> (default 10), BENCH_CONNECTIONS (default 50), BENCH_SERVER_CPU=<n>: pin the
// servers (bare Fastify, alert-intake) to CPU n; run the bench itself pinned elsewhere, e.g.
//   BENCH_SERVER_CPU=0 taskset -c 1 pnpm --filter @agent-sre/alert-intake bench
// Each target runs two phases: paced at BENCH_RATE alerts/s (default 3,000, about half of what
// the intake takes saturated here; an even open-loop stream, the harness' pacedBenchmark) over at most
// BENCH_PACED_CONNECTIONS keep-alive connections (default 50), for latency that is not the queue
// of 50 saturating connections; then saturated, for throughput.
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import {
  type BenchmarkResult,
  benchDurationSeconds,
  benchmark,
  pacedBenchmark,
  processCpuSeconds,
  type RunningTarget,
  resultsTable,
  startTarget,
} from '@agent-sre/service-kit/bench'
import { type Database, openDatabase } from '@agent-sre/store'
import { ALERTS_PER_WEBHOOK, benchWebhook } from './webhooks.ts'

const TOKEN = 'bench-token-0123456789'
const durationSeconds = benchDurationSeconds()
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50)
const alertRate = Number(process.env.BENCH_RATE ?? 3000)
const pacedConnections = Number(process.env.BENCH_PACED_CONNECTIONS ?? 50)
if (!(alertRate >= ALERTS_PER_WEBHOOK) || !Number.isInteger(pacedConnections) || pacedConnections < 1)
  throw new Error('BENCH_RATE must be ≥ 10 alerts/s and BENCH_PACED_CONNECTIONS a positive integer')
const serverCpu = process.env.BENCH_SERVER_CPU ? Number(process.env.BENCH_SERVER_CPU) : undefined
if (serverCpu !== undefined && !Number.isInteger(serverCpu))
  throw new Error(`BENCH_SERVER_CPU must be a CPU number, got ${process.env.BENCH_SERVER_CPU}`)
const target = (name: string) => fileURLToPath(new URL(`./targets/${name}.ts`, import.meta.url))
const { DATABASE_URL, REDIS_URL, KAFKA_BROKERS } = process.env
const loadAtStart = loadavg()[0] ?? Number.NaN
const runId = `${process.pid}_${Date.now().toString(36)}`
const schema = `alert_intake_bench_${runId}`

let sequence = 0
/** The next webhook's body (bench/webhooks.ts). */
function nextWebhook(): string {
  return JSON.stringify(benchWebhook(sequence++, 'apps/alert-intake/bench/run.ts'))
}

/** A fresh body per request (a fixed body would be all duplicates after the first). */
async function load(name: string, url: string, seconds: number, paced = false): Promise<BenchmarkResult> {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }
  if (paced) {
    return pacedBenchmark({
      name,
      origin: url,
      method: 'POST',
      path: '/alertmanager',
      headers,
      body: nextWebhook,
      ratePerSecond: alertRate / ALERTS_PER_WEBHOOK,
      durationSeconds: seconds,
      connections: pacedConnections,
      warmupSeconds: 0,
    })
  }
  return benchmark({
    name,
    url,
    connections,
    durationSeconds: seconds,
    warmupSeconds: 0,
    requests: [
      {
        method: 'POST',
        path: '/alertmanager',
        headers,
        setupRequest: (r) => ({ ...r, body: nextWebhook() }),
      },
    ],
  })
}

/** CPU seconds used so far by the PostgreSQL backends serving the target (its pool's connections). */
type CpuProbe = () => Promise<number>

interface Measured extends BenchmarkResult {
  /** Target process CPU (user + system) per accepted alert, µs. */
  nodeMicrosPerAlert: number
  /** CPU of its PostgreSQL backends per accepted alert, µs (NaN without PostgreSQL). */
  postgresMicrosPerAlert: number
  /** The node CPU reading before the warm-up, to charge the outbox drain after the load too. */
  nodeCpuAtStart: number
}

/** The paced phase, then the saturated one, each with its own CPU per accepted alert. */
async function measure(
  name: string,
  running: RunningTarget,
  postgresCpu?: CpuProbe,
  settle?: () => Promise<unknown>,
): Promise<[paced: Measured, saturated: Measured]> {
  const nodeCpuAtStart = running.cpuSeconds()
  await load(`${name} (warm-up)`, running.url, 1)
  // The saturated warm-up leaves an outbox backlog; published during the paced phase it would
  // measure the catch-up, not the stated rate.
  await settle?.()
  const phase = async (paced: boolean): Promise<Measured> => {
    const node0 = running.cpuSeconds()
    const pg0 = (await postgresCpu?.()) ?? Number.NaN
    const label = paced ? `${name} (paced, ${alertRate.toLocaleString('en-US')} alerts/s)` : name
    const result = await load(label, running.url, durationSeconds, paced)
    // Per accepted alert: a request shed with 503 (service-kit's pressure guard) costs little.
    const alerts = (result.requests - result.non2xx) * ALERTS_PER_WEBHOOK
    const perAlert = (seconds: number) => Math.round((seconds * 1e6) / alerts)
    return {
      ...result,
      cpuMicrosPerRequest: perAlert(running.cpuSeconds() - node0) * ALERTS_PER_WEBHOOK,
      nodeMicrosPerAlert: perAlert(running.cpuSeconds() - node0),
      postgresMicrosPerAlert: perAlert(((await postgresCpu?.()) ?? Number.NaN) - pg0),
      nodeCpuAtStart,
    }
  }
  const paced = await phase(true)
  return [paced, await phase(false)]
}

const results: Measured[] = []
const bare = await startTarget(target('bare'), {}, { cpu: serverCpu })
try {
  results.push(...(await measure('bare fastify', bare)))
} finally {
  await bare.stop()
}

const broker = await startTarget(target('broker'), { BENCH_NAMESPACE: `alert-intake-bench-${runId}` })
let drainSeconds = Number.NaN
let stored = Number.NaN
// CPU per stored alert from before the warm-up until the outbox is empty: the whole cost of an
// alert, its publishing included, however much of the outbox the load window left behind.
let drained = { node: Number.NaN, postgres: Number.NaN }
// Without DATABASE_URL the target runs PGlite in its own process: nothing to observe from here.
const db = DATABASE_URL ? await openDatabase({ url: DATABASE_URL, schema }) : undefined
try {
  const intake = await startTarget(
    target('intake'),
    {
      LOG_LEVEL: 'warn',
      WEBHOOK_BEARER_TOKEN: TOKEN,
      DATABASE_SCHEMA: schema,
      BROKER_URL: `${broker.url}/alert-intake-bench-${runId}/default`,
      // Every alert of the bench is a new episode in a group already past any sane storm threshold:
      // lift the guard so each one is written and published, the heaviest path.
      STORM_MAX_PER_WINDOW: '1000000000',
    },
    { cpu: serverCpu },
  )
  // The target's pool connects with application_name = its schema (the bench's own connection too,
  // idle during the load). Backends can come and go, so the total is taken over those alive at
  // both samples: a backend that left between them is missed (the pool keeps them under load).
  const postgresCpu: CpuProbe | undefined = db
    ? async () => {
        const { rows } = await db.query<{ pid: number }>(
          'select pid from pg_stat_activity where application_name = $1 and pid <> pg_backend_pid()',
          [schema],
        )
        return rows.reduce((sum, r) => sum + processCpuSeconds(r.pid), 0)
      }
    : undefined
  // For the whole run (warm-up to empty outbox) the pool replaces idle connections, so backends are
  // sampled every 250 ms, each counted from when first seen (from its start if it appeared later):
  // one that exits loses at most its last interval instead of all its work.
  const backends = new Map<number, { first: number; last: number }>()
  let sampled = false
  const sampleBackends = async () => {
    if (!db) return
    const { rows } = await db.query<{ pid: number }>(
      'select pid from pg_stat_activity where application_name = $1 and pid <> pg_backend_pid()',
      [schema],
    )
    for (const { pid } of rows) {
      const cpu = processCpuSeconds(pid)
      if (!Number.isFinite(cpu)) continue
      const seen = backends.get(pid)
      if (seen) seen.last = cpu
      else backends.set(pid, { first: sampled ? 0 : cpu, last: cpu })
    }
    sampled = true
  }
  const sampler = setInterval(() => void sampleBackends().catch(() => {}), 250)
  try {
    await sampleBackends()
    // Resolves with the seconds until every event reached the broker (Kafka-acknowledged).
    const outboxEmpty = async (database: Database) => {
      const started = performance.now()
      for (;;) {
        const { rows } = await database.query<{ n: number }>('select count(*)::int as n from outbox')
        if ((rows[0]?.n ?? 0) === 0) break
        if (performance.now() - started > 120_000) throw new Error(`outbox not drained: ${rows[0]?.n} left`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      return (performance.now() - started) / 1000
    }
    const [paced, measured] = await measure(
      'alert-intake',
      intake,
      postgresCpu,
      db && (() => outboxEmpty(db)),
    )
    results.push(paced, measured)
    if (db) {
      drainSeconds = await outboxEmpty(db)
      const { rows } = await db.query<{ n: number }>('select count(*)::int as n from alert_transitions')
      stored = rows[0]?.n ?? 0
      clearInterval(sampler)
      await sampleBackends()
      let pg = 0
      for (const { first, last } of backends.values()) pg += last - first
      drained = {
        node: Math.round(((intake.cpuSeconds() - measured.nodeCpuAtStart) * 1e6) / stored),
        postgres: Math.round((pg * 1e6) / stored),
      }
    }
  } finally {
    clearInterval(sampler)
    await intake.stop()
  }
} finally {
  await broker.stop()
  await db?.query(`drop schema if exists ${schema} cascade`)
  await db?.close()
}

const [basePaced, base, intakePaced, intake] = results as [Measured, Measured, Measured, Measured]
const backends = [
  DATABASE_URL ? 'PostgreSQL' : 'PGlite',
  REDIS_URL ? 'Redis' : 'in-process cache',
  KAFKA_BROKERS ? 'broker on Kafka' : 'broker in memory',
].join(', ')
process.stdout.write(
  `\nload average (1 min) at the start ${loadAtStart.toFixed(1)}, at the end ${loadavg()[0]?.toFixed(1)}; POST /alertmanager, ${ALERTS_PER_WEBHOOK} new alerts per webhook, ${durationSeconds} s each, ${connections} connections, loopback; ${backends}\n\n`,
)
process.stdout.write(`${resultsTable(results, 'bare fastify')}\n\n`)
const cpuLine = (phase: string, i: Measured, b: Measured) =>
  `CPU per alert, ${phase}: alert-intake node ${i.nodeMicrosPerAlert} µs, its PostgreSQL backends ${db ? `${i.postgresMicrosPerAlert} µs` : 'n/a (embedded PGlite runs inside the node process)'}; ` +
  `bare Fastify ${b.nodeMicrosPerAlert} µs\n`
process.stdout.write(
  `paced: ${pacedConnections} connections, ${alertRate.toLocaleString('en-US')} alerts/s offered; alert-intake p50/p95/p99 ${intakePaced.p50Ms}/${intakePaced.p95Ms}/${intakePaced.p99Ms} ms, ` +
    `bare ${basePaced.p50Ms}/${basePaced.p95Ms}/${basePaced.p99Ms} ms\n` +
    cpuLine('paced', intakePaced, basePaced) +
    cpuLine('saturated', intake, base) +
    `servers ${serverCpu === undefined ? 'unpinned' : `pinned to CPU ${serverCpu}`}\n`,
)
process.stdout.write(
  `alert-intake: ${Math.round(((intake.requests - intake.non2xx) * ALERTS_PER_WEBHOOK) / durationSeconds).toLocaleString('en-US')} alerts/s accepted (2xx) ` +
    `(goal ≥ 20,000, p99 < 50 ms); bare: ${(base.requestsPerSecond * ALERTS_PER_WEBHOOK).toLocaleString('en-US')} alerts/s; ` +
    (db
      ? `${stored.toLocaleString('en-US')} transitions stored (warm-up included); outbox drained to the broker ${drainSeconds.toFixed(1)} s after the load\n` +
        `CPU per stored alert from the warm-up until the outbox was empty (publishing included): node ${drained.node} µs, PostgreSQL ${drained.postgres} µs\n`
      : 'embedded PGlite: outbox drain not measured\n'),
)
if (results.some((r) => r.errors > 0 || r.non2xx > 0)) {
  process.stderr.write('bench: errors or non-2xx responses, see the table\n')
  process.exitCode = 1
}
