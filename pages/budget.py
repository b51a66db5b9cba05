"""Budget: where the convention's money stands, for the steering committee."""

import datetime as dt

import streamlit as st

from impact import budget, fmt, session, sidebar, widgets
from impact.charts import budget as charts

session.require_dashboard()


settings = session.get_settings()
filters = sidebar.current_filters()
today = dt.date.today()

st.title("Budget")
st.caption(f"Programmation, engagements et paiements · {sidebar.describe_filters(filters, settings)} · "
           "une dépense compte pour l'exercice qu'elle consomme, quelle que soit sa date. "
           "Les filtres de publics ne s'appliquent pas aux montants.")

view = session.compute(budget.committee_view, filters, settings, today)
if not view["has_money"]:
    widgets.empty_state("Aucune programmation ni dépense pour cette sélection. Importez la programmation "
                   "budgétaire et les dépenses (page « Import de données »), ou élargissez les filtres.")
    st.stop()

LINK = st.column_config.LinkColumn("Fiche action", display_text="Ouvrir la fiche")


def linked_table(data, display, name):
    st.dataframe(display, hide_index=True, width="stretch", column_config={"Fiche action": LINK})
    widgets.downloads(data, name)


if filters.actions or filters.themes or filters.porteurs:
    st.caption("Filtre action, thématique ou porteur actif : l'enveloppe et le rythme linéaire restent ceux de "
               "toute la cité éducative, les montants sont ceux de la sélection.")

# --- per convention year ---------------------------------------------------------------------
st.header("Crédits de l'État par année de convention")
t = view["totals"]
c = [*st.columns(3), *st.columns(3)]
c[0].metric("Enveloppe État", fmt.whole_euros(t["enveloppe"]),
            help=f"{fmt.whole_euros(settings.state_envelope_per_year)} par année de convention sélectionnée")
c[1].metric("Programmé État", fmt.whole_euros(t["programme"]),
            help=f"Taux de programmation : {fmt.percent(t['taux_programmation'])} de l'enveloppe")
c[2].metric("Engagé État", fmt.whole_euros(t["engage"]), help="Dépenses au statut « engagé »")
c[3].metric("Payé État", fmt.whole_euros(t["paye"]),
            help=f"Payé moins les avoirs · taux d'exécution : "
                 f"{fmt.percent(t['taux_execution'])} du programmé")
c[4].metric("Reste à payer", fmt.whole_euros(t["reste_a_payer"]), help="Programmé − payé")
years_data = budget.years_table(view["years"])
widgets.chart(charts.years_chart(view["years"]), years_data, "budget_par_annee",
         display=widgets.french_table(years_data, money=budget.YEAR_MONEY, percents=budget.YEAR_PERCENTS))

# --- pace over the convention ------------------------------------------------------------------
st.header("Rythme des paiements de l'État")
proj = view["projection"]
if proj.get("reference") is None:
    widgets.empty_state("Aucun paiement de l'État enregistré : pas de rythme à projeter.")
else:
    c = [*st.columns(2), *st.columns(2)]
    c[0].metric("Payé État cumulé", fmt.whole_euros(proj["paye"]))
    c[1].metric("Rythme des 6 derniers mois", f"{fmt.whole_euros(proj['rythme_mensuel'])} / mois",
                help=f"Moyenne des paiements sur les {proj['fenetre_mois']} mois jusqu'à "
                     f"{fmt.month(proj['reference'])}")
    words = budget.pace_words(proj, filters, settings)
    c[2].metric(words["paid"], fmt.whole_euros(proj["projection_fin"]))
    c[3].metric(words["unspent"], fmt.whole_euros(abs(proj["non_depense"])),
                help=f"{fmt.percent(abs(proj['part_non_depensee']))} de l'enveloppe")
    st.caption(words["sentence"])
    pace_data = budget.pace_table(view["pace"])
    widgets.chart(charts.pace_chart(view["pace"]), pace_data, "budget_rythme_paiements",
             display=widgets.french_table(pace_data, money=("Payé État du mois", "Payé État cumulé",
                                                       "Rythme linéaire", "Projection", "Enveloppe"),
                                     months=("Mois",)))

# --- per action and thématique -------------------------------------------------------------------
st.header("Par action")
st.caption("Tous financeurs · trié par reste à payer (programmé − payé), le plus grand d'abord.")
actions = view["actions"]
if actions.empty:
    widgets.empty_state()
else:
    widgets.plotly(charts.amounts_chart(actions, "intitule", "Programmé, engagé et payé par action"),
                   "budget_actions")
    actions_data = budget.actions_table(actions)
    linked_table(actions_data, widgets.french_table(
        actions_data, money=(*budget.ACTION_MONEY, "Effet levier (€ autres financeurs par € État)"),
        percents=("Taux d'exécution",)), "budget_par_action")

st.header("Par thématique")
themes = view["themes"]
if themes.empty:
    widgets.empty_state()
else:
    themes_data = budget.themes_table(themes)
    widgets.chart(charts.amounts_chart(themes, "axe", "Programmé, engagé et payé par thématique"), themes_data,
             "budget_par_thematique",
             display=widgets.french_table(themes_data, money=("Programmé", "Engagé", "Payé", "Reste à payer",
                                                         "dont programmé État", "dont payé État"),
                                     percents=("Taux d'exécution",)))

# --- funders ---------------------------------------------------------------------------------------
st.header("Financeurs")
lev = view["leverage"]
c = st.columns(3)
c[0].metric("Programmé par l'État", fmt.whole_euros(lev["programme_etat"]))
c[1].metric("Programmé par les autres financeurs", fmt.whole_euros(lev["programme_autres"]))
c[2].metric("Effet levier (par euro de l'État)", "—" if lev["levier"] != lev["levier"] else
            f"{fmt.number(lev['levier'], 2)}\u00a0€",
            help=f"Euros programmés par les autres financeurs ({budget.co_funders_text(settings)}) "
                 "pour un euro programmé par l'État")
funders_data = budget.funders_table(view["funders"])
money_cols = tuple(col for col in funders_data.columns if col.startswith(("Programmé", "Total")))
widgets.chart(charts.funders_chart(view["funders"]), funders_data, "budget_financeurs",
         display=widgets.french_table(funders_data, money=money_cols, percents=("Part du programmé",)))

# --- points of attention ---------------------------------------------------------------------------
st.header("Points d'attention")
points = budget.attention_table(view["attention"], session.count_rule())
if points.empty:
    st.success("Aucun point d'attention pour cette sélection (tous financeurs confondus).")
else:
    st.caption(f"{len(points)} point(s) à examiner, tous financeurs confondus · chaque ligne mène à la fiche "
               "de l'action.")
    linked_table(points, points, "budget_points_attention")
st.caption(f"Sous-consommation : {budget.UNDER_USE_RULE}, tous financeurs confondus. Sur les seuls crédits de "
           f"l'État, la même règle donne {view['state_under_use']} action(s) à risque (page « Utilisation "
           "des fonds de l'État »).")

# --- cost per participant ---------------------------------------------------------------------------
st.header("Coût par participant")
st.caption("Payé (tous financeurs) rapporté aux participants distincts et aux participations des années "
           "sélectionnées. Une action peu coûteuse sans public et une action coûteuse très suivie "
           "apparaissent toutes deux.")
rule = session.count_rule()
cost_data = budget.costs_table(budget.costs(actions, view["participations"]), rule)
if cost_data.empty:
    widgets.empty_state()
else:
    widgets.table(cost_data, "budget_cout_par_participant",
             display=widgets.french_table(cost_data,
                                     money=("Payé", "Coût par participant", "Coût par participation"),
                                     counts=("Participants distincts", "Participations")))
    if note := rule.note():
        st.caption(note)
