import { describe, expect, it } from 'vitest'
import { LaneQueue } from '../src/LaneQueue.ts'

const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('LaneQueue', () => {
  it('never runs more than `concurrency` items at once', async () => {
    let running = 0
    let peak = 0
    const queue = new LaneQueue<number>(3, async () => {
      running++
      peak = Math.max(peak, running)
      await tick()
      running--
    })
    for (let i = 0; i < 20; i++) queue.push(i)
    expect(queue.size).toBe(20)
    await queue.drain()
    expect(peak).toBe(3)
    expect(queue.size).toBe(0)
  })

  it('runs items of one lane one at a time in arrival order, other lanes alongside', async () => {
    const log: string[] = []
    const queue = new LaneQueue<string>(10, async (item) => {
      log.push(`start ${item}`)
      await tick()
      log.push(`end ${item}`)
    })
    queue.push('a1', 'a')
    queue.push('a2', 'a')
    queue.push('b1', 'b')
    queue.push('x')
    await queue.drain()
    expect(log.indexOf('start a2')).toBeGreaterThan(log.indexOf('end a1'))
    expect(log.indexOf('start b1')).toBeLessThan(log.indexOf('end a1'))
    expect(log.indexOf('start x')).toBeLessThan(log.indexOf('end a1'))
  })

  it('does not let a busy lane block free items behind it', async () => {
    const started: string[] = []
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const queue = new LaneQueue<string>(2, async (item) => {
      started.push(item)
      if (item === 'a1') await gate
    })
    queue.push('a1', 'a')
    queue.push('a2', 'a')
    queue.push('free')
    await tick()
    expect(started).toEqual(['a1', 'free'])
    release()
    await queue.drain()
    expect(started).toEqual(['a1', 'free', 'a2'])
  })

  it('drains with the first error after running everything', async () => {
    const ran: number[] = []
    const queue = new LaneQueue<number>(1, async (item) => {
      ran.push(item)
      if (item === 1) throw new Error('aborted')
    })
    queue.push(0)
    queue.push(1)
    queue.push(2)
    await expect(queue.drain()).rejects.toThrow('aborted')
    expect(ran).toEqual([0, 1, 2])
  })

  it('drains at once when empty', async () => {
    await expect(new LaneQueue(1, async () => {}).drain()).resolves.toBeUndefined()
  })
})
