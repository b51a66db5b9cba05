"""Utilisation des fonds de l'État: the State's 900 000 €, traced to the rows and imports behind them."""

import datetime as dt

import streamlit as st

from impact import budget, fmt, session, sidebar, widgets
from impact import participation as p
from impact.charts import budget as charts

session.require_dashboard()


settings = session.get_settings()
filters = sidebar.current_filters()
today = dt.date.today()

st.title("Utilisation des fonds de l'État")
st.caption(f"Crédits « {settings.state_funder} » · {sidebar.describe_filters(filters, settings)} · "
           "une dépense compte pour l'exercice qu'elle consomme, quelle que soit sa date.")

view = session.compute(budget.state_view, filters, settings, today)
if not view["has_money"]:
    widgets.empty_state("Aucune programmation ni dépense de l'État pour cette sélection. Importez la "
                   "programmation budgétaire et les dépenses, ou élargissez les filtres.")
    st.stop()

LINK = st.column_config.LinkColumn("Fiche action", display_text="Ouvrir la fiche")
if filters.actions or filters.themes or filters.porteurs:
    st.caption("Filtre action, thématique ou porteur actif : l'enveloppe et le rythme linéaire restent ceux de "
               "toute la cité éducative, les montants sont ceux de la sélection.")
t = view["totals"]

c = [*st.columns(3), *st.columns(3)]
c[0].metric("Enveloppe", fmt.whole_euros(t["enveloppe"]))
c[1].metric("Programmé", fmt.whole_euros(t["programme"]),
            help=f"{fmt.percent(t['taux_programmation'])} de l'enveloppe (taux de programmation)")
c[2].metric("Engagé", fmt.whole_euros(t["engage"]), help="Dépenses au statut « engagé »")
c[3].metric("Payé", fmt.whole_euros(t["paye"]),
            help=f"Payé moins les avoirs · {fmt.percent(t['taux_execution'])} du programmé "
                 "(taux d'exécution)")
c[4].metric("Reste à payer", fmt.whole_euros(t["reste_a_payer"]), help="Programmé − payé")
c[5].metric("Enveloppe non programmée", fmt.whole_euros(t["non_programme"]), help="Enveloppe − programmé")

# --- per year and per porteur ------------------------------------------------------------------
st.header("Par année de convention")
years_data = budget.years_table(view["years"])
widgets.chart(charts.years_chart(view["years"]), years_data, "fonds_etat_par_annee",
         display=widgets.french_table(years_data, money=budget.YEAR_MONEY, percents=budget.YEAR_PERCENTS))

st.header("Par porteur")
porteurs = view["porteurs"]
if porteurs.empty:
    widgets.empty_state()
else:
    porteurs_data = budget.porteurs_table(porteurs)
    widgets.chart(charts.amounts_chart(porteurs, "porteur", "Crédits de l'État par porteur"), porteurs_data,
             "fonds_etat_par_porteur",
             display=widgets.french_table(porteurs_data, money=("Programmé État", "Engagé État", "Payé État",
                                                           "Reste à payer"),
                                     percents=("Taux d'exécution",)))

# --- what may not be spent --------------------------------------------------------------------
st.header("Ce qui risque de ne pas être dépensé")
proj = view["projection"]
if proj.get("reference") is not None:
    words = budget.pace_words(proj, filters, settings)
    c = st.columns(3)
    c[0].metric(words["paid"], fmt.whole_euros(proj["projection_fin"]),
                help=None if proj["over"] else f"Au rythme moyen des {proj['fenetre_mois']} mois "
                     f"jusqu'à {fmt.month(proj['reference'])} ({fmt.whole_euros(proj['rythme_mensuel'])} par mois)")
    c[1].metric(words["unspent"], fmt.whole_euros(abs(proj["non_depense"])))
    c[2].metric("Part de l'enveloppe", fmt.percent(abs(proj["part_non_depensee"])))
    st.caption(words["sentence"])
    pace_data = budget.pace_table(view["pace"])
    widgets.chart(charts.pace_chart(view["pace"]), pace_data, "fonds_etat_rythme",
                  display=widgets.french_table(pace_data, money=("Payé État du mois", "Payé État cumulé",
                                                                 "Rythme linéaire", "Projection", "Enveloppe"),
                                               months=("Mois",)))
risk = view["at_risk"]
if risk.empty:
    widgets.empty_state("Aucun crédit de l'État programmé sur une action pour cette sélection.")
else:
    st.caption(budget.under_use_text(int(risk["a_risque"].sum()), state_only=True)
               + " C'est la règle des points d'attention de la page Budget, qui la compte tous financeurs "
                 "confondus. Les autres actions suivent, par reste à payer.")
    risk_data = budget.at_risk_table(risk)
    st.dataframe(widgets.french_table(risk_data, money=("Programmé État", "Payé État", "Reste à payer"),
                                      percents=("Taux d'exécution", "Part de la période écoulée")),
                 hide_index=True, width="stretch",
                 column_config={"Fiche action": LINK, "Action": st.column_config.TextColumn(width="medium")})
    widgets.downloads(risk_data, "fonds_etat_a_risque")

# --- for whom ---------------------------------------------------------------------------------
st.header(p.focus_text("Pour qui : les {focus}", settings.focus_band))
rule = session.count_rule()
whom = view["for_whom"]
total = whom.iloc[0]
c = st.columns(3)
c[0].metric(p.focus_text("Jeunes {focus} distincts", settings.focus_band), rule.text(total["young_people"]),
            help=p.focus_text("Jeunes {span} (à leur première participation des années sélectionnées) venus à au "
                              "moins une action financée par l'État.", settings.focus_band))
c[1].metric("Part habitant le QPV", rule.derived_text(rule.share(total["young_qpv"], total["young_people"]),
                                                       fmt.percent))
per_young = rule.derived(total["young_people"], lambda n: total["paye_etat"] / n if n else None)
c[2].metric(p.focus_text("Payé État par jeune {focus}", settings.focus_band),
            rule.derived_text(per_young, lambda v: fmt.euros(v, cents=True)),
            help="Payé par l'État (moins les avoirs) sur ces actions, divisé par ces jeunes : un coût unitaire, "
                 "qui ne compte pas les autres publics des actions.")
st.caption("Par action financée par l'État (programmé ou payé), sur les années sélectionnées entières et sans les "
           "filtres de publics, comme les montants. Un jeune venu à plusieurs actions compte une fois dans le total.")
whom_data = budget.for_whom_table(whom, rule, settings.focus_band)
per_young_column = whom_data.columns[-1]
widgets.table(whom_data, "fonds_etat_pour_qui",
              display=widgets.french_table(whom_data, money=("Payé État", per_young_column),
                                           percents=("Part habitant le QPV",),
                                           counts=(whom_data.columns[2],)),
              narrow=budget.LONG_TEXT_COLUMNS)
if note := rule.note():
    st.caption(note)

# --- the expenses themselves ------------------------------------------------------------------
st.header("Les dépenses")
c = st.columns([2, 3, 2])
statuts = c[0].multiselect("Statut", budget.STATUTS, placeholder="Tous les statuts", key="sf_statuts",
                           select_all=False)
search = c[1].text_input("Rechercher (fournisseur, libellé, pièce)", key="sf_search")
all_funders = c[2].checkbox("Inclure les autres financeurs", key="sf_all_funders")
listing = session.compute(budget.state_spending, filters, settings, tuple(statuts), search, all_funders)
if listing["count"] == 0:
    widgets.empty_state("Aucune dépense ne correspond à ces critères.")
else:
    shown = len(listing["rows"])
    per_status = " · ".join(f"{statut} : {fmt.whole_euros(amount)}"
                            for statut, amount in listing["amounts"].items())
    st.caption(f"{fmt.integer(listing['count'])} ligne(s) · {per_status}"
               + (f" · les {fmt.integer(shown)} plus récentes sont affichées : affinez la recherche "
                  "pour voir les autres." if shown < listing["count"] else "")
               + " · « Lot n° » et « Ligne du fichier » renvoient à l'import d'origine "
               "(page « Historique des imports »).")
    spending_data = budget.spending_table(listing["rows"])
    widgets.table(spending_data, "fonds_etat_depenses",
                  display=widgets.french_table(spending_data, money=("Montant",), dates=("Date", "Importé le")),
                  narrow=budget.LONG_TEXT_COLUMNS)

# --- traceability -----------------------------------------------------------------------------
st.header("La programmation de l'État, ligne par ligne")
rows = view["budget_rows"]
if rows.empty:
    widgets.empty_state("Aucune ligne de programmation de l'État pour cette sélection.")
else:
    st.caption("Le montant en vigueur de chaque ligne est le plus récent ; « Montant remplacé » est celui "
               "qu'il a remplacé (il revient si l'import qui l'a remplacé est annulé).")
    budget_data = budget.budget_rows_table(rows)
    widgets.table(budget_data, "fonds_etat_programmation",
                  display=widgets.french_table(budget_data, money=("Montant programmé", "Montant remplacé"),
                                               dates=("Importé le",)),
                  narrow=budget.LONG_TEXT_COLUMNS)

st.header("D'où viennent ces chiffres")
sources = view["sources"]
if sources.empty:
    widgets.empty_state()
else:
    sources_data = budget.sources_table(sources)
    widgets.table(sources_data, "fonds_etat_imports",
             display=widgets.french_table(sources_data, counts=("Lignes utilisées",), dates=("Importé le",)))
