import type { DeliveryPolicy } from './domain/DeliveryPolicy.ts'
import type { EventFilter } from './domain/TriggerFilter.ts'

/** A trigger bound to this broker: its subscriber and dead-letter sink resolved to URLs. */
export interface Route {
  readonly name: string
  readonly broker: string
  readonly filter: EventFilter
  readonly ordered: boolean
  readonly delivery: DeliveryPolicy
  readonly subscriberUrl: string
  readonly deadLetterUrl?: string
}
