// Overhead of a policy on the call path: the same trivial async call, bare and through policyFor
// with every part on (bulkhead, retry, breaker, timeout). Bounded: a fixed number of calls.
import { test } from 'node:test'
import { Registry } from 'prom-client'
import { policyFor } from '../src/index.ts'

const CALLS = 50_000
const CONCURRENCY = 16

async function measure(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  // CONCURRENCY workers in flight at once, as a service under load would drive the policy.
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = 0; i < CALLS / CONCURRENCY; i++) await run()
    }),
  )
  return performance.now() - started
}

test(`policy overhead over ${CALLS} calls, ${CONCURRENCY} in flight`, async (t) => {
  const policy = policyFor('bench', {}, { registry: new Registry() })
  const work = async () => 1
  await measure(work) // warm-up
  await measure(() => policy.execute(work))
  const bareMs = await measure(work)
  const policyMs = await measure(() => policy.execute(work))
  t.diagnostic(`bare:   ${Math.round((CALLS / bareMs) * 1000)} calls/s`)
  t.diagnostic(`policy: ${Math.round((CALLS / policyMs) * 1000)} calls/s`)
  t.diagnostic(`overhead: ${(((policyMs - bareMs) / CALLS) * 1000).toFixed(2)} µs per call`)
  policy.dispose()
})
