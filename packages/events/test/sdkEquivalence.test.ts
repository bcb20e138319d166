// buildEvent no longer calls the SDK's validate() (its ajv-compiled v1 schema and attribute-name
// check): schemaError does the part of it buildEvent's own checks leave. These tests hold the
// two to the same verdict and message, with the SDK itself as the oracle, on values chosen to
// sit on the edges of each format.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { CloudEvent, ValidationError } from 'cloudevents'
import { describe, expect, it } from 'vitest'
import { type AnyCloudEvent, buildEvent, isRfc3339, schemaError } from '../src/attributes.ts'
import { fromKafkaMessage, isInvalidEventError, parseHttpEvent, percentEncode } from '../src/index.ts'
import { RFC3339_PATTERN } from '../src/schemas.ts'

const base = {
  specversion: '1.0',
  id: 'evt-1',
  source: '/agent-sre/alert-intake',
  type: 'agentsre.alert.firing',
  time: '2025-11-25T10:00:00Z',
}

const uris = [
  '/agent-sre/alert-intake',
  'https://example.com/a/b?c=d&e=f#g',
  'HTTPS://EXAMPLE.COM/',
  'urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66',
  'urn:isbn:0451450523',
  'mailto:cncf-wg-serverless@lists.cncf.io',
  'tel:+1-816-555-1212',
  'file:///etc/hosts',
  'cloudevents/spec/pull/123',
  '1-555-123-4567',
  'a:b',
  '1a:b',
  '+a:b',
  'http:',
  'http://',
  '//authority/path',
  '//',
  '/',
  '.',
  '..',
  './relative',
  '../up/one',
  'a/b:c',
  '#fragment',
  '#',
  '#a#b',
  'x#a#b',
  '?',
  '?query=1',
  '/path?q#f',
  'not a uri',
  ' leading',
  'trailing ',
  'tab\there',
  'new\nline',
  '\u0000',
  'http://exa mple.com/',
  'http://例え.jp/',
  'http://xn--r8jz45g.jp/',
  '/pfad/ünïcode',
  '😀',
  '/😀',
  '\ud800',
  '/%E2%9C%93',
  '/%e2%9c%93',
  '/%zz',
  '/100%',
  '/%4',
  '%41',
  'http://us%20er:pw@host/',
  'http://user:pw@host:8080/p',
  'http://host:/p',
  'http://host:99999/',
  'http://host:port/',
  'http://ex_ample.com/',
  'http://[::1]:8080/x',
  'http://[2001:db8::1]/',
  'http://[2001:DB8:0:0:8:800:200C:417A]/',
  'http://[::ffff:192.168.0.1]/',
  'http://[fe80::1%25eth0]/',
  'http://[v1.fe]/',
  'http://[::1',
  'http://::1/',
  'http://[1:2:3:4:5:6:7:8:9]/',
  'http://[gggg::1]/',
  'http://127.0.0.1:80/',
  'http://256.256.256.256/',
  'http://host/a"b',
  "http://host/it's",
  'http://host/<x>',
  'http://host/back\\slash',
  'http://host/{x}',
  'http://host/a|b',
  'http://host/a^b',
  'http://host/a`b',
  'http://host/[x]',
  'x'.repeat(10_000),
  `/${'segment/'.repeat(2_000)}`,
  `https://example.com/${'%41'.repeat(3_000)}`,
  `https://example.com/?${'a=b&'.repeat(2_000)}`,
]

const times = [
  '2025-11-25T10:00:00Z',
  '2025-11-25t10:00:00z',
  '2025-11-25T10:00:00.123456789Z',
  '2025-11-25T10:00:00.Z',
  '2025-11-25T10:00:00,5Z',
  `2025-11-25T10:00:00.${'1'.repeat(5_000)}Z`,
  '2025-11-25T10:00:00+01:00',
  '2025-11-25T10:00:00-23:59',
  '2025-11-25T10:00:00+24:00',
  '2025-11-25T10:00:00+01:60',
  '2025-11-25T10:00:00+0100',
  '2025-11-25T10:00:00+01',
  '2025-11-25T10:00:00',
  '2025-11-25 10:00:00Z',
  '2025-11-25\t10:00:00Z',
  '2025-11-25TT10:00:00Z',
  '2025-11-25T10:00Z',
  ' 2025-11-25T10:00:00Z',
  '2025-11-25T10:00:00Z ',
  '2025-11-25T10:00:00Zt',
  '２０２５-11-25T10:00:00Z',
  '2016-12-31T23:59:60Z',
  '2016-12-31T23:59:60.5Z',
  '2016-12-31T23:59:60+01:00',
  '2016-12-31t23:59:60z',
  '2016-12-31T12:00:60Z',
  '2016-12-31T23:58:60Z',
  '2016-12-31T22:59:60Z',
  '2016-12-31T23:59:61Z',
  '2016-12-31T24:00:00Z',
  '2016-12-31T23:60:00Z',
  '2024-02-29T00:00:00Z',
  '2023-02-29T00:00:00Z',
  '2024-02-30T00:00:00Z',
  '2000-02-29T00:00:00Z',
  '1900-02-29T00:00:00Z',
  '2100-02-29T00:00:00Z',
  '0000-02-29T00:00:00Z',
  '0004-02-29T00:00:00Z',
  '0100-02-29T00:00:00Z',
  '0001-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '2025-04-30T00:00:00Z',
  '2025-04-31T00:00:00Z',
  '2025-01-31T00:00:00Z',
  '2025-12-31T00:00:00Z',
  '2025-13-01T00:00:00Z',
  '2025-00-01T00:00:00Z',
  '2025-01-00T00:00:00Z',
  '2025-01-32T00:00:00Z',
  '2025-1-01T00:00:00Z',
  '99999-01-01T00:00:00Z',
  'yesterday',
]

const dataValues: unknown[] = [
  { a: 1 },
  [1, 2],
  'text',
  '',
  0,
  -1.5,
  JSON.parse('1e400'),
  JSON.parse('-1e400'),
  Number.NaN,
  true,
  false,
  null,
  Buffer.of(1, 2),
  Uint8Array.of(3),
  10n,
  Symbol('s'),
  () => 1,
]

const extensionNames = [
  'correlationid',
  'x1',
  '1',
  'Correlation',
  'trace_id',
  'trace-id',
  'ünï',
  'a'.repeat(100),
  'datacontentencoding',
  'schemaurl',
  'data',
  'data_base64',
  'constructor',
  'toString',
]

const extensionValues: unknown[] = ['x', '', true, 0, -(2 ** 31), 2 ** 31 - 1, 2 ** 31, 1.5, {}, [], null]

const SCHEMA_REASON = /^attribute (source|dataschema|time|data) must (match format|be object)/

/** The message buildEvent built from the SDK's ValidationError when it called validate(). */
function describeValidationError(err: unknown): string {
  if (err instanceof ValidationError && Array.isArray(err.errors) && err.errors.length > 0) {
    return err.errors
      .map((e) => {
        if (typeof e === 'object' && e !== null && 'message' in e) {
          const path = 'instancePath' in e ? String(e.instancePath).replace(/^\//, '') : ''
          return `${path ? `attribute ${path} ` : ''}${String(e.message)}`
        }
        return String(e)
      })
      .join('; ')
  }
  return err instanceof Error ? err.message : String(err)
}

/** The oracle: the SDK's own validate() of `event`, as buildEvent reported it. */
function sdkVerdict(event: AnyCloudEvent): string | undefined {
  try {
    event.validate()
    return undefined
  } catch (err) {
    return describeValidationError(err)
  }
}

/** What buildEvent hands the SDK constructor: the attributes that have a value, and data. */
function fieldsOf(attributes: Record<string, unknown>, data: unknown): Record<string, unknown> {
  const fields = Object.fromEntries(
    Object.entries(attributes).filter(([, v]) => v !== undefined && v !== null),
  )
  return data === undefined ? fields : { ...fields, data }
}

type Outcome = { accepted: AnyCloudEvent } | { reason: string } | { thrown: unknown }

function attempt(decode: () => AnyCloudEvent): Outcome {
  try {
    return { accepted: decode() }
  } catch (err) {
    return isInvalidEventError(err) ? { reason: err.reason } : { thrown: err }
  }
}

/**
 * Before, buildEvent ran its checks, the SDK constructor, then validate(); now schemaError in
 * place of validate(). So: a rejection by buildEvent's own checks is as before; what passes them
 * meets the SDK constructor as before; what passes it must get validate()'s verdict. Returns
 * which of these held, so a table can prove it reached the oracle.
 */
function expectSdkVerdict(outcome: Outcome, fields: Record<string, unknown>): 'own' | 'sdk' {
  if ('reason' in outcome && !SCHEMA_REASON.test(outcome.reason)) return 'own'
  let sdkEvent: AnyCloudEvent
  try {
    sdkEvent = new CloudEvent<unknown>(fields, false)
  } catch (err) {
    expect(outcome).toEqual({ thrown: err })
    return 'sdk'
  }
  const verdict = sdkVerdict(sdkEvent)
  if ('accepted' in outcome) {
    expect(verdict).toBeUndefined()
    // The same class and fields as the SDK builds (time is given, so nothing is invented).
    expect(Object.getPrototypeOf(outcome.accepted)).toBe(CloudEvent.prototype)
    expect(Object.entries(outcome.accepted)).toEqual(Object.entries(sdkEvent))
  } else {
    expect(outcome).toEqual({ reason: verdict })
  }
  return 'sdk'
}

describe('schemaError against the SDK validate()', () => {
  it("uses the SDK schema's own uri-reference expression", () => {
    // The compiled schema inlines it; uri and date-time it requires from ajv-formats at run time.
    const sdkRequire = createRequire(createRequire(import.meta.url).resolve('cloudevents'))
    const schema = readFileSync(sdkRequire.resolve('./schema/v1.js'), 'utf8')
    const inline = /^const formats0 = (\/.+\/[a-z]*);$/m.exec(schema)?.[1]
    const { fullFormats } = sdkRequire('ajv-formats/dist/formats')
    expect(inline).toBe(String(fullFormats['uri-reference']))
  })

  function expectSameVerdicts(attribute: string, values: readonly string[]): void {
    const verdicts = new Set<string | undefined>()
    for (const value of values) {
      const event = new CloudEvent<unknown>({ ...base, [attribute]: value }, false)
      const verdict = sdkVerdict(event)
      expect({ value, verdict: schemaError(event) }).toEqual({ value, verdict })
      verdicts.add(verdict)
    }
    expect(verdicts.size).toBe(2) // the values include both valid and invalid ones
  }

  it.each([
    ['source', uris],
    ['dataschema', uris],
  ] as const)('gives the verdict and message of validate() for every %s', expectSameVerdicts)

  it('gives the verdict and message of validate() for every time that passed isRfc3339', () => {
    // A grid around the leap second (ajv takes :60 only at 23:59), in every zone and case.
    const grid: string[] = []
    for (const date of ['2016-12-31', '2024-02-29', '0004-02-29', '2025-06-30'])
      for (const t of ['T', 't'])
        for (const hour of ['00', '01', '12', '22', '23'])
          for (const minute of ['00', '58', '59'])
            for (const second of ['00', '59', '60'])
              for (const fraction of ['', '.5', '.123456789'])
                for (const zone of ['Z', 'z', '+00:00', '-23:59', '+14:00'])
                  grid.push(`${date}${t}${hour}:${minute}:${second}${fraction}${zone}`)
    expectSameVerdicts('time', [...times, ...grid].filter(isRfc3339))
  })

  it('gives the verdict and message of validate() for every kind of data', () => {
    for (const data of dataValues) {
      const event = new CloudEvent<unknown>({ ...base, data }, false)
      expect(schemaError(event)).toBe(sdkVerdict(event))
    }
  })
})

describe('buildEvent against its old verdict (own checks, then the SDK)', () => {
  function tally(cases: [Record<string, unknown>, unknown][]): Record<'own' | 'sdk', number> {
    const seen = { own: 0, sdk: 0 }
    for (const [attributes, data] of cases) {
      seen[
        expectSdkVerdict(
          attempt(() => buildEvent(attributes, data)),
          fieldsOf(attributes, data),
        )
      ]++
    }
    return seen
  }

  it('for tricky sources, dataschemas and times', () => {
    const cases: [Record<string, unknown>, unknown][] = [
      ...['', ...uris].map(
        (source) => [{ ...base, source }, undefined] as [Record<string, unknown>, unknown],
      ),
      ...['', ...uris].map(
        (dataschema) => [{ ...base, dataschema }, undefined] as [Record<string, unknown>, unknown],
      ),
      ...['', ...times].map((time) => [{ ...base, time }, undefined] as [Record<string, unknown>, unknown]),
    ]
    const seen = tally(cases)
    expect(seen.sdk).toBeGreaterThan(uris.length) // most values get past buildEvent's own checks
    expect(seen.own).toBeGreaterThan(10)
  })

  it('for every kind of data', () => {
    expect(tally(dataValues.map((data) => [base, data]))).toEqual({ own: 0, sdk: dataValues.length })
  })

  it('for extension names and values', () => {
    const cases: [Record<string, unknown>, unknown][] = []
    for (const name of extensionNames) cases.push([{ ...base, [name]: 'x' }, undefined])
    for (const value of extensionValues) cases.push([{ ...base, correlationid: value }, undefined])
    // A JSON body can carry "__proto__" as an own attribute name.
    cases.push([
      JSON.parse(`{"specversion":"1.0","id":"i","source":"/s","type":"t","__proto__":"x"}`),
      undefined,
    ])
    const seen = tally(cases)
    expect(seen.sdk).toBeGreaterThan(5)
    expect(seen.own).toBeGreaterThan(5)
  })
})

describe('the decoders against the SDK', () => {
  const body = Buffer.from('{"a":1}')
  const decoderTimes = [
    '2025-11-25T10:00:00Z',
    '2025-11-25t10:00:00.5+01:00',
    '2016-12-31T23:59:60Z',
    '2016-12-31T12:00:60Z',
    '2023-02-29T00:00:00Z',
    '2025-11-25 10:00:00Z',
  ]

  it('parseHttpEvent in binary and structured mode, and fromKafkaMessage', () => {
    const seen = { own: 0, sdk: 0 }
    for (const source of uris) {
      for (const time of decoderTimes) {
        const attributes = { ...base, source, time }
        const fields = fieldsOf({ ...attributes, datacontenttype: 'application/json' }, { a: 1 })
        const headers: Record<string, string> = { 'content-type': 'application/json' }
        for (const [name, value] of Object.entries(attributes)) headers[`ce-${name}`] = percentEncode(value)
        seen[
          expectSdkVerdict(
            attempt(() => parseHttpEvent(headers, body)),
            fields,
          )
        ]++

        const envelope = JSON.stringify({
          ...attributes,
          datacontenttype: 'application/json',
          data: { a: 1 },
        })
        const structured = { 'content-type': 'application/cloudevents+json' }
        seen[
          expectSdkVerdict(
            attempt(() => parseHttpEvent(structured, envelope)),
            fields,
          )
        ]++

        const kafkaHeaders: Record<string, string> = { 'content-type': 'application/json' }
        for (const [name, value] of Object.entries(attributes)) kafkaHeaders[`ce_${name}`] = value
        seen[
          expectSdkVerdict(
            attempt(() => fromKafkaMessage({ value: body, headers: kafkaHeaders })),
            fields,
          )
        ]++
      }
    }
    expect(seen.sdk).toBeGreaterThan(uris.length * 3)
    expect(seen.own).toBeGreaterThan(0)
  })
})

describe('isRfc3339 against a Date', () => {
  // The former check: the pattern, then a Date for the month's length (Date.UTC reads years
  // 0-99 as 1900-1999, so 0000-02-29 stays rejected).
  const pattern = new RegExp(RFC3339_PATTERN)
  function withDate(value: string): boolean {
    if (!pattern.test(value)) return false
    const [year, month, day] = [value.slice(0, 4), value.slice(5, 7), value.slice(8, 10)].map(Number)
    return day! <= new Date(Date.UTC(year!, month!, 0)).getUTCDate()
  }

  it('on every day of every month of years on the edges of the leap rule, and the table', () => {
    const all = [...times]
    for (const year of [
      '0000',
      '0001',
      '0004',
      '0100',
      '0400',
      '1900',
      '2000',
      '2023',
      '2024',
      '2100',
      '9999',
    ]) {
      for (let month = 0; month <= 13; month++) {
        for (let day = 0; day <= 32; day++) {
          all.push(`${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}T00:00:00Z`)
        }
      }
    }
    for (const time of all) expect({ time, ok: isRfc3339(time) }).toEqual({ time, ok: withDate(time) })
  })
})
