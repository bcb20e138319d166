import { describe, expect, it } from 'vitest'
import {
  type AttributeReader,
  compileTriggerFilter,
  InvalidFilterError,
} from '../../src/domain/TriggerFilter.ts'

const event =
  (attributes: Record<string, string>): AttributeReader =>
  (name) =>
    attributes[name]

const firing = event({
  type: 'agentsre.alert.firing',
  source: '/agent-sre/alert-intake',
  id: '1',
  specversion: '1.0',
  correlationid: 'c-1',
})
const resolved = event({ type: 'agentsre.alert.resolved', source: '/agent-sre/alert-intake', id: '2' })
const ticket = event({ type: 'agentsre.ticket.opened', source: '/agent-sre/ticketing', id: '3' })

describe('compileTriggerFilter', () => {
  const cases: Array<[string, { filter?: unknown; filters?: unknown }, [boolean, boolean, boolean]]> = [
    ['no filter passes everything', {}, [true, true, true]],
    ['legacy exact', { filter: { attributes: { type: 'agentsre.alert.firing' } } }, [true, false, false]],
    ['legacy "" means present', { filter: { attributes: { correlationid: '' } } }, [true, false, false]],
    [
      'legacy attributes are ANDed',
      { filter: { attributes: { type: 'agentsre.alert.firing', source: '/agent-sre/ticketing' } } },
      [false, false, false],
    ],
    ['exact', { filters: [{ exact: { type: 'agentsre.ticket.opened' } }] }, [false, false, true]],
    ['prefix', { filters: [{ prefix: { type: 'agentsre.alert.' } }] }, [true, true, false]],
    ['suffix', { filters: [{ suffix: { source: '/ticketing' } }] }, [false, false, true]],
    [
      'any',
      {
        filters: [
          {
            any: [
              { exact: { type: 'agentsre.alert.firing' } },
              { exact: { type: 'agentsre.alert.resolved' } },
            ],
          },
        ],
      },
      [true, true, false],
    ],
    [
      'all',
      { filters: [{ all: [{ prefix: { type: 'agentsre.alert' } }, { suffix: { type: 'resolved' } }] }] },
      [false, true, false],
    ],
    ['not', { filters: [{ not: { prefix: { type: 'agentsre.alert' } } }] }, [false, false, true]],
    [
      'entries of filters are ANDed',
      { filters: [{ prefix: { type: 'agentsre.alert' } }, { exact: { correlationid: 'c-1' } }] },
      [true, false, false],
    ],
    ['exact on a missing attribute fails', { filters: [{ exact: { subject: 'x' } }] }, [false, false, false]],
    [
      'filters take precedence over filter',
      {
        filter: { attributes: { type: 'agentsre.ticket.opened' } },
        filters: [{ prefix: { type: 'agentsre.alert' } }],
      },
      [true, true, false],
    ],
    ['empty all passes', { filters: [{ all: [] }] }, [true, true, true]],
    ['empty any fails', { filters: [{ any: [] }] }, [false, false, false]],
  ]

  it.each(cases)('%s', (_, spec, expected) => {
    const filter = compileTriggerFilter(spec)
    expect([filter(firing), filter(resolved), filter(ticket)]).toEqual(expected)
  })

  const invalid: Array<[string, unknown, string]> = [
    [
      'two dialects in one entry (Knative rejects it)',
      [{ exact: { type: 'a' }, prefix: { type: 'b' } }],
      'only one dialect is allowed per filter, found exact, prefix',
    ],
    [
      'two dialects nested in any',
      [{ any: [{ exact: { type: 'a' }, suffix: { type: 'b' } }] }],
      'filters[0].any[0]',
    ],
    ['empty entry', [{}], 'empty filter'],
    ['unknown dialect', [{ regex: { type: '.*' } }], 'unknown dialect regex'],
    ['cesql', [{ cesql: "type = 'a'" }], 'CESQL is not supported'],
    ['two attributes in exact', [{ exact: { type: 'a', source: 'b' } }], 'exactly one attribute'],
    ['bad attribute name', [{ exact: { Type: 'a' } }], 'invalid attribute name'],
    ['non-string value', [{ prefix: { type: 3 } }], 'must be a string'],
    ['filters not a list', { exact: { type: 'a' } }, 'expected a list'],
    ['not with a list', [{ not: [{ exact: { type: 'a' } }] }], 'expected a filter mapping'],
  ]

  it.each(invalid)('rejects %s', (_, filters, message) => {
    expect(() => compileTriggerFilter({ filters })).toThrow(InvalidFilterError)
    expect(() => compileTriggerFilter({ filters })).toThrow(message)
  })

  it('rejects a malformed legacy filter', () => {
    expect(() => compileTriggerFilter({ filter: { attributes: { type: 1 } } })).toThrow('must be a string')
    expect(() => compileTriggerFilter({ filter: 'type' })).toThrow(InvalidFilterError)
  })
})
