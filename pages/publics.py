"""Publics et âges: bands (the focus band first), then the focus band (settings.focus_band): share,
sex, QPV, coverage, actions joined, parcours and month by month."""

import streamlit as st

from impact import fmt, session, sidebar, widgets
from impact import participation as p
from impact.charts import participation as charts

session.require_dashboard()

settings = session.get_settings()
filters = sidebar.current_filters()
rule = session.count_rule()
focus_band = settings.focus_band
focus_label, focus_span = p.band_label(focus_band), p.band_span(focus_band)   # '16-25 ans', 'de 16 à 25 ans'

st.title("Publics et âges")
st.caption(sidebar.describe_filters(filters, settings))
if note := rule.note():
    st.caption(note)

data = session.compute(p.publics_overview, filters, settings)
if data["bands"].empty:
    widgets.empty_state()
    st.stop()

st.header("Tranches d'âge")
st.caption("Participations : dans la tranche d'âge de chaque séance. Participants distincts : dans la "
           "tranche d'âge de leur première participation sur la période. Les participations comptées par "
           "effectif (sans identité) ne sont pas des participants distincts.")
bands = rule.table(p.with_band_labels(data["bands"]), ["participations", "participants",
                                                      "headcount_participations"])
table, display = p.shown(bands, ["band", "participations", "participants", "headcount_participations"])
widgets.chart(charts.bands_chart(bands, focus_label), table, "participation_par_tranche", display=display)

focus = data["focus"]
st.header(f"Les {focus_label}, public prioritaire")
if focus["young_people"] == 0:
    widgets.empty_state(f"Aucun jeune {focus_span} identifié pour cette sélection.")
    st.stop()

c1, c2, c3, c4 = st.columns(4)
c1.metric(f"Jeunes {focus_span} distincts", rule.text(focus["young_people"]))
c2.metric("Part des participants distincts",
          rule.derived_text(rule.share(focus["young_people"], focus["all_participants"]), fmt.percent))
coverage = rule.derived(focus["young_qpv"], lambda n: n / focus["population"] if focus["population"] else None)
c3.metric(f"Taux de couverture des {focus_label} du QPV", rule.derived_text(coverage, fmt.percent))
c4.metric(p.focus_text(p.PARCOURS_FOCUS, focus_band), rule.text(focus["parcours"]),
          help=f"Jeunes {focus_span} (à leur première participation) venus à deux actions ou plus.")
st.caption(f"Taux de couverture : {rule.text(focus['young_qpv'])} jeunes "
           f"{focus_span} habitant le QPV, sur une population estimée à {fmt.integer(focus['population'])} "
           f"({focus['population_source']}).")
if focus["headcount_participations"]:
    st.caption(f"S'y ajoutent {rule.text(focus['headcount_participations'])} "
               f"participations de {focus_label} comptées par effectif, sans identité, qui ne sont pas des "
               "jeunes distincts.")

left, right = st.columns(2)
with left:
    sex = rule.table(data["sex"], ["people"], shares={"share": "people"})
    table, display = p.shown(sex, ["categorie", "people", "share"])
    widgets.chart(charts.shares_chart(sex, f"Sexe des {focus_label}"), table, "jeunes_par_sexe", display=display)
with right:
    qpv = rule.table(data["qpv"], ["people"], shares={"share": "people"})
    table, display = p.shown(qpv, ["categorie", "people", "share"])
    widgets.chart(charts.shares_chart(qpv, f"Résidence des {focus_label}"), table, "jeunes_par_residence",
             display=display)

st.subheader(f"Actions suivies par les {focus_label}")
actions = rule.table(data["actions"], ["young_people", "participations"])
table, display = p.shown(actions, ["intitule", "young_people", "participations"], focus_band)
widgets.chart(charts.counts_chart(actions, "intitule", "young_people", p.column_name("young_people", focus_band),
                             f"Jeunes {focus_span} par action"), table, "jeunes_par_action", display=display)

st.subheader("Parcours")
st.caption("Un parcours : un jeune qui a participé à deux actions ou plus sur la période.")
counts = rule.table(data["parcours_counts"], ["people"])
table, display = p.shown(counts, ["label", "people"])
widgets.chart(charts.counts_chart(counts, "label", "people", p.column_name("young_people", focus_band),
                             "Nombre d'actions suivies par jeune", horizontal=False),
         table, "jeunes_par_nombre_actions", display=display)
combinations = rule.table(data["combinations"], ["people"])
if combinations.empty:
    st.info("Aucun jeune n'a suivi plusieurs actions sur cette sélection.")
else:
    st.markdown("**Combinaisons d'actions les plus fréquentes**")
    table, display = p.shown(combinations, ["combination", "people"])
    widgets.table(table, "combinaisons_actions", display=display)

st.subheader("Mois par mois")
by_month = rule.table(data["by_month"], ["young_people", "newcomers", "focus_participations"])
table, display = p.shown(by_month, ["month", "young_people", "newcomers", "focus_participations"], focus_band)
widgets.chart(charts.focus_by_month_chart(by_month, focus_label, focus_span), table, "jeunes_par_mois", display=display)
