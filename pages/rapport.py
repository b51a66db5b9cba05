"""Rapport: the revue de projet of the selection as a PDF to print or send and as a Word document to
complete, the indicators file, and « Exporter tout » (every table in one workbook)."""

import datetime as dt

import pandas as pd
import streamlit as st

from impact import fmt, indicators, report, report_charts, session, sidebar
from impact.report_docx import docx
from impact.report_pdf import pdf

session.require_dashboard()

settings = session.get_settings()
filters = sidebar.current_filters()
today = dt.date.today()

st.title("Rapport")
st.caption(f"{settings.name} · {sidebar.describe_filters(filters, settings)} · la revue de projet porte sur la "
           "sélection de la barre latérale : choisissez une année de convention, ou gardez toute la convention.")

exact = False
if session.exact_counts():
    exact = st.toggle(
        "Version interne : effectifs exacts", key="report_exact",
        help="Sans cette option, le rapport applique la règle des lecteurs (« < 5 », effectifs arrondis), quel que "
             "soit votre rôle : un rapport est fait pour être envoyé. La version interne porte « Document interne — "
             "effectifs exacts » sur chaque page.")

# The revue de projet gathers every page's figures for the period and, to compare, for each of its years
# (or the same dates a year earlier): seconds on a large cité. It is computed when asked, then kept for
# the session while the selection and the data stay the same.
prepared = (filters, today, session.get_store().data_version())
if st.session_state.get("report_prepared") != prepared:
    st.info("La revue de projet rassemble les chiffres de toutes les pages pour la période choisie et, pour "
            "comparer, pour chacune de ses années (ou les mêmes dates un an plus tôt). Préparez-la pour voir "
            "ses chiffres clés et télécharger le rapport, le document Word, le classeur et les indicateurs.",
            icon=":material/summarize:")
    if not st.button("Préparer la revue de projet", key="prepare_report", type="primary"):
        st.stop()
    with st.spinner("Calcul des chiffres de chaque page, pour la période et chacune de ses années…", show_time=True):
        session.compute(report.gather, filters, settings, today)
    st.session_state["report_prepared"] = prepared
    st.rerun()   # the page as it stays: without the invitation and its button
data = session.compute(report.gather, filters, settings, today)
content = report.build(data, settings, exact=exact)

st.header(content.title)
if content.exact:
    st.warning(f"**{report.EXACT_MARK}** : ce rapport montre les effectifs exacts ; ne le diffusez pas.",
               icon=":material/lock:")
elif content.rule_note:
    st.caption(content.rule_note)

# --- the files ---------------------------------------------------------------------------------
name = f"revue-de-projet-{report.period_label(filters, settings).replace('–', '-').replace(' ', '-').replace('/', '-')}"
name += "-interne" if content.exact else ""
version = (*prepared, content.exact)
files = st.session_state.setdefault("report_files", {})

st.header("Télécharger")
pdf_col, word_col = st.columns(2)
for col, kind, label, build, mime, word in (
        (pdf_col, "pdf", "le rapport (PDF)", pdf, "application/pdf", False),
        (word_col, "docx", "le document Word", docx,
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document", True)):
    missing = report_charts.missing_tools(word=word)
    with col:
        if missing:
            st.warning("Il manque sur ce serveur " + " ; ".join(missing) + ".", icon=":material/build:")
            continue
        ready = files.get(kind)
        if ready is None or ready[0] != version:
            if st.button(f"Préparer {label}", key=f"prepare_{kind}", width="stretch"):
                with st.spinner("Préparation : calcul des graphiques et mise en page (une dizaine de secondes)…"):
                    try:
                        files[kind] = (version, build(content))
                    except report_charts.ReportToolsMissing as exc:
                        st.error(str(exc))
                ready = files.get(kind)
        if ready is not None and ready[0] == version:
            st.download_button(f"Télécharger {label}", ready[1], file_name=f"{name}.{kind}", mime=mime,
                               key=f"download_{kind}", type="primary", width="stretch",
                               icon=":material/download:")

st.caption("Le document Word est la même revue de projet, modifiable : une place attend les commentaires du "
           "comité après chaque partie.")



def written(kind: str, build):
    """The file of this selection, written with the page (a download written on click is lost when the
    page runs again before the click) and kept for the session until the selection or the data change."""
    ready = files.get(kind)
    if ready is None or ready[0] != version:
        files[kind] = (version, build())
    return files[kind][1]


short = name.removeprefix("revue-de-projet-")
c1, c2, c3 = st.columns(3)
c1.download_button("Exporter tout (.xlsx)", written("xlsx", lambda: report.workbook(content)), file_name=f"{name}.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="export_all",
                   width="stretch", help="Un classeur : la sélection et la fraîcheur des données, puis une feuille "
                                         "par tableau du rapport.")
doc = indicators.document(data, settings, exact=content.exact)
c2.download_button("Indicateurs (JSON)", written("json", lambda: indicators.to_json(doc)),
                   file_name=f"indicateurs-{short}.json", mime="application/json", key="indicators_json",
                   width="stretch")
c3.download_button("Indicateurs (CSV)", written("csv", lambda: indicators.to_csv(doc)),
                   file_name=f"indicateurs-{short}.csv", mime="text/csv", key="indicators_csv", width="stretch")
st.caption("Le fichier d'indicateurs donne les chiffres de la revue de projet sous forme de données (schéma décrit "
           "dans docs/indicateurs.md) : ce qu'un département ou le programme national recueille auprès de chaque "
           "cité éducative. Il ne contient aucun pseudonyme ni aucune ligne de présence.")

# --- what the report says -------------------------------------------------------------------
st.header("Aperçu")
cover = pd.DataFrame([(label, value if isinstance(value, str) else fmt.date(value))
                      for label, value in report.cover_lines(content) if label != "Effectifs"],
                     columns=["Rubrique", "Valeur"])
st.dataframe(cover, hide_index=True, width="stretch")

st.markdown("**Chiffres clés**")
key = content.table("chiffres_cles")
display = key.data.copy().astype(object)
for i in range(len(display)):
    for col in display.columns[1:]:
        display.at[i, col] = report.cell_text(key.data.at[i, col], key.kind(i, col))
st.dataframe(display, hide_index=True, width="stretch")
st.caption(key.note)

with st.expander("Contenu du rapport"):
    st.markdown("\n".join(
        [f"- **{fmt.markdown_text(s.title)}** : " + " · ".join(fmt.markdown_text(t.title) for t in s.tables
                                                               if t.title != s.title) for s in content.sections]
        + ["- **Méthodologie** : les définitions de chaque indicateur"]))
