import type { EventData } from '@agent-sre/events'
import type { AlertStatus, IncomingAlert } from './alert.ts'
import type { LabelSet } from './fingerprint.ts'
import {
  type FlapConfig,
  type FlapState,
  initialFlapState,
  observeStatus,
  releaseHold,
  settle,
} from './flapping.ts'
import { admitEpisode, type StormConfig, type StormWindow, summarise } from './storm.ts'

/**
 * The decision step of the intake, pure: given the new (deduplicated) alerts of one flush and the
 * stored state of the alerts and groups they touch, it returns the next state and the events to put
 * in the outbox. The adapter runs it inside the transaction that writes both.
 */

/** One alert ready for the pipeline: validated, fingerprinted, with its episode and group. */
export interface PipelineItem {
  readonly alert: IncomingAlert & { readonly fingerprint: string }
  readonly episodeId: string
  readonly groupKey: string
  readonly groupLabels?: LabelSet | undefined
  readonly receiver?: string | undefined
  readonly externalURL?: string | undefined
  readonly traceparent: string
}

/** What is stored per fingerprint. */
export interface AlertState {
  readonly fingerprint: string
  readonly status: AlertStatus
  /** The episode of the last alert received. */
  readonly episodeId: string
  /** The episode consumers were told is firing (null: none, or its firing was storm-suppressed). */
  readonly announcedEpisodeId: string | null
  readonly flap: FlapState
  readonly item: PipelineItem
}

export interface OutboxEvent {
  readonly type:
    | 'agentsre.alert.firing'
    | 'agentsre.alert.resolved'
    | 'agentsre.alert.flapping'
    | 'agentsre.alert.storm'
  readonly data:
    | EventData<'agentsre.alert.firing'>
    | EventData<'agentsre.alert.resolved'>
    | EventData<'agentsre.alert.flapping'>
    | EventData<'agentsre.alert.storm'>
  readonly correlationId: string
  readonly traceparent: string
}

export interface PipelineConfig {
  readonly flap: FlapConfig
  readonly storm: StormConfig
}

export interface Decisions {
  readonly alerts: Map<string, AlertState>
  readonly storms: Map<string, StormWindow>
  readonly events: OutboxEvent[]
  readonly flapping: number
  readonly stormSuppressed: number
}

function alertEvent(item: PipelineItem, episodeId: string): OutboxEvent {
  const a = item.alert
  const data = {
    groupKey: item.groupKey,
    episodeId,
    ...(item.groupLabels && { groupLabels: { ...item.groupLabels } }),
    ...(item.receiver && { receiver: item.receiver }),
    ...(item.externalURL !== undefined && { externalURL: item.externalURL }),
    alert: {
      status: a.status,
      labels: a.labels,
      annotations: a.annotations,
      startsAt: a.startsAt,
      endsAt: a.endsAt,
      generatorURL: a.generatorURL,
      fingerprint: a.fingerprint,
    },
  }
  return {
    type: a.status === 'firing' ? 'agentsre.alert.firing' : 'agentsre.alert.resolved',
    data: data as EventData<'agentsre.alert.firing'>,
    // One correlation id per episode: every event of the chain started by it can be found.
    correlationId: episodeId,
    traceparent: item.traceparent,
  }
}

function flappingEvent(
  item: PipelineItem,
  flap: FlapState,
  config: FlapConfig,
  episodeId: string,
): OutboxEvent {
  const first = flap.transitions[0] ?? Date.now()
  const last = flap.transitions[flap.transitions.length - 1] ?? first
  return {
    type: 'agentsre.alert.flapping',
    data: {
      fingerprint: item.alert.fingerprint,
      labels: item.alert.labels,
      groupKey: item.groupKey,
      transitions: flap.transitions.length,
      threshold: config.threshold,
      windowMs: config.windowMs,
      firstTransitionAt: new Date(first).toISOString(),
      lastTransitionAt: new Date(last).toISOString(),
    },
    correlationId: episodeId,
    traceparent: item.traceparent,
  }
}

export function stormEvent(groupKey: string, window: StormWindow, config: StormConfig, traceparent: string) {
  const summary = summarise(window, config)
  if (summary === null) return null
  const event: OutboxEvent = {
    type: 'agentsre.alert.storm',
    data: { groupKey, ...summary },
    // The storm is its own chain: keyed by group and window so a retry maps to the same id.
    correlationId: `storm:${groupKey}:${window.windowStart}`,
    traceparent,
  }
  return event
}

/** Applies `items` (in arrival order) to the stored state at `now`. */
export function decide(
  items: readonly PipelineItem[],
  priorAlerts: ReadonlyMap<string, AlertState>,
  priorStorms: ReadonlyMap<string, StormWindow>,
  now: number,
  config: PipelineConfig,
): Decisions {
  const alerts = new Map(priorAlerts)
  const storms = new Map(priorStorms)
  const events: OutboxEvent[] = []
  let flapping = 0
  let stormSuppressed = 0

  for (const item of items) {
    const fp = item.alert.fingerprint
    const status = item.alert.status
    const prev = alerts.get(fp)
    // A resolved for an older episode than the current one arrived late: history only.
    if (prev && status === 'resolved' && prev.episodeId !== item.episodeId && prev.status === 'firing') {
      if (Date.parse(item.alert.startsAt) < Date.parse(prev.item.alert.startsAt)) continue
    }
    const flap = observeStatus(prev?.flap ?? initialFlapState, prev?.status, status, now, config.flap)
    let announced = prev?.announcedEpisodeId ?? null

    if (flap.startedFlapping) {
      flapping++
      events.push(flappingEvent(item, flap.state, config.flap, announced ?? item.episodeId))
    }
    if (status === 'firing') {
      const fresh = prev === undefined || prev.status === 'resolved' || prev.episodeId !== item.episodeId
      if (flap.publish && fresh) {
        const admitted = admitEpisode(
          storms.get(item.groupKey) ?? null,
          fp,
          item.alert.labels.alertname,
          now,
          config.storm,
        )
        if (admitted.closed) {
          const summary = stormEvent(item.groupKey, admitted.closed, config.storm, item.traceparent)
          if (summary) events.push(summary)
        }
        storms.set(item.groupKey, admitted.window)
        if (admitted.publish) {
          announced = item.episodeId
          events.push(alertEvent(item, item.episodeId))
        } else {
          announced = null
          stormSuppressed++
        }
      }
    } else if (flap.publish) {
      // Resolved: tell consumers about the episode they know; nothing if they never saw it fire.
      if (announced !== null) events.push(alertEvent(item, announced))
      else if (prev === undefined) events.push(alertEvent(item, item.episodeId))
      announced = null
    }
    alerts.set(fp, {
      fingerprint: fp,
      status,
      episodeId: item.episodeId,
      announcedEpisodeId: announced,
      flap: flap.state,
      item,
    })
  }
  return { alerts, storms, events, flapping, stormSuppressed }
}

/** A held `resolved` whose stabilisation period passed: publish it and calm the alert down. */
export function releaseHeld(state: AlertState): { state: AlertState; event: OutboxEvent | null } {
  const event = state.announcedEpisodeId === null ? null : alertEvent(state.item, state.announcedEpisodeId)
  return { state: { ...state, announcedEpisodeId: null, flap: releaseHold() }, event }
}

/** Ends a firing alert's flapping period once calm; returns the same object when nothing changed. */
export function settleFlapping(state: AlertState, now: number, config: FlapConfig): AlertState {
  const flap = settle(state.flap, now, config)
  return flap === state.flap ? state : { ...state, flap }
}
