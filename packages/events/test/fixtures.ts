import { type EventData, type EventType, isInvalidEventError } from '../src/index.ts'

const alert = {
  labels: { alertname: 'HighErrorRate', service: 'checkout', severity: 'critical' },
  annotations: { summary: 'checkout 5xx above 5%', runbook_url: 'https://runbooks.example/5xx' },
  startsAt: '2025-11-25T10:00:00.123Z',
  generatorURL: 'http://prometheus:9090/graph?g0.expr=rate%28http_errors%5B5m%5D%29',
  fingerprint: '3f9c2a8e1b7d4c60',
}
const alertRef = {
  fingerprint: alert.fingerprint,
  episodeId: `${alert.fingerprint}:${alert.startsAt}`,
  groupKey: '{}/{severity="critical"}:{alertname="HighErrorRate"}',
  labels: alert.labels,
}
const fn = { name: 'restart-deployment', namespace: 'remediations', version: '3' }
const runId = '0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b'
const ticket = {
  dedupKey: alertRef.groupKey,
  provider: 'linear' as const,
  key: 'OPS-123',
  url: 'https://linear.app/acme/issue/OPS-123',
  groupKey: alertRef.groupKey,
}

/** One valid `data` per catalog type; the mapped type makes a missing type a compile error. */
export const sampleData: { [T in EventType]: EventData<T> } = {
  'agentsre.alert.firing': {
    alert: { ...alert, status: 'firing', endsAt: '0001-01-01T00:00:00Z' },
    groupKey: alertRef.groupKey,
    episodeId: alertRef.episodeId,
    groupLabels: { alertname: 'HighErrorRate' },
    receiver: 'agent-sre',
    externalURL: 'http://alertmanager:9093',
  },
  'agentsre.alert.resolved': {
    alert: { ...alert, status: 'resolved', endsAt: '2025-11-25T10:15:00Z' },
    groupKey: alertRef.groupKey,
    episodeId: alertRef.episodeId,
  },
  'agentsre.alert.flapping': {
    fingerprint: alert.fingerprint,
    labels: alert.labels,
    groupKey: alertRef.groupKey,
    transitions: 6,
    threshold: 4,
    windowMs: 600_000,
    firstTransitionAt: '2025-11-25T10:00:00Z',
    lastTransitionAt: '2025-11-25T10:09:00Z',
    suppressedUntil: '2025-11-25T10:30:00Z',
  },
  'agentsre.alert.storm': {
    groupKey: alertRef.groupKey,
    count: 1200,
    threshold: 500,
    windowMs: 60_000,
    windowStart: '2025-11-25T10:00:00Z',
    windowEnd: '2025-11-25T10:01:00Z',
    fingerprints: [alert.fingerprint, '0000000000000001'],
    fingerprintsTruncated: true,
    alertnames: { HighErrorRate: 1100, PodCrashLooping: 100 },
  },
  'agentsre.remediation.approval.requested': {
    runId,
    alert: alertRef,
    policy: 'restart-on-5xx',
    function: fn,
    parameters: { deployment: 'checkout', replicas: 3 },
    provider: 'slack',
    expiresAt: '2025-11-25T10:30:00Z',
    reason: 'severity critical requires approval',
  },
  'agentsre.remediation.approval.decided': {
    runId,
    decision: 'approved',
    provider: 'slack',
    decidedBy: 'U024BE7LH',
    decidedAt: '2025-11-25T10:05:00+01:00',
  },
  'agentsre.remediation.requested': {
    runId,
    alert: alertRef,
    policy: 'restart-on-5xx',
    function: fn,
    parameters: { deployment: 'checkout' },
    deadline: '2025-11-25T10:20:00Z',
    idempotencyKey: `${runId}:restart-deployment`,
    verification: { promql: 'rate(http_errors[5m]) > 0.05', delayMs: 30_000, timeoutMs: 300_000 },
    selectedBy: 'model',
    score: 0.92,
    approvedBy: 'U024BE7LH',
  },
  'agentsre.remediation.rejected': {
    runId,
    alert: alertRef,
    reason: 'invalid-parameters',
    detail: 'parameters do not match the policy schema',
    policy: 'restart-on-5xx',
    function: fn,
    errors: [{ path: '/replicas', message: 'Expected integer' }],
  },
  'agentsre.remediation.started': {
    runId,
    alert: alertRef,
    function: fn,
    url: 'http://restart-deployment.remediations.svc.cluster.local',
    deadline: '2025-11-25T10:20:00Z',
  },
  'agentsre.remediation.succeeded': {
    runId,
    alert: alertRef,
    function: fn,
    attempts: 2,
    durationMs: 45_000,
    output: { restarted: ['checkout-7d9f'] },
    verification: { outcome: 'resolved', checkedAt: '2025-11-25T10:12:00Z' },
  },
  'agentsre.remediation.failed': {
    runId,
    alert: alertRef,
    function: fn,
    attempts: 3,
    durationMs: 12_000,
    error: { code: 'http-error', message: 'function answered 503', httpStatus: 503 },
  },
  'agentsre.ticket.opened': {
    ...ticket,
    title: '[critical] HighErrorRate on checkout',
    reopened: false,
    kind: 'alert',
  },
  'agentsre.ticket.updated': {
    ...ticket,
    change: 'comment',
    summary: 'Remediation restart-deployment started',
  },
  'agentsre.ticket.closed': { ...ticket, reason: 'remediated' },
  'agentsre.experiment.exposure': {
    experiment: 'checkout-button',
    variant: 'green',
    userId: 'user-42',
    bucket: 4711,
    sticky: true,
    context: { country: 'DE', beta: true, visits: 3 },
  },
  'agentsre.experiment.event': {
    userId: 'user-42',
    event: 'purchase',
    value: 59.9,
    timestamp: '2025-11-25T10:00:00Z',
    properties: { currency: 'EUR', coupon: null },
  },
  'io.prometheus.alert.firing': {
    status: 'firing',
    labels: alert.labels,
    annotations: alert.annotations,
    startsAt: alert.startsAt,
    fingerprint: alert.fingerprint,
  },
  'io.prometheus.alert.resolved': { labels: { alertname: 'Watchdog' } },
}

/** The reason of the InvalidEventError `fn` throws; fails the test if it throws nothing or another error. */
export function reasonOf(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    if (isInvalidEventError(err)) return err.reason
    throw err
  }
  throw new Error('expected an InvalidEventError')
}
