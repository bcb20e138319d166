// In-process flag evaluation: this service's compiled flags against the GrowthBook JS SDK
// evaluating the equivalent rule, same contexts, same process, one core.
// Rule: subjects whose plan is pro or enterprise, 50% of them by hash of the user id.

import { GrowthBookClient } from '@growthbook/growthbook'
import { compileFlag } from '../src/domain/flags.ts'

export type EvaluationResult = { name: string; evaluationsPerSecond: number; onShare: number }

const USERS = 1000

export function benchEvaluation(iterations: number): EvaluationResult[] {
  const compiled = compileFlag({
    key: 'new-checkout',
    enabled: true,
    valueType: 'boolean',
    defaultValue: false,
    rolloutPercentage: 50,
    variants: [{ key: 'on', value: true, weight: 100 }],
    targeting: { attribute: 'plan', op: 'in', value: ['pro', 'enterprise'] },
  })
  if (!('flag' in compiled)) throw new Error(JSON.stringify(compiled.issues))
  const flag = compiled.flag

  const growthbook = new GrowthBookClient()
  growthbook.initSync({
    payload: {
      features: {
        'new-checkout': {
          defaultValue: false,
          rules: [
            {
              condition: { plan: { $in: ['pro', 'enterprise'] } },
              force: true,
              coverage: 0.5,
              hashAttribute: 'id',
            },
          ],
        },
      },
    },
  })

  const plans = ['free', 'pro', 'enterprise', 'team']
  const ours = Array.from({ length: USERS }, (_, i) => ({ targetingKey: `user-${i}`, plan: plans[i % 4]! }))
  const theirs = ours.map((c) => ({ attributes: { id: c.targetingKey, plan: c.plan } }))

  const run = (name: string, evaluate: (i: number) => boolean): EvaluationResult => {
    for (let i = 0; i < Math.min(iterations, 200_000); i++) evaluate(i % USERS) // warm-up (JIT)
    let on = 0
    const start = process.hrtime.bigint()
    for (let i = 0; i < iterations; i++) if (evaluate(i % USERS)) on++
    const seconds = Number(process.hrtime.bigint() - start) / 1e9
    return { name, evaluationsPerSecond: Math.round(iterations / seconds), onShare: on / iterations }
  }

  return [
    run('@agent-sre/experiments', (i) => flag.evaluate(ours[i]!).value === true),
    run('@growthbook/growthbook', (i) => growthbook.isOn('new-checkout', theirs[i]!)),
  ]
}
