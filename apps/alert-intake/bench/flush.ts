// The durable path without HTTP: CPU per alert of the group-commit flush (claim, decide, write,
// commit) and of the outbox publisher's passes (lease, delete; a sink that accepts at once), for the
// intake process and for its PostgreSQL backends, at a few flush sizes. Beside it, in the same run,
// the bare cost of a flush's transaction (BEGIN, COMMIT, nothing in between) on the same pool.
//   eval "$(bash scripts/services env)" && pnpm --filter @agent-sre/alert-intake bench:flush
// BENCH_FLUSH_SIZES (alerts per flush, default "20,300": about a paced and a saturated flush of the
// HTTP bench), BENCH_FLUSH_ALERTS (alerts written per size, default 18000). Webhooks of 10 new alerts
// as in bench/run.ts (every alert a new episode, storm guard lifted: the heaviest path); the dedup
// cache is the in-process one (Redis is not what this measures).
import { loadavg } from 'node:os'
import { processCpuSeconds } from '@agent-sre/service-kit/bench'
import { type Database, openCache, openDatabase } from '@agent-sre/store'
import { Registry } from 'prom-client'
import { Intake } from '../src/adapters/Intake.ts'
import { intakeMetrics } from '../src/adapters/metrics.ts'
import { OutboxPublisher } from '../src/adapters/OutboxPublisher.ts'
import { MIGRATIONS_DIR } from '../src/app.ts'
import { type Normalized, normalizeAlert } from '../src/domain/normalize.ts'
import { benchWebhook } from './webhooks.ts'

const { DATABASE_URL } = process.env
if (!DATABASE_URL) throw new Error('bench:flush measures PostgreSQL backends: set DATABASE_URL')
const sizes = (process.env.BENCH_FLUSH_SIZES ?? '20,300').split(',').map(Number)
const alertsPerSize = Number(process.env.BENCH_FLUSH_ALERTS ?? 18_000)
if (!sizes.every((n) => Number.isInteger(n) && n >= 10 && n % 10 === 0) || !(alertsPerSize >= 1000))
  throw new Error('BENCH_FLUSH_SIZES: multiples of 10; BENCH_FLUSH_ALERTS: at least 1000')
const WARMUP_FLUSHES = 20
const BARE_TRANSACTIONS = 3000
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'

let sequence = 0
/** The alerts of the next bench webhook (bench/webhooks.ts), normalised as the intake does. */
function webhook(): Normalized[] {
  const { alerts, groupKey, groupLabels, receiver, externalURL } = benchWebhook(
    sequence++,
    'apps/alert-intake/bench/flush.ts',
  )
  const context = { groupKey, groupLabels, receiver, externalURL, traceparent: TRACEPARENT }
  return alerts.map((alert) => normalizeAlert(alert, context, 'bench'))
}

const nodeCpu = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1e6
}
/** CPU seconds of the pool's backends (application_name = the schema), this connection's included. */
const postgresCpu = async (db: Database) => {
  const { rows } = await db.query<{ pid: number }>(
    'select pid from pg_stat_activity where application_name = $1',
    [db.schema],
  )
  return rows.reduce((sum, r) => sum + processCpuSeconds(r.pid), 0)
}
const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN

interface Row {
  what: string
  /** What the CPU is divided by: alerts written, events published, or transactions. */
  unit: string
  units: number
  node: number
  postgres: number
  wallMs: number
  p50: number
  p95: number
  p99: number
}

/**
 * Runs `step` until `done`, or until a step handles nothing (one after another); each resolves with
 * the units it handled. CPU per unit, latency per step. /proc counts CPU in 10 ms ticks, so each
 * measurement should run for seconds.
 */
async function measure(
  db: Database,
  what: string,
  unit: string,
  step: () => Promise<number>,
  done: (units: number, steps: number) => boolean,
): Promise<Row> {
  const durations: number[] = []
  let units = 0
  const node0 = nodeCpu()
  const pg0 = await postgresCpu(db)
  const started = performance.now()
  while (!done(units, durations.length)) {
    const t0 = performance.now()
    const handled = await step()
    durations.push(performance.now() - t0)
    units += handled
    if (handled === 0) break
  }
  const wallMs = performance.now() - started
  const node = nodeCpu() - node0
  const postgres = (await postgresCpu(db)) - pg0
  durations.sort((a, b) => a - b)
  return {
    what,
    unit,
    units,
    node: (node * 1e6) / units,
    postgres: (postgres * 1e6) / units,
    wallMs,
    p50: percentile(durations, 50),
    p95: percentile(durations, 95),
    p99: percentile(durations, 99),
  }
}

async function runSize(size: number): Promise<Row[]> {
  const schema = `alert_intake_bench_flush_${process.pid}_${size}`
  const db = await openDatabase({ url: DATABASE_URL, schema, migrationsDir: MIGRATIONS_DIR })
  const metrics = intakeMetrics(new Registry())
  const intake = new Intake({
    db,
    cache: await openCache({}),
    metrics,
    pipeline: {
      flap: { threshold: 4, windowMs: 600_000, stabilizationMs: 300_000 },
      storm: { maxPerWindow: 1_000_000_000, windowMs: 60_000, maxListedFingerprints: 100 },
    },
    groupCommit: { delayMs: 1, maxBatch: 2000, maxQueued: 50_000 },
    dedupTtlMs: 86_400_000,
    staleGraceMs: 60_000,
  })
  const publisher = new OutboxPublisher({
    db,
    sink: async () => {},
    policy: {
      execute: <T>(fn: (c: { signal: AbortSignal; attempt: number }) => Promise<T>) =>
        fn({ signal: new AbortController().signal, attempt: 1 }),
    },
    metrics,
    batchSize: 200,
    leaseMs: 30_000,
    pollIntervalMs: 1000,
    concurrency: 16,
  })
  // The webhooks of one flush go in together, so the group commit writes them as one flush.
  const flush = async () => {
    await Promise.all(
      Array.from({ length: size / 10 }, () => {
        const alerts = webhook()
        return intake.accept(
          alerts.map((a) => a.item),
          alerts.map((a) => a.startsAtMs),
          'alertmanager',
        )
      }),
    )
    return size
  }
  try {
    for (let i = 0; i < WARMUP_FLUSHES; i++) await flush()
    while ((await publisher.drainOnce()) > 0);
    const bare = await measure(
      db,
      'bare transaction (BEGIN, COMMIT)',
      'transaction',
      () => db.transaction(async () => 1),
      (n) => n >= BARE_TRANSACTIONS,
    )
    const written = await measure(db, `flush of ${size} alerts`, 'alert', flush, (n) => n >= alertsPerSize)
    const published = await measure(
      db,
      'publisher pass of ≤ 200 events (lease, delete)',
      'event',
      () => publisher.drainOnce(),
      () => false, // until a pass finds the outbox empty
    )
    return [bare, written, published]
  } finally {
    await intake.drain()
    await db.query(`drop schema ${schema} cascade`)
    await db.close()
  }
}

const loadAtStart = loadavg()[0] ?? Number.NaN
const rows: Row[] = []
for (const size of sizes) rows.push(...(await runSize(size)))
const f = (n: number, digits = 1) => n.toFixed(digits)
process.stdout.write(
  `\nload average (1 min) at the start ${f(loadAtStart)}, at the end ${f(loadavg()[0] ?? Number.NaN)}; ` +
    `${alertsPerSize} new alerts per flush size, webhooks of 10, PostgreSQL, in-process dedup cache\n\n` +
    '| what | per | count | node µs per | postgres µs per | per second | p50 / p95 / p99 ms per step |\n' +
    '|---|---|---:|---:|---:|---:|---:|\n' +
    rows
      .map(
        (r) =>
          `| ${r.what} | ${r.unit} | ${r.units} | ${f(r.node)} | ${f(r.postgres)} | ${Math.round((r.units * 1000) / r.wallMs)} | ` +
          `${f(r.p50, 2)} / ${f(r.p95, 2)} / ${f(r.p99, 2)} |`,
      )
      .join('\n') +
    '\n',
)
