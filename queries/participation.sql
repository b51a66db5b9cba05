-- Participation indicators. Every query reads attendance through attendance_f (rows), cells_f
-- (sums per cell) or sessions_f (sums per session), so the shared sidebar filters (period, action,
-- thématique, porteur, band, sex, QPV, public) apply. A query with a `_stored` twin reads the stored
-- pairs instead (pairs_f, people_first_stored) when they serve the selection (reference.on_pairs:
-- the whole period, or the calendar years it meets): same working table or result, from one row per
-- (action, person) instead of every row.
-- A named row (person not null) is one participation; a head-count row (person null) is
-- `nombre` participations without identity: it never adds to distinct participants.
-- A person's band, sex and QPV residence for distinct counts are those of their FIRST
-- participation in the selection (same day: the first action code); sex and QPV
-- fall back to the first known value when the first row leaves them blank.

-- name: participation_pairs
-- Working table of the Participation page: one row per (action, named person) of the selection with
-- the number of times they came (one named row per date, action and person), counted on the pair id:
-- one small integer with known bounds, counted in a direct-address table.
create or replace temp table participation_pairs as
select p.action_id, p.person_id as person, t.times
from (
    select pair_id, count(*) as times
    from attendance_f($date_from, $date_to, $action_ids, $action_nos, $axe_nos, $bands, $sexes, $qpvs, $publics)
    where person is not null
    group by pair_id
) as t
join pairs as p on p.id = t.pair_id;

-- name: participation_pairs_stored
-- participation_pairs from the stored pairs, when they serve the selection (reference.on_pairs), with
-- their months (for participation_month_people_stored).
create or replace temp table participation_pairs as
select action_id, person, times::bigint as times, months
from pairs_f($action_ids, $pairs_shift, $pairs_years, $pairs_profiles);

-- name: participation_action_people
-- Working table of the Participation page: the named participants of each action, as a set of person ids (bitstring), from its pairs.
create or replace temp table participation_action_people as
select action_id, bitstring_agg(person, 1, $people_max) as people
from participation_pairs
group by action_id;

-- name: participation_sessions
-- Working table of the Participation page: one row per session (date, action), with its participations.
create or replace temp table participation_sessions as
select
    s.*,
    a.code as action_code,
    a.intitule,
    coalesce(a.porteur, 'Non renseigné') as porteur,
    coalesce(a.axe, 'Non renseignée') as axe
from sessions_f($date_from, $date_to, $action_ids, $profiles, $all_profiles) as s
join actions_by_id as a using (action_id);

-- name: participation_totals
-- Headline figures: participations, distinct participants, head counts, sessions, actions, parcours.
with sessions as (
    select
        coalesce(sum(participations), 0)::bigint as participations,
        coalesce(sum(headcount_participations), 0)::bigint as headcount_participations,
        count(*) as sessions,
        count(distinct action_code) as actions
    from participation_sessions
),
people as (
    -- parcours: each action's set of people meets the union of the sets of the actions before it
    -- (in code order); the people met so are those of two actions or more
    select
        coalesce(bit_count(bit_or(people)), 0) as participants,
        coalesce(bit_count(bit_or(people & before)), 0) as parcours
    from (
        select people,
            bit_or(people) over (order by action_id rows between unbounded preceding and 1 preceding) as before
        from participation_action_people
    )
)
select s.participations, s.headcount_participations, p.participants, s.sessions, s.actions, p.parcours
from sessions as s, people as p;

-- name: participation_by_action
-- Per action: participations, distinct participants, head counts, sessions and average per session.
with per_action as (
    select
        action_id,
        any_value(action_code) as action_code,
        any_value(intitule) as intitule,
        any_value(porteur) as porteur,
        any_value(axe) as axe,
        sum(participations)::bigint as participations,
        sum(headcount_participations)::bigint as headcount_participations,
        count(*) as sessions            -- a session is one (date, action)
    from participation_sessions
    group by action_id
)
select
    a.action_code, a.intitule, a.porteur, a.axe,
    a.participations,
    coalesce(bit_count(p.people), 0) as participants,
    a.headcount_participations,
    a.sessions,
    a.participations / a.sessions as average_per_session
from per_action as a
left join participation_action_people as p using (action_id)
order by a.participations desc, a.intitule;

-- name: participation_regularity
-- Per action: named participants by the number of its sessions they came to (once, 2 to 4, 5 or more).
with per_action as (
    select
        action_id,
        count(*) as participants,
        count(*) filter (where times = 1) as once,
        count(*) filter (where times between 2 and 4) as two_to_four,
        count(*) filter (where times >= 5) as five_or_more
    from participation_pairs
    group by action_id
)
select a.code as action_code, a.intitule, r.participants, r.once, r.two_to_four, r.five_or_more
from per_action as r
join actions_by_id as a using (action_id)
order by r.participants desc, a.intitule;

-- name: participation_month_people
-- Working table of the Participation page and the action sheet: distinct participants per month and thématique.
-- One set of people per (year, month, thématique): a bitstring of ids, counted; the thématique
-- travels as its number (axe_no), named here from the list $axes.
create or replace temp table participation_month_people as
select make_date(y, m, 1) as month, $axes[axe_no] as axe, participants
from (
    select year(date) as y, month(date) as m, axe_no,
        bit_count(bitstring_agg(person, 1, $people_max)) as participants
    from attendance_f($date_from, $date_to, $action_ids, $action_nos, $axe_nos, $bands, $sexes, $qpvs, $publics)
    where person is not null
    group by all
);

-- name: participation_month_people_stored
-- participation_month_people from the stored pairs (working table participation_pairs, from
-- participation_pairs_stored), when they serve the selection (reference.on_pairs).
-- Each person's months per thématique (the union of their actions' months), counted 8 months at a
-- time (month_byte, byte_bits).
create or replace temp table participation_month_people as
with person_months as (
    select $axe_nos[action_id] as axe_no, bit_or(months) as months
    from participation_pairs
    group by person, axe_no
),
bytes as (
    select axe_no, b, month_byte(months, b) as byte, count(*) as people
    from person_months, month_bytes($date_from, $date_to)
    group by all
)
select month_of_index(k, $date_from) as month, $axes[axe_no] as axe, participants
from (
    select 8 * b + bit as k, axe_no, sum(people)::bigint as participants
    from bytes
    join byte_bits using (byte)
    group by all
)
where k <= month_index($date_to, $date_from);

-- name: participation_by_month
-- Per month and thématique: participations and distinct participants (working table participation_month_people).
with participations as (
    select date_trunc('month', date)::date as month, axe, sum(participations)::bigint as participations
    from participation_sessions
    group by all
)
select month, axe, p.participations, coalesce(q.participants, 0) as participants
from participations as p
left join participation_month_people as q using (month, axe)
order by month, axe;

-- name: participation_by_porteur
-- Per porteur: actions, sessions, participations and distinct participants.
with per_porteur as (
    select
        porteur,
        count(distinct action_code) as actions,
        count(*) as sessions,
        sum(participations)::bigint as participations
    from participation_sessions
    group by porteur
),
people as (
    -- the union of the sets of people of the porteur's actions
    select coalesce(a.porteur, 'Non renseigné') as porteur, bit_count(bit_or(pa.people)) as participants
    from participation_action_people as pa
    join actions_by_id as a using (action_id)
    group by all
)
select p.porteur, p.actions, p.sessions, p.participations, coalesce(q.participants, 0) as participants
from per_porteur as p
left join people as q using (porteur)
order by p.participations desc, p.porteur;

-- name: selection_people
-- Working table of the pages that count people by their first participation (Publics et âges, the action sheet, Vue d'ensemble): one row per named person of the selection with their band, sex and QPV at first participation and their first date (see people_first in macros.sql).
create or replace temp table selection_people as
select * from people_first($date_from, $date_to, $action_ids, $action_nos, $axe_nos, $bands, $sexes, $qpvs, $publics);

-- name: selection_people_stored
-- selection_people from the stored pairs, when they serve the selection (reference.on_pairs).
create or replace temp table selection_people as
select * from people_first_stored($action_ids, $action_nos, $pairs_years, $pairs_profiles, $pairs_persons);

-- name: publics_focus_pairs
-- Working table of the Publics et âges page: one row per focus-band person (band at first
-- participation) and action joined (action_no), with their participations (named rows: one each)
-- and the months they came as the bits of one whole number (bit k: the k-th month from the period's
-- first). The actions are named after grouping (focus_by_action, focus_parcours).
create or replace temp table publics_focus_pairs as
select f.person, f.action_no, count(*)::bigint as participations,
    bit_or(1::bigint << month_index(f.date, $date_from)) as months
from attendance_f($date_from, $date_to, $action_ids, $action_nos, $axe_nos, $bands, $sexes, $qpvs, $publics) as f
join (select person from selection_people where tranche = $focus_band) as focus using (person)
group by f.person, f.action_no;

-- name: publics_focus_pairs_stored
-- publics_focus_pairs from the stored pairs (one per person and action), when they serve the selection (reference.on_pairs).
create or replace temp table publics_focus_pairs as
select f.person, $action_nos[f.action_id] as action_no, f.times::bigint as participations, f.months
from pairs_f($action_ids, $pairs_shift, $pairs_years, $pairs_profiles) as f
join (select person from selection_people where tranche = $focus_band) as focus using (person);

-- name: publics_sums
-- Working table of the Publics et âges page: participations per month, band (band of each session),
-- sex and QPV residence, named rows and head counts apart, from the cells: a few thousand sums,
-- which the band, profile and month queries add up.
create or replace temp table publics_sums as
select
    s.k,
    p.tranche,
    p.sexe,
    qpv_label(p.qpv) as qpv_label,
    s.headcount,
    s.participations
from (
    select month_index(date, $date_from) as k, profile, headcount, sum(participations)::bigint as participations
    from cells_f($date_from, $date_to, $action_ids, $profiles)
    group by all
) as s
join profiles as p using (profile);

-- name: participation_by_band
-- Per age band: participations (band of each session) and distinct participants (band at first participation).
with by_session as (
    select
        tranche,
        sum(participations)::bigint as participations,
        coalesce(sum(participations) filter (where headcount), 0)::bigint as headcount_participations
    from publics_sums
    group by tranche
)
select s.tranche, s.participations, s.headcount_participations, coalesce(p.participants, 0) as participants
from by_session as s
left join (select tranche, count(*) as participants from selection_people group by tranche) as p using (tranche);

-- name: focus_profile
-- Distinct people of the focus band (at first participation) by sex and QPV residence, with head counts.
-- kind 'people': distinct focus-band people; kind 'headcount': focus-band participations without identity
select
    'people' as kind,
    sexe,
    qpv_label(qpv) as qpv_label,
    count(*)::bigint as n
from selection_people
where tranche = $focus_band
group by all
union all
select 'headcount', sexe, qpv_label, sum(participations)::bigint
from publics_sums
where headcount and tranche = $focus_band
group by all
order by kind, sexe, qpv_label;

-- name: focus_by_action
-- Per action: distinct focus-band people (band at first participation) who joined it, and their participations.
select a.code as action_code, a.intitule, f.young_people, f.participations
from (
    select action_no, count(*) as young_people, sum(participations)::bigint as participations
    from publics_focus_pairs
    group by action_no
) as f
join actions_current as a using (action_no)
order by f.young_people desc, a.intitule;

-- name: focus_parcours
-- Focus-band people by number of actions joined, and the $combinations_max most common combinations of two actions or more.
with focus as (
    -- each focus person's set of actions: a bitstring of action_no
    select person, count(*) as n_actions, bitstring_agg(action_no, 1, $actions_max) as action_set
    from publics_focus_pairs
    group by person
),
sets as (
    -- people per set of actions first, then only the most common sets spelled out (a year of a
    -- national programme has tens of thousands of sets, most of one or two people); among sets
    -- with as many people, the first by their bits
    select action_set, count(*) as people
    from focus
    where n_actions >= 2
    group by action_set
    order by people desc, action_set
    limit $combinations_max
),
combinations as (
    select s.action_set, any_value(s.people) as people,
        string_agg(a.intitule, ' + ' order by a.intitule) as combination
    from sets as s
    join actions_current as a on get_bit(s.action_set, a.action_no::integer - 1) = 1
    group by s.action_set
)
-- kind 'count': people per number of actions (capped at 4 = "4 ou plus");
-- kind 'combination': people per combination of actions, for parcours only
select 'count' as kind, least(n_actions, 4)::varchar as label, count(*) as people
from focus
group by all
union all
select 'combination', combination, sum(people)::bigint
from combinations
group by all
order by kind, people desc, label;

-- name: focus_by_month
-- Per month: distinct focus-band people who came, newcomers (first participation that month), participations.
with came as (
    -- each focus person's months (the union of their actions' months), counted 8 months at a time
    select 8 * b + bit as k, sum(people)::bigint as young_people
    from (
        select b, month_byte(months, b) as byte, count(*) as people
        from (select bit_or(months) as months from publics_focus_pairs group by person),
            month_bytes($date_from, $date_to)
        group by all
    )
    join byte_bits using (byte)
    group by k
    having k <= month_index($date_to, $date_from)
),
newcomers as (
    select month_index(first_date, $date_from) as k, count(*) as newcomers
    from selection_people
    where tranche = $focus_band
    group by k
),
participations as (
    -- in the focus band: the band of each session, head counts included
    select k, sum(participations)::bigint as participations
    from publics_sums
    where tranche = $focus_band
    group by k
)
select
    month_of_index(k, $date_from) as month,
    coalesce(c.young_people, 0) as young_people,
    coalesce(n.newcomers, 0) as newcomers,
    coalesce(p.participations, 0) as participations
from came as c
full join newcomers as n using (k)
full join participations as p using (k)
where coalesce(c.young_people, 0) + coalesce(n.newcomers, 0) + coalesce(p.participations, 0) > 0
order by month;

-- name: action_sessions
-- Sessions of the selection: one row per (date, action), with participations and distinct named
-- participants (one named row per person and session: the rows of its named cells).
with per_session as (
    select
        date,
        action_id,
        sum(participations)::bigint as participations,
        coalesce(sum(row_count) filter (where not headcount), 0)::bigint as participants,
        coalesce(sum(participations) filter (where headcount), 0)::bigint as headcount_participations,
        coalesce(sum(participations) filter (where p.tranche = $focus_band), 0)::bigint as focus_participations
    from cells_f($date_from, $date_to, $action_ids, $profiles)
    join profiles as p using (profile)
    group by date, action_id
)
select s.date, a.code as action_code, s.participations, s.participants, s.headcount_participations,
    s.focus_participations
from per_session as s
join actions_by_id as a using (action_id)
order by s.date, action_code;

-- name: people_profile
-- Distinct people by band, sex and QPV residence (at first participation), from the working table selection_people.
select tranche, sexe, qpv_label(qpv) as qpv_label, count(*)::bigint as people
from selection_people
group by all
order by all;

-- name: action_money
-- Per action of the selection: programmed (current budget), committed (engagé) and paid (payé + avoir) amounts.
with programmed as (
    select action_code, sum(montant) as programme
    from budget_f($date_from, $date_to, $actions, $themes, $porteurs)
    group by action_code
),
spent as (
    select
        action_code,
        coalesce(sum(montant) filter (where statut = 'engagé'), 0) as engage,
        -- credit notes are stored negative: adding them takes them off what was paid
        coalesce(sum(montant) filter (where statut in ('payé', 'avoir')), 0) as paye
    from spending_f($date_from, $date_to, $actions, $themes, $porteurs)
    group by action_code
)
select
    action_code,
    coalesce(p.programme, 0) as programme,
    coalesce(s.engage, 0) as engage,
    coalesce(s.paye, 0) as paye
from programmed as p
full join spent as s using (action_code)
order by action_code;
