"""Fiche action: one action, under the sidebar filters: who runs it, who came, when, how
regularly, and what it cost."""

import streamlit as st

from impact import fmt, session, sidebar, widgets
from impact import participation as p
from impact.charts import participation as charts

session.require_dashboard()

settings = session.get_settings()
filters = sidebar.current_filters()
rule = session.count_rule()

st.title("Fiche action")

choices = session.compute(p.action_choices)
if choices.empty:
    widgets.empty_state("Aucune action n'est enregistrée : importez le référentiel des actions.")
    st.stop()

codes = choices["code"].tolist()
labels = dict(zip(choices["code"], choices["intitule"], strict=True))
if st.session_state.get("action_code") not in codes:
    # the widget forgets its value when another page ran: start again from the last choice or the link
    asked = st.session_state.get("fiche_action") or p.url_code(st.query_params, st.context)
    st.session_state["action_code"] = p.default_action(codes, filters, asked)
code = st.selectbox("Action", codes, key="action_code", format_func=lambda c: f"{labels[c]} ({c})")
st.session_state["fiche_action"] = code
st.query_params["code"] = code
st.caption(sidebar.describe_filters(filters, settings))

sheet = session.compute(p.action_sheet, filters, code, settings)
info, figures, money = sheet["info"], sheet["figures"], sheet["money"]
if note := rule.note():
    st.caption(note)

st.markdown(p.action_header(info))

c1, c2, c3, c4 = st.columns(4)
c1.metric("Participations", rule.text(figures["participations"]))
c2.metric("Participants distincts", rule.text(figures["participants"]))
c3.metric("Séances", fmt.integer(figures["sessions"]))
average = rule.derived(figures["participations"], lambda n: n / figures["sessions"])
c4.metric("Présence moyenne par séance", rule.derived_text(average, lambda v: fmt.number(v, 1)))
if figures["headcount_participations"]:
    st.caption(f"Dont {rule.text(figures['headcount_participations'])} participations "
               "comptées par effectif, sans identité : elles n'entrent pas dans les participants distincts.")

st.header("Budget et coûts")
m1, m2, m3, m4, m5 = st.columns(5)
m1.metric("Programmé", fmt.whole_euros(money["programme"]))
m2.metric("Engagé", fmt.whole_euros(money["engage"]))
m3.metric("Payé", fmt.whole_euros(money["paye"]))
for column, label, count in ((m4, "Coût par participant", "participants"),
                             (m5, "Coût par participation", "participations")):
    cost = rule.derived(figures[count], lambda n: money["paye"] / n) if money["paye"] else None
    column.metric(label, rule.derived_text(cost, lambda v: fmt.euros(v, cents=True)))
st.caption("Programmé : budget en vigueur des années de la période ; payé : paiements moins avoirs ; "
           "coût par participant : payé ÷ participants distincts (voir la page Méthodologie).")

if figures["participations"] == 0:
    widgets.empty_state("Aucune participation pour cette action sur cette sélection. "
                   "Élargissez la période ou retirez des filtres.")
    st.stop()

st.header("Participation dans le temps")
by_month = rule.table(sheet["by_month"], ["participations", "participants"])
table, display = p.shown(by_month, ["month", "participations", "participants"])
widgets.chart(charts.action_by_month_chart(by_month), table, "action_par_mois", display=display)

st.header("Profil des participants distincts")
if figures["participants"] == 0:
    st.info("Cette action n'a que des participations comptées par effectif, sans identité : "
            "pas de profil de participants distincts.")
else:
    bands = rule.table(p.with_band_labels(sheet["bands"]), ["people"])
    table, display = p.shown(bands, ["band", "people"])
    widgets.chart(charts.counts_chart(bands, "band", "people", "Participants distincts",
                                 "Tranche d'âge (à la première participation)", horizontal=False),
             table, "action_par_tranche", display=display)
    left, right = st.columns(2)
    with left:
        sex = rule.table(sheet["sex"], ["people"], shares={"share": "people"})
        table, display = p.shown(sex, ["categorie", "people", "share"])
        widgets.chart(charts.shares_chart(sex, "Sexe"), table, "action_par_sexe", display=display)
    with right:
        qpv = rule.table(sheet["qpv"], ["people"], shares={"share": "people"})
        table, display = p.shown(qpv, ["categorie", "people", "share"])
        widgets.chart(charts.shares_chart(qpv, "Résidence"), table, "action_par_residence", display=display)

    st.header("Régularité")
    regularity = rule.table(sheet["regularity"], ["people"])
    table, display = p.shown(regularity, ["frequence", "people"])
    widgets.chart(charts.counts_chart(regularity, "frequence", "people", "Participants distincts",
                                 "Combien de fois chacun est venu", horizontal=False),
             table, "action_regularite", display=display)

st.header("Séances")
sessions = rule.table(sheet["sessions"], ["participations", "participants", "headcount_participations",
                                         "focus_participations"])
table, display = p.shown(sessions, ["date", "participations", "participants", "headcount_participations",
                                    "focus_participations"], settings.focus_band)
widgets.table(table, "action_seances", display=display)
