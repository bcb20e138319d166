-- The outbox stores each event in its final binary-mode HTTP form (ce-* headers + body), built and
-- validated once when the flush commits: the publisher posts the stored bytes, with no JSON parse,
-- re-validation or re-encoding per send, and a re-send is byte-for-byte the same event (same id).
-- Rows written before this migration keep their data and are encoded when sent.
alter table outbox
  add column partition_key text,
  add column headers json,
  add column body text,
  alter column data drop not null,
  alter column correlation_id drop not null,
  alter column traceparent drop not null;
