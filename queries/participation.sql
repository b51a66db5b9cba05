-- Participation indicators. Every query reads attendance through attendance_f, so the
-- shared sidebar filters (period, action, thématique, porteur, band, sex, QPV, public) apply.
-- A named row (person not null) is one participation; a head-count row (person null) is
-- `nombre` participations without identity: it never adds to distinct participants.
-- A person's band, sex and QPV residence for distinct counts are those of their FIRST
-- participation in the selection (same day: the first action code); sex and QPV
-- fall back to the first known value when the first row leaves them blank.

-- name: participation_pairs
-- Working table of the Participation page: one row per person and action (sessions attended).
create or replace temp table participation_pairs as
select person, action_code, count(*) as times   -- one named row per (date, action, person)
from attendance_f($date_from, $date_to, $actions, $themes, $porteurs, $bands, $sexes, $qpvs, $publics)
where person is not null
group by person, action_code;

-- name: participation_totals
-- Headline figures: participations, distinct participants, head counts, sessions, actions, parcours.
with f as (
    select * from attendance_f($date_from, $date_to, $actions, $themes, $porteurs, $bands, $sexes, $qpvs, $publics)
),
rows as (
    select
        coalesce(sum(nombre), 0)::bigint as participations,
        coalesce(sum(nombre) filter (where person is null), 0)::bigint as headcount_participations,
        count(distinct action_code) as actions
    from f
),
sessions as (
    select count(*) as sessions from (select distinct date, action_code from f)
),
people as (
    select count(*) as participants, count(*) filter (where n_actions >= 2) as parcours
    from (select person, count(*) as n_actions from participation_pairs group by person)
)
select r.participations, r.headcount_participations, p.participants, s.sessions, r.actions, p.parcours
from rows as r, sessions as s, people as p;

-- name: participation_by_action
-- Per action: participations, distinct participants, sessions, average per session and regularity.
with f as (
    select * from attendance_f($date_from, $date_to, $actions, $themes, $porteurs, $bands, $sexes, $qpvs, $publics)
),
per_action as (
    select
        action_code,
        any_value(intitule) as intitule,
        any_value(porteur) as porteur,
        any_value(axe) as axe,
        sum(nombre)::bigint as participations,
        coalesce(sum(nombre) filter (where person is null), 0)::bigint as headcount_participations,
        count(distinct date) as sessions            -- a session is one (date, action)
    from f
    group by action_code
),
regularity as (
    select
        action_code,
        count(*) as participants,
        count(*) filter (where times = 1) as once,
        count(*) filter (where times between 2 and 4) as two_to_four,
        count(*) filter (where times >= 5) as five_or_more
    from participation_pairs
    group by action_code
)
select
    a.action_code, a.intitule, a.porteur, a.axe,
    a.participations,
    coalesce(r.participants, 0) as participants,
    a.headcount_participations,
    a.sessions,
    a.participations / a.sessions as average_per_session,
    coalesce(r.once, 0) as once,
    coalesce(r.two_to_four, 0) as two_to_four,
    coalesce(r.five_or_more, 0) as five_or_more
from per_action as a
left join regularity as r using (action_code)
order by a.participations desc, a.intitule;

-- name: participation_by_month
-- Per month and thématique: participations and distinct participants.
with f as (
    select * from attendance_f($date_from, $date_to, $actions, $themes, $porteurs, $bands, $sexes, $qpvs, $publics)
),
participations as (
    select date_trunc('month', date)::date as month, axe, sum(nombre)::bigint as participations
    from f
    group by all
),
people as (
    -- distinct (month, thématique, person) first, then a plain count
    select month, axe, count(*) as participants
    from (select distinct date_trunc('month', date)::date as month, axe, person from f where person is not null)
    group by all
)
select month, axe, p.participations, coalesce(q.participants, 0) as participants
from participations as p
left join people as q using (month, axe)
order by month, axe;

-- name: participation_by_porteur
-- Per porteur: actions, sessions, participations and distinct participants.
with f as (
    select * from attendance_f($date_from, $date_to, $actions, $themes, $porteurs, $bands, $sexes, $qpvs, $publics)
),
per_porteur as (
    select
        porteur,
        count(distinct action_code) as actions,
        sum(nombre)::bigint as participations
    from f
    group by porteur
),
sessions as (
    select porteur, count(*) as sessions
    from (select distinct porteur, date, action_code from f)
    group by porteur
),
people as (
    select coalesce(a.porteur, 'Non renseigné') as porteur, count(distinct pa.person) as participants
    from participation_pairs as pa
    join actions_current as a on a.code = pa.action_code
    group by all
)
select p.porteur, p.actions, s.sessions, p.participations, coalesce(q.participants, 0) as participants
from per_porteur as p
join sessions as s using (porteur)
left join people as q using (porteur)
order by p.participations desc, p.porteur;

-- name: publics_people
-- Working table of the Publics et âges page: one row per person and action, built in one pass.
create or replace temp table publics_pairs as
select
    person,
    action_code,
    count(*) as participations,
    min(date) as first_date,
    arg_min(tranche, date) as first_tranche   -- one row per person, action and date: no tie
from attendance_f($date_from, $date_to, $actions, $themes, $porteurs, $bands, $sexes, $qpvs, $publics)
where person is not null
group by person, action_code;

-- name: publics_people_first
-- One row per person: band at first participation (same day: first action code), sex and QPV of
-- the first participation that gives them, first date, number of actions.
create or replace temp table publics_people as
with declared as (
    select
        person,
        arg_min(sexe, (date, action_code)) filter (where sexe <> 'NR') as sexe,
        arg_min(qpv, (date, action_code)) filter (where qpv is not null) as qpv
    from attendance_f($date_from, $date_to, $actions, $themes, $porteurs, $bands, $sexes, $qpvs, $publics)
    where person is not null and (sexe <> 'NR' or qpv is not null)
    group by person
)
select
    pa.person,
    arg_min(pa.first_tranche, (pa.first_date, pa.action_code)) as tranche,
    coalesce(any_value(d.sexe), 'NR') as sexe,
    any_value(d.qpv) as qpv,
    min(pa.first_date) as first_date,
    count(*) as n_actions
from publics_pairs as pa
left join declared as d using (person)
group by pa.person;

-- name: participation_by_band
-- Per age band: participations (band of each session) and distinct participants (band at first participation).
with by_session as (
    select
        tranche,
        sum(nombre)::bigint as participations,
        coalesce(sum(nombre) filter (where person is null), 0)::bigint as headcount_participations
    from attendance_f($date_from, $date_to, $actions, $themes, $porteurs, $bands, $sexes, $qpvs, $publics)
    group by tranche
)
select s.tranche, s.participations, s.headcount_participations, coalesce(p.participants, 0) as participants
from by_session as s
left join (select tranche, count(*) as participants from publics_people group by tranche) as p using (tranche);

-- name: focus_profile
-- Distinct people of the focus band (at first participation) by sex and QPV residence, with head counts.
-- kind 'people': distinct focus-band people; kind 'headcount': focus-band participations without identity
select
    'people' as kind,
    sexe,
    case when qpv then 'oui' when not qpv then 'non' else 'NR' end as qpv_label,
    count(*)::bigint as n
from publics_people
where tranche = $focus_band
group by all
union all
select 'headcount', sexe, qpv_label, sum(nombre)::bigint
from attendance_f($date_from, $date_to, $actions, $themes, $porteurs, $bands, $sexes, $qpvs, $publics)
where person is null and tranche = $focus_band
group by all
order by kind, sexe, qpv_label;

-- name: focus_by_action
-- Per action: distinct focus-band people (band at first participation) who joined it, and their participations.
select
    pa.action_code,
    any_value(a.intitule) as intitule,
    count(*) as young_people,
    sum(pa.participations)::bigint as participations
from publics_pairs as pa
join publics_people as p using (person)
join actions_current as a on a.code = pa.action_code
where p.tranche = $focus_band
group by pa.action_code
order by young_people desc, intitule;

-- name: focus_parcours
-- Focus-band people by number of actions joined, and the most common combinations of two actions or more.
with focus as (
    select person, n_actions from publics_people where tranche = $focus_band
),
combinations as (
    select pa.person, string_agg(a.intitule, ' + ' order by a.intitule) as combination
    from publics_pairs as pa
    join focus as f using (person)
    join actions_current as a on a.code = pa.action_code
    where f.n_actions >= 2
    group by pa.person
)
-- kind 'count': people per number of actions (capped at 4 = "4 ou plus");
-- kind 'combination': people per combination of actions, for parcours only
select 'count' as kind, least(n_actions, 4)::varchar as label, count(*) as people
from focus
group by all
union all
select 'combination', combination, count(*)
from combinations
group by all
order by kind, people desc, label;

-- name: focus_by_month
-- Per month: distinct focus-band people who came, newcomers (first participation that month), participations.
with f as (
    select * from attendance_f($date_from, $date_to, $actions, $themes, $porteurs, $bands, $sexes, $qpvs, $publics)
),
focus as (select person, first_date from publics_people where tranche = $focus_band),
came as (
    -- distinct (month, person) pairs first, then a plain count
    select month, count(*) as young_people
    from (
        select distinct date_trunc('month', f.date)::date as month, f.person
        from f
        join focus using (person)
    )
    group by all
),
newcomers as (
    select date_trunc('month', first_date)::date as month, count(*) as newcomers
    from focus
    group by all
),
sessions as (
    -- participations counted in the band of each session, head counts included
    select date_trunc('month', date)::date as month, sum(nombre)::bigint as participations
    from f
    where tranche = $focus_band
    group by all
)
select
    month,
    coalesce(c.young_people, 0) as young_people,
    coalesce(n.newcomers, 0) as newcomers,
    coalesce(s.participations, 0) as participations
from sessions as s
full join came as c using (month)
full join newcomers as n using (month)
order by month;

-- name: action_sessions
-- Sessions of the selection: one row per (date, action), with participations and distinct named participants.
with f as (
    select * from attendance_f($date_from, $date_to, $actions, $themes, $porteurs, $bands, $sexes, $qpvs, $publics)
)
select
    date,
    action_code,
    sum(nombre)::bigint as participations,
    count(distinct person) as participants,
    coalesce(sum(nombre) filter (where person is null), 0)::bigint as headcount_participations,
    coalesce(sum(nombre) filter (where tranche = $focus_band), 0)::bigint as focus_participations
from f
group by date, action_code
order by date, action_code;

-- name: people_profile
-- Distinct people by band, sex and QPV residence (at first participation), for one selection.
with f as (
    select * from attendance_f($date_from, $date_to, $actions, $themes, $porteurs, $bands, $sexes, $qpvs, $publics)
),
people as (
    select
        person,
        arg_min(tranche, (date, action_code)) as tranche,
        coalesce(arg_min(sexe, (date, action_code)) filter (where sexe <> 'NR'), 'NR') as sexe,
        arg_min(qpv, (date, action_code)) filter (where qpv is not null) as qpv
    from f
    where person is not null
    group by person
)
select
    tranche,
    sexe,
    case when qpv then 'oui' when not qpv then 'non' else 'NR' end as qpv_label,
    count(*)::bigint as people
from people
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
