import { unsafeRegexReason as unsafeShapeReason } from '@agent-sre/service-kit'

// Targeting regexes run on the request path against user-supplied input. Config validation
// caps the pattern length, checks the syntax and refuses the shapes behind catastrophic
// backtracking (service-kit's guard, shared with every service); targeting compiles what passes
// for V8's linear-time engine, and evaluation caps the input length.

export const MAX_PATTERN_LENGTH = 256
export const MAX_REGEX_INPUT_LENGTH = 1024

/** Why `pattern` is refused, or undefined when it is acceptable. */
export function unsafeRegexReason(pattern: string): string | undefined {
  if (pattern.length > MAX_PATTERN_LENGTH) return `pattern longer than ${MAX_PATTERN_LENGTH} characters`
  try {
    new RegExp(pattern)
  } catch (err) {
    return `invalid regular expression: ${(err as Error).message}`
  }
  return unsafeShapeReason(pattern)
}
