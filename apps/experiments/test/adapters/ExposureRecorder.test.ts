import { openCache } from '@agent-sre/store'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { type Exposure, type ExposureEvent, ExposureRecorder } from '../../src/adapters/ExposureRecorder.ts'
import { assignmentKey } from '../../src/domain/assignmentId.ts'
import { requireServiceEnv } from '../helpers.ts'

const redisUrl = requireServiceEnv('REDIS_URL')
const silent = { warn() {} }
const exposure = (userId: string, variant = 'a'): Exposure => ({
  experiment: 'e',
  variant,
  userId,
  bucket: 1,
  sticky: false,
})
const record = (recorder: ExposureRecorder, e: Exposure) =>
  recorder.record(e, assignmentKey('id', 1, e.userId))

async function outcomes(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('agentsre_experiments_exposures_total')!.get()
  return Object.fromEntries(metric.values.map((v) => [v.labels.outcome as string, v.value]))
}

describe('ExposureRecorder', () => {
  it('drops exposures with a metric when the queue is full, instead of growing', async () => {
    const registry = new Registry()
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const sent: ExposureEvent[] = []
    const recorder = new ExposureRecorder({
      emit: async (event) => {
        await gate
        sent.push(event)
      },
      cache: openCache(),
      logger: silent,
      registry,
      capacity: 2,
      concurrency: 1,
    })
    const accepted = Array.from({ length: 10 }, (_, i) => record(recorder, exposure(`u${i}`)))
    expect(accepted.filter(Boolean).length).toBeLessThan(10)
    release()
    await recorder.drain()
    const counts = await outcomes(registry)
    expect(counts.dropped).toBe(accepted.filter((a) => !a).length)
    expect(sent.length + (counts.dropped ?? 0)).toBe(10)
  })

  it('retries a user whose exposure failed to send', async () => {
    let fail = true
    const sent: string[] = []
    const recorder = new ExposureRecorder({
      emit: async (event) => {
        if (fail) throw new Error('sink down')
        sent.push(event.data.userId)
      },
      cache: openCache(),
      logger: silent,
      registry: new Registry(),
    })
    record(recorder, exposure('u'))
    await recorder.drain()
    fail = false
    record(recorder, exposure('u'))
    await recorder.drain()
    expect(sent).toEqual(['u'])
  })

  it('keeps the shared dedup key of earlier releases, and dedups per variant locally', async () => {
    const claimed: string[] = []
    const recorder = new ExposureRecorder({
      emit: undefined,
      cache: {
        setManyIfAbsent: async (entries) => {
          claimed.push(...entries.map(([key]) => key))
          return entries.map(() => true)
        },
        delete: async () => false,
      },
      logger: silent,
      registry: new Registry(),
    })
    const key = assignmentKey('0b5c6f3e-2f6e-4d8e-9a51-3c1f0f6f1a11', 3, 'user:\u00001')
    const user = (variant: string): Exposure => ({ ...exposure('user:\u00001', variant) })
    for (const variant of ['a', 'a', 'b', 'b', 'a']) recorder.record(user(variant), key)
    await recorder.drain()
    // Existing keys in the shared cache keep deduplicating after an upgrade.
    expect(claimed).toEqual([
      'exposure:0b5c6f3e-2f6e-4d8e-9a51-3c1f0f6f1a11:3:user:\u00001:a',
      'exposure:0b5c6f3e-2f6e-4d8e-9a51-3c1f0f6f1a11:3:user:\u00001:b',
      'exposure:0b5c6f3e-2f6e-4d8e-9a51-3c1f0f6f1a11:3:user:\u00001:a',
    ])
  })

  it('claims exposures that trickle in during a round trip in one batch, not one round trip each', async () => {
    const batches: number[] = []
    let release: () => void = () => {}
    const recorder = new ExposureRecorder({
      emit: undefined,
      cache: {
        setManyIfAbsent: async (entries) => {
          batches.push(entries.length)
          if (batches.length === 1)
            await new Promise<void>((resolve) => {
              release = resolve
            })
          return entries.map(() => true)
        },
        delete: async () => false,
      },
      logger: silent,
      registry: new Registry(),
      concurrency: 8,
    })
    record(recorder, exposure('u0'))
    await new Promise((resolve) => setImmediate(resolve))
    // The first round trip is in flight; five more users arrive, each in its own event-loop turn.
    for (let i = 1; i <= 5; i++) {
      record(recorder, exposure(`u${i}`))
      await new Promise((resolve) => setImmediate(resolve))
    }
    release()
    await recorder.drain()
    expect(batches).toEqual([1, 5])
  })

  it('checks queued exposures across replicas in batches; a failed check is retried later', async () => {
    const registry = new Registry()
    const memory = openCache()
    const batches: number[] = []
    let down = true
    const cache = {
      setManyIfAbsent: async (entries: readonly (readonly [string, string])[], ttlMs: number) => {
        batches.push(entries.length)
        await new Promise((resolve) => setImmediate(resolve))
        if (down && entries.some(([key]) => key.endsWith(':u0:a'))) throw new Error('cache down')
        return memory.setManyIfAbsent(entries, ttlMs)
      },
      delete: (key: string) => memory.delete(key),
    }
    const sent: string[] = []
    const recorder = new ExposureRecorder({
      emit: async (event) => {
        sent.push(event.data.userId)
      },
      cache,
      logger: silent,
      registry,
      concurrency: 1,
    })
    for (let i = 0; i < 100; i++) record(recorder, exposure(`u${i}`))
    await recorder.drain()
    // One worker, one cache round trip per batch of at most 64; a failed round trip fails its batch.
    expect(batches).toEqual([64, 36])
    expect(sent).toEqual(Array.from({ length: 36 }, (_, i) => `u${i + 64}`))
    expect((await outcomes(registry)).failed).toBe(64)
    down = false
    record(recorder, exposure('u0'))
    await recorder.drain()
    expect(sent).toContain('u0')
    await memory.close()
  })

  it.skipIf(!redisUrl)('deduplicates per user and variant across replicas through Redis', async () => {
    const prefix = `exp-${Date.now()}-`
    const caches = [
      openCache({ url: redisUrl, keyPrefix: prefix }),
      openCache({ url: redisUrl, keyPrefix: prefix }),
    ]
    const sent: string[] = []
    const replicas = caches.map(
      (cache) =>
        new ExposureRecorder({
          emit: async (event) => {
            sent.push(`${event.data.userId}/${event.data.variant}`)
          },
          cache,
          logger: silent,
          registry: new Registry(),
        }),
    )
    for (const r of replicas) {
      record(r, exposure('u1'))
      record(r, exposure('u1', 'b'))
    }
    await Promise.all(replicas.map((r) => r.drain()))
    expect(sent.sort()).toEqual(['u1/a', 'u1/b'])
    await Promise.all(caches.map((c) => c.close()))
  })
})
