// k6 load script for the experiments service's OFREP endpoints, for operators: single-flag
// evaluation (POST /ofrep/v1/evaluate/flags/{key}) and bulk evaluation with ETag revalidation
// (POST /ofrep/v1/evaluate/flags, If-None-Match → 304).
//
// NOT RUN IN THIS REPOSITORY'S CI: k6 (go.k6.io/k6) is AGPL-3.0 and cannot be built here. CI
// measures single-flag evaluation with autocannon: `pnpm --filter @agent-sre/experiments bench`.
// Run it with a k6 you install yourself:
//
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e API_KEY=<key> -e FLAG=<flag key> k6/experiments-ofrep.js
//
// Options (-e NAME=value): BASE_URL (default http://127.0.0.1:8080), API_KEY (sent as a bearer
// token; omit when the service runs without keys), FLAG (default new-checkout), RATE (single
// evaluations per second, default 1000), BULK_RATE (bulk evaluations per second, default 50),
// DURATION (default 1m), USERS (distinct targeting keys of single evaluations, default 10000),
// BULK_USERS (distinct contexts of bulk evaluations, default 100: few enough that each VU sends a
// context again and revalidates it with If-None-Match, as a polling provider does).
// Thresholds mirror the benchmark goals: single-flag p99 < 5 ms, under 0.1% failed requests.
import { check } from 'k6'
import exec from 'k6/execution'
import http from 'k6/http'

const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:8080'
const FLAG = encodeURIComponent(__ENV.FLAG || 'new-checkout')
const USERS = Number(__ENV.USERS || 10000)
const BULK_USERS = Number(__ENV.BULK_USERS || 100)
const DURATION = __ENV.DURATION || '1m'

export const options = {
  scenarios: {
    single: {
      executor: 'constant-arrival-rate',
      exec: 'single',
      rate: Number(__ENV.RATE || 1000),
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: 50,
      maxVUs: 500,
    },
    bulk: {
      executor: 'constant-arrival-rate',
      exec: 'bulk',
      rate: Number(__ENV.BULK_RATE || 50),
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: 10,
      maxVUs: 100,
    },
  },
  thresholds: {
    // 304 is a success for bulk revalidation.
    http_req_failed: ['rate<0.001'],
    'http_req_duration{name:ofrep single}': ['p(99)<5'],
    checks: ['rate>0.999'],
  },
}

http.setResponseCallback(http.expectedStatuses(200, 304))

const headers = { 'content-type': 'application/json' }
if (__ENV.API_KEY) headers.authorization = `Bearer ${__ENV.API_KEY}`

function context(users) {
  const n = exec.scenario.iterationInTest % users
  return { targetingKey: `k6-user-${n}`, plan: n % 4 === 0 ? 'pro' : 'free' }
}

export function single() {
  const res = http.post(
    `${BASE_URL}/ofrep/v1/evaluate/flags/${FLAG}`,
    JSON.stringify({ context: context(USERS) }),
    {
      headers,
      tags: { name: 'ofrep single' },
    },
  )
  check(res, { 'status 200': (r) => r.status === 200 && r.json('reason') !== undefined })
}

// Each VU keeps the ETag of its last bulk answer per context, as an OFREP provider does.
const etags = {}

export function bulk() {
  const ctx = context(BULK_USERS)
  const previous = etags[ctx.targetingKey]
  const res = http.post(`${BASE_URL}/ofrep/v1/evaluate/flags`, JSON.stringify({ context: ctx }), {
    headers: previous ? { ...headers, 'if-none-match': previous } : headers,
    tags: { name: 'ofrep bulk' },
  })
  if (res.headers.Etag) etags[ctx.targetingKey] = res.headers.Etag
  check(res, { 'status 200 or 304': (r) => r.status === 200 || r.status === 304 })
}
