import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from 'yaml'
import {
  InvalidTriggerError,
  parseTriggerValues,
  type TriggerDefinition,
} from '../domain/TriggerDefinition.ts'

/**
 * Reads the `triggers:` list of every `charts/<service>/values.yaml`: the same values that render
 * the Trigger manifests, so a filter can never differ between the cluster and a laptop.
 * Throws InvalidTriggerError (naming the file and entry) for anything Knative would reject.
 */
export async function loadTriggersFromCharts(chartsDir: string): Promise<TriggerDefinition[]> {
  const entries = await readdir(chartsDir, { withFileTypes: true })
  const services = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
  const triggers: TriggerDefinition[] = []
  for (const service of services) {
    const file = join(chartsDir, service, 'values.yaml')
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw error
    }
    let values: unknown
    try {
      values = parse(text)
    } catch (error) {
      throw new InvalidTriggerError(`${file}: not valid YAML: ${(error as Error).message}`)
    }
    triggers.push(...parseTriggerValues(values, service, file))
  }
  const seen = new Map<string, string>()
  for (const trigger of triggers) {
    const other = seen.get(trigger.name)
    // Trigger names are unique per namespace, and the consumer group is named after them.
    if (other) {
      throw new InvalidTriggerError(
        `trigger "${trigger.name}" is declared by both ${other} and ${trigger.service}`,
      )
    }
    seen.set(trigger.name, trigger.service)
  }
  return triggers
}
