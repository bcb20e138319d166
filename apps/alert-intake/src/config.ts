import { ServiceConfigSchema, SinkSettings, storeSettings } from '@agent-sre/service-kit'
import { type Static, Type } from '@sinclair/typebox'

/** Every variable is listed with its default in the README. */
export const IntakeConfigSchema = Type.Object({
  ...storeSettings('alert_intake'),
  ...SinkSettings,
  WEBHOOK_AUTH: Type.Union([Type.Literal('bearer'), Type.Literal('basic'), Type.Literal('none')], {
    default: 'bearer',
  }),
  WEBHOOK_BASIC_USERNAME: Type.String({ default: 'alertmanager' }),
  MAX_ALERTS_PER_WEBHOOK: Type.Integer({ minimum: 1, default: 1000 }),
  CLOUDEVENT_TYPE_MAP: Type.String({
    default: 'io.prometheus.alert.firing=firing,io.prometheus.alert.resolved=resolved',
  }),
  CLOUDEVENT_GROUP_BY: Type.String({ default: 'alertname' }),
  DEDUP_TTL_MS: Type.Integer({ minimum: 1, default: 86_400_000 }),
  FLAP_THRESHOLD: Type.Integer({ minimum: 1, default: 4 }),
  FLAP_WINDOW_MS: Type.Integer({ minimum: 1, default: 600_000 }),
  FLAP_STABILIZATION_MS: Type.Integer({ minimum: 0, default: 300_000 }),
  STORM_MAX_PER_WINDOW: Type.Integer({ minimum: 1, default: 50 }),
  STORM_WINDOW_MS: Type.Integer({ minimum: 1, default: 60_000 }),
  STORM_MAX_LISTED_FINGERPRINTS: Type.Integer({ minimum: 0, default: 100 }),
  STALE_GRACE_MS: Type.Integer({ minimum: 0, default: 60_000 }),
  SWEEP_INTERVAL_MS: Type.Integer({ minimum: 10, default: 5_000 }),
  GROUP_COMMIT_DELAY_MS: Type.Integer({ minimum: 0, default: 1 }),
  GROUP_COMMIT_MAX_BATCH: Type.Integer({ minimum: 1, default: 2_000 }),
  GROUP_COMMIT_MAX_QUEUED: Type.Integer({ minimum: 1, default: 50_000 }),
  OUTBOX_BATCH_SIZE: Type.Integer({ minimum: 1, default: 200 }),
  OUTBOX_LEASE_MS: Type.Integer({ minimum: 100, default: 30_000 }),
  OUTBOX_POLL_INTERVAL_MS: Type.Integer({ minimum: 10, default: 1_000 }),
  OUTBOX_CONCURRENCY: Type.Integer({ minimum: 1, default: 16 }),
})

export const AppConfigSchema = Type.Composite([ServiceConfigSchema, IntakeConfigSchema])
export type AppConfig = Static<typeof AppConfigSchema>
