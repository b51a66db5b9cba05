-- Vue d'ensemble: the headline figures of participation and of the State envelope.
-- Participation reads attendance through attendance_f, so every sidebar filter applies.
-- Money reads budget_f / spending_f: the period's years and the action filters apply,
-- people filters (band, sex, QPV, public) do not.
-- A head-count row (person null) is `nombre` participations without identity: it never
-- adds to distinct participants.
-- The State funder is recognised as the budget page does: lower case, accents and
-- punctuation removed, on both sides (so « Etat - Cité éducative » is the State too).

-- name: overview_participation
-- Per month of session and for the whole selection (month null, first row): participations, head-count participations, distinct participants, actions with activity.
select
    date_trunc('month', date)::date as month,
    coalesce(sum(nombre), 0)::bigint as participations,
    coalesce(sum(nombre) filter (where person is null), 0)::bigint as headcount_participations,
    distinct_people(person) as participants,
    count(distinct action_code) as actions
from attendance_f($date_from, $date_to, $actions, $themes, $porteurs, $bands, $sexes, $qpvs, $publics)
group by grouping sets ((month), ())
order by month nulls first;

-- name: overview_focus_people
-- Distinct participants whose band at their first participation in the selection is the focus band (macro first_participation).
select count(*) filter (where tranche = $focus_band) as focus_participants
from first_participation($date_from, $date_to, $actions, $themes, $porteurs, $bands, $sexes, $qpvs, $publics);

-- name: overview_state_by_year
-- State envelope per programme year: envelope, programmed (budget in force), committed, paid (payments net of credit notes).
with years as (
    select unnest(range(year($date_from), year($date_to) + 1)) as exercice
),
state_budget as (
    select annee as exercice, sum(montant) as programme
    from budget_f($date_from, $date_to, $actions, $themes, $porteurs)
    where is_state_funder(financeur_key, $state_funder)
    group by 1
),
state_spending as (
    -- credit notes (avoir) are stored negative: they reduce what was paid
    select
        exercice,
        sum(montant) filter (where statut = 'engagé') as engage,
        sum(montant) filter (where statut in ('payé', 'avoir')) as paye
    from spending_f($date_from, $date_to, $actions, $themes, $porteurs)
    where is_state_funder(financeur_key, $state_funder)
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
        and is_state_funder(financeur_key, $state_funder)
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
