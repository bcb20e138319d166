import { Registry } from 'prom-client'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createBroker } from '../../src/Broker.ts'
import { parseTriggerValues } from '../../src/domain/TriggerDefinition.ts'
import { testEvent } from '../helpers/events.ts'
import { TestSubscriber } from '../helpers/TestSubscriber.ts'
import { conformanceSuite } from './conformanceSuite.ts'

conformanceSuite({ name: 'memory', backend: () => ({ memory: { queueCapacity: 1_000 } }), fakeTimers: true })

const silent = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent }

describe('memory backend specifics', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('waits exactly delay·2^k before retry k (fake timers)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const subscriber = await TestSubscriber.start()
    subscriber.on('/', () => ({ status: 503 }))
    const broker = createBroker({
      triggers: parseTriggerValues(
        {
          triggers: [
            { name: 't', delivery: { retry: 3, backoffPolicy: 'exponential', backoffDelay: 'PT1S' } },
          ],
        },
        'svc',
      ),
      resolveSubscriber: () => subscriber.baseUrl,
      registry: new Registry(),
      logger: silent,
      closeGraceMs: 0,
    })
    await broker.start()
    try {
      await broker.publish('default', testEvent('x'))
      await subscriber.waitFor('/', 1)
      for (const [attempts, wait] of [
        [2, 2_000],
        [3, 4_000],
        [4, 8_000],
      ] as const) {
        await vi.advanceTimersByTimeAsync(wait - 1)
        await new Promise((resolve) => setImmediate(resolve))
        expect(subscriber.at('/')).toHaveLength(attempts - 1)
        await vi.advanceTimersByTimeAsync(1)
        await subscriber.waitFor('/', attempts)
      }
      await vi.advanceTimersByTimeAsync(60_000)
      expect(subscriber.at('/')).toHaveLength(4)
    } finally {
      await broker.close()
      await subscriber.close()
    }
  })

  it('answers 503 when a matching trigger queue is full, storing the event nowhere', async () => {
    const subscriber = await TestSubscriber.start()
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    subscriber.on('/slow', async () => {
      await gate
      return { status: 202 }
    })
    const broker = createBroker({
      backend: { memory: { queueCapacity: 2, concurrency: 1 } },
      triggers: parseTriggerValues(
        {
          triggers: [
            { name: 'slow', subscriber: { path: '/slow' } },
            { name: 'fast', subscriber: { path: '/fast' } },
          ],
        },
        'svc',
      ),
      resolveSubscriber: () => subscriber.baseUrl,
      registry: new Registry(),
      logger: silent,
      closeGraceMs: 1_000,
    })
    await broker.start()
    try {
      await broker.publish('default', testEvent('x'))
      await broker.publish('default', testEvent('x'))
      const refused = testEvent('x')
      await expect(broker.publish('default', refused)).rejects.toMatchObject({ reason: 'backpressure' })
      await subscriber.waitFor('/fast', 2)
      release()
      await subscriber.waitFor('/slow', 2)
      expect(subscriber.received.map((r) => r.event.id)).not.toContain(refused.id)
    } finally {
      release()
      await broker.close()
      await subscriber.close()
    }
  })

  it('answers 503 once closed', async () => {
    const broker = createBroker({
      triggers: [],
      resolveSubscriber: () => undefined,
      registry: new Registry(),
      logger: silent,
    })
    await broker.start()
    await broker.close()
    await expect(broker.publish('default', testEvent('x'))).rejects.toMatchObject({ reason: 'unavailable' })
  })
})
