// An even, open-loop load at a stated rate with a fresh body per request. The harness'
// pacedBenchmark (@agent-sre/service-kit/bench) does the same with one fixed body, which for the
// intake would be all duplicates after the first webhook; its autocannon `overallRate` sends each
// connection's share of a second back to back from the start of the second, which measured as a
// burst (at 1,000 alerts/s: p50 76–113 ms, all of it queueing behind the second's burst). Same
// method as pacedBenchmark: sends due every millisecond whatever the answers, bounded in flight,
// latency from handing the request to the pool to the end of the response body.
import { setTimeout as sleep } from 'node:timers/promises'
import type { BenchmarkResult } from '@agent-sre/service-kit/bench'
import { Pool } from 'undici'

export interface PacedLoad {
  name: string
  origin: string
  path: string
  headers: Record<string, string>
  body: () => string
  ratePerSecond: number
  durationSeconds: number
  connections: number
}

const MAX_IN_FLIGHT_PER_CONNECTION = 20

export async function pacedLoad(options: PacedLoad): Promise<BenchmarkResult> {
  const pool = new Pool(options.origin, { connections: options.connections, pipelining: 1 })
  const limit = options.connections * MAX_IN_FLIGHT_PER_CONNECTION
  try {
    const latencies: number[] = []
    let inFlight = 0
    let errors = 0
    let non2xx = 0
    let answered = 0
    const pending = new Set<Promise<void>>()
    const send = () => {
      const body = options.body()
      const started = performance.now()
      inFlight++
      const done = pool
        .request({ method: 'POST', path: options.path, headers: options.headers, body })
        .then(async (response) => {
          await response.body.dump()
          if (response.statusCode < 200 || response.statusCode >= 300) non2xx++
          else latencies.push(performance.now() - started)
          answered++
        })
        .catch(() => {
          errors++
        })
        .finally(() => {
          inFlight--
          pending.delete(done)
        })
      pending.add(done)
    }
    const total = Math.round(options.ratePerSecond * options.durationSeconds)
    const start = performance.now()
    for (let sent = 0; sent < total; ) {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * options.ratePerSecond))
      for (; sent < due; sent++) {
        if (inFlight < limit) send()
        else errors++
      }
      await sleep(1)
    }
    await Promise.all(pending)
    latencies.sort((a, b) => a - b)
    const at = (p: number) => {
      if (latencies.length === 0) return Number.NaN
      const i = Math.min(latencies.length - 1, Math.max(0, Math.ceil((p / 100) * latencies.length) - 1))
      return Math.round((latencies[i] as number) * 100) / 100
    }
    return {
      name: options.name,
      requestsPerSecond: Math.round(answered / options.durationSeconds),
      p50Ms: at(50),
      p95Ms: at(95),
      p99Ms: at(99),
      requests: answered,
      errors,
      non2xx,
      durationSeconds: options.durationSeconds,
      ratePerSecond: options.ratePerSecond,
    }
  } finally {
    await pool.close()
  }
}
