import { describe, expect, it } from 'vitest'
import type { AlertStatus } from '../../src/domain/alert.ts'
import {
  type FlapConfig,
  type FlapState,
  holdExpired,
  initialFlapState,
  observeStatus,
  releaseHold,
  settle,
} from '../../src/domain/flapping.ts'

const config: FlapConfig = { threshold: 3, windowMs: 60_000, stabilizationMs: 30_000 }

/** Feeds statuses at the given times (fake clock) and returns the decisions. */
function run(steps: Array<[number, AlertStatus]>, start: FlapState = initialFlapState) {
  let state = start
  let previous: AlertStatus | undefined
  const out: Array<{ at: number; publish: boolean; startedFlapping: boolean }> = []
  for (const [at, status] of steps) {
    const d = observeStatus(state, previous, status, at, config)
    state = d.state
    previous = status
    out.push({ at, publish: d.publish, startedFlapping: d.startedFlapping })
  }
  return { state, out }
}

describe('flap detection', () => {
  it('publishes every change of a calm alert', () => {
    const { out, state } = run([
      [0, 'firing'],
      [10_000, 'resolved'],
      [20_000, 'firing'],
      [30_000, 'resolved'],
    ])
    expect(out.every((d) => d.publish && !d.startedFlapping)).toBe(true)
    expect(state.flapping).toBe(false)
    expect(state.transitions).toEqual([10_000, 20_000, 30_000])
  })

  it('marks flapping on the transition above the threshold and holds the resolved', () => {
    const { out, state } = run([
      [0, 'firing'],
      [1_000, 'resolved'],
      [2_000, 'firing'],
      [3_000, 'resolved'],
      [4_000, 'firing'], // 4th transition > 3: flapping
      [5_000, 'resolved'],
    ])
    expect(out.map((d) => d.startedFlapping)).toEqual([false, false, false, false, true, false])
    expect(out.map((d) => d.publish)).toEqual([true, true, true, true, true, false])
    expect(state.heldSince).toBe(5_000)
  })

  it('counts only transitions inside the window', () => {
    const { state } = run([
      [0, 'firing'],
      [1_000, 'resolved'],
      [2_000, 'firing'],
      [3_000, 'resolved'],
      [70_000, 'firing'], // the first three fell out of the window
    ])
    expect(state.flapping).toBe(false)
    expect(state.transitions).toEqual([70_000])
  })

  it('swallows a re-fire during the hold and keeps holding repeats of resolved', () => {
    const flapping: FlapState = { transitions: [1, 2, 3, 4], flapping: true, heldSince: 10_000 }
    const refire = observeStatus(flapping, 'resolved', 'firing', 11_000, config)
    expect(refire.publish).toBe(false)
    expect(refire.state.heldSince).toBeNull()
    const repeat = observeStatus(flapping, 'resolved', 'resolved', 11_000, config)
    expect(repeat.publish).toBe(false)
  })

  it('releases the resolved after the stabilisation period', () => {
    const held: FlapState = { transitions: [1, 2, 3, 4], flapping: true, heldSince: 10_000 }
    expect(holdExpired(held, 39_999, config)).toBe(false)
    expect(holdExpired(held, 40_000, config)).toBe(true)
    expect(releaseHold()).toEqual(initialFlapState)
    expect(holdExpired(initialFlapState, 1e12, config)).toBe(false)
  })

  it('settles a firing flapper once the window is calm', () => {
    const firing: FlapState = { transitions: [1_000, 2_000, 3_000, 4_000], flapping: true, heldSince: null }
    expect(settle(firing, 30_000, config)).toBe(firing)
    expect(settle(firing, 62_500, config)).toEqual({
      transitions: [3_000, 4_000],
      flapping: false,
      heldSince: null,
    })
  })
})
