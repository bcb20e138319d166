import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  catalog,
  type EventType,
  EventTypes,
  fromKafkaMessage,
  isCatalogType,
  makeEvent,
  parseHttpEvent,
  toBinaryHttp,
  toKafkaMessage,
  validateEventData,
} from '../src/index.ts'
import { sampleData } from './fixtures.ts'

const types = Object.values(EventTypes) as EventType[]
const opts = { source: 'prometheus-events' }
const make = (type: EventType) => makeEvent(type, sampleData[type] as never, opts)

describe('event catalog', () => {
  it('has an entry for every type and nothing else', () => {
    expect(Object.keys(catalog).sort()).toEqual([...types].sort())
    for (const type of types) expect(isCatalogType(type)).toBe(true)
    expect(isCatalogType('agentsre.alert.unknown')).toBe(false)
  })

  it.each(types)('%s: the sample data is valid', (type) => {
    expect(validateEventData({ type, data: sampleData[type] })).toEqual({ result: 'valid' })
  })

  it.each(types)('%s round-trips through binary HTTP', (type) => {
    const event = make(type)
    const { headers, body } = toBinaryHttp(event)
    const parsed = parseHttpEvent(headers, Buffer.from(body))
    expect(parsed.toJSON()).toEqual(event.toJSON())
    expect(parsed.data).toEqual(sampleData[type])
    expect(validateEventData(parsed)).toEqual({ result: 'valid' })
  })

  it.each(types)('%s round-trips through the Kafka binding', (type) => {
    const event = make(type)
    const message = toKafkaMessage(event)
    expect(message.key).toBe(event.partitionkey ?? null)
    // kafkajs hands headers to consumers as Buffers.
    const headers = Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k, Buffer.from(v)]))
    const parsed = fromKafkaMessage({ key: message.key, value: message.value, headers })
    expect(parsed.toJSON()).toEqual(event.toJSON())
    expect(validateEventData(parsed)).toEqual({ result: 'valid' })
  })

  it('applies the partitionkey and subject rules of the catalog', () => {
    const keys = Object.fromEntries(
      types.map((type) => [type, [make(type).partitionkey, make(type).subject]]),
    )
    expect(keys).toEqual({
      'agentsre.alert.firing': ['3f9c2a8e1b7d4c60', 'HighErrorRate'],
      'agentsre.alert.resolved': ['3f9c2a8e1b7d4c60', 'HighErrorRate'],
      'agentsre.alert.flapping': ['3f9c2a8e1b7d4c60', 'HighErrorRate'],
      'agentsre.alert.storm': ['{}/{severity="critical"}:{alertname="HighErrorRate"}', undefined],
      'agentsre.remediation.approval.requested': [
        sampleData['agentsre.remediation.requested'].runId,
        sampleData['agentsre.remediation.requested'].runId,
      ],
      'agentsre.remediation.approval.decided': [
        sampleData['agentsre.remediation.requested'].runId,
        sampleData['agentsre.remediation.requested'].runId,
      ],
      'agentsre.remediation.requested': [
        sampleData['agentsre.remediation.requested'].runId,
        sampleData['agentsre.remediation.requested'].runId,
      ],
      'agentsre.remediation.rejected': [
        sampleData['agentsre.remediation.requested'].runId,
        sampleData['agentsre.remediation.requested'].runId,
      ],
      'agentsre.remediation.started': [
        sampleData['agentsre.remediation.requested'].runId,
        sampleData['agentsre.remediation.requested'].runId,
      ],
      'agentsre.remediation.succeeded': [
        sampleData['agentsre.remediation.requested'].runId,
        sampleData['agentsre.remediation.requested'].runId,
      ],
      'agentsre.remediation.failed': [
        sampleData['agentsre.remediation.requested'].runId,
        sampleData['agentsre.remediation.requested'].runId,
      ],
      'agentsre.ticket.opened': ['{}/{severity="critical"}:{alertname="HighErrorRate"}', 'OPS-123'],
      'agentsre.ticket.updated': ['{}/{severity="critical"}:{alertname="HighErrorRate"}', 'OPS-123'],
      'agentsre.ticket.closed': ['{}/{severity="critical"}:{alertname="HighErrorRate"}', 'OPS-123'],
      'agentsre.experiment.exposure': ['user-42', 'checkout-button'],
      'agentsre.experiment.event': ['user-42', 'purchase'],
      'io.prometheus.alert.firing': ['3f9c2a8e1b7d4c60', 'HighErrorRate'],
      'io.prometheus.alert.resolved': [undefined, 'Watchdog'],
    })
  })

  it('uses a fixed partition key for storms across all groups', () => {
    const { groupKey: _, ...global } = sampleData['agentsre.alert.storm']
    expect(makeEvent('agentsre.alert.storm', global).partitionkey).toBe('alert-storm')
  })
})

describe('docs/events.md', () => {
  const doc = readFileSync(new URL('../../../docs/events.md', import.meta.url), 'utf8')

  it.each(types)('documents %s and every top-level field of its data', (type) => {
    expect(doc).toContain(`\`${type}\``)
    const fields = Object.keys((catalog[type].schema as { properties: object }).properties)
    const missing = fields.filter((field) => !doc.includes(`\`${field}\``))
    expect(missing).toEqual([])
  })
})
