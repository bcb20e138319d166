import { setFlagsFromString } from 'node:v8'

// GET /alerts matchers are user input run against every scanned label value, and label values
// have no length limit. V8's default engine backtracks: `(a+)+` is exponential and even a flat
// `.*.*.*y` is polynomial (12 s on a 4,000-character value). V8's linear-time engine (the `l`
// flag, behind this flag) runs any pattern it accepts in time linear in the input, whatever the
// pattern; the ones it cannot (backreferences, lookarounds, the `u` flag) are refused.
// Setting the flag only makes the `l` flag available; other regular expressions are unaffected.
setFlagsFromString('--enable-experimental-regexp-engine')

/** `source` compiled for the linear-time engine (with `s`), or a SyntaxError saying why not. */
export function linearRegExp(source: string): RegExp {
  return new RegExp(source, 'sl')
}
