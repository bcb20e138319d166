import { isWeight, weightsSumToWhole } from './bucketing.ts'
import { type ConfigIssue, isKey } from './issues.ts'

/**
 * Checks a variant list shared by flags and experiments: 1..max objects with unique well-formed
 * keys and weights (percentages, two decimals) summing to 100. `checkEntry` adds type-specific
 * checks per variant.
 */
export function checkVariants(
  variants: unknown,
  max: number,
  issues: ConfigIssue[],
  checkEntry: (variant: Record<string, unknown>, path: string) => void = () => {},
): void {
  if (!Array.isArray(variants) || variants.length === 0 || variants.length > max) {
    issues.push({ path: 'variants', message: `must be an array of 1 to ${max} variants` })
    return
  }
  const seen = new Set<string>()
  const weights: number[] = []
  for (const [i, v] of variants.entries()) {
    const path = `variants[${i}]`
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      issues.push({ path, message: 'must be an object' })
      continue
    }
    if (!isKey(v.key)) issues.push({ path: `${path}.key`, message: 'must be a well-formed key' })
    else if (seen.has(v.key)) issues.push({ path: `${path}.key`, message: `duplicate variant "${v.key}"` })
    else seen.add(v.key)
    if (isWeight(v.weight)) weights.push(v.weight)
    else issues.push({ path: `${path}.weight`, message: 'must be a percentage with at most two decimals' })
    checkEntry(v, path)
  }
  if (weights.length === variants.length && !weightsSumToWhole(weights)) {
    issues.push({ path: 'variants', message: 'weights must sum to 100' })
  }
}
