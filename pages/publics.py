"""Publics et âges: bands (16–25 first), then the 16–25 focus: share, sex, QPV, coverage,
actions joined, parcours and month by month."""

import streamlit as st

from impact import fmt, ui
from impact import participation as p
from impact.charts import participation as charts

ui.require_dashboard()

settings = ui.get_settings()
filters = ui.current_filters()
rule = ui.count_rule()

st.title("Publics et âges")
st.caption(ui.describe_filters(filters, settings))
if note := rule.note():
    st.caption(note)

data = ui.compute(p.publics_overview, filters, settings)
if data["bands"].empty:
    ui.empty_state()
    st.stop()

st.subheader("Tranches d'âge")
st.caption("Participations : dans la tranche d'âge de chaque séance. Participants distincts : dans la "
           "tranche d'âge de leur première participation sur la période. Les participations comptées par "
           "effectif (sans identité) ne sont pas des participants distincts.")
bands = rule.table(p.with_band_labels(data["bands"]), ["participations", "participants",
                                                      "headcount_participations"])
table, display = p.shown(bands, ["band", "participations", "participants", "headcount_participations"])
ui.chart(charts.bands_chart(bands), table, "participation_par_tranche", display=display)

focus = data["focus"]
st.header("Les 16-25 ans, public prioritaire")
if focus["young_people"] == 0:
    ui.empty_state("Aucun jeune de 16 à 25 ans identifié pour cette sélection.")
    st.stop()

c1, c2, c3, c4 = st.columns(4)
c1.metric("Jeunes de 16 à 25 ans distincts", rule.text(focus["young_people"]))
c2.metric("Part des participants distincts",
          rule.derived_text(rule.share(focus["young_people"], focus["all_participants"]), fmt.percent))
coverage = rule.derived(focus["young_qpv"], lambda n: n / focus["population"] if focus["population"] else None)
c3.metric("Taux de couverture des 16-25 ans du QPV", rule.derived_text(coverage, fmt.percent))
c4.metric("Parcours (2 actions ou plus)", rule.text(focus["parcours"]))
st.caption(f"Taux de couverture : {rule.text(focus['young_qpv'])} jeunes "
           f"de 16 à 25 ans habitant le QPV, sur une population estimée à {fmt.integer(focus['population'])} "
           f"({focus['population_source']}).")
if focus["headcount_participations"]:
    st.caption(f"S'y ajoutent {rule.text(focus['headcount_participations'])} "
               "participations de 16-25 ans comptées par effectif, sans identité, qui ne sont pas des "
               "jeunes distincts.")

left, right = st.columns(2)
with left:
    sex = rule.table(data["sex"], ["people"], shares={"share": "people"})
    table, display = p.shown(sex, ["categorie", "people", "share"])
    ui.chart(charts.shares_chart(sex, "Sexe des 16-25 ans"), table, "jeunes_par_sexe", display=display)
with right:
    qpv = rule.table(data["qpv"], ["people"], shares={"share": "people"})
    table, display = p.shown(qpv, ["categorie", "people", "share"])
    ui.chart(charts.shares_chart(qpv, "Résidence des 16-25 ans"), table, "jeunes_par_residence",
             display=display)

st.subheader("Actions suivies par les 16-25 ans")
actions = rule.table(data["actions"], ["young_people", "participations"])
table, display = p.shown(actions, ["intitule", "young_people", "participations"])
ui.chart(charts.counts_chart(actions, "intitule", "young_people", "Jeunes 16-25 ans distincts",
                             "Jeunes de 16 à 25 ans par action"), table, "jeunes_par_action", display=display)

st.subheader("Parcours")
st.caption("Un parcours : un jeune qui a participé à deux actions ou plus sur la période.")
counts = rule.table(data["parcours_counts"], ["people"])
table, display = p.shown(counts, ["label", "people"])
ui.chart(charts.counts_chart(counts, "label", "people", "Jeunes 16-25 ans distincts",
                             "Nombre d'actions suivies par jeune", horizontal=False),
         table, "jeunes_par_nombre_actions", display=display)
combinations = rule.table(data["combinations"], ["people"])
if combinations.empty:
    st.info("Aucun jeune n'a suivi plusieurs actions sur cette sélection.")
else:
    st.markdown("**Combinaisons d'actions les plus fréquentes**")
    table, display = p.shown(combinations, ["combination", "people"])
    ui.table(table, "combinaisons_actions", display=display)

st.subheader("Mois par mois")
by_month = rule.table(data["by_month"], ["young_people", "newcomers", "focus_participations"])
table, display = p.shown(by_month, ["month", "young_people", "newcomers", "focus_participations"])
ui.chart(charts.focus_by_month_chart(by_month), table, "jeunes_par_mois", display=display)
