-- name: export_actions
-- Canonical export of the current actions.
select code, intitule, porteur, axe, public_cible, annee_debut, annee_fin
from actions_current
order by all nulls first;

-- name: export_budget
-- Canonical export of the current budget (amounts with two decimals).
select annee, action_code as action, financeur, printf('%.2f', montant) as montant
from budget_current
order by annee, action_code, financeur, montant nulls first;

-- name: export_spending
-- Canonical export of spending: ISO dates, credit notes negative, two decimals.
select strftime(date, '%Y-%m-%d') as date, exercice, action_code as action,
    printf('%.2f', montant) as montant, financeur, statut, libelle, fournisseur, piece
from spending
order by date, exercice, action_code, montant, financeur, statut, libelle nulls first,
    fournisseur nulls first, piece nulls first;

-- name: export_attendance
-- Canonical export of attendance: pseudonyms only, age at the session, sexe F/M/NR, qpv oui/non/empty.
select strftime(date, '%Y-%m-%d') as date, action_code as action, person as participant, age,
    tranche as tranche_age, sexe,
    case when qpv then 'oui' when not qpv then 'non' end as qpv,
    nombre, public
from attendance
order by date, action_code, person nulls first, age nulls first, tranche, sexe, qpv nulls first,
    nombre, public;
