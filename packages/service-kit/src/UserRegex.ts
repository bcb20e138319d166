import { setFlagsFromString } from 'node:v8'

// Regular expressions from outside (alert matchers in a query string, targeting rules from the
// admin API) run against values nobody bounds for us, and V8's default engine backtracks:
// `(a+)+` is exponential, and even a flat `.*.*.*y` is polynomial (12 s on a 4,000-character
// value). Two guards, used by every service:
// - `unsafeRegexReason` refuses the shapes behind catastrophic backtracking (a repeated group
//   that itself holds a quantifier, backreferences) with a reason a caller can act on;
// - `linearRegExp` compiles for V8's linear-time engine (the `l` flag, enabled below), which runs
//   any pattern it accepts in time linear in the input; what it cannot run (lookarounds,
//   backreferences, the `u` flag and so `\p{…}`) throws a SyntaxError.
// Setting the V8 flag only makes the `l` flag available; other regular expressions are unaffected.
setFlagsFromString('--enable-experimental-regexp-engine')

/** `source` compiled for V8's linear-time engine (with `s`); a SyntaxError when it cannot be. */
export function linearRegExp(source: string): RegExp {
  return new RegExp(source, 'sl')
}

type Frame = { quantified: boolean }

/** Why `pattern` is refused, or undefined when it is acceptable. */
export function unsafeRegexReason(pattern: string): string | undefined {
  const stack: Frame[] = [{ quantified: false }]
  // Whether the atom just before the current position is a group holding a quantifier.
  let previousGroupQuantified = false
  let i = 0
  while (i < pattern.length) {
    const c = pattern[i]!
    if (c === '\\') {
      const next = pattern[i + 1] ?? ''
      if ((next >= '1' && next <= '9') || next === 'k') return 'backreferences are not allowed'
      previousGroupQuantified = false
      i += 2
      continue
    }
    if (c === '[') {
      i++
      while (i < pattern.length && pattern[i] !== ']') i += pattern[i] === '\\' ? 2 : 1
      previousGroupQuantified = false
      i++
      continue
    }
    if (c === '(') {
      stack.push({ quantified: false })
      previousGroupQuantified = false
      i = afterGroupOpening(pattern, i)
      continue
    }
    if (c === ')') {
      const frame = stack.pop()!
      const parent = stack[stack.length - 1]!
      if (frame.quantified) parent.quantified = true
      previousGroupQuantified = frame.quantified
      i++
      continue
    }
    const quantifierEnd = quantifierAt(pattern, i)
    if (quantifierEnd > i) {
      if (previousGroupQuantified && repeats(pattern.slice(i, quantifierEnd))) {
        return 'nested quantifiers are not allowed'
      }
      stack[stack.length - 1]!.quantified = true
      previousGroupQuantified = false
      i = quantifierEnd
      if (pattern[i] === '?') i++ // lazy modifier
      continue
    }
    previousGroupQuantified = false
    i++
  }
  return undefined
}

/** Index after `(` and any `?:`, `?=`, `?!`, `?<=`, `?<!` or `?<name>` that follows it. */
function afterGroupOpening(pattern: string, i: number): number {
  if (pattern[i + 1] !== '?') return i + 1
  const kind = pattern[i + 2]
  if (kind !== '<') return i + 3
  const look = pattern[i + 3]
  if (look === '=' || look === '!') return i + 4
  return pattern.indexOf('>', i) + 1
}

/** End index of a quantifier starting at `i`, or `i` when there is none. */
function quantifierAt(pattern: string, i: number): number {
  const c = pattern[i]
  if (c === '*' || c === '+' || c === '?') return i + 1
  if (c === '{') {
    const m = /^\{\d+(,\d*)?\}/.exec(pattern.slice(i))
    if (m) return i + m[0].length
  }
  return i
}

/** Whether a quantifier can match its atom more than once. */
function repeats(quantifier: string): boolean {
  if (quantifier === '?') return false
  if (quantifier === '*' || quantifier === '+') return true
  const m = /^\{(\d+)(,(\d*))?\}$/.exec(quantifier)!
  if (m[2] === undefined) return Number(m[1]) > 1
  return m[3] === '' || Number(m[3]) > 1
}
