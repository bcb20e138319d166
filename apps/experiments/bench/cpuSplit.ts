// Where the machine's CPU goes while the service answers one kind of `GET /assign`: the service,
// the load generator (this process), the exposure sink (targets/sink.ts), Postgres, Redis, and the
// rest, in µs per request. `run.ts` gives ratios against bare Fastify; this says which process a change
// moved work into or out of. Needs /proc (Linux).
//
//   node bench/cpuSplit.ts                      # new user each request, saturated (50 connections)
//   SPLIT_USERS=returning node bench/cpuSplit.ts
//   SPLIT_RATE=5000 node bench/cpuSplit.ts      # at a fixed overall rate instead of saturated
//   SPLIT_SECONDS=8 (measured), SPLIT_SINK=none (no exposure sink: exposures counted `unrouted`)
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { benchmark, processCpuSeconds, startTarget } from '@agent-sre/service-kit/bench'

// /proc/stat counts in USER_HZ, 100 on every architecture Node supports.
const CLOCK_TICKS_PER_SECOND = 100
const seconds = Number(process.env.SPLIT_SECONDS ?? 8)
const rate = process.env.SPLIT_RATE ? Number(process.env.SPLIT_RATE) : undefined
const returning = process.env.SPLIT_USERS === 'returning'

/** CPU seconds so far of every process, by pid, with its command name. */
function processes(): Map<number, { name: string; cpu: number }> {
  const all = new Map<number, { name: string; cpu: number }>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    const cpu = processCpuSeconds(pid)
    try {
      if (!Number.isNaN(cpu)) all.set(pid, { name: readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), cpu })
    } catch {
      // the process ended while we listed /proc
    }
  }
  return all
}

/** Busy and total CPU seconds of the whole machine. */
function machine(): { busy: number; total: number } {
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
  const total = ticks.reduce((a, b) => a + b, 0)
  return {
    busy: (total - ticks[3]! - ticks[4]!) / CLOCK_TICKS_PER_SECOND,
    total: total / CLOCK_TICKS_PER_SECOND,
  }
}

const target = (name: string) => fileURLToPath(new URL(`./targets/${name}.ts`, import.meta.url))
const sink = await startTarget(target('sink'))
const service = await startTarget(
  target('experiments'),
  process.env.SPLIT_SINK === 'none' ? {} : { BENCH_SINK_URL: `${sink.url}/` },
)
let user = 0
const phase = (durationSeconds: number) =>
  benchmark({
    name: returning ? 'returning user' : 'new user each request',
    url: service.url,
    durationSeconds,
    cpuSeconds: service.cpuSeconds,
    ...(rate !== undefined && { overallRate: rate }),
    requests: [
      {
        method: 'GET',
        setupRequest: (request) => ({
          ...request,
          path: `/assign?experiment_key=checkout-button&user_id=${returning ? 'user-1' : `split-${process.pid}-${user++}`}`,
        }),
      },
    ],
  })
try {
  await phase(3) // warm-up: JIT, pools, caches
  const [before, machineBefore, selfBefore, sinkBefore] = [
    processes(),
    machine(),
    process.cpuUsage(),
    sink.cpuSeconds(),
  ]
  const result = await phase(seconds)
  const [after, machineAfter, selfAfter, sinkAfter] = [
    processes(),
    machine(),
    process.cpuUsage(),
    sink.cpuSeconds(),
  ]
  const exposuresReceived = Number(await (await fetch(`${sink.url}/count`)).text())
  const requests = result.requestsPerSecond * seconds
  const perRequest = (cpuSeconds: number) => ((cpuSeconds * 1e6) / requests).toFixed(1)
  const byName = new Map<string, number>()
  for (const [pid, { name, cpu }] of after) {
    const earlier = before.get(pid)
    if (earlier?.name === name) byName.set(name, (byName.get(name) ?? 0) + cpu - earlier.cpu)
  }
  const busy = machineAfter.busy - machineBefore.busy
  const total = machineAfter.total - machineBefore.total
  const self = (selfAfter.user + selfAfter.system - selfBefore.user - selfBefore.system) / 1e6
  process.stdout.write(
    `${result.name}, ${rate === undefined ? 'saturated' : `${rate}/s`}: ${Math.round(result.requestsPerSecond).toLocaleString('en-US')} req/s, ` +
      `machine ${((busy / total) * 100).toFixed(0)} % busy, exposures received ${exposuresReceived.toLocaleString('en-US')}\n` +
      `| process | CPU µs/req |\n|---|---:|\n` +
      `| service | ${result.cpuMicrosPerRequest} |\n` +
      `| load generator (this process) | ${perRequest(self)} |\n` +
      `| exposure sink | ${perRequest(sinkAfter - sinkBefore)} |\n` +
      [...byName]
        .filter(([name]) => /^(postgres|redis-server|java)$/.test(name))
        .map(([name, cpu]) => `| ${name} | ${perRequest(cpu)} |\n`)
        .join('') +
      `| whole machine | ${perRequest(busy)} |\n`,
  )
} finally {
  await service.stop()
  await sink.stop()
}
