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

-- name: batches_of_file
-- The imports of a file with this SHA-256 fingerprint (the same bytes), newest first.
select id, kind, file_name, imported_at, status, rows_stored, duplicates
from batches
where sha256 = $sha256
order by id desc;

-- name: batch_rows
-- Per batch (all of them, or $batch_id): the rows it holds, those of them that another active import also contains (they stay if it is undone), what is left (the rows it alone brings), and its rows that another import holds.
with held as (
    select batch_id, count(*) as n from actions group by batch_id
    union all select batch_id, count(*) from budget group by batch_id
    union all select batch_id, count(*) from spending group by batch_id
    union all select batch_id, count(*) from attendance group by batch_id
),
shared as (
    -- a row another import also contained (batch_duplicates), counted once however many did
    select orig_batch_id as batch_id, count(distinct orig_line) as n
    from batch_duplicates
    where batch_id <> orig_batch_id
    group by orig_batch_id
),
elsewhere as (
    select batch_id, count(*) as n
    from batch_duplicates
    where batch_id <> orig_batch_id
    group by batch_id
)
select b.id as batch_id,
    coalesce(h.n, 0)::bigint as rows_held,
    coalesce(s.n, 0)::bigint as rows_shared,
    (coalesce(h.n, 0) - coalesce(s.n, 0))::bigint as rows_alone,
    coalesce(e.n, 0)::bigint as rows_held_elsewhere
from batches as b
left join (select batch_id, sum(n) as n from held group by batch_id) as h on h.batch_id = b.id
left join shared as s on s.batch_id = b.id
left join elsewhere as e on e.batch_id = b.id
where cast($batch_id as integer) is null or b.id = cast($batch_id as integer)
order by b.id desc;

-- name: batch_sharers
-- The other active imports that also contain rows a batch holds (they keep them if it is undone), with how many of its rows each contains.
select d.batch_id as id, b.file_name, b.imported_at, count(distinct d.orig_line)::bigint as rows
from batch_duplicates as d
join batches as b on b.id = d.batch_id
where d.kind = $kind and d.orig_batch_id = $batch_id and d.batch_id <> $batch_id
group by all
order by d.batch_id;
