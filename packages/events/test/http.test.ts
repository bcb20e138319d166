import { describe, expect, it } from 'vitest'
import { InvalidEventError, makeEvent, parseHttpEvent, toBinaryHttp } from '../src/index.ts'
import { reasonOf, sampleData } from './fixtures.ts'

const binaryHeaders = {
  'ce-specversion': '1.0',
  'ce-id': 'evt-1',
  'ce-source': '/agent-sre/alert-intake',
  'ce-type': 'agentsre.alert.firing',
  'ce-time': '2025-11-25T10:00:00.123456789Z',
  'content-type': 'application/json',
}
const body = JSON.stringify(sampleData['agentsre.alert.firing'])

const structured = {
  specversion: '1.0',
  id: 'evt-2',
  source: '/agent-sre/ticketing',
  type: 'agentsre.ticket.closed',
  time: '2025-11-25T10:00:00Z',
  datacontenttype: 'application/json',
  correlationid: 'episode-1',
  data: sampleData['agentsre.ticket.closed'],
}
const structuredHeaders = { 'content-type': 'application/cloudevents+json; charset=utf-8' }

describe('parseHttpEvent, binary mode', () => {
  it('decodes attributes, extensions and JSON data, keeping time as sent', () => {
    const event = parseHttpEvent({ ...binaryHeaders, 'ce-correlationid': 'episode-1' }, Buffer.from(body))
    expect(event.id).toBe('evt-1')
    expect(event.time).toBe('2025-11-25T10:00:00.123456789Z')
    expect(event.datacontenttype).toBe('application/json')
    expect(event.correlationid).toBe('episode-1')
    expect(event.data).toEqual(sampleData['agentsre.alert.firing'])
  })

  it('accepts header names in any case, as HTTP does', () => {
    const upper = Object.fromEntries(Object.entries(binaryHeaders).map(([k, v]) => [k.toUpperCase(), v]))
    expect(parseHttpEvent(upper, body).type).toBe('agentsre.alert.firing')
  })

  it('accepts a body another parser already turned into JSON', () => {
    expect(parseHttpEvent(binaryHeaders, JSON.parse(body)).data).toEqual(sampleData['agentsre.alert.firing'])
  })

  it('reads UTF-8 bodies that are views into a larger buffer (pooled Buffers, Uint8Arrays)', () => {
    const view = (text: string) => {
      const bytes = Buffer.from(`xx${text}yy`)
      return new Uint8Array(bytes.buffer, bytes.byteOffset + 2, bytes.length - 4)
    }
    const json = parseHttpEvent(binaryHeaders, view('{"summary":"Grüße, 日本 ✓"}'))
    expect(json.data).toEqual({ summary: 'Grüße, 日本 ✓' })
    const text = parseHttpEvent({ ...binaryHeaders, 'content-type': 'text/plain' }, view('Grüße'))
    expect(text.data).toBe('Grüße')
    const envelope = view(JSON.stringify({ ...structured, subject: 'Grüße' }))
    expect(parseHttpEvent(structuredHeaders, envelope).subject).toBe('Grüße')
  })

  it('keeps text as a string and other media types as bytes', () => {
    expect(parseHttpEvent({ ...binaryHeaders, 'content-type': 'text/plain' }, 'hello').data).toBe('hello')
    const bytes = parseHttpEvent(
      { ...binaryHeaders, 'content-type': 'application/octet-stream' },
      Buffer.of(1, 2),
    )
    expect(Buffer.from(bytes.data as Uint8Array)).toEqual(Buffer.of(1, 2))
  })

  it('accepts an event without data', () => {
    const { 'content-type': _, ...headers } = binaryHeaders
    expect(parseHttpEvent(headers, Buffer.alloc(0)).data).toBeUndefined()
  })

  it.each([
    ['ce-id', 'missing required attribute id'],
    ['ce-source', 'missing required attribute source'],
    ['ce-type', 'missing required attribute type'],
  ])('rejects a missing %s instead of inventing one', (header, reason) => {
    const headers: Record<string, string> = { ...binaryHeaders }
    delete headers[header]
    expect(reasonOf(() => parseHttpEvent(headers, body))).toBe(reason)
  })

  it.each([
    'yesterday',
    '2025-11-25T10:00:00',
    '2025-11-25 10:00:00Z',
    '2025-02-30T10:00:00Z',
    '2025-11-25T24:00:00Z',
  ])('rejects the time %s instead of replacing it', (time) => {
    expect(reasonOf(() => parseHttpEvent({ ...binaryHeaders, 'ce-time': time }, body))).toMatch(
      /^attribute time must be an RFC 3339 timestamp/,
    )
  })

  it('accepts a leap day and a numeric offset', () => {
    expect(parseHttpEvent({ ...binaryHeaders, 'ce-time': '2024-02-29T23:59:60+05:30' }, body).time).toBe(
      '2024-02-29T23:59:60+05:30',
    )
  })

  it('rejects unsupported spec versions', () => {
    expect(reasonOf(() => parseHttpEvent({ ...binaryHeaders, 'ce-specversion': '0.3' }, body))).toBe(
      'unsupported specversion "0.3": only 1.0 is accepted',
    )
  })

  it('rejects requests that are not CloudEvents at all', () => {
    expect(reasonOf(() => parseHttpEvent({ 'content-type': 'application/json' }, body))).toMatch(
      /^not a CloudEvent: no ce-specversion header/,
    )
  })

  it('rejects datacontenttype sent as a ce- header (binary mode carries it in Content-Type)', () => {
    expect(
      reasonOf(() => parseHttpEvent({ ...binaryHeaders, 'ce-datacontenttype': 'application/json' }, body)),
    ).toBe('binary mode carries datacontenttype in content-type, not ce-datacontenttype')
  })

  it('rejects invalid extension names', () => {
    expect(reasonOf(() => parseHttpEvent({ ...binaryHeaders, 'ce-trace_id': 'x' }, body))).toBe(
      'invalid extension name "trace_id": names are lower-case a-z and 0-9 only',
    )
  })

  it('rejects a source that is not a URI-reference (SDK validate)', () => {
    expect(reasonOf(() => parseHttpEvent({ ...binaryHeaders, 'ce-source': 'not a uri' }, body))).toMatch(
      /source must match format "uri-reference"/,
    )
  })

  it("rejects CloudEvents 0.3's schemaurl with a reason (the SDK threw a TypeError: a 500)", () => {
    const reason = 'attribute schemaurl is CloudEvents 0.3; a 1.0 event names its schema in dataschema'
    expect(
      reasonOf(() => parseHttpEvent({ ...binaryHeaders, 'ce-schemaurl': 'https://example.com/s' }, body)),
    ).toBe(reason)
    const structured = JSON.stringify({ specversion: '1.0', id: '1', source: '/s', type: 't', schemaurl: 5 })
    expect(
      reasonOf(() => parseHttpEvent({ 'content-type': 'application/cloudevents+json' }, structured)),
    ).toBe(reason)
  })

  it('rejects bad JSON data with a reason, not a crash', () => {
    expect(reasonOf(() => parseHttpEvent(binaryHeaders, '{"alert":'))).toBe(
      'data is not valid JSON (content type application/json)',
    )
  })

  it('rejects a repeated ce- header', () => {
    expect(reasonOf(() => parseHttpEvent({ ...binaryHeaders, 'ce-id': ['a', 'b'] }, body))).toBe(
      'header ce-id appears more than once',
    )
  })

  it('rejects malformed percent-encoding', () => {
    expect(reasonOf(() => parseHttpEvent({ ...binaryHeaders, 'ce-subject': '100%' }, body))).toBe(
      'header ce-subject is not valid percent-encoded UTF-8',
    )
  })

  it('throws an error a Fastify error handler turns into 400', () => {
    let error: unknown
    try {
      parseHttpEvent({}, body)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(InvalidEventError)
    expect(error).toMatchObject({ statusCode: 400, code: 'AGENTSRE_INVALID_EVENT' })
  })
})

describe('parseHttpEvent, structured mode', () => {
  it('decodes the envelope and data', () => {
    const event = parseHttpEvent(structuredHeaders, JSON.stringify(structured))
    expect(event.toJSON()).toMatchObject({ ...structured, time: '2025-11-25T10:00:00.000Z' })
    expect(event.time).toBe('2025-11-25T10:00:00Z')
  })

  it('decodes data_base64 to bytes', () => {
    const { data: _, ...rest } = structured
    const event = parseHttpEvent(
      structuredHeaders,
      JSON.stringify({ ...rest, datacontenttype: 'application/octet-stream', data_base64: 'AQI=' }),
    )
    expect(Buffer.from(event.data as Uint8Array)).toEqual(Buffer.of(1, 2))
  })

  it.each(['id', 'source', 'type', 'specversion'])('rejects a missing %s', (name) => {
    const envelope: Record<string, unknown> = { ...structured }
    delete envelope[name]
    expect(reasonOf(() => parseHttpEvent(structuredHeaders, JSON.stringify(envelope)))).toBe(
      `missing required attribute ${name}`,
    )
  })

  it('rejects a bad time', () => {
    const envelope = JSON.stringify({ ...structured, time: 'now' })
    expect(reasonOf(() => parseHttpEvent(structuredHeaders, envelope))).toBe(
      'attribute time must be an RFC 3339 timestamp, got "now"',
    )
  })

  it('rejects bad JSON', () => {
    expect(reasonOf(() => parseHttpEvent(structuredHeaders, '{"specversion":'))).toBe(
      'structured body is not valid JSON',
    )
  })

  it('rejects extension values outside the CloudEvents type system', () => {
    for (const value of [{ nested: true }, [1], 1.5, 2 ** 31]) {
      const envelope = JSON.stringify({ ...structured, correlationid: value })
      expect(reasonOf(() => parseHttpEvent(structuredHeaders, envelope))).toBe(
        'invalid value for extension correlationid: must be a string, boolean or 32-bit integer',
      )
    }
  })

  it('rejects both data and data_base64', () => {
    const envelope = JSON.stringify({ ...structured, data_base64: 'AQI=' })
    expect(reasonOf(() => parseHttpEvent(structuredHeaders, envelope))).toBe(
      'both data and data_base64 are present',
    )
  })

  it('rejects batch mode by content type and by an array body', () => {
    const batch = JSON.stringify([structured])
    expect(
      reasonOf(() => parseHttpEvent({ 'content-type': 'application/cloudevents-batch+json' }, batch)),
    ).toMatch(/^batch mode \(application\/cloudevents-batch\+json\) is not supported/)
    expect(reasonOf(() => parseHttpEvent(structuredHeaders, batch))).toMatch(
      /^batch mode \(a JSON array of events\) is not supported/,
    )
  })

  it('rejects event formats other than JSON', () => {
    expect(reasonOf(() => parseHttpEvent({ 'content-type': 'application/cloudevents+avro' }, 'x'))).toBe(
      'unsupported event format application/cloudevents+avro: only application/cloudevents+json is accepted',
    )
  })
})

describe('toBinaryHttp', () => {
  it('writes ce- headers for set attributes only and the data as JSON', () => {
    const event = makeEvent('agentsre.ticket.closed', sampleData['agentsre.ticket.closed'], {
      id: 'evt-3',
      time: '2025-11-25T10:00:00Z',
      correlationId: 'episode-1',
    })
    const { headers, body } = toBinaryHttp(event)
    expect(headers).toEqual({
      'ce-specversion': '1.0',
      'ce-id': 'evt-3',
      'ce-source': '/agent-sre/ticketing',
      'ce-type': 'agentsre.ticket.closed',
      'ce-time': '2025-11-25T10:00:00Z',
      'ce-subject': 'OPS-123',
      'ce-partitionkey': sampleData['agentsre.ticket.closed'].dedupKey.replaceAll('"', '%22'),
      'ce-correlationid': 'episode-1',
      'content-type': 'application/json',
    })
    expect(JSON.parse(body.toString())).toEqual(sampleData['agentsre.ticket.closed'])
  })

  it('percent-encodes what HTTP headers cannot carry and parseHttpEvent decodes it', () => {
    const event = makeEvent('agentsre.experiment.event', sampleData['agentsre.experiment.event'], {
      subject: 'Kauf "grün" 100%',
    })
    const { headers, body } = toBinaryHttp(event)
    expect(headers['ce-subject']).toBe('Kauf%20%22gr%C3%BCn%22%20100%25')
    expect(parseHttpEvent(headers, body).subject).toBe('Kauf "grün" 100%')
  })
})
