// The experiments service as deployed (service kit, info-level access log to a file, RED
// metrics), with sticky persistence on: PGlite in memory, or Postgres when DATABASE_URL is set;
// exposure events POSTed to BENCH_SINK_URL (the bench's no-op sink standing in for the broker).
import type { AddressInfo } from 'node:net'
import { runServer } from '@agent-sre/service-kit'
import { benchApp, experimentSeed, flagSeed, seed } from '../benchApp.ts'

const app = await runServer({
  port: 0,
  host: '127.0.0.1',
  drainDelayMs: 0,
  build: () => benchApp('experiments_bench', process.env.BENCH_LOG_FILE, process.env.BENCH_SINK_URL),
})
await seed(app, experimentSeed, flagSeed)
process.stderr.write(`experiments target: ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}\n`)
process.stdout.write(`listening ${(app.server.address() as AddressInfo).port}\n`)
