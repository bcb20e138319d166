// Bare Fastify vs a service-kit route, same machine, same run. `--smoke` for a ~2 s CI check;
// BENCH_DURATION=<seconds> otherwise (default 10). Prints a markdown table with the ratio.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  type BenchmarkResult,
  benchDurationSeconds,
  benchmark,
  resultsTable,
  startTarget,
} from './harness.ts'

const durationSeconds = benchDurationSeconds()
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

const results: BenchmarkResult[] = []
const targets: [string, string, Record<string, string>][] = [
  ['bare fastify', 'bare', {}],
  [
    'service-kit',
    'kit',
    { OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl, BENCH_LOG_FILE: join(tmpdir(), 'service-kit-bench.log') },
  ],
]
for (const [name, file, env] of targets) {
  const running = await startTarget(target(file), env)
  try {
    results.push(await benchmark({ name, url: `${running.url}/items/123`, durationSeconds }))
  } finally {
    await running.stop()
  }
}
collector.close()

const ratio = results[1]!.requestsPerSecond / results[0]!.requestsPerSecond
process.stdout.write(`\nGET /items/:id, ${durationSeconds} s each, 50 connections, loopback\n\n`)
process.stdout.write(`${resultsTable(results, 'bare fastify')}\n\n`)
process.stdout.write(
  `service-kit / bare ratio: ${ratio.toFixed(2)} (goal ≥ 0.85); OTLP exports received: ${exports}\n`,
)
if (results.some((r) => r.errors > 0 || r.non2xx > 0)) {
  process.stderr.write('bench: errors or non-2xx responses, see the table\n')
  process.exitCode = 1
}
