-- Money: the programme (budget_current), commitments and payments (spending), for the Budget
-- and "Utilisation des fonds de l'État" pages.
--
-- Conventions shared by every query here:
-- * a spending row consumes the programme of its `exercice`, whatever its date (a 2023 action
--   is often paid in early 2024);
-- * paid = statut 'payé' plus 'avoir' (credit notes are stored negative); committed = 'engagé';
-- * the State funder is recognised by is_state_funder (macros.sql), so that any spelling
--   matches $state_funder; funders are grouped (funder_group) after aggregation (a few keys),
--   never row by row;
-- * spending is first summed per statut (a plain group by, the fastest on a million rows),
--   then the statuts are pivoted on the few rows left.

-- name: budget_year_funder
-- Programmed, committed and paid amounts per programme year and funder, with the funder's group.
with programmed as (
    select annee, financeur_key, min(financeur) as financeur, sum(montant) as programme
    from budget_f($date_from, $date_to, $actions, $themes, $porteurs)
    group by annee, financeur_key
),
by_status as (
    -- no string aggregate over a million rows: the funder's name comes from the programme
    select exercice as annee, financeur_key, statut, sum(montant) as montant
    from spending_f($date_from, $date_to, $actions, $themes, $porteurs)
    group by exercice, financeur_key, statut
),
spent as (
    select annee, financeur_key,
        sum(montant) filter (where statut = 'engagé') as engage,
        sum(montant) filter (where statut in ('payé', 'avoir')) as paye
    from by_status
    group by annee, financeur_key
),
joined as (
    select
        coalesce(p.annee, s.annee) as annee,
        coalesce(p.financeur_key, s.financeur_key) as financeur_key,
        coalesce(p.financeur, s.financeur_key) as financeur,
        coalesce(p.programme, 0) as programme,
        coalesce(s.engage, 0) as engage,
        coalesce(s.paye, 0) as paye
    from programmed as p
    full join spent as s on s.annee = p.annee and s.financeur_key = p.financeur_key
),
grouped as (
    -- the groups of the settings' [financeurs], by position: $funder_groups lists each group's
    -- names, $funder_labels the labels from the State (0) to the other funders (last)
    select *, funder_group(financeur_key, $state_funder, $funder_groups) as ordre
    from joined
)
select
    annee::integer as annee,
    financeur,
    $funder_labels[ordre + 1] as groupe,
    ordre,
    programme::double as programme,
    engage::double as engage,
    paye::double as paye
from grouped
order by annee, ordre, financeur;

-- name: budget_by_action
-- Programmed, committed and paid per action (all funders and State only), with its period and the share elapsed.
with programmed as (
    select action_code, financeur_key, sum(montant) as programme,
        min(annee) as first_year, max(annee) as last_year
    from budget_f($date_from, $date_to, $actions, $themes, $porteurs)
    group by action_code, financeur_key
),
by_status as (
    select action_code, financeur_key, statut, sum(montant) as montant, count(*) as lignes
    from spending_f($date_from, $date_to, $actions, $themes, $porteurs)
    group by action_code, financeur_key, statut
),
spent as (
    select action_code, financeur_key,
        sum(montant) filter (where statut = 'engagé') as engage,
        sum(montant) filter (where statut in ('payé', 'avoir')) as paye,
        sum(lignes) as lignes
    from by_status
    group by action_code, financeur_key
),
joined as (
    select
        coalesce(p.action_code, s.action_code) as action_code,
        is_state_funder(coalesce(p.financeur_key, s.financeur_key), $state_funder) as is_state,
        coalesce(p.programme, 0) as programme,
        coalesce(s.engage, 0) as engage,
        coalesce(s.paye, 0) as paye,
        coalesce(s.lignes, 0) as lignes,
        p.first_year,
        p.last_year
    from programmed as p
    full join spent as s on s.action_code = p.action_code and s.financeur_key = p.financeur_key
),
per_action as (
    select action_code,
        sum(programme) as programme,
        coalesce(sum(programme) filter (where is_state), 0) as programme_etat,
        sum(engage) as engage,
        coalesce(sum(engage) filter (where is_state), 0) as engage_etat,
        sum(paye) as paye,
        coalesce(sum(paye) filter (where is_state), 0) as paye_etat,
        sum(lignes) as lignes_depenses,
        min(first_year) as first_year,
        max(last_year) as last_year
    from joined
    group by action_code
),
periods as (
    -- the action's own years; without them, the years it is programmed on
    select p.*, a.intitule, coalesce(a.porteur, 'Non renseigné') as porteur,
        coalesce(a.axe, 'Non renseignée') as axe, a.annee_debut, a.annee_fin,
        make_date(coalesce(a.annee_debut, a.annee_fin, p.first_year), 1, 1) as start_date,
        make_date(coalesce(a.annee_fin, a.annee_debut, p.last_year), 12, 31) as end_date
    from per_action as p
    join actions_current as a on a.code = p.action_code
)
select
    action_code as code, intitule, porteur, axe,
    annee_debut::integer as annee_debut, annee_fin::integer as annee_fin,
    programme::double as programme,
    programme_etat::double as programme_etat,
    (programme - programme_etat)::double as programme_autres,
    engage::double as engage,
    engage_etat::double as engage_etat,
    paye::double as paye,
    paye_etat::double as paye_etat,
    lignes_depenses,
    case when start_date is null then null
        else least(1.0, greatest(0.0, (datediff('day', start_date, $ref_date) + 1)
            / (datediff('day', start_date, end_date) + 1)))
    end as periode_ecoulee
from periods
order by code;

-- name: budget_participations
-- Participations (sum of nombre) and distinct named participants per action over the selected programme years (whole years, budget.participations; no people filter: money is not split by public).
select
    action_code as code,
    any_value(intitule) as intitule,
    any_value(porteur) as porteur,
    any_value(axe) as axe,
    sum(nombre)::bigint as participations,
    distinct_people(person) as participants
from attendance_f($date_from, $date_to, $actions, $themes, $porteurs, $bands, $sexes, $qpvs, $publics)
group by action_code
order by code;

-- name: budget_monthly_paid
-- Paid per month of payment date (State and all funders); payments dated before the first selected year count in its first month.
with by_status as (
    select date_trunc('month', date) as mois, financeur_key, statut, sum(montant) as montant
    from spending_f($date_from, $date_to, $actions, $themes, $porteurs)
    group by all
),
monthly as (
    select mois, financeur_key, sum(montant) filter (where statut in ('payé', 'avoir')) as paye
    from by_status
    group by all
),
keyed as (
    select greatest(mois, make_date(year($date_from), 1, 1)) as mois, paye,
        is_state_funder(financeur_key, $state_funder) as is_state
    from monthly
)
select mois::date as mois,
    coalesce(sum(paye) filter (where is_state), 0)::double as paye_etat,
    coalesce(sum(paye), 0)::double as paye
from keyed
group by 1
order by 1;

-- name: budget_attention
-- Points the committee works through: overpaid, unprogrammed and out-of-period spending, per action (the under-used programme is budget_under_use).
with prog as (
    select action_code, annee, sum(montant) as programme
    from budget_f($date_from, $date_to, $actions, $themes, $porteurs)
    group by all
),
by_status as (
    select action_code, exercice as annee, statut, sum(montant) as montant, count(*) as lignes
    from spending_f($date_from, $date_to, $actions, $themes, $porteurs)
    group by all
),
spent as (
    select action_code, annee,
        sum(montant) filter (where statut in ('payé', 'avoir')) as paye,
        sum(montant) as montant,
        sum(lignes) as lignes
    from by_status
    group by all
),
per_year as (
    select coalesce(p.action_code, s.action_code) as action_code,
        coalesce(p.annee, s.annee) as annee,
        coalesce(p.programme, 0) as programme,
        coalesce(s.paye, 0) as paye,
        coalesce(s.montant, 0) as montant,
        coalesce(s.lignes, 0) as lignes
    from prog as p
    full join spent as s on s.action_code = p.action_code and s.annee = p.annee
),
over_paid as (
    select 'paye_superieur' as kind, action_code, annee, programme, paye, montant, lignes,
        null::date as date_min, null::date as date_max, null::double as periode_ecoulee
    from per_year
    where programme > 0 and paye > programme
),
unprogrammed as (
    select 'sans_programmation' as kind, action_code, annee, programme, paye, montant, lignes,
        null::date, null::date, null::double
    from per_year
    where programme = 0 and lignes > 0
),
outside as (
    -- a late payment of the action's programme (exercice inside its years, dated within the
    -- 12 months after them) is normal and not reported
    select 'hors_periode' as kind, s.action_code, null::smallint as annee, null as programme,
        sum(s.montant) filter (where s.statut in ('payé', 'avoir')) as paye, sum(s.montant) as montant,
        count(*) as lignes, min(s.date) as date_min, max(s.date) as date_max, null::double
    from spending_f($date_from, $date_to, $actions, $themes, $porteurs) as s
    join actions_current as a on a.code = s.action_code
    where coalesce(a.annee_debut, a.annee_fin) is not null
        and (
            year(s.date) < coalesce(a.annee_debut, a.annee_fin)
            or (year(s.date) > coalesce(a.annee_fin, a.annee_debut)
                and not (s.exercice between coalesce(a.annee_debut, a.annee_fin) and coalesce(a.annee_fin, a.annee_debut)
                         and year(s.date) = coalesce(a.annee_fin, a.annee_debut) + 1))
        )
    group by s.action_code
),
points as (
    -- the under-used programme is budget_under_use, shared with the State's page
    select * from over_paid
    union all select * from unprogrammed
    union all select * from outside
)
select p.kind, p.action_code as code, a.intitule, coalesce(a.porteur, 'Non renseigné') as porteur,
    p.annee::integer as annee, p.programme::double as programme, coalesce(p.paye, 0)::double as paye,
    p.montant::double as montant, p.lignes, p.date_min, p.date_max, p.periode_ecoulee
from points as p
join actions_current as a on a.code = p.action_code
order by p.kind, p.action_code, p.annee;

-- name: state_spending_rows
-- The expenses behind the figures, newest first, with the import and source line each came from (at most $limit rows).
with state_keys as (
    select distinct financeur_key
    from spending
    where is_state_funder(financeur_key, $state_funder)
)
select s.date, s.exercice::integer as exercice, s.action_code as code, s.intitule, s.porteur,
    s.fournisseur, s.libelle, s.piece, s.montant::double as montant, s.statut, s.financeur,
    s.batch_id, b.file_name, b.imported_at, s.line
from spending_f($date_from, $date_to, $actions, $themes, $porteurs) as s
join batches as b on b.id = s.batch_id
where ($all_funders or s.financeur_key in (select financeur_key from state_keys))
    and (len($statuts) = 0 or list_contains($statuts, s.statut))
    and ($search = ''
         or s.fournisseur ilike '%' || $search || '%'
         or s.libelle ilike '%' || $search || '%'
         or s.piece ilike '%' || $search || '%')
order by s.date desc, s.batch_id, s.line
limit $limit;

-- name: state_spending_totals
-- How many expenses match the list's filters, and their amount per statut (the list itself may be cut).
with state_keys as (
    select distinct financeur_key
    from spending
    where is_state_funder(financeur_key, $state_funder)
)
select s.statut, count(*) as lignes, sum(s.montant)::double as montant
from spending_f($date_from, $date_to, $actions, $themes, $porteurs) as s
where ($all_funders or s.financeur_key in (select financeur_key from state_keys))
    and (len($statuts) = 0 or list_contains($statuts, s.statut))
    and ($search = ''
         or s.fournisseur ilike '%' || $search || '%'
         or s.libelle ilike '%' || $search || '%'
         or s.piece ilike '%' || $search || '%')
group by s.statut
order by s.statut;

-- name: state_budget_rows
-- The State's programme lines in force, with the import and source line each came from and the amount it replaced.
select b.annee::integer as annee, b.action_code as code, b.intitule, b.porteur, b.financeur,
    b.montant::double as montant, b.previous_montant::double as montant_remplace,
    b.batch_id, bt.file_name, bt.imported_at, b.line
from budget_f($date_from, $date_to, $actions, $themes, $porteurs) as b
join batches as bt on bt.id = b.batch_id
where is_state_funder(b.financeur_key, $state_funder)
order by b.annee, b.action_code, b.batch_id, b.line;

-- name: budget_sources
-- The imports the money figures of the selection come from: rows used and amount per batch.
with used as (
    select batch_id, count(*) as lignes, sum(montant) as montant
    from budget_f($date_from, $date_to, $actions, $themes, $porteurs)
    group by batch_id
    union all
    select batch_id, count(*), sum(montant)
    from spending_f($date_from, $date_to, $actions, $themes, $porteurs)
    group by batch_id
)
select b.id as batch_id, b.kind, b.file_name, b.imported_at, b.imported_by,
    sum(u.lignes)::bigint as lignes, sum(u.montant)::double as montant
from used as u
join batches as b on b.id = u.batch_id
group by all
order by b.id;

-- name: budget_under_use
-- Under-used programme, the one rule of both money pages: less than half of the programme paid once three quarters of its period are over (the action's own years, or each year it is programmed on when it has none); every funder, or the State's credits only ($state_only).
with prog as (
    select action_code, annee, sum(montant) as programme
    from budget_f($date_from, $date_to, $actions, $themes, $porteurs)
    where not $state_only or is_state_funder(financeur_key, $state_funder)
    group by all
),
spent as (
    select action_code, exercice as annee,
        sum(montant) filter (where statut in ('payé', 'avoir')) as paye,
        sum(montant) as montant,
        count(*) as lignes
    from spending_f($date_from, $date_to, $actions, $themes, $porteurs)
    where not $state_only or is_state_funder(financeur_key, $state_funder)
    group by all
),
per_year as (
    -- within an action's own years, what is paid on a year without programme counts too
    select coalesce(p.action_code, s.action_code) as action_code, coalesce(p.annee, s.annee) as annee,
        coalesce(p.programme, 0) as programme,
        coalesce(s.paye, 0) as paye, coalesce(s.montant, 0) as montant, coalesce(s.lignes, 0) as lignes
    from prog as p
    full join spent as s on s.action_code = p.action_code and s.annee = p.annee
),
periods as (
    -- an action's own period when it has one, otherwise each year it is programmed on
    select code as action_code, null::smallint as annee,
        make_date(coalesce(annee_debut, annee_fin), 1, 1) as start_date,
        make_date(coalesce(annee_fin, annee_debut), 12, 31) as end_date
    from actions_current
    where coalesce(annee_debut, annee_fin) is not null
    union all
    select distinct p.action_code, p.annee, make_date(p.annee, 1, 1), make_date(p.annee, 12, 31)
    from prog as p
    join actions_current as a on a.code = p.action_code
    where a.annee_debut is null and a.annee_fin is null
),
usage as (
    select pe.action_code, pe.annee, pe.start_date, pe.end_date,
        sum(y.programme) as programme, sum(y.paye) as paye, sum(y.montant) as montant, sum(y.lignes) as lignes
    from periods as pe
    join per_year as y on y.action_code = pe.action_code and (pe.annee is null or y.annee = pe.annee)
    group by all
)
select 'sous_consommation' as kind, u.action_code as code, a.intitule,
    coalesce(a.porteur, 'Non renseigné') as porteur, u.annee::integer as annee,
    u.programme::double as programme, u.paye::double as paye, u.montant::double as montant, u.lignes,
    u.start_date as date_min, u.end_date as date_max,
    least(1.0, (datediff('day', u.start_date, $ref_date) + 1)
        / (datediff('day', u.start_date, u.end_date) + 1)) as periode_ecoulee
from usage as u
join actions_current as a on a.code = u.action_code
where u.programme > 0
    and u.paye < 0.5 * u.programme
    and (datediff('day', u.start_date, $ref_date) + 1) >= 0.75 * (datediff('day', u.start_date, u.end_date) + 1)
order by u.action_code, u.annee;

-- name: state_focus_people
-- For whom the State's credits went: per action the State funds (programmed or paid) and in total (action null, each young person once), the distinct young people of the focus band (band at first participation, working table selection_people) and those of them living in the QPV.
with state_actions as (
    select action_code from budget_f($date_from, $date_to, $actions, $themes, $porteurs)
    where is_state_funder(financeur_key, $state_funder)
    union
    select action_code from spending_f($date_from, $date_to, $actions, $themes, $porteurs)
    where is_state_funder(financeur_key, $state_funder)
),
attended as (
    select distinct action_code, person
    from attendance_f($date_from, $date_to, $actions, $themes, $porteurs, $bands, $sexes, $qpvs, $publics)
    where person is not null and action_code in (select action_code from state_actions)
)
select f.action_code,
    count(distinct f.person) as young_people,
    count(distinct f.person) filter (where p.qpv) as young_qpv
from attended as f
join selection_people as p on p.person = f.person and p.tranche = $focus_band
group by grouping sets ((f.action_code), ())
order by f.action_code nulls first;
