// JSON from a request can nest as deep as the body limit allows; hashing, storing or serializing
// it recurses, and a deep enough value overflows the stack (a 500). Request values are refused
// beyond this depth instead.

export const MAX_NESTING = 32

/** Whether `value` nests objects or arrays more than `max` levels deep (iterative: no recursion). */
export function nestedDeeper(value: unknown, max: number): boolean {
  const pending: [unknown, number][] = [[value, 0]]
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [v, depth] = next
    if (typeof v !== 'object' || v === null) continue
    if (depth > max) return true
    for (const child of Object.values(v)) pending.push([child, depth + 1])
  }
  return false
}
