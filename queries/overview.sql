-- Vue d'ensemble: the headline figures of participation and of the State envelope.
-- Participation reads attendance through attendance_f, so every sidebar filter applies.
-- Money reads budget_f / spending_f: the period's years and the action filters apply,
-- people filters (band, sex, QPV, public) do not.
-- A head-count row (person null) is `nombre` participations without identity: it never
-- adds to distinct participants.
-- The State funder is recognised as the budget page does: lower case, accents and
-- punctuation removed, on both sides (so « Etat - Cité éducative » is the State too).

-- name: overview_people
-- Working table of Vue d'ensemble: the set of people (bitstring of ids) who came each month, from the named rows.
create or replace temp table overview_people as
select year(date) as y, month(date) as m, bitstring_agg(person, 1, $people_max) as people
from attendance_f($date_from, $date_to, $action_ids, $action_nos, $axe_nos, $bands, $sexes, $qpvs, $publics)
where person is not null
group by all;

-- name: overview_people_stored
-- overview_people from the stored pairs or person-years, when they serve the selection
-- (reference.on_pairs, macro person_rows). Each person's months (the union of their rows' months),
-- 8 months at a time (month_byte, byte_bits): the set of people per byte of months and value of
-- that byte, then per month the union of the sets whose value has its bit.
create or replace temp table overview_people as
with bytes as (
    select b, month_byte(months, b) as byte, bitstring_agg(person, 1, $people_max) as people
    from (select person, bit_or(months) as months from person_rows($action_ids, $pairs_shift, $pairs_years, $pairs_profiles, $pairs_persons) group by person),
        month_bytes($date_from, $date_to)
    group by all
)
select year(month) as y, month(month) as m, people
from (
    select month_of_index(8 * b + bit, $date_from) as month, bit_or(people) as people
    from bytes
    join byte_bits using (byte)
    where 8 * b + bit <= month_index($date_to, $date_from)
    group by all
);

-- name: overview_participation
-- Per month of session and for the whole selection (month null, first row): participations, head-count participations, distinct participants, actions with activity.
-- People and actions are sets of whole-number ids (bitstrings) per month; the whole selection's
-- sets are their union. People: the working table overview_people; sums and actions: the sessions.
with people as (
    select * from overview_people
),
sums as (
    select
        year(date) as y,
        month(date) as m,
        sum(participations)::bigint as participations,
        sum(headcount_participations)::bigint as headcount_participations,
        bitstring_agg($action_nos[action_id], 1, $actions_max) as action_set
    from sessions_f($date_from, $date_to, $action_ids, $profiles, $all_profiles)
    group by all
),
per_month as (
    select * from sums left join people using (y, m)
)
select
    make_date(y, m, 1) as month,
    participations,
    headcount_participations,
    coalesce(bit_count(people), 0) as participants,
    coalesce(bit_count(action_set), 0) as actions
from per_month
union all
select
    null,
    coalesce(sum(participations), 0)::bigint,
    coalesce(sum(headcount_participations), 0)::bigint,
    coalesce(bit_count(bit_or(people)), 0),
    coalesce(bit_count(bit_or(action_set)), 0)
from per_month
order by month nulls first;

-- name: overview_focus_people
-- Distinct participants whose band at their first participation in the selection is the focus band,
-- as on the participation pages (people_first in macros.sql).
select count(*) filter (where tranche = $focus_band) as focus_participants
from people_first($date_from, $date_to, $action_ids, $action_nos, $axe_nos, $bands, $sexes, $qpvs, $publics);

-- name: overview_focus_people_stored
-- overview_focus_people from the stored pairs, when they serve the selection (reference.on_pairs).
select count(*) filter (where tranche = $focus_band) as focus_participants
from people_first_stored($action_ids, $action_nos, $pairs_years, $pairs_profiles, $pairs_persons);

-- name: overview_state_by_year
-- State envelope per programme year: envelope, programmed (budget in force), committed, paid (payments net of credit notes).
with years as (
    select unnest(range(year($date_from), year($date_to) + 1)) as exercice
),
state_budget as (
    select annee as exercice, sum(montant) as programme
    from budget_f($date_from, $date_to, $actions, $themes, $porteurs)
    where regexp_replace(strip_accents(lower(financeur_key)), '[^a-z0-9]', '', 'g')
        = regexp_replace(strip_accents(lower($state_funder)), '[^a-z0-9]', '', 'g')
    group by 1
),
state_spending as (
    -- credit notes (avoir) are stored negative: they reduce what was paid
    select
        exercice,
        sum(montant) filter (where statut = 'engagé') as engage,
        sum(montant) filter (where statut in ('payé', 'avoir')) as paye
    from spending_f($date_from, $date_to, $actions, $themes, $porteurs)
    where regexp_replace(strip_accents(lower(financeur_key)), '[^a-z0-9]', '', 'g')
        = regexp_replace(strip_accents(lower($state_funder)), '[^a-z0-9]', '', 'g')
    group by 1
)
select
    y.exercice::integer as exercice,
    $envelope_per_year::double as enveloppe,
    coalesce(b.programme, 0)::double as programme,
    coalesce(s.engage, 0)::double as engage,
    coalesce(s.paye, 0)::double as paye
from years as y
left join state_budget as b using (exercice)
left join state_spending as s using (exercice)
order by y.exercice;

-- name: overview_state_paid_monthly
-- State payments (net of credit notes) per month of payment, cumulated, beside the cumulated yearly envelope.
with paid as (
    -- a payment dated before the first selected year counts in its first month
    select
        greatest(date_trunc('month', date)::date, make_date(year($date_from), 1, 1)) as month,
        sum(montant) as paid
    from spending_f($date_from, $date_to, $actions, $themes, $porteurs)
    where statut in ('payé', 'avoir')
        and regexp_replace(strip_accents(lower(financeur_key)), '[^a-z0-9]', '', 'g')
            = regexp_replace(strip_accents(lower($state_funder)), '[^a-z0-9]', '', 'g')
    group by 1
),
bounds as (
    -- up to the end of the last selected year, or this month if sooner, or the last payment
    -- if later (last year's subsidies are paid in the first months of the next one)
    select
        make_date(year($date_from), 1, 1) as first_month,
        greatest(
            least(make_date(year($date_to), 12, 1), date_trunc('month', current_date)::date),
            coalesce((select max(month) from paid), make_date(year($date_from), 1, 1))
        ) as last_month
),
months as (
    select unnest(generate_series(first_month, last_month, interval 1 month))::date as month
    from bounds
)
select
    m.month,
    coalesce(p.paid, 0)::double as paid,
    sum(coalesce(p.paid, 0)) over (order by m.month)::double as cumulative_paid,
    -- each selected year opens its envelope on 1 January
    ($envelope_per_year * (least(year(m.month), year($date_to)) - year($date_from) + 1))::double
        as cumulative_envelope
from months as m
left join paid as p using (month)
order by m.month;
