-- Views and table macros created on every connection (temporary: nothing to migrate).
-- Filters bind lists; an empty list means "no filter on this dimension".

-- The current version of each action: the newest one still brought by an active batch
-- (undoing a batch deletes its rows, so the older version comes back by itself).
-- action_no numbers them 1..n by code: a small whole number for sets of actions (bitstrings).
create or replace temp view actions_current as
select * exclude (rn), row_number() over (order by code) as action_no
from (
    select *, row_number() over (partition by code_key order by batch_id desc, line desc) as rn
    from actions
)
where rn = 1;

-- The current programmed amount per (year, action, funder), same rule as actions.
create or replace temp view budget_current as
select * exclude (rn)
from (
    select *,
        row_number() over (partition by annee, action_code, financeur_key order by batch_id desc, line desc) as rn
    from budget
)
where rn = 1;

-- The action dimensions of the shared filters (action, thématique, porteur), in one place.
create or replace temp macro action_selected(code, axe, porteur, actions, themes, porteurs) as
    (len(actions) = 0 or list_contains(actions, code))
    and (len(themes) = 0 or list_contains(themes, coalesce(axe, 'Non renseignée')))
    and (len(porteurs) = 0 or list_contains(porteurs, coalesce(porteur, 'Non renseigné')));

-- The order of participations as one whole number: the day, then the action (same day: the first
-- action code, as action_no follows the codes). arg_min over it is several times faster than over
-- a (date, code) pair. order_key takes the day as a number (days since 1970-01-01), as the stored
-- pairs keep it.
create or replace temp macro order_key(day, action_no) as day::bigint * 1048576 + action_no;
create or replace temp macro participation_order(on_date, action_no) as
    order_key(on_date - date '1970-01-01', action_no);

-- The sex and QPV residence in the low bits of a first-participation key (null: none known).
create or replace temp macro sex_of_key(key) as case key % 4 when 0 then 'F' when 1 then 'M' else 'NR' end;
create or replace temp macro qpv_of_key(key) as case key % 2 when 1 then true when 0 then false end;

-- A date's month as its rank from the month of `first` (0 for that month): the months of a period
-- are then the bits of one BIGINT (63 months at most; a convention lasts at most 60, see settings).
create or replace temp macro month_index(on_date, first) as
    (year(on_date) - year(first)) * 12 + month(on_date) - month(first);
-- Its inverse: the first day of the k-th month from the month of `first`.
create or replace temp macro month_of_index(k, first) as
    (date_trunc('month', first::date) + to_months(k::integer))::date;

-- People per month from their months (the bits of one BIGINT), 8 months at a time: count people per
-- byte b of their months (month_bytes: the bytes a period needs) and value of that byte (month_byte),
-- a few thousand groups, then spread each value over its bits (byte_bits): the month of bit `bit` of
-- byte b is 8 * b + bit. Cheaper than testing every month of every person.
create or replace temp macro month_byte(months, b) as (months >> (8 * b)::integer) & 255;
create or replace temp macro month_bytes(date_from, date_to) as table
select b from range(month_index(date_to, date_from) // 8 + 1) as r(b);
create or replace temp view byte_bits as
select v::bigint as byte, j as bit from range(256) as r(v), range(8) as s(j) where (v >> j) & 1 = 1;

-- QPV residence as the filters and tables name it: oui, non, NR (non renseigné).
create or replace temp macro qpv_label(qpv) as case when qpv then 'oui' when not qpv then 'non' else 'NR' end;

-- The people dimensions of the shared filters (band, sex, QPV, public), in one place.
create or replace temp macro people_selected(tranche, sexe, qpv, public, bands, sexes, qpvs, publics) as
    (len(bands) = 0 or list_contains(bands, tranche))
    and (len(sexes) = 0 or list_contains(sexes, sexe))
    and (len(qpvs) = 0 or list_contains(qpvs, qpv_label(qpv)))
    and (len(publics) = 0 or list_contains(publics, public));

-- The attendance rows the shared filters select, without a join per row: the action filters
-- (action, thématique, porteur) arrive resolved, once, on the few actions (query `selection` in
-- reference.sql) as the list of the selected action ids; the action's number in code order
-- (action_no) and its thématique's number (axe_no) are read from lists indexed by action id.
-- `person` is the whole-number id of the pseudonym (1..max(people.id)); pair_id numbers the
-- (action, person) pairs. Distinct people of a group are counted exactly as the set bits of a
-- bitstring: bit_count(bitstring_agg(person, 1, $people_max)), a fixed-size set per group, several
-- times faster than count(distinct) over millions of rows.
create or replace temp macro attendance_f(date_from, date_to, action_ids, action_nos, axe_nos, bands, sexes, qpvs, publics) as table
select
    a.date,
    a.action_id,
    a.pair_id,
    a.person_id as person,
    a.age,
    a.tranche,
    a.band_id,
    a.sexe,
    a.qpv,
    a.nombre,
    a.public,
    action_nos[a.action_id] as action_no,
    axe_nos[a.action_id] as axe_no
from attendance as a
where a.date between date_from and date_to
    and list_contains(action_ids, a.action_id)
    and people_selected(a.tranche, a.sexe, a.qpv, a.public, bands, sexes, qpvs, publics);

-- The people profiles of the cells (table attendance_cells): one small whole number per band, sex,
-- QPV residence and public, as CELLS_SQL (impact/store.py) writes it.
create or replace temp view profiles as
select b.id * 64 + s.code * 16 + q.code * 4 + p.code as profile, b.tranche, s.sexe, q.qpv, p.public
from band_ids as b,
    (values (0, 'F'), (1, 'M'), (2, 'NR')) as s(code, sexe),
    (values (0, false), (1, true), (2, null::boolean)) as q(code, qpv),
    (values (0, 'jeune'), (1, 'parent'), (2, 'professionnel')) as p(code, public);

-- The participations per (day, action, people profile) the shared filters select, head counts apart
-- (table attendance_cells, kept by every import and undo): the sums of attendance_f's rows, from
-- about ten times fewer cells. The people filters arrive resolved, once, on the few profiles (query
-- `selection`) as the list of the selected profiles. `row_count` counts rows: on named cells,
-- people per session.
create or replace temp macro cells_f(date_from, date_to, action_ids, profiles) as table
select c.date, c.action_id, c.profile, c.headcount, c.participations, c.row_count
from attendance_cells as c
where c.date between date_from and date_to
    and list_contains(action_ids, c.action_id)
    and list_contains(profiles, c.profile);

-- The participations per session (day, action) the shared filters select, head counts apart: the
-- stored sessions (table attendance_sessions, impact/store.py) when no people filter applies
-- (`all_profiles`: reference.selection), else the sums of the cells of the selected profiles.
create or replace temp macro sessions_f(date_from, date_to, action_ids, profiles, all_profiles) as table
select date, action_id, participations, headcount_participations
from attendance_sessions
where all_profiles and date between date_from and date_to and list_contains(action_ids, action_id)
union all
select date, action_id, sum(participations)::bigint,
    coalesce(sum(participations) filter (where headcount), 0)::bigint
from cells_f(date_from, date_to, action_ids, profiles)
where not all_profiles
group by date, action_id;

-- The current actions with their attendance id (null when no attendance row names them yet).
create or replace temp view actions_by_id as
select k.id as action_id, a.*
from actions_current as a
left join action_ids as k on k.code = a.code;

-- Spending is filtered by its programme year (exercice) through the period's years,
-- and by the action dimensions; people filters do not apply to money.
create or replace temp macro spending_f(date_from, date_to, actions, themes, porteurs) as table
select
    s.*,
    ac.intitule,
    coalesce(ac.porteur, 'Non renseigné') as porteur,
    coalesce(ac.axe, 'Non renseignée') as axe
from spending as s
join actions_current as ac on ac.code = s.action_code
where s.exercice between year(date_from) and year(date_to)
    and action_selected(s.action_code, ac.axe, ac.porteur, actions, themes, porteurs);

create or replace temp macro budget_f(date_from, date_to, actions, themes, porteurs) as table
select
    b.*,
    ac.intitule,
    coalesce(ac.porteur, 'Non renseigné') as porteur,
    coalesce(ac.axe, 'Non renseignée') as axe
from budget_current as b
join actions_current as ac on ac.code = b.action_code
where b.annee between year(date_from) and year(date_to)
    and action_selected(b.action_code, ac.axe, ac.porteur, actions, themes, porteurs);

-- One row per named person of the selection, as at their first participation in it (same day: the
-- first action code): band; sex and QPV of the first participation that gives them ('NR' / null
-- when none does); first date. The band, sex and QPV travel in the low bits of the order number
-- (min of one whole number: faster than arg_min, no text compared per row; the band as its id,
-- below 1024: band ids stay below it, see impact/store.py). The one definition of "first participation".
create or replace temp macro people_first(date_from, date_to, action_ids, action_nos, axe_nos, bands, sexes, qpvs, publics) as table
select f.person, b.tranche, sex_of_key(f.first_sex) as sexe, qpv_of_key(f.first_qpv) as qpv, f.first_date
from (
    select
        person,
        min(k * 1024 + band_id) as first_band,
        min(case sexe when 'F' then k * 4 when 'M' then k * 4 + 1 end) as first_sex,
        min(case when qpv is not null then k * 2 + qpv::integer end) as first_qpv,
        min(date) as first_date
    from (
        select person, band_id, sexe, qpv, date, participation_order(date, action_no) as k
        from attendance_f(date_from, date_to, action_ids, action_nos, axe_nos, bands, sexes, qpvs, publics)
        where person is not null
    )
    group by person
) as f
join band_ids as b on b.id = f.first_band % 1024;

-- The stored pairs (tables attendance_pairs and attendance_pair_years, impact/store.py) of the
-- selected actions, one row per pair, for a selection that covers every named row of the whole
-- period (years null) or of some consecutive calendar years (`years`, their list), with the people
-- profiles `profiles` (null: no people filter). `selection` says so with `pairs_shift`, `pairs_years`
-- and `pairs_profiles`. A pair (a pair-year) serves as it is when its rows have one people profile
-- (all selected or none), over the whole period (one year). The pair-years of the others, and of
-- every pair over several years, are added up over the selected years and profiles. Their month
-- bits move from the store's origin to the period's first month by `shift`.
create or replace temp macro pairs_f(action_ids, shift, years, profiles) as table
with mixed as (
    -- the pairs with several profiles (over the whole period, with a people filter; in a year)
    select pair_id
    from attendance_pairs
    where case when years is null then profile is null and profiles is not null
               else len(years) = 1 and mixed_year end
),
added_up as (
    select pair_id, action_id, person_id, sum(times) as times, min(first_band) as first_band,
        min(first_sex) as first_sex, min(first_qpv) as first_qpv, bit_or(months) as months
    from attendance_pair_years
    where (years is null or year between years[1] and years[-1])
        and (profiles is null or profile in (select unnest(profiles)))
        and list_contains(action_ids, action_id)
        and (len(years) > 1 or pair_id in (select pair_id from mixed))
    group by pair_id, action_id, person_id
),
pairs as (
    -- the whole period: every pair without people filter, else those with one profile
    select pair_id, action_id, person_id, times, first_band, first_sex, first_qpv, months
    from attendance_pairs
    where years is null and (profiles is null or profile in (select unnest(profiles)))
    union all
    -- one year: the pair-years of the pairs with one profile in each year
    select pair_id, action_id, person_id, times, first_band, first_sex, first_qpv, months
    from attendance_pair_years
    where len(years) = 1 and year = years[1] and (profiles is null or profile in (select unnest(profiles)))
        and pair_id not in (select pair_id from mixed)
    union all
    -- the others, added up
    select * from added_up
)
select
    pair_id,
    action_id,
    person_id as person,
    times,
    first_band,
    first_sex,
    first_qpv,
    case when shift >= 0 then months << shift else months >> (-shift) end as months
from pairs
where list_contains(action_ids, action_id);

-- One row per stored (action, person) pair (pairs_f) or, when the selection holds every action met
-- in attendance (`persons`: reference.selection), per stored (person, year, profile) (table
-- attendance_person_years, impact/store.py): about ten times fewer rows. Each row has its first
-- participation (band, sex, QPV) with its action's id, and its months; a person's rows add up to
-- the same first participation and months.
create or replace temp macro person_rows(action_ids, shift, years, profiles, persons) as table
select person, first_band, action_id as band_action, first_sex, action_id as sex_action,
    first_qpv, action_id as qpv_action, months
from pairs_f(action_ids, shift, years, profiles)
where not persons
union all
select person_id, first_band, band_action, first_sex, sex_action, first_qpv, qpv_action,
    case when shift >= 0 then months << shift else months >> (-shift) end
from attendance_person_years
where persons and (years is null or year between years[1] and years[-1])
    and (profiles is null or profile in (select unnest(profiles)));

-- people_first from the stored pairs or person-years, when they serve the selection (see pairs_f,
-- person_rows): each row's first participation (day and band, sex, QPV) with its action_no, then
-- the first per person, as people_first does over the rows.
create or replace temp macro people_first_stored(action_ids, action_nos, years, profiles, persons) as table
select f.person, b.tranche, sex_of_key(f.first_sex) as sexe, qpv_of_key(f.first_qpv) as qpv, f.first_date
from (
    select
        person,
        min(order_key(first_band // 1024, action_nos[band_action]) * 1024 + first_band % 1024) as first_band,
        min(order_key(first_sex // 4, action_nos[sex_action]) * 4 + first_sex % 4) as first_sex,
        min(order_key(first_qpv // 2, action_nos[qpv_action]) * 2 + first_qpv % 2) as first_qpv,
        date '1970-01-01' + (min(first_band) // 1024)::integer as first_date
    from person_rows(action_ids, 0, years, profiles, persons)
    group by person
) as f
join band_ids as b on b.id = f.first_band % 1024;
