import { describe, expect, it } from 'vitest'
import { fromKafkaMessage, makeEvent, toKafkaMessage } from '../src/index.ts'
import { reasonOf, sampleData } from './fixtures.ts'

const exposure = sampleData['agentsre.experiment.exposure']

describe('toKafkaMessage', () => {
  it('writes ce_ headers as strings, the partition key as record key and JSON data as the value', () => {
    const event = makeEvent('agentsre.experiment.exposure', exposure, {
      id: 'evt-1',
      time: '2025-11-25T10:00:00Z',
      correlationId: 'c-1',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    })
    const message = toKafkaMessage(event)
    expect(message.key).toBe('user-42')
    expect(message.headers).toEqual({
      ce_specversion: '1.0',
      ce_id: 'evt-1',
      ce_source: '/agent-sre/experiments',
      ce_type: 'agentsre.experiment.exposure',
      ce_time: '2025-11-25T10:00:00Z',
      ce_subject: 'checkout-button',
      ce_partitionkey: 'user-42',
      ce_correlationid: 'c-1',
      ce_traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      'content-type': 'application/json',
    })
    expect(JSON.parse(message.value!.toString())).toEqual(exposure)
  })

  it('has a null key without a partitionkey, so the producer spreads the records', () => {
    const event = makeEvent(
      'io.prometheus.alert.resolved',
      { labels: { alertname: 'Watchdog' } },
      {
        source: '/prometheus-events',
      },
    )
    expect(toKafkaMessage(event).key).toBeNull()
    expect(toKafkaMessage(event).headers).not.toHaveProperty('ce_partitionkey')
  })
})

describe('fromKafkaMessage', () => {
  const headers = {
    ce_specversion: Buffer.from('1.0'),
    ce_id: Buffer.from('evt-1'),
    ce_source: Buffer.from('/agent-sre/experiments'),
    ce_type: Buffer.from('agentsre.experiment.exposure'),
    'content-type': Buffer.from('application/json'),
  }
  const value = Buffer.from(JSON.stringify(exposure))

  it('maps the record key to partitionkey when no header carries it', () => {
    const event = fromKafkaMessage({ key: Buffer.from('user-42'), value, headers })
    expect(event.partitionkey).toBe('user-42')
    expect(event.data).toEqual(exposure)
  })

  it('accepts structured mode', () => {
    const envelope = {
      specversion: '1.0',
      id: 'evt-2',
      source: '/agent-sre/experiments',
      type: 'agentsre.experiment.exposure',
      partitionkey: 'user-42',
      data: exposure,
    }
    const event = fromKafkaMessage({
      key: null,
      value: Buffer.from(JSON.stringify(envelope)),
      headers: { 'content-type': 'application/cloudevents+json; charset=UTF-8' },
    })
    expect(event.id).toBe('evt-2')
    expect(event.partitionkey).toBe('user-42')
    expect(event.data).toEqual(exposure)
  })

  it('rejects a record without ce_ headers', () => {
    expect(reasonOf(() => fromKafkaMessage({ key: null, value, headers: {} }))).toMatch(
      /^not a CloudEvent: no ce_specversion header/,
    )
  })

  it('rejects datacontenttype sent as a ce_ header (binary mode carries it in content-type)', () => {
    expect(
      reasonOf(() =>
        fromKafkaMessage({ value, headers: { ...headers, ce_datacontenttype: 'application/json' } }),
      ),
    ).toBe('binary mode carries datacontenttype in content-type, not ce_datacontenttype')
  })

  it('rejects a missing id and a bad time', () => {
    const { ce_id: _, ...noId } = headers
    expect(reasonOf(() => fromKafkaMessage({ value, headers: noId }))).toBe('missing required attribute id')
    expect(
      reasonOf(() => fromKafkaMessage({ value, headers: { ...headers, ce_time: Buffer.from('soon') } })),
    ).toBe('attribute time must be an RFC 3339 timestamp, got "soon"')
  })

  it('rejects upper-case extension names (Kafka headers are case-sensitive)', () => {
    expect(reasonOf(() => fromKafkaMessage({ value, headers: { ...headers, ce_TraceParent: 'x' } }))).toBe(
      'invalid extension name "TraceParent": names are lower-case a-z and 0-9 only',
    )
  })

  it('rejects a header repeated in the record', () => {
    expect(reasonOf(() => fromKafkaMessage({ value, headers: { ...headers, ce_id: ['a', 'b'] } }))).toBe(
      'header ce_id appears more than once',
    )
  })

  it('rejects bad JSON data and structured batches', () => {
    expect(reasonOf(() => fromKafkaMessage({ value: Buffer.from('{'), headers }))).toBe(
      'data is not valid JSON (content type application/json)',
    )
    expect(
      reasonOf(() =>
        fromKafkaMessage({
          value: Buffer.from('[]'),
          headers: { 'content-type': 'application/cloudevents+json' },
        }),
      ),
    ).toMatch(/^batch mode/)
  })
})
