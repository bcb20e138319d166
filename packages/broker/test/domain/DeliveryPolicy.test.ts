import { describe, expect, it } from 'vitest'
import {
  backoffSchedule,
  DEFAULT_DELIVERY,
  InvalidDeliveryError,
  parseDeliveryPolicy,
} from '../../src/domain/DeliveryPolicy.ts'

describe('parseDeliveryPolicy', () => {
  it('fills the Knative Kafka broker defaults', () => {
    expect(parseDeliveryPolicy(undefined)).toEqual(DEFAULT_DELIVERY)
    expect(parseDeliveryPolicy({ retry: 3 })).toEqual({ ...DEFAULT_DELIVERY, retry: 3 })
  })
  it('parses durations and destinations', () => {
    expect(
      parseDeliveryPolicy({
        retry: 5,
        backoffPolicy: 'linear',
        backoffDelay: 'PT0.2S',
        timeout: 'PT10S',
        deadLetterSink: { ref: { service: 'ticketing', path: '/dead' } },
      }),
    ).toEqual({
      retry: 5,
      backoffPolicy: 'linear',
      backoffDelayMs: 200,
      timeoutMs: 10_000,
      deadLetterSink: { service: 'ticketing', path: '/dead' },
    })
    expect(parseDeliveryPolicy({ deadLetterSink: { uri: 'http://dls.example/x' } }).deadLetterSink).toEqual({
      uri: 'http://dls.example/x',
    })
  })
  it.each([
    [{ retry: -1 }, 'retry'],
    [{ retry: 1.5 }, 'retry'],
    [{ backoffPolicy: 'random' }, 'backoffPolicy'],
    [{ backoffDelay: '200ms' }, 'backoffDelay'],
    [{ timeout: 'PT0S' }, 'timeout'],
    [{ deadLetterSink: { uri: 'not a url' } }, 'deadLetterSink.uri'],
    [{ deadLetterSink: {} }, 'deadLetterSink'],
    [{ retries: 3 }, 'retries'],
  ])('rejects %j naming %s', (input, field) => {
    expect(() => parseDeliveryPolicy(input)).toThrow(InvalidDeliveryError)
    expect(() => parseDeliveryPolicy(input)).toThrow(`delivery.${field}`)
  })
})

describe('backoffSchedule', () => {
  it('doubles per retry for exponential (delay·2^k, k from 1)', () => {
    expect(backoffSchedule({ ...DEFAULT_DELIVERY, retry: 4, backoffDelayMs: 100 })).toEqual([
      200, 400, 800, 1600,
    ])
  })
  it('grows by the delay per retry for linear (delay·k)', () => {
    expect(
      backoffSchedule({ ...DEFAULT_DELIVERY, retry: 3, backoffPolicy: 'linear', backoffDelayMs: 100 }),
    ).toEqual([100, 200, 300])
  })
  it('is empty without retries', () => {
    expect(backoffSchedule(DEFAULT_DELIVERY)).toEqual([])
  })
})
