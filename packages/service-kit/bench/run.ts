// Bare Fastify vs a service-kit route, same machine, same run. `--smoke` for a ~2 s CI check;
// BENCH_DURATION=<seconds> otherwise (default 10). BENCH_ROUNDS (default 3, smoke 1) alternates
// the targets that many times and reports each metric's median, since a shared machine's load
// drifts between runs. Prints a markdown table with the ratio and server CPU per request.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  type BenchmarkResult,
  benchDurationSeconds,
  benchmark,
  medianResult,
  resultsTable,
  startTarget,
} from './harness.ts'

const durationSeconds = benchDurationSeconds()
const rounds = process.argv.includes('--smoke') ? 1 : Number(process.env.BENCH_ROUNDS ?? 3)
if (!Number.isInteger(rounds) || rounds < 1)
  throw new Error(`BENCH_ROUNDS must be a positive integer, got ${process.env.BENCH_ROUNDS}`)
// BENCH_SERVER_CPU=<n>: pin the targets to CPU n (run the bench itself pinned elsewhere).
const serverCpu = process.env.BENCH_SERVER_CPU ? Number(process.env.BENCH_SERVER_CPU) : undefined
if (serverCpu !== undefined && !Number.isInteger(serverCpu))
  throw new Error(`BENCH_SERVER_CPU must be a CPU number, got ${process.env.BENCH_SERVER_CPU}`)
const target = (name: string) => fileURLToPath(new URL(`./targets/${name}.ts`, import.meta.url))

// Stands in for an OpenTelemetry collector: accepts OTLP/HTTP exports and counts them.
let exports = 0
const collector = createServer((request, response) => {
  request.resume()
  request.on('end', () => {
    exports++
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
  })
})
await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve))
const collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`

const targets: [string, string, Record<string, string>][] = [
  ['bare fastify', 'bare', {}],
  [
    'service-kit',
    'kit',
    { OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl, BENCH_LOG_FILE: join(tmpdir(), 'service-kit-bench.log') },
  ],
]
const runs = new Map<string, BenchmarkResult[]>(targets.map(([name]) => [name, []]))
for (let round = 1; round <= rounds; round++) {
  const throughputs: number[] = []
  for (const [name, file, env] of targets) {
    const running = await startTarget(target(file), env, { cpu: serverCpu })
    try {
      const result = await benchmark({
        name,
        url: `${running.url}/items/123`,
        durationSeconds,
        cpuSeconds: running.cpuSeconds,
      })
      runs.get(name)!.push(result)
      throughputs.push(result.requestsPerSecond)
    } finally {
      await running.stop()
    }
  }
  process.stderr.write(
    `round ${round}/${rounds}: ${targets.map(([name], i) => `${name} ${throughputs[i]} req/s, ${runs.get(name)!.at(-1)!.cpuMicrosPerRequest ?? '?'} µs/req`).join('; ')}\n`,
  )
}
collector.close()
const results = targets.map(([name]) => medianResult(runs.get(name)!))

const ratio = results[1]!.requestsPerSecond / results[0]!.requestsPerSecond
process.stdout.write(
  `\nGET /items/:id, ${durationSeconds} s each, 50 connections, loopback, median of ${rounds} round(s)\n\n`,
)
process.stdout.write(`${resultsTable(results, 'bare fastify')}\n\n`)
process.stdout.write(
  `service-kit / bare ratio: ${ratio.toFixed(2)} (goal ≥ 0.85); OTLP exports received: ${exports}\n`,
)
if ([...runs.values()].flat().some((r) => r.errors > 0 || r.non2xx > 0)) {
  process.stderr.write('bench: errors or non-2xx responses, see the table\n')
  process.exitCode = 1
}
