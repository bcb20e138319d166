/** One problem found while validating config, located by a JSON path such as `variants[1].weight`. */
export type ConfigIssue = { path: string; message: string }

/** Flag, experiment and variant keys: short, URL-safe, starting with a letter or digit. */
export const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/

export function isKey(value: unknown): value is string {
  return typeof value === 'string' && KEY_PATTERN.test(value)
}
