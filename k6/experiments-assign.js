// k6 load script for the experiments service's assignment endpoint (GET /assign), for operators.
//
// NOT RUN IN THIS REPOSITORY'S CI: k6 (go.k6.io/k6) is AGPL-3.0 and cannot be built here. CI
// measures the same paths with autocannon: `pnpm --filter @agent-sre/experiments bench`
// (apps/experiments/bench/run.ts). Run it with a k6 you install yourself:
//
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e API_KEY=<key> -e EXPERIMENT=<experiment key> k6/experiments-assign.js
//
// Options (-e NAME=value): BASE_URL (default http://127.0.0.1:8080), API_KEY (sent as X-API-Key;
// omit when the service runs without keys), EXPERIMENT (an ACTIVE experiment, default
// checkout-button), RATE (requests per second, default 500), DURATION (default 1m), USERS (distinct
// user ids, default 100000; each id's first request is a new assignment, later ones are sticky).
// Thresholds mirror the benchmark goals: p99 < 10 ms, under 0.1% failed requests.
import { check } from 'k6'
import exec from 'k6/execution'
import http from 'k6/http'

const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:8080'
const EXPERIMENT = encodeURIComponent(__ENV.EXPERIMENT || 'checkout-button')
const USERS = Number(__ENV.USERS || 100000)

export const options = {
  scenarios: {
    assign: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE || 500),
      timeUnit: '1s',
      duration: __ENV.DURATION || '1m',
      preAllocatedVUs: 50,
      maxVUs: 500,
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.001'],
    http_req_duration: ['p(99)<10'],
    checks: ['rate>0.999'],
  },
}

const params = { headers: __ENV.API_KEY ? { 'x-api-key': __ENV.API_KEY } : {}, tags: { name: 'GET /assign' } }

export default function () {
  const user = `k6-user-${exec.scenario.iterationInTest % USERS}`
  const res = http.get(`${BASE_URL}/assign?experiment_key=${EXPERIMENT}&user_id=${user}`, params)
  check(res, {
    'status 200': (r) => r.status === 200,
    'has an answer': (r) => {
      const body = r.json()
      return body !== null && typeof body.reason === 'string' && 'variant' in body
    },
  })
}
