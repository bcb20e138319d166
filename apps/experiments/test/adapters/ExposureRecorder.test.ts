import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { type Exposure, type ExposureEvent, ExposureRecorder } from '../../src/adapters/ExposureRecorder.ts'

// Deduplication is not the recorder's: exposures reach it once per stored assignment (see
// AssignmentStore's onStored, and the cross-replica test in routes/assign.test.ts).
const silent = { warn() {} }
const exposure = (userId: string, variant = 'a'): Exposure => ({
  experiment: 'e',
  variant,
  userId,
  bucket: 1,
  sticky: false,
})

async function outcomes(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('agentsre_experiments_exposures_total')!.get()
  return Object.fromEntries(metric.values.map((v) => [v.labels.outcome as string, v.value]))
}

function gated() {
  let release: () => void = () => {}
  const gate = new Promise<void>((resolve) => {
    release = resolve
  })
  return { gate, release: () => release() }
}

describe('ExposureRecorder', () => {
  it('drops exposures with a metric when the queue is full, instead of growing', async () => {
    const registry = new Registry()
    const { gate, release } = gated()
    const sent: ExposureEvent[] = []
    const recorder = new ExposureRecorder({
      emit: async (event) => {
        await gate
        sent.push(event)
      },
      logger: silent,
      registry,
      capacity: 2,
      concurrency: 1,
    })
    const accepted = Array.from({ length: 10 }, (_, i) => recorder.record(exposure(`u${i}`)))
    // Two wait in the queue; the one worker takes the first only on its next turn.
    expect(accepted).toEqual([true, true, ...Array(8).fill(false)])
    const queued = await registry.getSingleMetric('agentsre_experiments_exposure_queue_length')!.get()
    expect(queued.values[0]!.value).toBe(2)
    release()
    await recorder.drain()
    expect(sent.map((e) => e.data.userId)).toEqual(['u0', 'u1'])
    expect(await outcomes(registry)).toEqual({ emitted: 2, dropped: 8 })
  })

  it('sends each exposure as an agentsre.experiment.exposure event, at most `concurrency` at once', async () => {
    const registry = new Registry()
    let inFlight = 0
    let most = 0
    const sent: ExposureEvent[] = []
    const recorder = new ExposureRecorder({
      emit: async (event) => {
        most = Math.max(most, ++inFlight)
        await new Promise((resolve) => setTimeout(resolve, 2))
        inFlight--
        sent.push(event)
      },
      logger: silent,
      registry,
      concurrency: 3,
    })
    for (let i = 0; i < 20; i++) recorder.record(exposure(`u${i}`, i % 2 ? 'a' : 'b'))
    await recorder.drain()
    expect(most).toBe(3)
    expect(sent.map((e) => e.data.userId).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `u${i}`).sort(),
    )
    expect(sent[0]).toMatchObject({
      type: 'agentsre.experiment.exposure',
      source: '/agent-sre/experiments',
      data: { experiment: 'e', userId: 'u0', variant: 'b', bucket: 1, sticky: false },
    })
    expect(await outcomes(registry)).toEqual({ emitted: 20 })
  })

  it('counts and logs a send that failed, and goes on with the rest', async () => {
    const registry = new Registry()
    const warnings: object[] = []
    const sent: string[] = []
    const recorder = new ExposureRecorder({
      emit: async (event) => {
        if (event.data.userId === 'bad') throw new Error('sink down')
        sent.push(event.data.userId)
      },
      logger: { warn: (obj) => warnings.push(obj) },
      registry,
      concurrency: 1,
    })
    for (const user of ['a', 'bad', 'c']) recorder.record(exposure(user))
    await recorder.drain()
    expect(sent).toEqual(['a', 'c'])
    expect(await outcomes(registry)).toEqual({ emitted: 2, failed: 1 })
    expect(warnings).toEqual([expect.objectContaining({ experiment: 'e' })])
  })

  it('counts exposures as unrouted when there is no broker to send them to', async () => {
    const registry = new Registry()
    const recorder = new ExposureRecorder({ emit: undefined, logger: silent, registry })
    for (let i = 0; i < 5; i++) recorder.record(exposure(`u${i}`))
    await recorder.drain()
    expect(await outcomes(registry)).toEqual({ unrouted: 5 })
  })

  it('drain waits for exposures in flight', async () => {
    const { gate, release } = gated()
    let done = false
    const recorder = new ExposureRecorder({
      emit: async () => {
        await gate
        done = true
      },
      logger: silent,
      registry: new Registry(),
    })
    recorder.record(exposure('u'))
    let drained = false
    const draining = recorder.drain().then(() => {
      drained = true
    })
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(drained).toBe(false)
    release()
    await draining
    expect(done).toBe(true)
  })
})
