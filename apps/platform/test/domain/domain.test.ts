import { parseTriggerValues } from '@agent-sre/broker'
import { isConfigError } from '@agent-sre/service-kit'
import { describe, expect, it } from 'vitest'
import { localUrl, portFor } from '../../src/domain/ports.ts'
import { serviceEnv } from '../../src/domain/serviceEnv.ts'
import { formatListenTable } from '../../src/domain/table.ts'
import { selectTriggers } from '../../src/domain/triggers.ts'

describe('selectTriggers', () => {
  const triggers = parseTriggerValues(
    {
      triggers: [
        { name: 'to-self', subscriber: { path: '/' } },
        { name: 'to-uri', subscriber: { uri: 'http://example.test/' } },
        {
          name: 'dls-missing',
          subscriber: { path: '/' },
          delivery: { deadLetterSink: { ref: { service: 'ticketing', path: '/dead' } } },
        },
      ],
    },
    'alert-intake',
  )

  it('wires triggers whose services all run and names the missing ones', () => {
    const { active, skipped } = selectTriggers(triggers, (service) => service === 'alert-intake')
    expect(active.map((t) => t.name)).toEqual(['to-self', 'to-uri'])
    expect(skipped).toEqual([{ trigger: 'dls-missing', missing: ['ticketing'] }])
  })

  it('skips a trigger whose own service is not running', () => {
    const { active, skipped } = selectTriggers(triggers, () => false)
    expect(active.map((t) => t.name)).toEqual(['to-uri'])
    expect(skipped.map((s) => s.missing)).toEqual([['alert-intake'], ['alert-intake', 'ticketing']])
  })
})

describe('portFor', () => {
  it('reads <SERVICE>_PORT, else the default', () => {
    expect(portFor('alert-intake', 8081, { ALERT_INTAKE_PORT: '9001' })).toBe(9001)
    expect(portFor('alert-intake', 8081, { ALERT_INTAKE_PORT: '' })).toBe(8081)
    expect(portFor('broker', 8080, {})).toBe(8080)
    expect(portFor('broker', 8080, { BROKER_PORT: '0' })).toBe(0)
  })

  it.each(['80a', '-1', '65536', '1.5'])('rejects %s naming the variable', (value) => {
    let error: unknown
    try {
      portFor('alert-intake', 8081, { ALERT_INTAKE_PORT: value })
    } catch (err) {
      error = err
    }
    expect(isConfigError(error) && error.variables).toEqual(['ALERT_INTAKE_PORT'])
  })
})

describe('localUrl', () => {
  it('reaches wildcard binds through loopback and brackets IPv6', () => {
    expect(localUrl('0.0.0.0', 8080)).toBe('http://127.0.0.1:8080')
    expect(localUrl('127.0.0.1', 1)).toBe('http://127.0.0.1:1')
    expect(localUrl('::1', 2)).toBe('http://[::1]:2')
  })
})

describe('serviceEnv', () => {
  it('keeps shared settings and replaces per-service ones', () => {
    const env = serviceEnv(
      'experiments',
      {
        DATABASE_URL: 'postgres://db/x',
        LOG_LEVEL: 'warn',
        PORT: '9999',
        DATABASE_SCHEMA: 'shared',
        CACHE_KEY_PREFIX: 'p:',
        K_SERVICE: 'other',
      },
      {
        port: 8082,
        host: '127.0.0.1',
        sinkUrl: 'http://127.0.0.1:8080/default/default',
        pgliteRoot: '/data/',
      },
    )
    expect(env).toEqual({
      DATABASE_URL: 'postgres://db/x',
      LOG_LEVEL: 'warn',
      PORT: '8082',
      HOST: '127.0.0.1',
      K_SINK: 'http://127.0.0.1:8080/default/default',
      PGLITE_DATA_DIR: '/data/experiments',
    })
  })
})

describe('formatListenTable', () => {
  it('aligns columns and appends notes', () => {
    expect(
      formatListenTable(
        [
          { name: 'broker', url: 'http://127.0.0.1:8080', detail: 'ingress' },
          { name: 'alert-intake', url: 'http://127.0.0.1:8081', detail: '' },
        ],
        ['trigger x not wired'],
      ),
    ).toBe(
      [
        'SERVICE       URL',
        'broker        http://127.0.0.1:8080  ingress',
        'alert-intake  http://127.0.0.1:8081',
        'trigger x not wired',
        '',
      ].join('\n'),
    )
  })
})
