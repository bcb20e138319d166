// Heap retained per new user (`GET /assign`, sticky persistence on), in-process: 5,000 users to
// warm up, then 20,000 more; after each, pending writes flush and a full GC runs, and the growth of
// `heapUsed` is divided by the users. This is what every new user leaves for the young-generation
// collector to copy and promote, which is what sets its pauses at thousands of new users per second.
//
//   node --expose-gc bench/retained.ts      (Postgres/Redis from DATABASE_URL/REDIS_URL, else PGlite/in-process)
import { benchApp, experimentSeed, seed } from './benchApp.ts'

const gc = globalThis.gc
if (!gc) throw new Error('run with node --expose-gc')
const app = await benchApp('experiments_bench_retained')
await seed(app, experimentSeed)

let user = 0
const assignNewUsers = async (count: number) => {
  for (let sent = 0; sent < count; sent += 100) {
    await Promise.all(
      Array.from({ length: 100 }, () =>
        app.inject({ method: 'GET', url: `/assign?experiment_key=checkout-button&user_id=new-${user++}` }),
      ),
    )
  }
  // Pending writes flush every 50 ms; exposures drain.
  await new Promise((resolve) => setTimeout(resolve, 300))
}
const heapUsed = async () => {
  for (let i = 0; i < 3; i++) {
    gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
  return process.memoryUsage().heapUsed
}

const measured = 20_000
await assignNewUsers(5_000)
const before = await heapUsed()
await assignNewUsers(measured)
const after = await heapUsed()
process.stdout.write(`heap retained per new user: ${Math.round((after - before) / measured)} bytes\n`)
await app.close()
