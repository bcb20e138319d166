import type { Database } from '@agent-sre/store'
import type { FastifyRequest } from 'fastify'
import type { IntakeOutcome } from '../adapters/Intake.ts'
import type { AlertSource } from '../adapters/IntakeRepository.ts'
import type { Normalized } from '../domain/normalize.ts'
import type { ReadAuth, WebhookAuth } from './auth.ts'

/** What the route plugins get from the app. */
export interface IntakeContext {
  readonly db: Database
  readonly auth: WebhookAuth
  readonly readAuth: ReadAuth
  readonly maxAlertsPerWebhook: number
  readonly accept: (alerts: readonly Normalized[], source: AlertSource) => Promise<IntakeOutcome[]>
  readonly traceparentFor: (request: FastifyRequest) => string
}
