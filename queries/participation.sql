-- Participation indicators. Every query reads the attendance rows of the selection through the
-- macro attendance_f (queries/macros.sql), so the shared sidebar filters (period, action,
-- thématique, porteur, band, sex, QPV, public) apply.
-- A named row (person not null) is one participation; a head-count row (person null) is
-- `nombre` participations without identity: it never adds to distinct participants.
-- A person's band, sex and QPV residence for counts of people are those of their FIRST
-- participation in the selection (macro first_participation).

-- name: participation_totals
-- Headline figures: participations, head counts, distinct participants, sessions, actions, parcours (people in two actions or more).
with selected as not materialized (   -- read twice: each read scans, nothing is copied
    select * from attendance_f($date_from, $date_to, $actions, $themes, $porteurs, $bands, $sexes, $qpvs, $publics)
),
people as (
    -- two actions or more: the person's smallest and largest action codes differ
    select person, min(action_code) <> max(action_code) as in_parcours
    from selected
    where person is not null
    group by person
)
select
    coalesce(sum(nombre), 0)::bigint as participations,
    coalesce(sum(nombre) filter (where person is null), 0)::bigint as headcount_participations,
    (select count(*) from people) as participants,
    count(distinct (date, action_code)) as sessions,   -- a session is one (date, action)
    count(distinct action_code) as actions,
    (select count(*) from people where in_parcours) as parcours
from selected;

-- name: participation_by_action
-- Per action: participations, distinct participants, head counts, sessions, average per session, and regularity (named participants by the number of the action's sessions they came to: once, 2 to 4, 5 or more).
with selected as not materialized (   -- read twice: each read scans, nothing is copied
    select * from attendance_f($date_from, $date_to, $actions, $themes, $porteurs, $bands, $sexes, $qpvs, $publics)
),
pairs as (
    -- one row per (action, person); the head-count rows of an action make one row, person null
    select action_code, person, sum(nombre) as participations, count(*) as times
    from selected
    group by action_code, person
),
per_action as (
    select
        action_code,
        sum(participations)::bigint as participations,
        count(person) as participants,
        coalesce(sum(participations) filter (where person is null), 0)::bigint as headcount_participations,
        count(person) filter (where times = 1) as once,
        count(person) filter (where times between 2 and 4) as two_to_four,
        count(person) filter (where times >= 5) as five_or_more
    from pairs
    group by action_code
),
sessions as (
    select action_code, any_value(intitule) as intitule, any_value(porteur) as porteur, any_value(axe) as axe,
        count(distinct date) as sessions
    from selected
    group by action_code
)
select
    action_code, intitule, porteur, axe, participations, participants, headcount_participations,
    sessions, participations / sessions as average_per_session, once, two_to_four, five_or_more
from per_action
join sessions using (action_code)
order by participations desc, intitule;

-- name: participation_by_month
-- Per month and thématique: participations and distinct participants.
select
    date_trunc('month', date)::date as month,
    axe,
    sum(nombre)::bigint as participations,
    distinct_people(person) as participants
from attendance_f($date_from, $date_to, $actions, $themes, $porteurs, $bands, $sexes, $qpvs, $publics)
group by all
order by month, axe;

-- name: participation_by_porteur
-- Per porteur: actions, sessions, participations and distinct participants.
select
    porteur,
    count(distinct action_code) as actions,
    count(distinct (date, action_code)) as sessions,
    sum(nombre)::bigint as participations,
    distinct_people(person) as participants
from attendance_f($date_from, $date_to, $actions, $themes, $porteurs, $bands, $sexes, $qpvs, $publics)
group by porteur
order by participations desc, porteur;

-- name: selection_people
-- Working table of the pages that count people by their first participation (Publics et âges, the action sheet): one row per named person of the selection with their band, sex and QPV at first participation and their first date (macro first_participation), computed once per page.
create or replace temp table selection_people as
select * from first_participation($date_from, $date_to, $actions, $themes, $porteurs, $bands, $sexes, $qpvs, $publics);

-- name: participation_by_band
-- Per age band: participations (band of each session) and distinct participants (band at first participation, working table selection_people).
with sums as (
    select
        tranche,
        sum(nombre)::bigint as participations,
        coalesce(sum(nombre) filter (where person is null), 0)::bigint as headcount_participations
    from attendance_f($date_from, $date_to, $actions, $themes, $porteurs, $bands, $sexes, $qpvs, $publics)
    group by tranche
)
select s.tranche, s.participations, s.headcount_participations, coalesce(p.participants, 0) as participants
from sums as s
left join (select tranche, count(*) as participants from selection_people group by tranche) as p using (tranche);

-- name: focus_profile
-- Focus-band people (band at first participation) by sex and QPV residence, and focus-band participations without identity.
-- kind 'people': distinct focus-band people; kind 'headcount': focus-band participations without identity
select 'people' as kind, sexe, qpv_label(qpv) as qpv_label, count(*)::bigint as n
from selection_people
where tranche = $focus_band
group by all
union all
select 'headcount', sexe, qpv_label(qpv), sum(nombre)::bigint
from attendance_f($date_from, $date_to, $actions, $themes, $porteurs, $bands, $sexes, $qpvs, $publics)
where person is null and tranche = $focus_band
group by all
order by kind, sexe, qpv_label;

-- name: focus_by_action
-- Per action: distinct focus-band people (band at first participation) who joined it, and their participations.
select
    f.action_code,
    any_value(f.intitule) as intitule,
    distinct_people(f.person) as young_people,
    count(*)::bigint as participations   -- named rows: one participation each
from attendance_f($date_from, $date_to, $actions, $themes, $porteurs, $bands, $sexes, $qpvs, $publics) as f
join selection_people as p on p.person = f.person and p.tranche = $focus_band
group by f.action_code
order by young_people desc, intitule;

-- name: focus_parcours
-- Focus-band people by number of actions joined, and the $combinations_max most common combinations of two actions or more.
with focus_actions as (
    select distinct f.person, f.action_code, f.intitule
    from attendance_f($date_from, $date_to, $actions, $themes, $porteurs, $bands, $sexes, $qpvs, $publics) as f
    join selection_people as p on p.person = f.person and p.tranche = $focus_band
),
focus as (
    -- each focus person's number of actions, and their titles in order
    select person, count(*) as n_actions, list(intitule order by intitule) as titles
    from focus_actions
    group by person
),
combinations as (
    select array_to_string(titles, ' + ') as combination, count(*) as people
    from focus
    where n_actions >= 2
    group by titles
    order by people desc, combination
    limit $combinations_max
)
-- kind 'count': people per number of actions (capped at 4 = "4 ou plus");
-- kind 'combination': people per combination of actions, for parcours only
select 'count' as kind, least(n_actions, 4)::varchar as label, count(*) as people
from focus
group by all
union all
select 'combination', combination, people
from combinations
order by kind, people desc, label;

-- name: focus_by_month
-- Per month: distinct focus-band people who came, newcomers (first participation that month), participations of the focus band.
with selected as not materialized (   -- read twice: each read scans, nothing is copied
    select * from attendance_f($date_from, $date_to, $actions, $themes, $porteurs, $bands, $sexes, $qpvs, $publics)
),
came as (
    select date_trunc('month', f.date)::date as month, distinct_people(f.person) as young_people
    from selected as f
    join selection_people as p on p.person = f.person and p.tranche = $focus_band
    group by 1
),
newcomers as (
    select date_trunc('month', first_date)::date as month, count(*) as newcomers
    from selection_people
    where tranche = $focus_band
    group by 1
),
participations as (
    -- the band of each session, head counts included
    select date_trunc('month', date)::date as month, sum(nombre)::bigint as participations
    from selected
    where tranche = $focus_band
    group by 1
)
select
    month,
    coalesce(c.young_people, 0) as young_people,
    coalesce(n.newcomers, 0) as newcomers,
    coalesce(p.participations, 0) as participations
from came as c
full join newcomers as n using (month)
full join participations as p using (month)
order by month;

-- name: action_sessions
-- Sessions of the selection: one row per (date, action), with participations, named participants (one named row per person and session), head counts and the focus band's participations.
select
    date,
    action_code,
    sum(nombre)::bigint as participations,
    count(person) as participants,
    coalesce(sum(nombre) filter (where person is null), 0)::bigint as headcount_participations,
    coalesce(sum(nombre) filter (where tranche = $focus_band), 0)::bigint as focus_participations
from attendance_f($date_from, $date_to, $actions, $themes, $porteurs, $bands, $sexes, $qpvs, $publics)
group by date, action_code
order by date, action_code;

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
