import type { Static, TSchema } from '@sinclair/typebox'
import * as S from './schemas.ts'

/** Every CloudEvent type the platform emits or accepts. */
export const EventTypes = {
  AlertFiring: 'agentsre.alert.firing',
  AlertResolved: 'agentsre.alert.resolved',
  AlertFlapping: 'agentsre.alert.flapping',
  AlertStorm: 'agentsre.alert.storm',
  ApprovalRequested: 'agentsre.remediation.approval.requested',
  ApprovalDecided: 'agentsre.remediation.approval.decided',
  RemediationRequested: 'agentsre.remediation.requested',
  RemediationRejected: 'agentsre.remediation.rejected',
  RemediationStarted: 'agentsre.remediation.started',
  RemediationSucceeded: 'agentsre.remediation.succeeded',
  RemediationFailed: 'agentsre.remediation.failed',
  TicketOpened: 'agentsre.ticket.opened',
  TicketUpdated: 'agentsre.ticket.updated',
  TicketClosed: 'agentsre.ticket.closed',
  ExperimentExposure: 'agentsre.experiment.exposure',
  ExperimentEvent: 'agentsre.experiment.event',
  PrometheusAlertFiring: 'io.prometheus.alert.firing',
  PrometheusAlertResolved: 'io.prometheus.alert.resolved',
} as const

export type EventType = (typeof EventTypes)[keyof typeof EventTypes]

// Rules are methods (bivariant) so every entry fits CatalogEntry<TSchema> in the catalog map.
export interface CatalogEntry<Schema extends TSchema = TSchema> {
  readonly schema: Schema
  /** Service whose `/agent-sre/<service>` is the default source; undefined for external types. */
  readonly producer: string | undefined
  /** Default `partitionkey`: events with the same key stay in order on one Kafka partition. */
  partitionKey(data: Static<Schema>): string | undefined
  /** Default `subject`, where one is meaningful. */
  subject(data: Static<Schema>): string | undefined
}

const entry = <Schema extends TSchema>(e: CatalogEntry<Schema>): CatalogEntry<Schema> => e
const none = () => undefined
const byRun = (d: { runId: string }) => d.runId

export const catalog = {
  [EventTypes.AlertFiring]: entry({
    schema: S.AlertFiringData,
    producer: 'alert-intake',
    partitionKey: (d) => d.alert.fingerprint,
    subject: (d) => d.alert.labels.alertname,
  }),
  [EventTypes.AlertResolved]: entry({
    schema: S.AlertResolvedData,
    producer: 'alert-intake',
    partitionKey: (d) => d.alert.fingerprint,
    subject: (d) => d.alert.labels.alertname,
  }),
  [EventTypes.AlertFlapping]: entry({
    schema: S.AlertFlappingData,
    producer: 'alert-intake',
    partitionKey: (d) => d.fingerprint,
    subject: (d) => d.labels.alertname,
  }),
  [EventTypes.AlertStorm]: entry({
    schema: S.AlertStormData,
    producer: 'alert-intake',
    // Storm summaries of one group stay ordered; global ones share a fixed key.
    partitionKey: (d) => d.groupKey ?? 'alert-storm',
    subject: none,
  }),
  [EventTypes.ApprovalRequested]: entry({
    schema: S.ApprovalRequestedData,
    producer: 'remediation-router',
    partitionKey: byRun,
    subject: byRun,
  }),
  [EventTypes.ApprovalDecided]: entry({
    schema: S.ApprovalDecidedData,
    producer: 'remediation-router',
    partitionKey: byRun,
    subject: byRun,
  }),
  [EventTypes.RemediationRequested]: entry({
    schema: S.RemediationRequestedData,
    producer: 'remediation-router',
    partitionKey: byRun,
    subject: byRun,
  }),
  [EventTypes.RemediationRejected]: entry({
    schema: S.RemediationRejectedData,
    producer: 'remediation-router',
    partitionKey: byRun,
    subject: byRun,
  }),
  [EventTypes.RemediationStarted]: entry({
    schema: S.RemediationStartedData,
    producer: 'function-invoker',
    partitionKey: byRun,
    subject: byRun,
  }),
  [EventTypes.RemediationSucceeded]: entry({
    schema: S.RemediationSucceededData,
    producer: 'function-invoker',
    partitionKey: byRun,
    subject: byRun,
  }),
  [EventTypes.RemediationFailed]: entry({
    schema: S.RemediationFailedData,
    producer: 'function-invoker',
    partitionKey: byRun,
    subject: byRun,
  }),
  [EventTypes.TicketOpened]: entry({
    schema: S.TicketOpenedData,
    producer: 'ticketing',
    partitionKey: (d) => d.dedupKey,
    subject: (d) => d.key,
  }),
  [EventTypes.TicketUpdated]: entry({
    schema: S.TicketUpdatedData,
    producer: 'ticketing',
    partitionKey: (d) => d.dedupKey,
    subject: (d) => d.key,
  }),
  [EventTypes.TicketClosed]: entry({
    schema: S.TicketClosedData,
    producer: 'ticketing',
    partitionKey: (d) => d.dedupKey,
    subject: (d) => d.key,
  }),
  [EventTypes.ExperimentExposure]: entry({
    schema: S.ExperimentExposureData,
    producer: 'experiments',
    partitionKey: (d) => d.userId,
    subject: (d) => d.experiment,
  }),
  [EventTypes.ExperimentEvent]: entry({
    schema: S.ExperimentEventData,
    producer: 'experiments',
    partitionKey: (d) => d.userId,
    subject: (d) => d.event,
  }),
  [EventTypes.PrometheusAlertFiring]: entry({
    schema: S.PrometheusAlertData,
    producer: undefined,
    partitionKey: (d) => d.fingerprint?.toLowerCase(),
    subject: (d) => d.labels.alertname,
  }),
  [EventTypes.PrometheusAlertResolved]: entry({
    schema: S.PrometheusAlertData,
    producer: undefined,
    partitionKey: (d) => d.fingerprint?.toLowerCase(),
    subject: (d) => d.labels.alertname,
  }),
} satisfies Record<EventType, CatalogEntry>

export type Catalog = typeof catalog

/** The `data` of an event of type `T`, derived from its TypeBox schema. */
export type EventData<T extends EventType> = Static<Catalog[T]['schema']>

const types = new Set<string>(Object.values(EventTypes))

export function isCatalogType(type: string): type is EventType {
  return types.has(type)
}
