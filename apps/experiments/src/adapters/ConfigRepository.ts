// Experiments and flags in Postgres: one JSON document per key with a version (the ETag) that
// increments on every change, and an audit row per change written in the same transaction.

import { randomUUID } from 'node:crypto'
import type { Database, Queryable } from '@agent-sre/store'
import { type ExperimentConfig, stickyReadsAfter } from '../domain/experiments.ts'
import type { FlagConfig } from '../domain/flags.ts'

export type Entity = 'experiment' | 'flag'
export type StoredExperiment = {
  id: string
  version: number
  config: ExperimentConfig
  updatedAt: string
  /** Whether persisted assignments can differ from the hash (see stickyReadsAfter). */
  stickyReads: boolean
}
export type StoredFlag = { version: number; config: FlagConfig; updatedAt: string }
export type Stored<E extends Entity> = E extends 'experiment' ? StoredExperiment : StoredFlag

export type WriteResult<T> =
  | { status: 'ok'; value: T }
  | { status: 'exists' }
  | { status: 'not_found' }
  | { status: 'conflict'; currentVersion: number }

export type AuditEntry = {
  id: number
  at: string
  actor: string
  entity: Entity
  key: string
  action: 'create' | 'update' | 'delete'
  version: number
  before: unknown
  after: unknown
}

const TABLE: Record<Entity, string> = { experiment: 'experiments', flag: 'flags' }

type Row = {
  id?: string
  version: number
  config: unknown
  updated_at: Date | string
  sticky_reads?: boolean
}

function toStored<E extends Entity>(row: Row): Stored<E> {
  const updatedAt =
    row.updated_at instanceof Date ? row.updated_at.toISOString() : new Date(row.updated_at).toISOString()
  const base = { version: Number(row.version), config: row.config, updatedAt }
  return (
    row.id === undefined ? base : { id: row.id, ...base, stickyReads: row.sticky_reads === true }
  ) as Stored<E>
}

export class ConfigRepository {
  readonly #db: Database

  constructor(db: Database) {
    this.#db = db
  }

  async get<E extends Entity>(entity: E, key: string): Promise<Stored<E> | undefined> {
    const { rows } = await this.#db.query<Row>(
      `select ${columns(entity)} from ${TABLE[entity]} where key = $1`,
      [key],
    )
    return rows[0] ? toStored<E>(rows[0]) : undefined
  }

  async list<E extends Entity>(entity: E): Promise<Stored<E>[]> {
    const { rows } = await this.#db.query<Row>(`select ${columns(entity)} from ${TABLE[entity]} order by key`)
    return rows.map((row) => toStored<E>(row))
  }

  /** Creates version 1; `exists` when the key is taken. */
  async create<E extends Entity>(
    entity: E,
    key: string,
    config: object,
    actor: string,
  ): Promise<WriteResult<Stored<E>>> {
    return this.#db.transaction(async (tx) => {
      const id = entity === 'experiment' ? [randomUUID()] : []
      const { rows } = await tx.query<Row>(
        entity === 'experiment'
          ? `insert into experiments (id, key, version, config) values ($3, $1, 1, $2)
             on conflict (key) do nothing returning ${columns(entity)}`
          : `insert into flags (key, version, config) values ($1, 1, $2)
             on conflict (key) do nothing returning ${columns(entity)}`,
        [key, JSON.stringify(config), ...id],
      )
      if (!rows[0]) return { status: 'exists' }
      await audit(tx, actor, entity, key, 'create', 1, null, config)
      return { status: 'ok', value: toStored<E>(rows[0]) }
    })
  }

  /** Replaces the config when the stored version is `expectedVersion`; bumps the version. */
  async update<E extends Entity>(
    entity: E,
    key: string,
    config: object,
    expectedVersion: number,
    actor: string,
  ): Promise<WriteResult<Stored<E>>> {
    return this.#db.transaction(async (tx) => {
      const current = await lockCurrent(tx, entity, key)
      if (!current) return { status: 'not_found' }
      if (current.version !== expectedVersion) return { status: 'conflict', currentVersion: current.version }
      const { rows } =
        entity === 'experiment'
          ? await tx.query<Row>(
              `update experiments set config = $2, version = version + 1, updated_at = now(), sticky_reads = $3
               where key = $1 returning ${columns(entity)}`,
              [
                key,
                JSON.stringify(config),
                stickyReadsAfter(
                  current.config as ExperimentConfig,
                  config as ExperimentConfig,
                  current.stickyReads === true,
                ),
              ],
            )
          : await tx.query<Row>(
              `update flags set config = $2, version = version + 1, updated_at = now()
               where key = $1 returning ${columns(entity)}`,
              [key, JSON.stringify(config)],
            )
      const stored = toStored<E>(rows[0]!)
      await audit(tx, actor, entity, key, 'update', stored.version, current.config, config)
      return { status: 'ok', value: stored }
    })
  }

  async delete(
    entity: Entity,
    key: string,
    expectedVersion: number,
    actor: string,
  ): Promise<WriteResult<null>> {
    return this.#db.transaction(async (tx) => {
      const current = await lockCurrent(tx, entity, key)
      if (!current) return { status: 'not_found' }
      if (current.version !== expectedVersion) return { status: 'conflict', currentVersion: current.version }
      await tx.query(`delete from ${TABLE[entity]} where key = $1`, [key])
      await audit(tx, actor, entity, key, 'delete', current.version + 1, current.config, null)
      return { status: 'ok', value: null }
    })
  }

  /** Newest first. */
  async auditLog(entity: Entity, key: string, limit: number): Promise<AuditEntry[]> {
    const { rows } = await this.#db.query<{
      id: string | number
      at: Date | string
      actor: string
      entity: Entity
      entity_key: string
      action: AuditEntry['action']
      version: number
      before: unknown
      after: unknown
    }>(
      `select id, at, actor, entity, entity_key, action, version, before, after from audit_log
       where entity = $1 and entity_key = $2 order by id desc limit $3`,
      [entity, key, limit],
    )
    return rows.map((r) => ({
      id: Number(r.id),
      at: new Date(r.at).toISOString(),
      actor: r.actor,
      entity: r.entity,
      key: r.entity_key,
      action: r.action,
      version: Number(r.version),
      before: r.before,
      after: r.after,
    }))
  }
}

function columns(entity: Entity): string {
  return entity === 'experiment'
    ? 'id, version, config, updated_at, sticky_reads'
    : 'version, config, updated_at'
}

async function lockCurrent(
  tx: Queryable,
  entity: Entity,
  key: string,
): Promise<{ version: number; config: unknown; stickyReads?: boolean } | undefined> {
  const { rows } = await tx.query<{ version: number; config: unknown; sticky_reads?: boolean }>(
    `select version, config${entity === 'experiment' ? ', sticky_reads' : ''} from ${TABLE[entity]}
     where key = $1 for update`,
    [key],
  )
  const row = rows[0]
  return row
    ? { version: Number(row.version), config: row.config, stickyReads: row.sticky_reads === true }
    : undefined
}

async function audit(
  tx: Queryable,
  actor: string,
  entity: Entity,
  key: string,
  action: AuditEntry['action'],
  version: number,
  before: unknown,
  after: unknown,
): Promise<void> {
  await tx.query(
    `insert into audit_log (actor, entity, entity_key, action, version, before, after)
     values ($1, $2, $3, $4, $5, $6, $7)`,
    [actor, entity, key, action, version, json(before), json(after)],
  )
}

function json(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value)
}
