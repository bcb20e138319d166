import type { AlertStatus } from './alert.ts'

/**
 * Flap detection: an alert that changes status more than `threshold` times within `windowMs` is
 * flapping. While it flaps a `resolved` is held back; it is released only after the alert has stayed
 * resolved for `stabilizationMs`. A re-fire during the hold cancels it, so consumers see one episode
 * instead of a firing/resolved storm. The state is plain data so it can live in the alert's row.
 */
export interface FlapConfig {
  /** Transitions in the window above which the alert is flapping. */
  readonly threshold: number
  readonly windowMs: number
  /** How long a flapping alert must stay resolved before `resolved` is published. */
  readonly stabilizationMs: number
}

export interface FlapState {
  /** Epoch ms of the status changes inside the window, oldest first. */
  readonly transitions: readonly number[]
  readonly flapping: boolean
  /** Epoch ms since which a `resolved` is held back; null when nothing is held. */
  readonly heldSince: number | null
}

export const initialFlapState: FlapState = { transitions: [], flapping: false, heldSince: null }

export interface FlapDecision {
  readonly state: FlapState
  /** Publish this status change now (false: it is held, or it cancels a held `resolved`). */
  readonly publish: boolean
  /** The alert started flapping with this change: emit `agentsre.alert.flapping` once. */
  readonly startedFlapping: boolean
}

function inWindow(transitions: readonly number[], now: number, windowMs: number): number[] {
  return transitions.filter((t) => t > now - windowMs)
}

/** Applies a status change (`previous` → `next`) observed at `now`. */
export function observeStatus(
  state: FlapState,
  previous: AlertStatus | undefined,
  next: AlertStatus,
  now: number,
  config: FlapConfig,
): FlapDecision {
  // A repeat (re-sent group, HA twin) is no change; it stays held while a resolved is held.
  if (previous === next) return { state, publish: state.heldSince === null, startedFlapping: false }
  const transitions =
    previous === undefined
      ? inWindow(state.transitions, now, config.windowMs)
      : [...inWindow(state.transitions, now, config.windowMs), now]
  const flapping = state.flapping || transitions.length > config.threshold
  const startedFlapping = flapping && !state.flapping
  if (next === 'resolved') {
    if (flapping) return { state: { transitions, flapping, heldSince: now }, publish: false, startedFlapping }
    return { state: { transitions, flapping, heldSince: null }, publish: true, startedFlapping }
  }
  // firing: when a resolved is held, consumers still believe the alert fires; nothing to publish.
  const cancelsHold = state.heldSince !== null
  return { state: { transitions, flapping, heldSince: null }, publish: !cancelsHold, startedFlapping }
}

/** True when a held `resolved` has been stable long enough to publish. */
export function holdExpired(state: FlapState, now: number, config: FlapConfig): boolean {
  return state.heldSince !== null && now - state.heldSince >= config.stabilizationMs
}

/** The state after a held `resolved` was published: the alert is calm again. */
export function releaseHold(): FlapState {
  return initialFlapState
}

/** Ends a flapping period of a firing alert once its window holds no more than `threshold` changes. */
export function settle(state: FlapState, now: number, config: FlapConfig): FlapState {
  if (!state.flapping || state.heldSince !== null) return state
  const transitions = inWindow(state.transitions, now, config.windowMs)
  return transitions.length > config.threshold ? state : { transitions, flapping: false, heldSince: null }
}
