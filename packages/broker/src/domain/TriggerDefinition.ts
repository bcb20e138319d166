import {
  type DeliveryPolicy,
  type Destination,
  parseDeliveryPolicy,
  parseDestination,
} from './DeliveryPolicy.ts'
import { compileTriggerFilter, type EventFilter } from './TriggerFilter.ts'

/** A Trigger as read from a chart's `triggers:` values, validated and compiled. */
export interface TriggerDefinition {
  readonly name: string
  /** The chart (service) that declares it; `subscriber: { path }` means this service. */
  readonly service: string
  readonly broker: string
  readonly filter: EventFilter
  readonly subscriber: Destination
  /** `kafka.eventing.knative.dev/delivery.order: ordered`: one event in flight per partition key. */
  readonly ordered: boolean
  readonly delivery: DeliveryPolicy
}

/** Thrown for trigger values that would not render a Trigger Knative accepts. */
export class InvalidTriggerError extends Error {
  override readonly name = 'InvalidTriggerError'
}

// Kubernetes object names (RFC 1123 label): what a Trigger's and a Broker's name must be.
const K8S_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

const KNOWN_FIELDS = new Set([
  'name',
  'broker',
  'filter',
  'filters',
  'subscriber',
  'deliveryOrder',
  'delivery',
])

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function parseSubscriber(value: unknown, service: string, where: string): Destination {
  if (isRecord(value) && value.uri === undefined && value.ref === undefined) {
    const path = value.path ?? '/'
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw new InvalidTriggerError(`${where}.path: must start with "/"`)
    }
    return { service, path }
  }
  return parseDestination(value, where)
}

/** Parses one entry of a chart's `triggers:` list. `where` prefixes every error message. */
export function parseTrigger(raw: unknown, service: string, where: string): TriggerDefinition {
  if (!isRecord(raw)) throw new InvalidTriggerError(`${where}: expected a mapping`)
  for (const key of Object.keys(raw)) {
    if (!KNOWN_FIELDS.has(key)) throw new InvalidTriggerError(`${where}.${key}: unknown field`)
  }
  const { name, broker = 'default', deliveryOrder = 'unordered' } = raw
  if (typeof name !== 'string' || !K8S_NAME.test(name)) {
    throw new InvalidTriggerError(`${where}.name: must be a lower-case DNS label`)
  }
  if (typeof broker !== 'string' || !K8S_NAME.test(broker)) {
    throw new InvalidTriggerError(`${where}.broker: must be a lower-case DNS label`)
  }
  if (deliveryOrder !== 'ordered' && deliveryOrder !== 'unordered') {
    throw new InvalidTriggerError(`${where}.deliveryOrder: must be "ordered" or "unordered"`)
  }
  try {
    return {
      name,
      service,
      broker,
      filter: compileTriggerFilter({ filter: raw.filter, filters: raw.filters }),
      subscriber: parseSubscriber(raw.subscriber ?? {}, service, 'subscriber'),
      ordered: deliveryOrder === 'ordered',
      delivery: parseDeliveryPolicy(raw.delivery),
    }
  } catch (error) {
    throw new InvalidTriggerError(`${where}.${(error as Error).message}`)
  }
}

/** Parses a chart's whole `values.yaml` document; charts without `triggers:` have none. */
export function parseTriggerValues(values: unknown, service: string, where = service): TriggerDefinition[] {
  if (!isRecord(values) || values.triggers === undefined || values.triggers === null) return []
  if (!Array.isArray(values.triggers)) throw new InvalidTriggerError(`${where}: triggers must be a list`)
  return values.triggers.map((entry, index) => parseTrigger(entry, service, `${where}: triggers[${index}]`))
}
