import { type TSchema, Type } from '@sinclair/typebox'

// Patterns instead of `format` so the schemas validate the same in TypeBox's TypeCompiler (no
// FormatRegistry side effects) and in Ajv (Fastify route schemas).
export const RFC3339_PATTERN =
  '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])[Tt]([01]\\d|2[0-3]):[0-5]\\d:([0-5]\\d|60)(\\.\\d+)?([Zz]|[+-]([01]\\d|2[0-3]):[0-5]\\d)$'

const Timestamp = (description: string) => Type.String({ pattern: RFC3339_PATTERN, description })
const NonEmpty = (description: string) => Type.String({ minLength: 1, description })
const Count = (description: string) => Type.Integer({ minimum: 0, description })
const Strict = { additionalProperties: false } as const

export const Labels = Type.Record(Type.String(), Type.String(), {
  description: 'Prometheus label or annotation set',
})

export const Fingerprint = Type.String({
  pattern: '^[0-9a-f]{16}$',
  description: 'Alertmanager fingerprint: FNV-1a 64 of the sorted label set, 16 lower-case hex digits',
})

export const AlertStatus = Type.Union([Type.Literal('firing'), Type.Literal('resolved')])

const alertWithStatus = <S extends TSchema>(status: S) =>
  Type.Object(
    {
      status,
      labels: Labels,
      annotations: Labels,
      startsAt: Timestamp('when the alert started firing'),
      endsAt: Timestamp('when the alert resolved; 0001-01-01T00:00:00Z while firing'),
      generatorURL: Type.String({ description: 'link to the Prometheus expression; may be empty' }),
      fingerprint: Fingerprint,
    },
    Strict,
  )

/** One alert as Alertmanager's webhook v4 describes it, fingerprint always present. */
export const Alert = alertWithStatus(AlertStatus)

/** How remediation and ticket events point back at the alert that caused them. */
export const AlertRef = Type.Object(
  {
    fingerprint: Fingerprint,
    episodeId: NonEmpty('one firing episode of the alert: fingerprint + startsAt'),
    groupKey: NonEmpty('Alertmanager group key'),
    labels: Labels,
  },
  Strict,
)

export const FunctionRef = Type.Object(
  {
    name: NonEmpty('LambdaFunction name'),
    namespace: NonEmpty('LambdaFunction namespace'),
    version: Type.Optional(NonEmpty('LambdaFunction version; absent = latest Ready')),
  },
  Strict,
)

export const Parameters = Type.Record(Type.String(), Type.Unknown(), {
  description: 'function parameters, already validated against the policy parameter schema',
})

export const Verification = Type.Object(
  {
    promql: NonEmpty('PromQL query; the remediation is verified when it returns no series'),
    delayMs: Count('wait before the first query'),
    timeoutMs: Type.Integer({ minimum: 1, description: 'give up (outcome unresolved) after this long' }),
    intervalMs: Type.Optional(Type.Integer({ minimum: 1, description: 'poll interval' })),
  },
  Strict,
)

export const VerificationOutcome = Type.Object(
  {
    outcome: Type.Union(
      [
        Type.Literal('resolved'),
        Type.Literal('unresolved'),
        Type.Literal('unverified'),
        Type.Literal('skipped'),
      ],
      {
        description:
          'resolved: query cleared; unresolved: still firing at timeout; unverified: Prometheus unreachable; skipped: no verification configured',
      },
    ),
    checkedAt: Type.Optional(Timestamp('time of the last query')),
    detail: Type.Optional(Type.String()),
  },
  Strict,
)

const AlertEventFields = {
  groupKey: NonEmpty('Alertmanager group key'),
  episodeId: NonEmpty('one firing episode of the alert: fingerprint + startsAt'),
  groupLabels: Type.Optional(Labels),
  receiver: Type.Optional(NonEmpty('Alertmanager receiver')),
  externalURL: Type.Optional(Type.String({ description: 'Alertmanager external URL' })),
}

export const AlertFiringData = Type.Object(
  { ...AlertEventFields, alert: alertWithStatus(Type.Literal('firing')) },
  Strict,
)
export const AlertResolvedData = Type.Object(
  { ...AlertEventFields, alert: alertWithStatus(Type.Literal('resolved')) },
  Strict,
)

export const AlertFlappingData = Type.Object(
  {
    fingerprint: Fingerprint,
    labels: Labels,
    groupKey: Type.Optional(NonEmpty('Alertmanager group key')),
    transitions: Type.Integer({ minimum: 1, description: 'firing/resolved transitions seen in the window' }),
    threshold: Type.Integer({ minimum: 1, description: 'transitions in the window that count as flapping' }),
    windowMs: Type.Integer({ minimum: 1 }),
    firstTransitionAt: Timestamp('first transition in the window'),
    lastTransitionAt: Timestamp('last transition in the window'),
    suppressedUntil: Type.Optional(Timestamp('firing/resolved events for it are held back until then')),
  },
  Strict,
)

export const AlertStormData = Type.Object(
  {
    groupKey: Type.Optional(NonEmpty('the group the storm is in; absent = across all groups')),
    count: Type.Integer({ minimum: 1, description: 'alerts received in the window' }),
    threshold: Type.Integer({ minimum: 1, description: 'alerts per window that count as a storm' }),
    windowMs: Type.Integer({ minimum: 1 }),
    windowStart: Timestamp('start of the window'),
    windowEnd: Timestamp('end of the window'),
    fingerprints: Type.Array(Fingerprint, { description: 'distinct fingerprints, possibly truncated' }),
    fingerprintsTruncated: Type.Boolean({ description: 'true when `fingerprints` lists fewer than exist' }),
    alertnames: Type.Optional(Type.Record(Type.String(), Type.Integer({ minimum: 1 }))),
  },
  Strict,
)

const ApprovalProvider = Type.Union([Type.Literal('slack'), Type.Literal('webhook')])

export const ApprovalRequestedData = Type.Object(
  {
    runId: NonEmpty('remediation run id'),
    alert: AlertRef,
    policy: NonEmpty('remediation policy name'),
    function: FunctionRef,
    parameters: Parameters,
    provider: ApprovalProvider,
    expiresAt: Timestamp('undecided requests expire (decision "expired") at this time'),
    reason: Type.Optional(Type.String({ description: 'why approval is required' })),
  },
  Strict,
)

export const ApprovalDecidedData = Type.Object(
  {
    runId: NonEmpty('remediation run id'),
    decision: Type.Union([Type.Literal('approved'), Type.Literal('denied'), Type.Literal('expired')]),
    provider: Type.Union([ApprovalProvider, Type.Literal('timeout')]),
    decidedBy: Type.Optional(NonEmpty('who decided; absent when expired')),
    decidedAt: Timestamp('when the first decision arrived'),
    comment: Type.Optional(Type.String()),
  },
  Strict,
)

export const RemediationRequestedData = Type.Object(
  {
    runId: NonEmpty('remediation run id'),
    alert: AlertRef,
    policy: NonEmpty('remediation policy name'),
    function: FunctionRef,
    parameters: Parameters,
    deadline: Timestamp('the invoker gives up (remediation.failed, code deadline) after this'),
    idempotencyKey: NonEmpty('sent to the function so retries do not act twice'),
    verification: Type.Optional(Verification),
    selectedBy: Type.Union([Type.Literal('rules'), Type.Literal('model')], {
      description:
        'model: ranked by the TRM service; rules: policy order (model unavailable or not configured)',
    }),
    score: Type.Optional(Type.Number({ description: 'model score of the chosen remediation' })),
    approvedBy: Type.Optional(NonEmpty('approver, when the policy required approval')),
  },
  Strict,
)

export const RemediationRejectedData = Type.Object(
  {
    runId: NonEmpty('remediation run id'),
    alert: AlertRef,
    reason: Type.Union([
      Type.Literal('denied'),
      Type.Literal('expired'),
      Type.Literal('no-policy'),
      Type.Literal('storm'),
      Type.Literal('cooldown'),
      Type.Literal('invalid-parameters'),
    ]),
    detail: Type.String({ description: 'human-readable explanation' }),
    policy: Type.Optional(NonEmpty('the policy that matched, if any')),
    function: Type.Optional(FunctionRef),
    errors: Type.Optional(
      Type.Array(Type.Object({ path: Type.String(), message: Type.String() }, Strict), {
        description: 'parameter schema violations (reason invalid-parameters)',
      }),
    ),
  },
  Strict,
)

const RunFields = {
  runId: NonEmpty('remediation run id'),
  alert: AlertRef,
  function: FunctionRef,
}

export const RemediationStartedData = Type.Object(
  {
    ...RunFields,
    url: Type.Optional(Type.String({ description: 'the function URL from its status' })),
    deadline: Timestamp('from remediation.requested'),
  },
  Strict,
)

const Outcome = {
  attempts: Type.Integer({ minimum: 1, description: 'invocation attempts made' }),
  durationMs: Count('from the first attempt to the end of verification'),
  output: Type.Optional(Type.Unknown({ description: 'result body returned by the function' })),
}

export const RemediationSucceededData = Type.Object(
  { ...RunFields, ...Outcome, verification: VerificationOutcome },
  Strict,
)

export const RemediationFailedData = Type.Object(
  {
    ...RunFields,
    ...Outcome,
    attempts: Count('invocation attempts made; 0 when it never reached the function'),
    error: Type.Object(
      {
        code: Type.Union([
          Type.Literal('function-not-found'),
          Type.Literal('function-not-ready'),
          Type.Literal('circuit-open'),
          Type.Literal('timeout'),
          Type.Literal('deadline'),
          Type.Literal('http-error'),
          Type.Literal('function-error'),
          Type.Literal('unresolved'),
        ]),
        message: Type.String(),
        httpStatus: Type.Optional(Type.Integer({ minimum: 100, maximum: 599 })),
      },
      Strict,
    ),
    verification: Type.Optional(VerificationOutcome),
  },
  Strict,
)

const TicketProvider = Type.Union([Type.Literal('linear'), Type.Literal('jira'), Type.Literal('local')])

const TicketFields = {
  dedupKey: NonEmpty('one ticket per dedup key: the group key, or the fingerprint in per-alert mode'),
  provider: TicketProvider,
  key: NonEmpty('provider ticket key, e.g. OPS-123'),
  url: Type.Optional(Type.String({ description: 'link to the ticket; absent for the local provider' })),
  groupKey: Type.Optional(NonEmpty('Alertmanager group key')),
  fingerprint: Type.Optional(Fingerprint),
}

export const TicketOpenedData = Type.Object(
  {
    ...TicketFields,
    title: NonEmpty('ticket title'),
    reopened: Type.Boolean({ description: 'a closed ticket was reopened instead of opening a duplicate' }),
    kind: Type.Union([Type.Literal('alert'), Type.Literal('remediation-failure')]),
  },
  Strict,
)

export const TicketUpdatedData = Type.Object(
  {
    ...TicketFields,
    change: Type.Union([
      Type.Literal('comment'),
      Type.Literal('state'),
      Type.Literal('priority'),
      Type.Literal('labels'),
    ]),
    summary: Type.String({ description: 'what changed, e.g. the comment text or "Todo → In Progress"' }),
  },
  Strict,
)

export const TicketClosedData = Type.Object(
  {
    ...TicketFields,
    reason: Type.Union([Type.Literal('resolved'), Type.Literal('remediated'), Type.Literal('manual')]),
  },
  Strict,
)

const AttributeValue = Type.Union([Type.String(), Type.Number(), Type.Boolean()])

export const ExperimentExposureData = Type.Object(
  {
    experiment: NonEmpty('experiment key'),
    variant: NonEmpty('assigned variant key'),
    userId: NonEmpty('the assignment unit'),
    bucket: Count('hash bucket the user fell into'),
    sticky: Type.Boolean({
      description: 'the answer came from a stored assignment (experiments exposes first assignments: false)',
    }),
    context: Type.Optional(
      Type.Record(Type.String(), AttributeValue, { description: 'targeting attributes' }),
    ),
  },
  Strict,
)

export const ExperimentEventData = Type.Object(
  {
    userId: NonEmpty('the assignment unit'),
    event: NonEmpty('tracked event / metric name'),
    value: Type.Optional(Type.Number({ description: 'numeric value for sum/mean metrics' })),
    experiment: Type.Optional(NonEmpty('restrict to one experiment; absent = every active assignment')),
    timestamp: Timestamp('when it happened on the client'),
    properties: Type.Optional(Type.Record(Type.String(), Type.Union([AttributeValue, Type.Null()]))),
  },
  Strict,
)

/** io.prometheus.alert.*: one Alertmanager alert as sent by the prometheus-events source. */
export const PrometheusAlertData = Type.Object({
  status: Type.Optional(AlertStatus),
  labels: Labels,
  annotations: Type.Optional(Labels),
  startsAt: Type.Optional(Timestamp('when the alert started firing')),
  endsAt: Type.Optional(Timestamp('when the alert resolved')),
  generatorURL: Type.Optional(Type.String()),
  fingerprint: Type.Optional(
    Type.String({ pattern: '^[0-9a-fA-F]{16}$', description: 'computed by alert-intake when absent' }),
  ),
})
