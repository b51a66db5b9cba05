"""Vue d'ensemble: the headline figures of the convention, for the steering committee."""

import streamlit as st

from impact import fmt, overview, reference, session, sidebar, widgets
from impact.charts.overview import monthly_participation_chart, state_paid_cumulative_chart
from impact.participation import focus_text

session.require_dashboard()

settings = session.get_settings()
filters = sidebar.current_filters()
rule = session.count_rule()

st.title("Vue d'ensemble")
st.caption(f"{settings.name} · {sidebar.describe_filters(filters, settings)}")
if note := rule.note():
    st.caption(note)

status = session.compute(reference.data_status)
if not status["active_batches"]:
    widgets.empty_state("Aucune donnée n'a encore été importée. Commencez par la page « Import de données » : "
                   "référentiel des actions, programmation budgétaire, dépenses et présences "
                   "(ou chargez les données de démonstration).")
    st.page_link("pages/import.py", label="Aller à l'import de données", icon="📥")
    st.stop()

data = session.compute(overview.overview, filters, settings)

# --- participation ---------------------------------------------------------------------------
st.header("Participation")
p = data["participation"]
if p["participations"] == 0:
    widgets.empty_state()
else:
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Participations", rule.text(p["participations"]), border=True,
              help="Une participation = une personne présente à une séance ; "
                   "une ligne d'effectif compte pour son nombre de personnes.")
    c2.metric("Participants distincts", rule.text(p["participants"]), border=True,
              help="Personnes différentes parmi les présences nominatives (pseudonymes).")
    c3.metric(focus_text("Part des {focus}", settings.focus_band),
              rule.derived_text(rule.share(p["focus_participants"], p["participants"]), fmt.percent), border=True,
              help=focus_text("Parmi les participants distincts, ceux qui avaient {focus} "
                              "à leur première participation de la sélection.", settings.focus_band))
    c4.metric("Actions avec activité", fmt.integer(p["actions"]), border=True,
              help="Actions ayant au moins une séance dans la sélection.")
    if p["headcount_participations"]:
        st.caption(
            f"Dont {rule.text(p['headcount_participations'])} participations "
            "comptées par effectif (sans nom) : ces lignes n'ont pas d'identité, elles comptent dans les "
            "participations mais pas dans les participants distincts.")

    monthly = overview.monthly_display(data["monthly"], rule)
    widgets.chart(monthly_participation_chart(monthly), overview.monthly_table(monthly), "participations_par_mois")

# --- State envelope --------------------------------------------------------------------------
st.header("Enveloppe de l'État")
by_year = data["state_by_year"]
if not overview.has_money(by_year):
    widgets.empty_state("Aucun montant de l'État pour cette sélection. Importez la programmation budgétaire "
                   "et les dépenses, ou élargissez la période.")
else:
    t = data["state_totals"]
    years = by_year["exercice"].tolist()
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(f"Enveloppe État {span}", fmt.whole_euros(t["enveloppe"]), border=True,
              help=f"{fmt.whole_euros(settings.state_envelope_per_year)} par année de convention.")
    for col, label, key, explain in (
            (c2, "Programmé", "programme", "Programmation budgétaire en vigueur, financeur État."),
            (c3, "Engagé", "engage", "Dépenses au statut « engagé », financeur État."),
            (c4, "Payé", "paye", "Dépenses payées (ou mandatées) moins les avoirs, financeur État.")):
        col.metric(label, fmt.whole_euros(t[key]), f"{fmt.percent(t[f'part_{key}'])} de l'enveloppe",
                   delta_color="off", delta_arrow="off", border=True, help=explain)
    if filters.actions or filters.themes or filters.porteurs:
        st.caption("Les montants ne portent que sur les actions sélectionnées ; l'enveloppe reste "
                   "celle de toute la cité éducative.")

    widgets.table(overview.state_year_table(by_year), "enveloppe_etat_par_exercice",
             display=widgets.french_table(overview.state_year_table(by_year),
                                     money=("Enveloppe État", "Programmé", "Engagé", "Payé"),
                                     percents=("Programmé / enveloppe", "Engagé / enveloppe",
                                               "Payé / enveloppe")))
    paid = data["state_paid"]
    widgets.chart(state_paid_cumulative_chart(paid), overview.state_paid_table(paid), "fonds_etat_cumules",
             display=widgets.french_table(overview.state_paid_table(paid),
                                     money=("Payé dans le mois", "Payé cumulé", "Enveloppe cumulée"),
                                     months=("Mois",)))
    st.caption("Les paiements d'un exercice faits au début de l'année suivante comptent pour leur exercice ; "
               "les avoirs viennent en déduction des paiements.")
