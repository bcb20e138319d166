import { type Static, Type } from '@sinclair/typebox'

/**
 * Alertmanager webhook payload, version 4. Labels and annotations must be string maps (Alertmanager
 * never sends anything else; a non-string means the sender is not Alertmanager or is broken).
 */
const RFC3339 = '^\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?([Zz]|[+-]\\d{2}:\\d{2})$'
const StringMap = Type.Record(Type.String(), Type.String())
const Labels = Type.Record(Type.String({ minLength: 1 }), Type.String(), { minProperties: 1 })

export const WebhookAlert = Type.Object({
  status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
  labels: Labels,
  annotations: Type.Optional(StringMap),
  startsAt: Type.String({ pattern: RFC3339 }),
  endsAt: Type.Optional(Type.String({ pattern: RFC3339 })),
  generatorURL: Type.Optional(Type.String()),
  fingerprint: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{16}$' })),
})

export const webhookSchema = (maxAlerts: number) =>
  Type.Object({
    version: Type.Literal('4'),
    groupKey: Type.String({ minLength: 1 }),
    truncatedAlerts: Type.Optional(Type.Integer({ minimum: 0 })),
    status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
    receiver: Type.String(),
    groupLabels: Type.Optional(StringMap),
    commonLabels: Type.Optional(StringMap),
    commonAnnotations: Type.Optional(StringMap),
    externalURL: Type.Optional(Type.String()),
    alerts: Type.Array(WebhookAlert, { minItems: 1, maxItems: maxAlerts }),
  })

export type Webhook = Static<ReturnType<typeof webhookSchema>>
