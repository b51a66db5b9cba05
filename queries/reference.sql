-- name: filter_actions
-- Every current action, for the filters and the action picker.
select code, intitule, coalesce(porteur, 'Non renseigné') as porteur,
    coalesce(axe, 'Non renseignée') as axe, public_cible, annee_debut, annee_fin
from actions_current
order by intitule;

-- name: filter_people_values
-- Values present in attendance for the people filters (dimension, value), kept by every import and undo.
select dimension, value from attendance_values;

-- name: set_bounds
-- Upper bounds of the whole-number ids that distinct counts put in bitstrings (at least 1):
-- people (ids of pseudonyms, never reused) and current actions (action_no).
select
    greatest(coalesce((select max(id) from people), 0), 1)::integer as people_max,
    greatest((select count(*) from actions_current), 1)::integer as actions_max;

-- name: data_status
-- Whether anything is loaded, whether it is only the demonstration data, and the last import.
select
    count(*) filter (where status = 'active') as active_batches,
    count(*) filter (where status = 'active' and imported_by <> 'démonstration') as real_batches,
    max(imported_at) filter (where status = 'active') as last_import
from batches;
