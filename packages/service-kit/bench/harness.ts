import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import autocannon from 'autocannon'

export interface BenchmarkOptions {
  name: string
  url: string
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH'
  headers?: Record<string, string>
  body?: string
  /** Concurrent connections. Default 50. */
  connections?: number
  /** Measured seconds (see benchDurationSeconds). */
  durationSeconds: number
  /** Unmeasured run first, so JIT and caches are warm. Default 1 s. */
  warmupSeconds?: number
}

export interface BenchmarkResult {
  name: string
  requestsPerSecond: number
  p50Ms: number
  p95Ms: number
  p99Ms: number
  requests: number
  /** Connection errors and timeouts. */
  errors: number
  non2xx: number
  durationSeconds: number
}

/** `--smoke` → 2 s (CI), else `BENCH_DURATION` seconds, default 10. */
export function benchDurationSeconds(argv = process.argv, env = process.env): number {
  if (argv.includes('--smoke')) return 2
  const seconds = Number(env.BENCH_DURATION ?? 10)
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new Error(`BENCH_DURATION must be a positive number, got ${env.BENCH_DURATION}`)
  return seconds
}

/** Load-tests one URL with autocannon; latency percentiles come from every response. */
export async function benchmark(options: BenchmarkOptions): Promise<BenchmarkResult> {
  const base = {
    url: options.url,
    method: options.method ?? 'GET',
    connections: options.connections ?? 50,
    ...(options.headers && { headers: options.headers }),
    ...(options.body !== undefined && { body: options.body }),
  }
  const warmup = options.warmupSeconds ?? 1
  if (warmup > 0) await autocannon({ ...base, duration: warmup })

  const latencies: number[] = []
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ ...base, duration: options.durationSeconds }, (err, result) =>
      err ? reject(err) : resolve(result),
    )
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      latencies.push(responseTime)
    })
  })
  latencies.sort((a, b) => a - b)
  return {
    name: options.name,
    requestsPerSecond: Math.round(result.requests.total / options.durationSeconds),
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    durationSeconds: options.durationSeconds,
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  return Math.round(sorted[Math.max(0, index)]! * 100) / 100
}

/** A markdown table of the results; with `baseline`, each row's throughput ratio to it. */
export function resultsTable(results: readonly BenchmarkResult[], baseline?: string): string {
  const base = results.find((r) => r.name === baseline)
  const rows = results.map((r) =>
    [
      r.name,
      r.requestsPerSecond.toLocaleString('en-US'),
      r.p50Ms,
      r.p95Ms,
      r.p99Ms,
      r.errors,
      r.non2xx,
      base ? (r.requestsPerSecond / base.requestsPerSecond).toFixed(2) : '',
    ].join(' | '),
  )
  return [
    '| target | req/s | p50 ms | p95 ms | p99 ms | errors | non-2xx | ratio |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n')
}

export interface RunningTarget {
  /** `http://127.0.0.1:<port>` */
  url: string
  stop(): Promise<void>
}

/**
 * Starts a bench target in a child process (so it has its own event loop and heap). The target
 * listens on 127.0.0.1 port 0 and prints `listening <port>` on stdout.
 */
export async function startTarget(file: string, env: Record<string, string> = {}): Promise<RunningTarget> {
  const child = spawn(process.execPath, [file], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const port = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`${file} did not start within 15 s`)), 15_000)
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const match = /listening (\d+)/.exec(out)
      if (match) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    })
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code} before listening`)))
  })
  return { url: `http://127.0.0.1:${port}`, stop: () => stop(child) }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}
