import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { GroupCommit, QueueFullError } from '../../src/adapters/GroupCommit.ts'

/** A flush whose commits the test releases one by one. */
function controlledFlush() {
  const calls: { items: string[]; commit(): void; fail(err: Error): void }[] = []
  const flush = (items: string[]) =>
    new Promise<string[]>((resolve, reject) => {
      calls.push({
        items,
        commit: () => resolve(items.map((i) => `ok ${i}`)),
        fail: reject,
      })
    })
  return { calls, flush }
}
const tick = () => vi.advanceTimersByTimeAsync(1)

describe('GroupCommit', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('gathers requests for delayMs into one flush and answers each with its own results', async () => {
    const { calls, flush } = controlledFlush()
    const gc = new GroupCommit(flush, { maxBatch: 100, maxQueued: 100, delayMs: 1 })
    const a = gc.submit(['a1', 'b1'])
    const b = gc.submit(['c1'])
    await tick()
    expect(calls.map((c) => c.items)).toEqual([['a1', 'b1', 'c1']])
    calls[0]?.commit()
    expect(await a).toEqual(['ok a1', 'ok b1'])
    expect(await b).toEqual(['ok c1'])
  })

  it('gathers what arrives during a flush into the next one, started as soon as it commits', async () => {
    const { calls, flush } = controlledFlush()
    const gc = new GroupCommit(flush, { maxBatch: 100, maxQueued: 100, delayMs: 1_000 })
    void gc.submit(['a'])
    await vi.advanceTimersByTimeAsync(1_000)
    void gc.submit(['b'])
    void gc.submit(['c'])
    await tick()
    expect(calls).toHaveLength(1) // one flush at a time
    calls[0]?.commit()
    await tick() // no second gathering delay: b and c have waited already
    expect(calls.map((c) => c.items)).toEqual([['a'], ['b', 'c']])
  })

  it('runs exclusive work between flushes, never during one', async () => {
    const { calls, flush } = controlledFlush()
    const gc = new GroupCommit(flush, { maxBatch: 100, maxQueued: 100, delayMs: 1 })
    void gc.submit(['a1'])
    await tick()
    let release: () => void = () => {}
    const order: string[] = []
    const exclusive = gc.exclusive(async () => {
      order.push('exclusive started')
      await new Promise<void>((resolve) => {
        release = resolve
      })
      order.push('exclusive done')
      return 42
    })
    void gc.submit(['b1'])
    await tick()
    expect(order).toEqual([]) // a:1 is still in flight
    expect(calls).toHaveLength(1) // and b:1 waits behind the exclusive work
    calls[0]?.commit()
    await tick()
    expect(order).toEqual(['exclusive started'])
    expect(calls).toHaveLength(1)
    release()
    expect(await exclusive).toBe(42)
    await tick()
    expect(calls.map((c) => c.items)).toEqual([['a1'], ['b1']])
  })

  it('rejects every request of a failed flush and goes on with the next', async () => {
    const { calls, flush } = controlledFlush()
    const gc = new GroupCommit(flush, { maxBatch: 100, maxQueued: 100, delayMs: 1 })
    const a = gc.submit(['a1'])
    await tick()
    const b = gc.submit(['a2'])
    calls[0]?.fail(new Error('connection lost'))
    await expect(a).rejects.toThrow('connection lost')
    await tick()
    calls[1]?.commit()
    expect(await b).toEqual(['ok a2'])
  })

  it('refuses work beyond maxQueued and splits at maxBatch by whole requests', async () => {
    const { calls, flush } = controlledFlush()
    const gc = new GroupCommit(flush, { maxBatch: 3, maxQueued: 5, delayMs: 1 })
    void gc.submit(['a1', 'b1'])
    void gc.submit(['c1', 'd1'])
    await expect(gc.submit(['e1', 'f1'])).rejects.toBeInstanceOf(QueueFullError)
    await tick()
    expect(calls.map((c) => c.items)).toEqual([['a1', 'b1']])
    calls[0]?.commit()
    await tick()
    expect(calls[1]?.items).toEqual(['c1', 'd1'])
  })

  it('drain waits for queued and running flushes', async () => {
    const { calls, flush } = controlledFlush()
    const gc = new GroupCommit(flush, { maxBatch: 100, maxQueued: 100, delayMs: 1_000 })
    const a = gc.submit(['a1'])
    let drained = false
    const done = gc.drain().then(() => {
      drained = true
    })
    await tick() // drain does not wait for the gathering delay
    expect(calls).toHaveLength(1)
    expect(drained).toBe(false)
    calls[0]?.commit()
    await done
    expect(await a).toEqual(['ok a1'])
  })
})
