-- Current state per alert (one row per fingerprint).
create table alerts (
  fingerprint text primary key,
  status text not null check (status in ('firing', 'resolved')),
  episode_id uuid not null,
  announced_episode_id uuid,
  group_key text not null,
  alertname text not null default '',
  labels jsonb not null,
  -- the last alert as received plus its group/receiver context, to rebuild events from
  item jsonb not null,
  flap jsonb not null,
  -- firing alerts only: when it goes stale unless refreshed (endsAt + grace)
  stale_at timestamptz,
  -- flapping alerts only: when a held resolved may be published
  release_at timestamptz,
  updated_at timestamptz not null default now()
);
create index alerts_status_idx on alerts (status, fingerprint);
create index alerts_stale_idx on alerts (stale_at) where stale_at is not null;
create index alerts_release_idx on alerts (release_at) where release_at is not null;

-- Transition history; the unique key is the deduplication authority: each
-- (fingerprint, status, startsAt) produces at most one event, across replicas and HA pairs.
create table alert_transitions (
  id bigint generated always as identity primary key,
  fingerprint text not null,
  status text not null,
  starts_at timestamptz not null,
  episode_id uuid not null,
  ends_at text not null,
  source text not null,
  received_at timestamptz not null default now(),
  unique (fingerprint, status, starts_at)
);
create index alert_transitions_fp_idx on alert_transitions (fingerprint, id desc);

-- Storm guard window per group.
create table storm_windows (
  group_key text primary key,
  window_start timestamptz not null,
  window_end timestamptz not null,
  state jsonb not null
);
create index storm_windows_end_idx on storm_windows (window_end);

-- Events committed with the state that caused them; drained to the broker by the publisher.
create table outbox (
  id bigint generated always as identity primary key,
  event_id text not null,
  type text not null,
  data jsonb not null,
  correlation_id text not null,
  traceparent text not null,
  created_at timestamptz not null default now(),
  attempts integer not null default 0,
  -- a publisher holds rows it is sending until then; an expired lease means "send again"
  leased_until timestamptz
);
