import { describe, expect, it } from 'vitest'
import { OffsetCommitter, type TopicPartitionOffset } from '../src/backends/OffsetCommitter.ts'

function deferred() {
  let resolve!: () => void
  let reject!: (error: unknown) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

describe('OffsetCommitter', () => {
  it('sends commits made while a request is in flight together, newest offset per partition', async () => {
    const requests: TopicPartitionOffset[][] = []
    const acks: Array<ReturnType<typeof deferred>> = []
    const committer = new OffsetCommitter((offsets) => {
      requests.push(offsets)
      const ack = deferred()
      acks.push(ack)
      return ack.promise
    })
    let firstDone = false
    const first = committer.commit({ topic: 't', partition: 0, offset: '5' }).then(() => {
      firstDone = true
    })
    const second = committer.commit({ topic: 't', partition: 1, offset: '3' })
    const third = committer.commit({ topic: 't', partition: 1, offset: '9' })
    const fourth = committer.commit({ topic: 't', partition: 2, offset: '1' })
    expect(requests).toEqual([[{ topic: 't', partition: 0, offset: '5' }]])
    await Promise.resolve()
    expect(firstDone).toBe(false)
    acks[0]!.resolve()
    await first
    await new Promise((resolve) => setImmediate(resolve))
    expect(requests[1]).toEqual([
      { topic: 't', partition: 1, offset: '9' },
      { topic: 't', partition: 2, offset: '1' },
    ])
    acks[1]!.resolve()
    await Promise.all([second, third, fourth])
    expect(requests).toHaveLength(2)
  })

  it('rejects every commit of a failed request and keeps committing afterwards', async () => {
    let fail = true
    const committer = new OffsetCommitter(async () => {
      if (fail) throw new Error('coordinator moved')
    })
    await expect(committer.commit({ topic: 't', partition: 0, offset: '1' })).rejects.toThrow(
      'coordinator moved',
    )
    fail = false
    await expect(committer.commit({ topic: 't', partition: 0, offset: '2' })).resolves.toBeUndefined()
  })
})
