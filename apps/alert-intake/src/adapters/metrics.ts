import { Counter, Gauge, type Registry } from 'prom-client'

export interface IntakeMetrics {
  received: Counter<'source' | 'status'>
  deduplicated: Counter<'source'>
  flapping: Counter
  stormSuppressed: Counter
  outboxLag: Gauge
  published: Counter<'type'>
  publishFailures: Counter
}

export function intakeMetrics(registry: Registry): IntakeMetrics {
  const registers = [registry]
  return {
    received: new Counter({
      name: 'agentsre_alert_intake_alerts_received_total',
      help: 'Alerts received, by source (alertmanager, cloudevent, staleness) and status',
      labelNames: ['source', 'status'],
      registers,
    }),
    deduplicated: new Counter({
      name: 'agentsre_alert_intake_alerts_deduplicated_total',
      help: 'Alerts dropped as duplicates of an already recorded (fingerprint, status, startsAt)',
      labelNames: ['source'],
      registers,
    }),
    flapping: new Counter({
      name: 'agentsre_alert_intake_alerts_flapping_total',
      help: 'Alerts that started flapping',
      registers,
    }),
    stormSuppressed: new Counter({
      name: 'agentsre_alert_intake_alerts_storm_suppressed_total',
      help: 'New alert episodes not published one by one because their group was in a storm',
      registers,
    }),
    outboxLag: new Gauge({
      name: 'agentsre_alert_intake_outbox_lag_seconds',
      help: 'Age of the oldest event not yet delivered to the broker',
      registers,
    }),
    published: new Counter({
      name: 'agentsre_alert_intake_events_published_total',
      help: 'Events delivered to the broker, by type',
      labelNames: ['type'],
      registers,
    }),
    publishFailures: new Counter({
      name: 'agentsre_alert_intake_publish_failures_total',
      help: 'Events the broker did not accept (they stay in the outbox and are retried)',
      registers,
    }),
  }
}
