/**
 * Storm guard, per alert group: within a window that opens with the group's first new episode, at
 * most `maxPerWindow` new episodes are published one by one; the rest are counted and announced in a
 * single `agentsre.alert.storm` summary when the window closes. Plain data, so it can live in a row.
 */
export interface StormConfig {
  readonly maxPerWindow: number
  readonly windowMs: number
  /** Fingerprints listed in the summary at most (the count stays exact). */
  readonly maxListedFingerprints: number
}

export interface StormWindow {
  readonly windowStart: number
  readonly published: number
  readonly suppressed: number
  readonly fingerprints: readonly string[]
  readonly alertnames: Readonly<Record<string, number>>
}

export interface StormDecision {
  readonly window: StormWindow
  readonly publish: boolean
  /** The window this episode found closed, to summarise if it suppressed anything. */
  readonly closed: StormWindow | null
}

export function isOpen(window: StormWindow, now: number, config: StormConfig): boolean {
  return now < window.windowStart + config.windowMs
}

/** Admits one new episode of the group at `now`. */
export function admitEpisode(
  window: StormWindow | null,
  fingerprint: string,
  alertname: string | undefined,
  now: number,
  config: StormConfig,
): StormDecision {
  const closed = window !== null && !isOpen(window, now, config) ? window : null
  const current: StormWindow =
    window === null || closed !== null
      ? { windowStart: now, published: 0, suppressed: 0, fingerprints: [], alertnames: {} }
      : window
  if (current.published < config.maxPerWindow) {
    return { window: { ...current, published: current.published + 1 }, publish: true, closed }
  }
  const fingerprints =
    current.fingerprints.length < config.maxListedFingerprints && !current.fingerprints.includes(fingerprint)
      ? [...current.fingerprints, fingerprint]
      : current.fingerprints
  const name = alertname ?? ''
  const alertnames = { ...current.alertnames, [name]: (current.alertnames[name] ?? 0) + 1 }
  return {
    window: { ...current, suppressed: current.suppressed + 1, fingerprints, alertnames },
    publish: false,
    closed,
  }
}

export interface StormSummary {
  readonly count: number
  readonly threshold: number
  readonly windowMs: number
  readonly windowStart: string
  readonly windowEnd: string
  readonly fingerprints: string[]
  readonly fingerprintsTruncated: boolean
  readonly alertnames: Record<string, number>
}

/** The summary of a closed window, or null when it suppressed nothing. */
export function summarise(window: StormWindow, config: StormConfig): StormSummary | null {
  if (window.suppressed === 0) return null
  return {
    count: window.published + window.suppressed,
    threshold: config.maxPerWindow,
    windowMs: config.windowMs,
    windowStart: new Date(window.windowStart).toISOString(),
    windowEnd: new Date(window.windowStart + config.windowMs).toISOString(),
    fingerprints: [...window.fingerprints],
    fingerprintsTruncated: window.fingerprints.length < window.suppressed,
    alertnames: { ...window.alertnames },
  }
}
