"""Utilisation des fonds de l'État: the State's 900 000 €, traced to the rows and imports behind them."""

import datetime as dt

import streamlit as st

from impact import budget, fmt, session, sidebar, widgets
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
    unspent = proj["non_depense"]
    c = st.columns(3)
    c[0].metric("Payé projeté en fin de convention", fmt.whole_euros(proj["projection_fin"]),
                help=f"Au rythme moyen des {proj['fenetre_mois']} mois "
                     f"jusqu'à {fmt.month(proj['reference'])} "
                     f"({fmt.whole_euros(proj['rythme_mensuel'])} par mois)")
    c[1].metric("Non dépensé projeté" if unspent >= 0 else "Dépassement projeté", fmt.whole_euros(abs(unspent)))
    c[2].metric("Part de l'enveloppe", fmt.percent(abs(proj["part_non_depensee"])))
    pace_data = budget.pace_table(view["pace"])
    widgets.chart(charts.pace_chart(view["pace"]), pace_data, "fonds_etat_rythme",
             display=widgets.french_table(pace_data, money=("Payé État du mois", "Payé État cumulé",
                                                       "Rythme linéaire", "Projection", "Enveloppe"),
                                     months=("Mois",)))
risk = view["at_risk"]
if risk.empty:
    widgets.empty_state("Aucun crédit de l'État programmé sur une action pour cette sélection.")
else:
    n_risk = int(risk["a_risque"].sum())
    st.caption(f"{n_risk} action(s) à risque : moins de la moitié du programmé payée alors que les trois "
               "quarts de la période de l'action sont écoulés. Les autres suivent, par reste à payer.")
    risk_data = budget.at_risk_table(risk)
    st.dataframe(widgets.french_table(risk_data, money=("Programmé État", "Payé État", "Reste à payer"),
                                 percents=("Taux d'exécution", "Part de la période écoulée")),
                 hide_index=True, width="stretch", column_config={"Fiche action": LINK})
    widgets.downloads(risk_data, "fonds_etat_a_risque")

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
    per_status = " · ".join(f"{statut} : {fmt.euros(amount)}"
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
