// The admin API: create, read, replace and delete experiments and flags, with optimistic
// concurrency (ETag = the version; `If-Match` is required to change or delete, 412 on mismatch)
// and an audit log of every change. Each change is published so every replica reloads it.

import { ErrorBodySchema } from '@agent-sre/service-kit'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { type Static, Type } from '@sinclair/typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Entity, Stored as StoredRecord, WriteResult } from '../adapters/ConfigRepository.ts'
import { compileExperiment } from '../domain/experiments.ts'
import { compileFlag } from '../domain/flags.ts'
import type { ConfigIssue } from '../domain/issues.ts'
import type { Services } from '../Services.ts'
import { requireApiKey } from './auth.ts'
import {
  AlreadyExistsError,
  PreconditionFailedError,
  PreconditionRequiredError,
  sendInvalidConfig,
  UnknownError,
} from './errors.ts'
import { MAX_NESTING, nestedDeeper } from './nesting.ts'
import { AuditEntry, ExperimentBody, FlagBody, Key, Stored } from './schemas.ts'

const KeyParams = Type.Object({ key: Key })
const AuditQuery = Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }) })
const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 403: ErrorBodySchema, 404: ErrorBodySchema }

type ExperimentInput = Static<typeof ExperimentBody>
type FlagInput = Static<typeof FlagBody>

const LABEL: Record<Entity, string> = { experiment: 'Experiment', flag: 'Flag' }

/** Experiment config with defaults filled in: seed = key, bucket version 1, full traffic, DRAFT. */
function experimentConfig(key: string, body: ExperimentInput) {
  return {
    key,
    ...(body.description !== undefined && { description: body.description }),
    status: body.status ?? 'DRAFT',
    variants: body.variants,
    trafficAllocation: body.trafficAllocation ?? 100,
    targeting: body.targeting ?? null,
    seed: body.seed ?? key,
    bucketVersion: body.bucketVersion ?? 1,
  }
}

function flagConfig(key: string, body: FlagInput) {
  return {
    key,
    ...(body.description !== undefined && { description: body.description }),
    enabled: body.enabled,
    valueType: body.valueType,
    defaultValue: body.defaultValue,
    rolloutPercentage: body.rolloutPercentage ?? 100,
    variants: body.variants,
    targeting: body.targeting ?? null,
  }
}

function validate(entity: Entity, config: object): ConfigIssue[] {
  if (nestedDeeper(config, MAX_NESTING))
    return [{ path: '', message: `is nested more than ${MAX_NESTING} levels deep` }]
  const compiled = entity === 'experiment' ? compileExperiment(config) : compileFlag(config)
  return 'issues' in compiled ? compiled.issues : []
}

const etagOf = (version: number) => `"${version}"`

/** The version named by If-Match (`"3"`; a weak `W/"3"` is accepted as the same version). */
function expectedVersion(request: FastifyRequest): number {
  const header = request.headers['if-match']
  if (!header) throw new PreconditionRequiredError()
  const m = /^(?:W\/)?"(\d{1,15})"$/.exec(header.trim())
  if (!m) throw new PreconditionFailedError(header.slice(0, 40), 'a quoted version')
  return Number(m[1])
}

function present<E extends Entity>(key: string, stored: StoredRecord<E>) {
  return {
    key,
    ...('id' in stored && { id: stored.id }),
    version: stored.version,
    updatedAt: stored.updatedAt,
    config: stored.config,
  }
}

function settle<T>(
  result: WriteResult<T>,
  entity: Entity,
  key: string,
  reply: FastifyReply,
  ifMatch?: number,
): T {
  switch (result.status) {
    case 'ok':
      return result.value
    case 'exists':
      throw new AlreadyExistsError(LABEL[entity], key)
    case 'not_found':
      throw new UnknownError(LABEL[entity], key)
    case 'conflict':
      reply.header('etag', etagOf(result.currentVersion))
      throw new PreconditionFailedError(etagOf(ifMatch ?? 0), etagOf(result.currentVersion))
  }
}

export function adminRoutes(services: Services): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', requireApiKey(services.adminKeys))

    for (const entity of ['experiment', 'flag'] as const) {
      const base = `/admin/${entity}s`
      const Body = entity === 'experiment' ? ExperimentBody : FlagBody
      const configOf = (key: string, body: unknown) =>
        entity === 'experiment'
          ? experimentConfig(key, body as ExperimentInput)
          : flagConfig(key, body as FlagInput)

      app.get(
        base,
        { schema: { response: { 200: Type.Object({ items: Type.Array(Stored) }), ...errors } } },
        async () => {
          const items = await services.repository.list(entity)
          return { items: items.map((s) => present(s.config.key, s)) }
        },
      )

      app.post(
        base,
        { schema: { body: Body, response: { 201: Stored, 409: ErrorBodySchema, ...errors } } },
        async (request, reply) => {
          const key = request.body.key
          if (!key) return sendInvalidConfig(request, reply, [{ path: 'key', message: 'is required' }])
          const config = configOf(key, request.body)
          const issues = validate(entity, config)
          if (issues.length > 0) return sendInvalidConfig(request, reply, issues)
          const stored = settle(
            await services.repository.create(entity, key, config, request.principal),
            entity,
            key,
            reply,
          )
          await services.config.changed(entity, key)
          reply.code(201).header('etag', etagOf(stored.version)).header('location', `${base}/${key}`)
          return present(key, stored)
        },
      )

      app.get(
        `${base}/:key`,
        { schema: { params: KeyParams, response: { 200: Stored, ...errors } } },
        async (request, reply) => {
          const stored = await services.repository.get(entity, request.params.key)
          if (!stored) throw new UnknownError(LABEL[entity], request.params.key)
          reply.header('etag', etagOf(stored.version))
          return present(request.params.key, stored)
        },
      )

      app.put(
        `${base}/:key`,
        {
          schema: {
            params: KeyParams,
            body: Body,
            response: { 200: Stored, 412: ErrorBodySchema, 428: ErrorBodySchema, ...errors },
          },
        },
        async (request, reply) => {
          const { key } = request.params
          const version = expectedVersion(request)
          if (request.body.key !== undefined && request.body.key !== key) {
            return sendInvalidConfig(request, reply, [
              { path: 'key', message: `must match the path key "${key}"` },
            ])
          }
          const config = configOf(key, request.body)
          const issues = validate(entity, config)
          if (entity === 'experiment') {
            // Persisted assignments are keyed by bucket version: going back would revive old ones.
            const current = await services.repository.get('experiment', key)
            const before = current?.config.bucketVersion ?? 0
            if (
              current?.version === version &&
              (config as { bucketVersion: number }).bucketVersion < before
            ) {
              issues.push({ path: 'bucketVersion', message: `can only be raised (currently ${before})` })
            }
          }
          if (issues.length > 0) return sendInvalidConfig(request, reply, issues)
          const stored = settle(
            await services.repository.update(entity, key, config, version, request.principal),
            entity,
            key,
            reply,
            version,
          )
          await services.config.changed(entity, key)
          reply.header('etag', etagOf(stored.version))
          return present(key, stored)
        },
      )

      app.delete(
        `${base}/:key`,
        {
          schema: {
            params: KeyParams,
            response: { 204: Type.Null(), 412: ErrorBodySchema, 428: ErrorBodySchema, ...errors },
          },
        },
        async (request, reply) => {
          const { key } = request.params
          const version = expectedVersion(request)
          settle(
            await services.repository.delete(entity, key, version, request.principal),
            entity,
            key,
            reply,
            version,
          )
          await services.config.changed(entity, key)
          return reply.code(204).send(null)
        },
      )

      app.get(
        `${base}/:key/audit`,
        {
          schema: {
            params: KeyParams,
            querystring: AuditQuery,
            response: { 200: Type.Object({ items: Type.Array(AuditEntry) }), ...errors },
          },
        },
        async (request) => ({
          items: await services.repository.auditLog(entity, request.params.key, request.query.limit),
        }),
      )
    }
  }
}
