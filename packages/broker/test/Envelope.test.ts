import { fromKafkaMessage, parseHttpEvent, toBinaryHttp } from '@agent-sre/events'
import { describe, expect, it } from 'vitest'
import { envelopeFromHttp, envelopeFromKafka, envelopeOf, toKafkaRecord } from '../src/Envelope.ts'
import { testEvent } from './helpers/events.ts'

const fromRequest = (headers: Record<string, string>, body: Buffer) =>
  envelopeFromHttp(parseHttpEvent(headers, body), headers, body)

describe('Envelope', () => {
  it('forwards a binary-mode request as it came: its ce-* headers and the same body bytes', () => {
    const body = Buffer.from('{"n":1}')
    const envelope = fromRequest(
      {
        'ce-specversion': '1.0',
        'ce-id': 'e-1',
        'ce-source': '/s',
        'ce-type': 't',
        'ce-subject': 'a%20b',
        'content-type': 'application/json',
        host: 'broker',
      },
      body,
    )
    expect(envelope.body).toBe(body)
    expect(envelope.headers).toEqual({
      'ce-specversion': '1.0',
      'ce-id': 'e-1',
      'ce-source': '/s',
      'ce-type': 't',
      'ce-subject': 'a%20b',
      'content-type': 'application/json',
    })
    expect(envelope.event.subject).toBe('a b')
  })

  it('encodes a structured-mode request in binary mode', () => {
    const body = Buffer.from(
      JSON.stringify({ specversion: '1.0', id: 'e-2', source: '/s', type: 't', data: { n: 2 } }),
    )
    const envelope = fromRequest({ 'content-type': 'application/cloudevents+json' }, body)
    expect(envelope.headers['ce-id']).toBe('e-2')
    expect(envelope.headers['content-type']).toBe('application/json')
    expect(JSON.parse(String(envelope.body))).toEqual({ n: 2 })
  })

  it('never hands the hop budget to a subscriber, but keeps it on the Kafka record', () => {
    const event = testEvent('t', { knativebrokerttl: 7 })
    const fromHttp = fromRequest(toBinaryHttp(event).headers, Buffer.from(String(toBinaryHttp(event).body)))
    for (const envelope of [envelopeOf(event), fromHttp]) {
      expect(envelope.headers['ce-knativebrokerttl']).toBeUndefined()
      expect(toKafkaRecord(envelope).headers.ce_knativebrokerttl).toBe('7')
    }
  })

  it('round-trips through Kafka: decoded headers and key there, percent-encoded headers back on HTTP', () => {
    const event = testEvent('t', { subject: 'ça va', partitionkey: 'k 1' })
    const record = toKafkaRecord(envelopeOf(event))
    expect(record.key).toBe('k 1')
    expect(record.headers.ce_subject).toBe('ça va')
    const consumed = {
      ...record,
      headers: Object.fromEntries(Object.entries(record.headers).map(([k, v]) => [k, Buffer.from(v)])),
    }
    const back = envelopeFromKafka(fromKafkaMessage(consumed), consumed)
    expect(back.headers).toEqual(envelopeOf(event).headers)
    expect(back.body).toBe(record.value)
    expect(parseHttpEvent(back.headers, back.body).subject).toBe('ça va')
  })

  it('takes partitionkey from the record key when no header carries it', () => {
    const event = testEvent('t')
    const record = { ...toKafkaRecord(envelopeOf(event)), key: 'from-key' }
    const back = envelopeFromKafka(fromKafkaMessage(record), record)
    expect(back.headers['ce-partitionkey']).toBe('from-key')
  })
})
