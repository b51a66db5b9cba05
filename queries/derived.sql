-- Tables derived from the stored rows: the current version of each action and of each programme
-- line. They hold a few hundred rows, copied from what each query below selects, so that a page's
-- queries read them instead of working out the versions again (on the large cité, the State funds
-- page answers 50 ms sooner). Not a second way to count: this file is their only definition.
-- Rebuilt whole by store.rebuild_derived: inside the transaction of every import of actions or
-- budget, of every undo and erasure, and when a store is opened whose tables other definitions,
-- another schema or other imports built (store.prepare). Never by a migration.

-- The current version of each action: the newest one still brought by an active batch
-- (undoing a batch deletes its rows, so the older version comes back by itself).
create or replace table actions_current as
select * exclude (rn)
from (
    select *, row_number() over (partition by code_key order by batch_id desc, line desc) as rn
    from actions
)
where rn = 1;

-- The current programmed amount per (year, action, funder), same rule as actions.
create or replace table budget_current as
select * exclude (rn)
from (
    select *,
        row_number() over (partition by annee, action_code, financeur_key order by batch_id desc, line desc) as rn
    from budget
)
where rn = 1;
