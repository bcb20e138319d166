import { linearRegExp, unsafeRegexReason } from '@agent-sre/service-kit'
import type { LabelSet } from './fingerprint.ts'

/**
 * Alertmanager-style label matchers: `name="v"`, `name!="v"`, `name=~"re"`, `name!~"re"`. Regular
 * expressions are fully anchored (`^(?:re)$`) as in Alertmanager; a missing label matches as the
 * empty string. Values may be quoted (with \" and \\ escapes) or bare.
 */
export type MatchOp = '=' | '!=' | '=~' | '!~'

export interface Matcher {
  readonly name: string
  readonly op: MatchOp
  readonly value: string
  readonly test: (labels: LabelSet) => boolean
}

export class MatcherSyntaxError extends Error {
  override readonly name = 'MatcherSyntaxError'
}

/** Regexes are compiled per request; a bound on their size keeps a hostile query cheap to reject. */
export const MAX_MATCHER_LENGTH = 1024

const MATCHER = /^\s*([^\s=!~"]+)\s*(=~|!~|!=|=)\s*(.*?)\s*$/s

function unquote(raw: string, text: string): string {
  if (!raw.startsWith('"')) {
    if (raw.includes('"')) throw new MatcherSyntaxError(`unbalanced quotes in matcher: ${text}`)
    return raw
  }
  if (raw.length < 2 || !raw.endsWith('"'))
    throw new MatcherSyntaxError(`unterminated value in matcher: ${text}`)
  let out = ''
  const body = raw.slice(1, -1)
  for (let i = 0; i < body.length; i++) {
    const c = body[i]
    if (c === '\\') {
      const next = body[++i]
      if (next === undefined) throw new MatcherSyntaxError(`dangling escape in matcher: ${text}`)
      out += next === 'n' ? '\n' : next
    } else if (c === '"') {
      throw new MatcherSyntaxError(`unescaped quote in matcher: ${text}`)
    } else {
      out += c
    }
  }
  return out
}

export function parseMatcher(text: string): Matcher {
  if (text.length > MAX_MATCHER_LENGTH) {
    throw new MatcherSyntaxError(`matcher longer than ${MAX_MATCHER_LENGTH} characters`)
  }
  const m = MATCHER.exec(text)
  if (!m) throw new MatcherSyntaxError(`not a label matcher: ${text}`)
  const name = m[1] as string
  const op = m[2] as MatchOp
  const value = unquote(m[3] as string, text)
  return { name, op, value, test: compile(name, op, value) }
}

/** A label's value, '' when absent; own keys only, so `constructor` is not Object's. */
function label(labels: LabelSet, name: string): string {
  return Object.hasOwn(labels, name) ? (labels[name] ?? '') : ''
}

function compile(name: string, op: MatchOp, value: string): (labels: LabelSet) => boolean {
  switch (op) {
    case '=':
      return (l) => label(l, name) === value
    case '!=':
      return (l) => label(l, name) !== value
    default: {
      let re: RegExp
      try {
        // Compiled alone first, so a value like `a)|(b` cannot break out of the anchoring group.
        new RegExp(value, 's')
      } catch (err) {
        throw new MatcherSyntaxError(
          `invalid regular expression in matcher ${name}${op}: ${(err as Error).message}`,
        )
      }
      const unsafe = unsafeRegexReason(value)
      if (unsafe)
        throw new MatcherSyntaxError(`regular expression in matcher ${name}${op} refused: ${unsafe}`)
      try {
        re = linearRegExp(`^(?:${value})$`)
      } catch {
        throw new MatcherSyntaxError(
          `regular expression in matcher ${name}${op} refused: it cannot run in linear time (no lookarounds or \\p{…} classes)`,
        )
      }
      return op === '=~' ? (l) => re.test(label(l, name)) : (l) => !re.test(label(l, name))
    }
  }
}

/** Parses `{a="b", c=~"d"}` or a bare comma-separated list; commas inside quotes are kept. */
export function parseMatchers(text: string): Matcher[] {
  let body = text.trim()
  if (body.startsWith('{')) {
    if (!body.endsWith('}')) throw new MatcherSyntaxError(`unbalanced braces: ${text}`)
    body = body.slice(1, -1)
  }
  const parts: string[] = []
  let current = ''
  let quoted = false
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string
    if (c === '\\' && quoted) {
      current += c + (body[++i] ?? '')
      continue
    }
    if (c === '"') quoted = !quoted
    if (c === ',' && !quoted) {
      parts.push(current)
      current = ''
    } else {
      current += c
    }
  }
  parts.push(current)
  return parts.filter((p) => p.trim() !== '').map(parseMatcher)
}

export function matchesAll(matchers: readonly Matcher[], labels: LabelSet): boolean {
  for (const m of matchers) if (!m.test(labels)) return false
  return true
}
