import { describe, expect, it } from 'vitest'
import { DEFAULT_DELIVERY } from '../../src/domain/DeliveryPolicy.ts'
import { InvalidTriggerError, parseTriggerValues } from '../../src/domain/TriggerDefinition.ts'

describe('parseTriggerValues', () => {
  it('reads the contract example', () => {
    const [trigger, ...rest] = parseTriggerValues(
      {
        triggers: [
          {
            name: 'alert-intake-prometheus',
            broker: 'default',
            filters: [
              {
                any: [
                  { exact: { type: 'io.prometheus.alert.firing' } },
                  { exact: { type: 'io.prometheus.alert.resolved' } },
                ],
              },
            ],
            subscriber: { path: '/' },
            deliveryOrder: 'ordered',
            delivery: {
              retry: 5,
              backoffPolicy: 'exponential',
              backoffDelay: 'PT0.2S',
              timeout: 'PT10S',
              deadLetterSink: { uri: 'http://dls.local/' },
            },
          },
        ],
      },
      'alert-intake',
    )
    expect(rest).toEqual([])
    expect(trigger).toMatchObject({
      name: 'alert-intake-prometheus',
      service: 'alert-intake',
      broker: 'default',
      subscriber: { service: 'alert-intake', path: '/' },
      ordered: true,
      delivery: { retry: 5, backoffPolicy: 'exponential', backoffDelayMs: 200, timeoutMs: 10_000 },
    })
    expect(trigger!.filter((name) => (name === 'type' ? 'io.prometheus.alert.resolved' : undefined))).toBe(
      true,
    )
    expect(trigger!.filter((name) => (name === 'type' ? 'agentsre.alert.firing' : undefined))).toBe(false)
  })

  it('defaults broker, subscriber, order and delivery', () => {
    const [trigger] = parseTriggerValues({ triggers: [{ name: 't' }] }, 'svc')
    expect(trigger).toMatchObject({
      broker: 'default',
      subscriber: { service: 'svc', path: '/' },
      ordered: false,
      delivery: DEFAULT_DELIVERY,
    })
  })

  it('accepts a subscriber of another service or a URL', () => {
    const triggers = parseTriggerValues(
      {
        triggers: [
          { name: 'a', subscriber: { ref: { service: 'ticketing', path: '/events' } } },
          { name: 'b', subscriber: { uri: 'http://127.0.0.1:9/x' } },
        ],
      },
      'svc',
    )
    expect(triggers.map((trigger) => trigger.subscriber)).toEqual([
      { service: 'ticketing', path: '/events' },
      { uri: 'http://127.0.0.1:9/x' },
    ])
  })

  it('has no triggers when the chart declares none', () => {
    expect(parseTriggerValues({ image: 'x' }, 'svc')).toEqual([])
    expect(parseTriggerValues(null, 'svc')).toEqual([])
  })

  it.each([
    [{ triggers: {} }, 'triggers must be a list'],
    [{ triggers: [{}] }, 'triggers[0].name'],
    [{ triggers: [{ name: 'Bad_Name' }] }, 'triggers[0].name'],
    [{ triggers: [{ name: 't', deliveryOrder: 'fifo' }] }, 'deliveryOrder'],
    [{ triggers: [{ name: 't', filterz: {} }] }, 'triggers[0].filterz: unknown field'],
    [{ triggers: [{ name: 't', filters: [{ exact: { type: 'a' }, not: {} }] }] }, 'triggers[0].filters[0]'],
    [{ triggers: [{ name: 't', delivery: { retry: 'x' } }] }, 'triggers[0].delivery.retry'],
    [{ triggers: [{ name: 't', subscriber: { path: 'x' } }] }, 'subscriber.path'],
  ])('rejects %j', (values, message) => {
    expect(() => parseTriggerValues(values, 'svc', 'charts/svc/values.yaml')).toThrow(InvalidTriggerError)
    expect(() => parseTriggerValues(values, 'svc', 'charts/svc/values.yaml')).toThrow(message)
  })
})
