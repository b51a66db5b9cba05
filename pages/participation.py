"""Participation: participations and distinct participants per action, month and porteur;
sessions, average attendance and regularity per action."""

import streamlit as st

from impact import fmt, session, sidebar, widgets
from impact import participation as p
from impact.charts import participation as charts

session.require_dashboard()

settings = session.get_settings()
filters = sidebar.current_filters()
rule = session.count_rule()

st.title("Participation")
st.caption(sidebar.describe_filters(filters, settings))
if note := rule.note():
    st.caption(note)

data = session.compute(p.participation_overview, filters)
totals = data["totals"]
if totals["participations"] == 0:
    widgets.empty_state()
    st.stop()

c1, c2, c3, c4, c5 = st.columns(5)
c1.metric("Participations", rule.text(totals["participations"]))
c2.metric("Participants distincts", rule.text(totals["participants"]))
c3.metric("Séances", fmt.integer(totals["sessions"]))
average = rule.derived(totals["participations"], lambda n: n / totals["sessions"])
c4.metric("Présence moyenne par séance", rule.derived_text(average, lambda v: fmt.number(v, 1)))
c5.metric(p.PARCOURS_ALL, rule.text(totals["parcours"]),
          help="Participants distincts, de tout âge, venus à deux actions ou plus sur la période.")
if totals["headcount_participations"]:
    st.caption(f"Dont {rule.text(totals['headcount_participations'])} participations "
               "comptées par effectif, sans identité : elles n'entrent pas dans les participants distincts.")

by_action = rule.table(data["by_action"], p.ACTION_COUNTS, per={"average_per_session": ("participations",
                                                                                     "sessions")})

st.header("Par action")
st.caption("Actions classées de la plus fréquentée à la moins fréquentée.")
table, display = p.shown(by_action, ["intitule", "porteur", "axe", "participations", "participants",
                                      "headcount_participations"])
widgets.chart(charts.participation_by_action_chart(by_action), table, "participation_par_action", display=display)

st.header("Séances et présence moyenne par action")
st.caption("Une séance est une date d'une action ; la présence moyenne est le nombre de participations "
           "par séance.")
table, display = p.shown(by_action, ["intitule", "sessions", "participations", "average_per_session"])
widgets.chart(charts.sessions_by_action_chart(by_action), table, "seances_par_action", display=display)

st.header("Par mois et par thématique")
by_month = rule.table(data["by_month"], ["participations", "participants"])
table, display = p.shown(by_month, ["month", "axe", "participations", "participants"])
widgets.chart(charts.participation_by_month_chart(by_month, data["months"]), table, "participation_par_mois",
              display=display)

st.header("Par porteur")
by_porteur = rule.table(data["by_porteur"], ["participations", "participants"])
table, display = p.shown(by_porteur, ["porteur", "actions", "sessions", "participations", "participants"])
widgets.chart(charts.participation_by_porteur_chart(by_porteur), table, "participation_par_porteur",
         display=display)

st.header("Régularité")
st.caption("Participants distincts de chaque action selon le nombre de séances auxquelles ils sont venus "
           "(les participations comptées par effectif, sans identité, n'y figurent pas).")
regular = rule.table(data["regularity"], p.REGULARITY_COUNTS)
if regular.empty:
    widgets.empty_state("Aucun participant nommé pour cette sélection : la régularité se calcule sur les "
                   "personnes identifiées.")
else:
    table, display = p.shown(regular, ["intitule", "once", "two_to_four", "five_or_more", "participants"])
    widgets.chart(charts.regularity_chart(p.regularity_long(regular)), table, "regularite_par_action",
             display=display)
