import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import autocannon from 'autocannon'
import { Pool } from 'undici'

export interface BenchmarkOptions {
  name: string
  url: string
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH'
  headers?: Record<string, string>
  body?: string
  /**
   * autocannon request templates, for load that cannot be one fixed request (a fresh body or
   * path per request through `setupRequest`); relative to `url`'s origin.
   */
  requests?: autocannon.Request[]
  /** Concurrent connections. Default 50. */
  connections?: number
  /**
   * Requests per second across all connections (autocannon `overallRate`); default unlimited.
   * Two servers compared at the same rate see the same client, so their CPU per request is
   * comparable: at saturation the faster one also wakes an idle client less often. Not for
   * latency: autocannon lets each connection send its whole second's share back to back and then
   * waits for the next second, so the requests still queue (see pacedBenchmark).
   */
  overallRate?: number
  /** Measured seconds (see benchDurationSeconds). */
  durationSeconds: number
  /** Unmeasured run first, so JIT and caches are warm. Default 1 s. */
  warmupSeconds?: number
  /**
   * The server's CPU time so far, in seconds (e.g. `RunningTarget.cpuSeconds`): sampled around
   * the measured run to report CPU per request, which a noisy shared machine distorts far less
   * than throughput.
   */
  cpuSeconds?: () => number
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
  /** Server CPU (user + system) per request, when `cpuSeconds` was given. */
  cpuMicrosPerRequest?: number
  /** The rate requests were sent at (pacedBenchmark); unset for a saturated run. */
  ratePerSecond?: number
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
    ...(options.overallRate !== undefined && { overallRate: options.overallRate }),
    ...(options.headers && { headers: options.headers }),
    ...(options.body !== undefined && { body: options.body }),
    ...(options.requests && { requests: options.requests }),
  }
  const warmup = options.warmupSeconds ?? 1
  if (warmup > 0) await autocannon({ ...base, duration: warmup })

  const latencies: number[] = []
  const cpuBefore = options.cpuSeconds?.()
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ ...base, duration: options.durationSeconds }, (err, result) =>
      err ? reject(err) : resolve(result),
    )
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      latencies.push(responseTime)
    })
  })
  const cpuAfter = options.cpuSeconds?.()
  return resultOf(options, latencies, {
    answered: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    cpuSeconds: cpuAfter !== undefined && cpuBefore !== undefined ? cpuAfter - cpuBefore : undefined,
  })
}

export interface PacedOptions {
  name: string
  /** The target's origin, `http://127.0.0.1:<port>`. */
  origin: string
  /** The request path, or a function giving each request's path (e.g. a new user each time). */
  path: string | (() => string)
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  /** The request body, or a function giving each request's body (a fresh webhook each time). */
  body?: string | (() => string)
  /** Requests per second, sent at an even pace whatever the responses do. */
  ratePerSecond: number
  durationSeconds: number
  /** Unmeasured run at the same rate first. Default 1 s. */
  warmupSeconds?: number
  /** Keep-alive connections the requests are spread over. Default 50. */
  connections?: number
  cpuSeconds?: () => number
}

// Sends are due every millisecond; a late timer sends what fell due meanwhile.
const PACE_TICK_MS = 1
// Open loop, but bounded: past this many requests in flight the rest of a tick's share is
// counted as errors instead of piling up behind a server that cannot keep up.
const MAX_IN_FLIGHT_PER_CONNECTION = 20

/**
 * Latency at a fixed, even rate (open loop): requests go out on a 1 ms schedule whether or not
 * earlier ones have been answered, so latency is the server's time (plus any wait for a free
 * connection), not the queue that a closed loop of N connections builds at saturation. Measured
 * from the moment a request is handed to the connection pool to the end of its response body.
 * The server is compared with its baseline at the same rate.
 */
export async function pacedBenchmark(options: PacedOptions): Promise<BenchmarkResult> {
  const connections = options.connections ?? 50
  const pool = new Pool(options.origin, { connections, pipelining: 1 })
  const nextPath = typeof options.path === 'string' ? () => options.path as string : options.path
  const { body } = options
  const nextBody = typeof body === 'function' ? body : () => body
  const request = {
    method: options.method ?? 'GET',
    ...(options.headers && { headers: options.headers }),
  }
  const run = async (seconds: number, latencies: number[] | undefined) => {
    let sent = 0
    let inFlight = 0
    let errors = 0
    let non2xx = 0
    let answered = 0
    const pending = new Set<Promise<void>>()
    const send = () => {
      const started = performance.now()
      inFlight++
      const done = pool
        .request({ ...request, path: nextPath(), body: nextBody() })
        .then(async (response) => {
          await response.body.dump()
          if (response.statusCode < 200 || response.statusCode >= 300) non2xx++
          else latencies?.push(performance.now() - started)
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
    const start = performance.now()
    const total = Math.round(options.ratePerSecond * seconds)
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * options.ratePerSecond))
      for (; sent < due; sent++) {
        if (inFlight < connections * MAX_IN_FLIGHT_PER_CONNECTION) send()
        else errors++
      }
      await sleep(PACE_TICK_MS)
    }
    await Promise.all(pending)
    return { sent, answered, errors, non2xx }
  }
  try {
    const warmup = options.warmupSeconds ?? 1
    if (warmup > 0) await run(warmup, undefined)
    const latencies: number[] = []
    const cpuBefore = options.cpuSeconds?.()
    const counts = await run(options.durationSeconds, latencies)
    const cpuAfter = options.cpuSeconds?.()
    return {
      ...resultOf(options, latencies, {
        ...counts,
        cpuSeconds: cpuAfter !== undefined && cpuBefore !== undefined ? cpuAfter - cpuBefore : undefined,
      }),
      ratePerSecond: options.ratePerSecond,
    }
  } finally {
    await pool.close()
  }
}

/** Each metric's median over runs of one target (runs of a drifting, shared machine). */
export function medianResult(runs: readonly BenchmarkResult[]): BenchmarkResult {
  const first = runs[0]
  if (!first) throw new Error('medianResult: no runs')
  const median = (pick: (r: BenchmarkResult) => number) => {
    const values = runs.map(pick).sort((a, b) => a - b)
    const mid = Math.floor(values.length / 2)
    return values.length % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2
  }
  const cpu = runs.every((r) => r.cpuMicrosPerRequest !== undefined)
  return {
    name: first.name,
    requestsPerSecond: Math.round(median((r) => r.requestsPerSecond)),
    p50Ms: median((r) => r.p50Ms),
    p95Ms: median((r) => r.p95Ms),
    p99Ms: median((r) => r.p99Ms),
    requests: runs.reduce((sum, r) => sum + r.requests, 0),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    non2xx: runs.reduce((sum, r) => sum + r.non2xx, 0),
    durationSeconds: runs.reduce((sum, r) => sum + r.durationSeconds, 0),
    ...(first.ratePerSecond !== undefined && { ratePerSecond: first.ratePerSecond }),
    ...(cpu && { cpuMicrosPerRequest: Math.round(median((r) => r.cpuMicrosPerRequest!)) }),
  }
}

/** One run's result: percentiles of its latencies, and CPU per answered request when measured. */
function resultOf(
  options: { name: string; durationSeconds: number },
  latencies: number[],
  counts: { answered: number; errors: number; non2xx: number; cpuSeconds: number | undefined },
): BenchmarkResult {
  latencies.sort((a, b) => a - b)
  const { answered, cpuSeconds } = counts
  return {
    name: options.name,
    requestsPerSecond: Math.round(answered / options.durationSeconds),
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
    requests: answered,
    errors: counts.errors,
    non2xx: counts.non2xx,
    durationSeconds: options.durationSeconds,
    ...(cpuSeconds !== undefined &&
      Number.isFinite(cpuSeconds) &&
      answered > 0 && { cpuMicrosPerRequest: Math.round((cpuSeconds * 1e6) / answered) }),
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
  // A load column only when some run was paced: saturated runs keep their old table.
  const paced = results.some((r) => r.ratePerSecond !== undefined)
  const rows = results.map((r) =>
    [
      r.name,
      ...(paced
        ? [r.ratePerSecond === undefined ? 'saturated' : `${r.ratePerSecond.toLocaleString('en-US')}/s`]
        : []),
      r.requestsPerSecond.toLocaleString('en-US'),
      r.p50Ms,
      r.p95Ms,
      r.p99Ms,
      r.errors,
      r.non2xx,
      r.cpuMicrosPerRequest ?? '–',
      base ? (r.requestsPerSecond / base.requestsPerSecond).toFixed(2) : '',
    ].join(' | '),
  )
  return [
    `| target |${paced ? ' load |' : ''} req/s | p50 ms | p95 ms | p99 ms | errors | non-2xx | CPU µs/req | ratio |`,
    `|---|${paced ? '---|' : ''}---:|---:|---:|---:|---:|---:|---:|---:|`,
    ...rows.map((row) => `| ${row} |`),
  ].join('\n')
}

export interface RunningTarget {
  /** `http://127.0.0.1:<port>` */
  url: string
  /** The target's CPU time (user + system) so far, in seconds; NaN where /proc is missing. */
  cpuSeconds(): number
  stop(): Promise<void>
}

export interface TargetOptions {
  /**
   * Pin the target to this CPU (`taskset -c`), so that on a small machine the server and the
   * load generator (pinned elsewhere) do not take turns on one core. Default: unpinned.
   */
  cpu?: number
  /** Extra Node flags, e.g. `['--cpu-prof', '--cpu-prof-dir', dir]`. */
  execArgv?: readonly string[]
}

/**
 * Starts a bench target in a child process (so it has its own event loop and heap). The target
 * listens on 127.0.0.1 port 0 and prints `listening <port>` on stdout.
 */
export async function startTarget(
  file: string,
  env: Record<string, string> = {},
  { cpu, execArgv = [] }: TargetOptions = {},
): Promise<RunningTarget> {
  const node = [process.execPath, ...execArgv, file]
  // taskset execs node, so the child's pid (and its /proc CPU time) is the server's.
  const [command, ...args] = cpu === undefined ? node : ['taskset', '-c', String(cpu), ...node]
  const child = spawn(command!, args, {
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
  const pid = child.pid
  return {
    url: `http://127.0.0.1:${port}`,
    cpuSeconds: () => (pid === undefined ? Number.NaN : processCpuSeconds(pid)),
    stop: () => stop(child),
  }
}

// Linux's user-visible clock tick (USER_HZ) is 100 on every architecture Node supports.
const CLOCK_TICKS_PER_SECOND = 100

/** utime + stime of a process from /proc/<pid>/stat (fields 14 and 15, after the `(comm)`). */
export function processCpuSeconds(pid: number): number {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return Number.NaN
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}
