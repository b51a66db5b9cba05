-- name: batch_list
-- The import history, newest first.
select id, imported_at, imported_by, kind, file_name, sha256, rows_read, rows_stored, duplicates,
    replaced, warnings, rejected, status, undone_at, undone_by
from batches
order by id desc;

-- name: batch_one
-- One batch, by id.
select * from batches where id = $batch_id;

-- name: batch_replacements
-- Budget amounts a batch replaced (the old values stay visible here), by stored version.
select b.annee, b.action_code, b.financeur, b.previous_montant, b.montant, b.line
from budget as b
where b.batch_id = $batch_id and b.previous_montant is not null
order by b.line;

-- name: actions_only_in_batch_still_used
-- Actions whose every version comes from this batch and that other rows still use. A row that
-- another active batch also contained (batch_duplicates) is handed over on undo: it stays.
with own as (
    select distinct code, line from actions where batch_id = $batch_id
), only_here as (
    select code from own
    where code not in (select code from actions where batch_id <> $batch_id)
      and not exists (
          select 1 from batch_duplicates as d
          where d.kind = 'actions' and d.orig_batch_id = $batch_id and d.orig_line = own.line
            and d.batch_id <> $batch_id)
)
select code from only_here
where code in (select action_code from attendance)
   or code in (select action_code from spending)
   or code in (select action_code from budget)
order by code;
