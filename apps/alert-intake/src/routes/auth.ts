import { credentialsOf, safeEqual, UnauthorizedError } from '@agent-sre/service-kit'
import type { FastifyReply, FastifyRequest } from 'fastify'

/** How POST /alertmanager is authenticated (WEBHOOK_AUTH). */
export interface WebhookAuth {
  readonly mode: 'bearer' | 'basic' | 'none'
  readonly username: string
  /** The current token or password (re-read when its file changes). */
  readonly secret: () => string | undefined
}

/**
 * How GET /alerts* is authenticated: the webhook's credentials, or the read-only bearer token
 * (ALERTS_READ_TOKEN) when one is configured. Open only when neither exists.
 */
export interface ReadAuth {
  readonly webhook: WebhookAuth
  /** The current read token; undefined when none is configured (not when its file is empty). */
  readonly token: (() => string | undefined) | undefined
}

const NONE = { scheme: '', value: '' }

function scheme(request: FastifyRequest): { scheme: string; value: string } {
  return credentialsOf(request.headers.authorization) ?? NONE
}

/** Constant-time check of `Authorization`; the presented value never reaches a log. */
export function authorized(request: FastifyRequest, auth: WebhookAuth): boolean {
  if (auth.mode === 'none') return true
  const presented = scheme(request)
  if (auth.mode === 'bearer')
    return presented.scheme === 'bearer' && safeEqual(presented.value, auth.secret())
  if (presented.scheme !== 'basic') return false
  const decoded = Buffer.from(presented.value, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  // Both halves compared, always, so timing does not reveal which one was wrong.
  const userOk = safeEqual(decoded.slice(0, colon), auth.username)
  const passOk = safeEqual(decoded.slice(colon + 1), auth.secret())
  return colon > 0 && userOk && passOk
}

export function readAuthorized(request: FastifyRequest, auth: ReadAuth): boolean {
  if (auth.webhook.mode === 'none' && auth.token === undefined) return true
  const presented = scheme(request)
  // Both checked, always: which credential was wrong is not revealed by timing either.
  const tokenOk =
    auth.token !== undefined && presented.scheme === 'bearer' && safeEqual(presented.value, auth.token())
  const webhookOk = auth.webhook.mode !== 'none' && authorized(request, auth.webhook)
  return tokenOk || webhookOk
}

/** The WWW-Authenticate challenges for the credentials a route accepts. */
export function challengeFor(modes: readonly ('bearer' | 'basic' | 'none')[]): string {
  const challenges = new Set<string>()
  for (const mode of modes) {
    if (mode === 'bearer') challenges.add('Bearer')
    if (mode === 'basic') challenges.add('Basic realm="alert-intake"')
  }
  return [...challenges].join(', ')
}

/** 401 through the kit's error handler (its error body), with the challenge for the accepted schemes. */
export function refuse(reply: FastifyReply, challenge: string, message: string): never {
  reply.header('www-authenticate', challenge)
  throw new UnauthorizedError(message)
}
