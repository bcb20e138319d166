import type { Destination, TriggerDefinition } from '@agent-sre/broker'

export interface SkippedTrigger {
  readonly trigger: string
  /** Services the trigger delivers to (subscriber or dead-letter sink) that are not running. */
  readonly missing: readonly string[]
}

/**
 * Splits the charts' triggers into those the local broker can wire and those it cannot: a trigger
 * is active only when every service it names is running, so a chart that lands before its service
 * neither fails start-up nor delivers without its dead-letter sink.
 */
export function selectTriggers(
  triggers: readonly TriggerDefinition[],
  isRunning: (service: string) => boolean,
): { active: TriggerDefinition[]; skipped: SkippedTrigger[] } {
  const active: TriggerDefinition[] = []
  const skipped: SkippedTrigger[] = []
  for (const trigger of triggers) {
    const named = [trigger.subscriber, trigger.delivery.deadLetterSink].flatMap(serviceOf)
    const missing = [...new Set(named.filter((service) => !isRunning(service)))]
    if (missing.length === 0) active.push(trigger)
    else skipped.push({ trigger: trigger.name, missing })
  }
  return { active, skipped }
}

function serviceOf(destination: Destination | undefined): string[] {
  return destination && 'service' in destination ? [destination.service] : []
}
