-- name: filter_actions
-- Every current action, for the filters and the action picker.
select code, intitule, coalesce(porteur, 'Non renseigné') as porteur,
    coalesce(axe, 'Non renseignée') as axe, public_cible, annee_debut, annee_fin
from actions_current
order by intitule;

-- name: filter_people_values
-- Values present in attendance for the people filters (dimension, value), kept by every import and undo.
select dimension, value from attendance_values;

-- name: selection
-- What every attendance query needs, resolved once on the few actions and profiles: the bounds of the bitstrings (people ids, action_no), the action ids the action filters select, lists indexed by action id (action_no and the thématique's number) with the thématiques' names, the people profiles of the cells the people filters select, and whether the stored pairs serve.
with known as (
    -- every action code met in attendance (ids 1..n), with its current version if it has one
    select k.id, a.action_no, a.code, a.porteur, a.axe
    from action_ids as k
    left join actions_current as a on a.code = k.code
),
themes as (
    select axe, row_number() over (order by axe) as axe_no
    from (select distinct coalesce(axe, 'Non renseignée') as axe from actions_current)
)
select
    greatest(coalesce((select max(id) from people), 0), 1)::integer as people_max,
    greatest((select count(*) from actions_current), 1)::integer as actions_max,
    coalesce(list(k.id order by k.id) filter (
        where k.action_no is not null
            and action_selected(k.code, k.axe, k.porteur, $actions, $themes, $porteurs)), []) as action_ids,
    coalesce(list(k.action_no order by k.id), []) as action_nos,
    coalesce(list(t.axe_no order by k.id), []) as axe_nos,
    (select coalesce(list(axe order by axe_no), []) from themes) as axes,
    (select coalesce(list(profile order by profile), []) from profiles
        where people_selected(tranche, sexe, qpv, public, $bands, $sexes, $qpvs, $publics)) as profiles,
    -- the queries with a `_stored` twin read the stored pairs (macro pairs_f) when they serve: for a
    -- period around every named row (years null), or around every named row of the calendar years
    -- it meets (no session of those years outside the period has named rows: participations beyond
    -- its head counts); `shift` moves their month bits to the period's first month
    (select case
            when $date_from <= first_date and $date_to >= last_date
                and month_index(last_date, $date_from) < 63
            then {'shift': month_index(origin, $date_from), 'years': null::integer[]}
            when month_index($date_to, $date_from) < 63
                and not exists (
                    select 1 from attendance_sessions
                    where date between make_date(year($date_from), 1, 1) and make_date(year($date_to), 12, 31)
                        and (date < $date_from or date > $date_to)
                        and participations > headcount_participations)
            then {'shift': month_index(origin, $date_from),
                  'years': range(year($date_from), year($date_to) + 1)::integer[]}
        end
     from (select max(value) filter (where key = 'pairs_origin')::date as origin,
                  max(value) filter (where key = 'named_first')::date as first_date,
                  max(value) filter (where key = 'named_last')::date as last_date
           from meta)
     where origin is not null) as pairs
from known as k
left join themes as t on t.axe = coalesce(k.axe, 'Non renseignée') and k.action_no is not null;

-- name: data_status
-- Whether anything is loaded, whether it is only the demonstration data, and the last import.
select
    count(*) filter (where status = 'active') as active_batches,
    count(*) filter (where status = 'active' and imported_by <> 'démonstration') as real_batches,
    max(imported_at) filter (where status = 'active') as last_import
from batches;
