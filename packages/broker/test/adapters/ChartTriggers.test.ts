import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadTriggersFromCharts } from '../../src/adapters/ChartTriggers.ts'
import { InvalidTriggerError } from '../../src/domain/TriggerDefinition.ts'

const fixtures = fileURLToPath(new URL('../fixtures/charts', import.meta.url))

describe('loadTriggersFromCharts', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'broker-charts-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true })
  })

  const chart = async (service: string, yaml: string) => {
    await mkdir(join(dir, service), { recursive: true })
    await writeFile(join(dir, service, 'values.yaml'), yaml)
  }

  it('reads every chart, naming each trigger after its service', async () => {
    const triggers = await loadTriggersFromCharts(fixtures)
    expect(triggers.map((t) => [t.service, t.name, t.subscriber])).toEqual([
      ['alert-intake', 'alert-intake-prometheus', { service: 'alert-intake', path: '/events' }],
      ['ticketing', 'ticketing-alerts', { service: 'ticketing', path: '/' }],
      ['ticketing', 'ticketing-remediation', { service: 'ticketing', path: '/' }],
    ])
    expect(triggers[0]!.ordered).toBe(true)
    expect(triggers[2]!.delivery.deadLetterSink).toEqual({ service: 'ticketing', path: '/dead-letter' })
  })

  it('skips folders without values.yaml', async () => {
    await mkdir(join(dir, 'empty'))
    await chart('svc', 'triggers:\n  - name: t\n')
    expect((await loadTriggersFromCharts(dir)).map((t) => t.name)).toEqual(['t'])
  })

  it('refuses the same trigger name in two charts', async () => {
    await chart('a', 'triggers:\n  - name: t\n')
    await chart('b', 'triggers:\n  - name: t\n')
    await expect(loadTriggersFromCharts(dir)).rejects.toThrow('trigger "t" is declared by both a and b')
  })

  it('names the file of invalid YAML or an invalid trigger', async () => {
    await chart('a', 'triggers: [\n')
    await expect(loadTriggersFromCharts(dir)).rejects.toThrow(InvalidTriggerError)
    await expect(loadTriggersFromCharts(dir)).rejects.toThrow(join(dir, 'a', 'values.yaml'))
    await chart('a', 'triggers:\n  - name: t\n    delivery: { backoffDelay: 1s }\n')
    await expect(loadTriggersFromCharts(dir)).rejects.toThrow('triggers[0].delivery.backoffDelay')
  })

  it('fails when the charts folder is missing', async () => {
    await expect(loadTriggersFromCharts(join(dir, 'nope'))).rejects.toThrow('ENOENT')
  })
})
