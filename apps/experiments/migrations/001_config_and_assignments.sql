-- Experiments and flags are stored as validated JSON documents with a version that increments on
-- every change (the ETag). Every change also writes one audit row, in the same transaction.
create table experiments (
  id uuid primary key,
  key text not null unique,
  version integer not null,
  config jsonb not null,
  -- True once variants, weights, allocation, targeting or seed changed within the current bucket
  -- version: only then can a persisted assignment differ from the hash, and must be read.
  sticky_reads boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table flags (
  key text primary key,
  version integer not null,
  config jsonb not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table audit_log (
  id bigserial primary key,
  at timestamptz not null default now(),
  actor text not null,
  entity text not null check (entity in ('experiment', 'flag')),
  entity_key text not null,
  action text not null check (action in ('create', 'update', 'delete')),
  version integer not null,
  before jsonb,
  after jsonb
);
create index audit_log_entity on audit_log (entity, entity_key, id);

-- Sticky assignments: the first variant a user got, per experiment and bucket version. Written
-- behind in batches (insert … on conflict do nothing: the first writer wins).
create table assignments (
  experiment_id uuid not null,
  bucket_version integer not null,
  user_id text not null,
  variant text not null,
  assignment_id uuid not null,
  assigned_at timestamptz not null,
  expires_at timestamptz not null,
  primary key (experiment_id, bucket_version, user_id)
);
create index assignments_expires_at on assignments (expires_at);
