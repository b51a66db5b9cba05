-- name: filter_actions
-- Every current action, for the filters and the action picker.
select code, intitule, coalesce(porteur, 'Non renseigné') as porteur,
    coalesce(axe, 'Non renseignée') as axe, public_cible, annee_debut, annee_fin
from actions_current
order by intitule;

-- name: filter_people_values
-- Values present in attendance for the people filters (dimension, value).
with present as (
    -- the distinct combinations, labelled after (a few rows, not every attendance row)
    select tranche, sexe, qpv_label(qpv) as qpv, public
    from (select distinct tranche, sexe, qpv, public from attendance)
)
select distinct 'f_bands' as dimension, tranche as value from present
union select distinct 'f_sexes', sexe from present
union select distinct 'f_qpvs', qpv from present
union select distinct 'f_publics', public from present;

-- name: data_status
-- Whether anything is loaded, whether it is only the demonstration data, and the last import.
select
    count(*) filter (where status = 'active') as active_batches,
    count(*) filter (where status = 'active' and imported_by <> 'démonstration') as real_batches,
    max(imported_at) filter (where status = 'active') as last_import
from batches;
