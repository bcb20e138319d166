// k6 load script for alert-intake's Alertmanager webhook (POST /alertmanager), for operators.
//
// NOT RUN IN THIS REPOSITORY'S CI: k6 (go.k6.io/k6) is AGPL-3.0 and the build machine's library
// policy forbids building or vendoring it. CI runs the same scenario with autocannon instead:
// `pnpm --filter @agent-sre/alert-intake bench:smoke` (apps/alert-intake/bench/run.ts).
// Run it with a k6 you install yourself, against a staging deployment or a local one:
//
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e TOKEN=<webhook bearer token> k6/alert-intake-webhook.js
//
// Options (-e NAME=value): BASE_URL (default http://127.0.0.1:8080), TOKEN (WEBHOOK_AUTH=bearer) or
// BASIC_USER + BASIC_PASSWORD (WEBHOOK_AUTH=basic), ALERTS (alerts per webhook, default 10),
// RATE (webhooks per second, default 200), DURATION (default 1m), GROUPS (Alertmanager groups the
// alerts are spread over, default 100). Every webhook carries alerts never sent before (a unique
// instance label per VU and iteration), so each one is written and published: the heavy path.
// Thresholds mirror the benchmark goals: p99 < 50 ms, under 0.1% failed requests.
import { check } from 'k6'
import encoding from 'k6/encoding'
import exec from 'k6/execution'
import http from 'k6/http'

const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:8080'
const ALERTS = Number(__ENV.ALERTS || 10)
const GROUPS = Number(__ENV.GROUPS || 100)
const RATE = Number(__ENV.RATE || 200)

export const options = {
  scenarios: {
    webhooks: {
      executor: 'constant-arrival-rate',
      rate: RATE,
      timeUnit: '1s',
      duration: __ENV.DURATION || '1m',
      preAllocatedVUs: 50,
      maxVUs: 500,
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.001'],
    http_req_duration: ['p(99)<50'],
    checks: ['rate>0.999'],
  },
}

function authorization() {
  if (__ENV.BASIC_USER) {
    return `Basic ${encoding.b64encode(`${__ENV.BASIC_USER}:${__ENV.BASIC_PASSWORD || ''}`)}`
  }
  return __ENV.TOKEN ? `Bearer ${__ENV.TOKEN}` : undefined
}

const headers = { 'content-type': 'application/json' }
const auth = authorization()
if (auth) headers.authorization = auth

export default function () {
  const n = exec.scenario.iterationInTest
  const group = `g${n % GROUPS}`
  const startsAt = new Date().toISOString()
  const alerts = []
  for (let k = 0; k < ALERTS; k++) {
    alerts.push({
      status: 'firing',
      labels: {
        alertname: 'K6LoadAlert',
        group,
        instance: `k6-${exec.vu.idInTest}-${n}-${k}:9100`,
        job: 'k6',
      },
      annotations: { summary: 'k6 load test alert' },
      startsAt,
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus:9090/graph?g0.expr=up',
    })
  }
  const body = JSON.stringify({
    version: '4',
    groupKey: `{}:{alertname="K6LoadAlert", group="${group}"}`,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'alert-intake',
    groupLabels: { alertname: 'K6LoadAlert', group },
    commonLabels: { alertname: 'K6LoadAlert', group },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts,
  })
  const res = http.post(`${BASE_URL}/alertmanager`, body, { headers, tags: { name: 'POST /alertmanager' } })
  check(res, {
    'status is 200': (r) => r.status === 200,
    'every alert accepted': (r) => r.status === 200 && r.json('accepted') === ALERTS,
  })
}
