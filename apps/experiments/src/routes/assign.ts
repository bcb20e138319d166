// Assignment: `GET /assign?experiment_key=&user_id=` and `POST /assign` (with a targeting
// context). A user's first assignment is persisted (write-behind) and returned afterwards even
// when the weights change, until the bucket version is raised. Nothing here waits on a database
// write. A new assignment's exposure event goes with its write and is sent once the write commits
// (by the replica that stored it: one exposure per assignment); answers from a stored assignment
// were exposed when it was stored.

import { ErrorBodySchema } from '@agent-sre/service-kit'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { type Static, Type } from '@sinclair/typebox'
import { assignmentIdFor, assignmentKey } from '../domain/assignmentId.ts'
import type { EvaluationContext } from '../domain/targeting.ts'
import type { Services } from '../Services.ts'
import { requireApiKey } from './auth.ts'
import { UnknownError } from './errors.ts'
import { AssignResponse, Context, Key, UserId } from './schemas.ts'

const AssignQuery = Type.Object({ experiment_key: Key, user_id: UserId }, { additionalProperties: false })
const AssignBody = Type.Object(
  { experiment_key: Key, user_id: UserId, context: Type.Optional(Context) },
  { additionalProperties: false },
)
const response = {
  200: AssignResponse,
  400: ErrorBodySchema,
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  404: ErrorBodySchema,
}
const EMPTY: EvaluationContext = Object.freeze({})

type AssignResult = Static<typeof AssignResponse>

export async function assign(
  services: Services,
  experimentKey: string,
  userId: string,
  context: EvaluationContext,
): Promise<AssignResult> {
  const loaded = await services.config.experiment(experimentKey)
  // A draft is not public yet: answer as if it did not exist.
  if (!loaded || loaded.experiment.closedReason === 'EXPERIMENT_DRAFT')
    throw new UnknownError('Experiment', experimentKey)
  const { experiment, id } = loaded
  const now = services.now()
  if (experiment.closedReason) {
    return noVariant(id, experimentKey, now, experiment.closedReason)
  }
  const { bucketVersion } = experiment.config
  // Until the rules change within this bucket version, a persisted assignment is exactly what the
  // hash gives, so only what this replica holds in memory is consulted (no database read).
  const key = assignmentKey(id, bucketVersion, userId)
  const known = services.assignments.cached(key)
  const sticky = known === undefined && loaded.stickyReads ? await services.assignments.load(key) : known
  // A persisted variant that was since removed from the config cannot be served; assign afresh.
  if (sticky && experiment.hasVariant(sticky.variant)) {
    return {
      experiment_id: id,
      experiment_key: experimentKey,
      variant: sticky.variant,
      assignment_id: sticky.assignmentId,
      timestamp: sticky.timestamp,
      reason: 'STICKY',
    }
  }
  const result = experiment.assign(userId, context)
  if (result.variant === null) return noVariant(id, experimentKey, now, result.reason)
  const assignment = {
    variant: result.variant,
    assignmentId: assignmentIdFor(key),
    timestamp: isoTimestamp(now),
  }
  const exposure = {
    experiment: experimentKey,
    variant: result.variant,
    userId,
    bucket: experiment.bucketOf(userId),
    sticky: false,
  }
  // A stored variant that was removed is replaced by this one (stored and exposed in its place).
  const replaces = sticky ? sticky.variant : undefined
  // The exposure is recorded once the assignment is stored; one that will not be stored (the write
  // buffer is full, or Postgres cannot hold the user id) is exposed now.
  if (!services.assignments.remember(key, assignment, exposure, replaces)) services.exposures.record(exposure)
  return {
    experiment_id: id,
    experiment_key: experimentKey,
    variant: result.variant,
    assignment_id: assignment.assignmentId,
    timestamp: assignment.timestamp,
    reason: 'ASSIGNED',
  }
}

let lastMillis = Number.NaN
let lastTimestamp = ''

/** ISO 8601, formatted once per millisecond: under load many answers share one. */
function isoTimestamp(millis: number): string {
  if (millis !== lastMillis) {
    lastMillis = millis
    lastTimestamp = new Date(millis).toISOString()
  }
  return lastTimestamp
}

function noVariant(id: string, key: string, now: number, reason: string): AssignResult {
  return {
    experiment_id: id,
    experiment_key: key,
    variant: null,
    assignment_id: null,
    timestamp: isoTimestamp(now),
    reason,
  }
}

export function assignRoutes(services: Services): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', requireApiKey(services.apiKeys))

    app.get(
      '/assign',
      { config: services.evaluationRoutes, schema: { querystring: AssignQuery, response } },
      async (request) => assign(services, request.query.experiment_key, request.query.user_id, EMPTY),
    )

    app.post(
      '/assign',
      { config: services.evaluationRoutes, schema: { body: AssignBody, response } },
      async (request) =>
        assign(services, request.body.experiment_key, request.body.user_id, request.body.context ?? EMPTY),
    )
  }
}
