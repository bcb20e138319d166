// Request and response shapes. The domain validators (compileFlag / compileExperiment) check the
// semantics — weights summing to 100, well-typed rules, safe regexes — and report every problem.

import { Type } from '@sinclair/typebox'
import { KEY_PATTERN } from '../domain/issues.ts'

export const Key = Type.String({ pattern: KEY_PATTERN.source, description: 'letters, digits, . _ -' })
export const UserId = Type.String({ minLength: 1, maxLength: 256 })

const Primitive = Type.Union([Type.String({ maxLength: 4096 }), Type.Number(), Type.Boolean()])
export const Context = Type.Record(
  Type.String({ maxLength: 128 }),
  Type.Union([Primitive, Type.Null(), Type.Array(Primitive, { maxItems: 1000 })]),
  { maxProperties: 200, description: 'targeting attributes' },
)

// Rules and values are checked by the domain validator, which reports precise paths.
const Targeting = Type.Union([Type.Null(), Type.Object({}, { additionalProperties: true })])

export const ExperimentBody = Type.Object(
  {
    key: Type.Optional(Key),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    status: Type.Optional(Type.String({ default: 'DRAFT' })),
    variants: Type.Array(
      Type.Object({ key: Type.String(), weight: Type.Number() }, { additionalProperties: false }),
      {
        maxItems: 100,
      },
    ),
    trafficAllocation: Type.Optional(Type.Number({ default: 100 })),
    targeting: Type.Optional(Targeting),
    seed: Type.Optional(Type.String()),
    bucketVersion: Type.Optional(Type.Integer({ default: 1 })),
  },
  { additionalProperties: false },
)

export const FlagBody = Type.Object(
  {
    key: Type.Optional(Key),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    enabled: Type.Boolean(),
    valueType: Type.String(),
    defaultValue: Type.Unknown(),
    rolloutPercentage: Type.Optional(Type.Integer({ default: 100 })),
    variants: Type.Array(
      Type.Object(
        { key: Type.String(), value: Type.Unknown(), weight: Type.Number() },
        { additionalProperties: false },
      ),
      { maxItems: 100 },
    ),
    targeting: Type.Optional(Targeting),
  },
  { additionalProperties: false },
)

export const Stored = Type.Object({
  key: Type.String(),
  id: Type.Optional(Type.String()),
  version: Type.Integer(),
  updatedAt: Type.String(),
  config: Type.Unknown(),
})

export const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: Type.String(),
  actor: Type.String(),
  entity: Type.String(),
  key: Type.String(),
  action: Type.String(),
  version: Type.Integer(),
  before: Type.Unknown(),
  after: Type.Unknown(),
})

export const AssignResponse = Type.Object({
  experiment_id: Type.String(),
  experiment_key: Type.String(),
  variant: Type.Union([Type.String(), Type.Null()]),
  assignment_id: Type.Union([Type.String(), Type.Null()]),
  /** When the user was first assigned (the response time when no variant). */
  timestamp: Type.String(),
  reason: Type.String(),
})

export const FlagEvaluationResponse = Type.Object({
  key: Type.String(),
  enabled: Type.Boolean(),
  variant: Type.Union([Type.String(), Type.Null()]),
  value: Type.Unknown(),
  reason: Type.String(),
  errorCode: Type.Optional(Type.String()),
})
