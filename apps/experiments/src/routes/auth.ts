// API keys: `name:key` pairs, comma-separated, from a secret (re-read when its file changes). The
// name is the principal recorded in the audit log. Keys are compared in constant time; no key is
// ever logged. A service started without keys runs without authentication (local development;
// logged at start); once keys were seen, an empty list fails closed.

import { credentialsOf, safeEqual } from '@agent-sre/service-kit'
import type { FastifyRequest, onRequestHookHandler } from 'fastify'
import { ForbiddenError, UnauthorizedError } from './errors.ts'

export type ApiKey = { name: string; key: string }

declare module 'fastify' {
  interface FastifyRequest {
    /** Who called: the API key's name, or `anonymous` when authentication is off. */
    principal: string
  }
}

export function parseApiKeys(text: string | undefined): ApiKey[] {
  if (!text) return []
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const colon = entry.indexOf(':')
      return colon > 0
        ? { name: entry.slice(0, colon), key: entry.slice(colon + 1) }
        : { name: 'api-key', key: entry }
    })
}

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key']
  if (typeof header === 'string' && header !== '') return header
  const credentials = credentialsOf(request.headers.authorization)
  return credentials?.scheme === 'bearer' ? credentials.value : undefined
}

/** An onRequest hook admitting requests that present one of `keys()`. */
export function requireApiKey(keys: () => readonly ApiKey[]): onRequestHookHandler {
  // Authentication is off only while no key was ever configured (local development). Once there
  // were keys, an empty list (a key file caught mid-rotation, an operator's slip) admits nobody
  // rather than everybody.
  let everConfigured = keys().length > 0
  return (request, _reply, done) => {
    const allowed = keys()
    if (allowed.length > 0) everConfigured = true
    else if (everConfigured) return done(new UnauthorizedError())
    else {
      request.principal = 'anonymous'
      return done()
    }
    const presented = presentedKey(request)
    if (presented === undefined) return done(new UnauthorizedError())
    // Check every key so the time taken does not reveal which one matched.
    let match: ApiKey | undefined
    for (const candidate of allowed) if (safeEqual(presented, candidate.key) && !match) match = candidate
    if (!match) return done(new ForbiddenError())
    request.principal = match.name
    done()
  }
}
