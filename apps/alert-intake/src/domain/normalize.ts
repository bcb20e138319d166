import { type AlertStatus, type IncomingAlert, timeMs, ZERO_TIME } from './alert.ts'
import { episodeIdFor } from './episode.ts'
import { checkFingerprint, type LabelSet } from './fingerprint.ts'
import type { PipelineItem } from './pipeline.ts'

export interface Normalized {
  readonly item: PipelineItem
  readonly startsAtMs: number
}

export interface AlertContext {
  readonly groupKey: string
  readonly groupLabels?: LabelSet | undefined
  readonly receiver?: string | undefined
  readonly externalURL?: string | undefined
  readonly traceparent: string
}

/** Input that passed the schema but cannot be one alert: the caller answers 400 with `reason`. */
export class AlertRejected extends Error {
  override readonly name = 'AlertRejected'
}

/** Validated input → pipeline item: fingerprint computed (and checked), episode derived. */
export function normalizeAlert(
  raw: {
    status: AlertStatus
    labels: LabelSet
    annotations?: LabelSet | undefined
    startsAt?: string | undefined
    endsAt?: string | undefined
    generatorURL?: string | undefined
    fingerprint?: string | undefined
  },
  ctx: AlertContext,
  where: string,
): Normalized {
  const fp = checkFingerprint(raw.labels, raw.fingerprint)
  if (!fp.ok) {
    throw new AlertRejected(
      `${where}: fingerprint ${fp.received} does not match the labels (expected ${fp.computed})`,
    )
  }
  if (raw.startsAt === undefined)
    throw new AlertRejected(`${where}: startsAt is required to identify the episode`)
  const startsAtMs = timeMs(raw.startsAt)
  if (startsAtMs === null) throw new AlertRejected(`${where}: startsAt ${raw.startsAt} is not a valid time`)
  const alert: IncomingAlert & { fingerprint: string } = {
    status: raw.status,
    labels: raw.labels,
    annotations: raw.annotations ?? {},
    startsAt: raw.startsAt,
    endsAt: raw.endsAt ?? ZERO_TIME,
    generatorURL: raw.generatorURL ?? '',
    fingerprint: fp.fingerprint,
  }
  return {
    startsAtMs,
    item: {
      alert,
      episodeId: episodeIdFor(fp.fingerprint, startsAtMs),
      groupKey: ctx.groupKey,
      groupLabels: ctx.groupLabels,
      receiver: ctx.receiver || undefined,
      externalURL: ctx.externalURL,
      traceparent: ctx.traceparent,
    },
  }
}
