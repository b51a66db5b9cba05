-- Macros created on every connection (temporary: nothing to migrate). They read the stored tables
-- and the current versions of actions and programme lines (actions_current, budget_current:
-- queries/derived.sql).
-- Filters bind lists; an empty list means "no filter on this dimension".

-- The action dimensions of the shared filters (action, thématique, porteur), in one place.
create or replace temp macro action_selected(code, axe, porteur, actions, themes, porteurs) as
    (len(actions) = 0 or list_contains(actions, code))
    and (len(themes) = 0 or list_contains(themes, coalesce(axe, 'Non renseignée')))
    and (len(porteurs) = 0 or list_contains(porteurs, coalesce(porteur, 'Non renseigné')));

-- QPV residence as the filters and tables name it: oui, non, NR (non renseigné).
create or replace temp macro qpv_label(qpv) as case when qpv then 'oui' when not qpv then 'non' else 'NR' end;

-- The people dimensions of the shared filters (band, sex, QPV, public), in one place.
create or replace temp macro people_selected(tranche, sexe, qpv, public, bands, sexes, qpvs, publics) as
    (len(bands) = 0 or list_contains(bands, tranche))
    and (len(sexes) = 0 or list_contains(sexes, sexe))
    and (len(qpvs) = 0 or list_contains(qpvs, qpv_label(qpv)))
    and (len(publics) = 0 or list_contains(publics, public));

-- Distinct people among a group's rows: the number of different person ids, exactly what
-- count(distinct person) gives (a null person, a head-count row, is nobody). DuckDB sets one bit per
-- id, over the range of ids that the statistics of the table read give, instead of hashing every
-- (group, person) pair: the same figure, three to five times faster when a page groups millions of
-- rows. Two limits:
-- - `person` must be a column as read from a table (attendance_f, selection_people): a computed
--   value (a CASE, say) has no statistics and DuckDB refuses the query; count(distinct ...) then;
-- - each group holds one bit per person ever stored (2.5 kB for 20,000 people): use it where the
--   groups are a few hundred (months, actions, porteurs), not thousands (sessions, people).
create or replace temp macro distinct_people(person) as coalesce(bit_count(bitstring_agg(person)), 0);

-- The attendance rows the shared filters select (period, action, thématique, porteur, band, sex,
-- QPV, public), with their action's current code, title, porteur and thématique. `person` is the
-- whole-number id of the pseudonym (null on a head-count row, which stands for `nombre`
-- participations without identity).
create or replace temp macro attendance_f(date_from, date_to, actions, themes, porteurs, bands, sexes, qpvs, publics) as table
select
    a.date,
    a.action_code,
    ac.intitule,
    ac.porteur,
    ac.axe,
    a.person_id as person,
    a.age,
    a.tranche,
    a.sexe,
    a.qpv,
    a.nombre,
    a.public
from attendance as a
join (
    select code, intitule, coalesce(porteur, 'Non renseigné') as porteur, coalesce(axe, 'Non renseignée') as axe
    from actions_current
    where action_selected(code, axe, porteur, actions, themes, porteurs)
) as ac on ac.code = a.action_code
where a.date between date_from and date_to
    and people_selected(a.tranche, a.sexe, a.qpv, a.public, bands, sexes, qpvs, publics);

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

-- First participation: one row per named person of the selection, as at their earliest (date, action
-- code) in it: their band; their sex and QPV residence, those of the first participation that gives
-- them ('NR' / null when none does); the date. The one definition of "first participation": every
-- count of people by band, sex or QPV residence reads it.
-- `first_day` finds each person's earliest date; `firsts` takes, among that day's rows, the one
-- with the smallest action code, whole (two light passes: one struct minimum over every row costs
-- twice as much); `later` reads the rows again only for the people whose first row does not say
-- their sex or QPV residence (one struct minimum instead of three).
create or replace temp macro first_participation(date_from, date_to, actions, themes, porteurs, bands, sexes, qpvs, publics) as table
with first_day as (
    select person, min(date) as first_date
    from attendance_f(date_from, date_to, actions, themes, porteurs, bands, sexes, qpvs, publics)
    where person is not null
    group by person
),
firsts as (
    select
        a.person,
        any_value(d.first_date) as first_date,
        min({'code': a.action_code, 'tranche': a.tranche, 'sexe': a.sexe, 'qpv': a.qpv}) as first
    from attendance_f(date_from, date_to, actions, themes, porteurs, bands, sexes, qpvs, publics) as a
    join first_day as d on d.person = a.person and d.first_date = a.date
    group by a.person
),
later as (
    select
        person,
        min({'date': date, 'code': action_code, 'value': sexe}) filter (where sexe <> 'NR').value as sexe,
        min({'date': date, 'code': action_code, 'value': qpv}) filter (where qpv is not null).value as qpv
    from attendance_f(date_from, date_to, actions, themes, porteurs, bands, sexes, qpvs, publics)
    where person in (select person from firsts where first.sexe = 'NR' or first.qpv is null)
    group by person
)
select
    person,
    f.first.tranche as tranche,
    case when f.first.sexe <> 'NR' then f.first.sexe else coalesce(l.sexe, 'NR') end as sexe,
    coalesce(f.first.qpv, l.qpv) as qpv,
    f.first_date
from firsts as f
left join later as l using (person);

-- Funders. A funder's key: lower case, no accents, letters and digits only, so that any spelling
-- of a name matches ('ETAT - Cité Educative' and 'État - cité éducative' are 'etatciteeducative').
create or replace temp macro funder_key(name) as
    regexp_replace(strip_accents(lower(name)), '[^a-z0-9]', '', 'g');

-- The convention's State funder (settings: financeur_etat), however a file spells it.
create or replace temp macro is_state_funder(financeur, state) as funder_key(financeur) = funder_key(state);

-- A funder name of the settings as a LIKE pattern over funder keys: * stands for any text.
create or replace temp macro funder_pattern(name) as
    array_to_string(list_transform(string_split(name, '*'), lambda part: funder_key(part)), '%');

-- A funder's group, by position: 0 for the State, then k for the first of `groups` (each a list
-- of names of the settings' [financeurs]) that names it, then len(groups) + 1 for the others.
create or replace temp macro funder_group(financeur, state, groups) as
    case
        when is_state_funder(financeur, state) then 0
        else coalesce(
            list_position(list_transform(groups, lambda names: list_bool_or(list_transform(names,
                lambda name: funder_key(financeur) like funder_pattern(name)))), true),
            len(groups) + 1)
    end;
