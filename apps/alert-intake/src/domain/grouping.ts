import { compareCodePoints, type LabelSet } from './fingerprint.ts'

/**
 * A group key for alerts that did not come through Alertmanager (the prometheus-events source),
 * shaped like Alertmanager's own (`{}:{alertname="X", job="api"}`) so both kinds read alike. Labels
 * listed in `groupBy` that the alert lacks are left out, as Alertmanager does.
 */
export function groupKeyFor(labels: LabelSet, groupBy: readonly string[]): { key: string; labels: LabelSet } {
  const picked: Record<string, string> = {}
  for (const name of [...groupBy].sort(compareCodePoints)) {
    const value = labels[name]
    if (value !== undefined && value !== '') picked[name] = value
  }
  const body = Object.entries(picked)
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join(', ')
  return { key: `{}:{${body}}`, labels: picked }
}
