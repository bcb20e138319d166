-- Less written per alert on the hot path (each index entry and jsonb copy is paid on every insert):
-- the label set is already in `item` (alert.labels), and the history of one fingerprint is found
-- through the unique key's leading column (a handful of rows, sorted by id after the lookup).
alter table alerts drop column labels;
drop index alert_transitions_fp_idx;
