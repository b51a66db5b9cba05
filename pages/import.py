"""Import de données: coordinators upload partner exports; nothing is stored before they confirm."""

import streamlit as st

from impact import contract, fmt, import_history, session, uploads

session.require_dashboard()

st.title("Import de données")

settings = session.get_settings()
store = session.get_store()
st.caption("Déposez les exports des partenaires tels quels (CSV d'Excel, point-virgule, dates JJ/MM/AAAA, "
           "montants « 1 234,50 € », fichiers .xlsx). Rien n'est enregistré avant votre confirmation ; "
           "un fichier est importé en entier ou pas du tout. Importez d'abord le référentiel des actions.")

if st.session_state.get("import_done"):
    st.success(st.session_state.pop("import_done"))

kind_choice = st.selectbox("Type de fichier", list(uploads.KIND_CHOICES), key="import_kind",
                           format_func=uploads.KIND_CHOICES.get)
# A new key empties the uploader: after an import, its files are not analysed and offered again.
round_ = st.session_state.setdefault("import_round", 0)
files = st.file_uploader("Fichiers à importer", type=["csv", "tsv", "txt", "xlsx"],
                         accept_multiple_files=True, key=f"import_files_{round_}",
                         help="CSV d'Excel (point-virgule ou virgule), TSV, TXT ou classeur .xlsx ; "
                              "plusieurs fichiers à la fois si besoin.")
if not files:
    st.info("Aucun fichier déposé pour l'instant.")
    st.stop()

analyses = st.session_state.setdefault("import_analyses", {})
imported = st.session_state.setdefault("import_imported", set())   # fingerprints imported this round
for index, upload in enumerate(files):
    data = upload.getvalue()
    kind = None if kind_choice == "auto" else kind_choice
    token = uploads.file_token(data, kind) + repr(store.data_version())
    st.header(fmt.markdown_text(upload.name))
    if token not in analyses:
        with st.spinner("Analyse du fichier…"):
            analyses[token] = session.run_write(uploads.analyse, data, upload.name, kind, settings, store.path,
                                                session.actor())
    result = analyses[token]
    if result["error"]:
        st.error(fmt.markdown_text(result["error"]))
        st.caption("Rien n'a été enregistré.")
        continue
    report = result["report"]
    chosen = contract.KIND_LABELS[report.kind]
    guessed = " (reconnu d'après les en-têtes)" if report.kind_guessed else ""
    st.markdown(f"**Type :** {chosen}{guessed}"
                + f" · **encodage :** {report.encoding} · **séparateur :** {report.separator}")
    earlier = uploads.earlier_import_text(session.compute(import_history.imports_of_file, report.sha256))
    confirmed = False
    if earlier:
        st.warning(earlier, icon=":material/content_copy:")
        confirmed = st.checkbox("Importer ce fichier à nouveau", key=f"again_{report.sha256}_{index}")
    c = st.columns(5)
    c[0].metric("Lignes lues", fmt.integer(report.rows_read))
    c[1].metric("À ajouter", fmt.integer(report.rows_stored))
    c[2].metric("Doublons déjà connus", fmt.integer(report.duplicates))
    c[3].metric("Remplacements", fmt.integer(len(report.replaced)))
    c[4].metric("Lignes en erreur", fmt.integer(report.rejected_count))
    with st.expander("Colonnes reconnues", expanded=bool(report.ignored)):
        st.dataframe(uploads.mapping_table(report), hide_index=True, width="stretch")
    if report.preview is not None and not report.preview.empty:
        st.markdown("Premières lignes telles qu'elles seront enregistrées :")
        st.dataframe(uploads.preview_table(report), hide_index=True, width="stretch")
    if report.replaced:
        st.markdown("Valeurs qui seront remplacées (l'ancienne valeur reste dans l'historique) :")
        st.dataframe(uploads.replaced_table(report), hide_index=True, width="stretch")
    if report.warnings:
        st.warning(f"{len(report.warnings)} avertissement(s) : ces lignes seront enregistrées, vérifiez-les.")
        st.dataframe(uploads.problems_table(report.warnings), hide_index=True, width="stretch")
    if report.rejected_count:
        st.error(f"{fmt.integer(report.rejected_count)} ligne(s) en erreur : corrigez-les et déposez "
                 "le fichier à nouveau, ou importez seulement les lignes valides.")
        st.dataframe(uploads.problems_table(report.rejected), hide_index=True, width="stretch")
        if report.rejected_rows_csv:
            st.download_button("Télécharger les lignes rejetées (CSV pour Excel)", report.rejected_rows_csv,
                               file_name=f"lignes_rejetees_{upload.name.rsplit('.', 1)[0]}.csv",
                               mime="text/csv", key=f"rejected_{index}")
    blockers = uploads.import_blockers(report, bool(earlier), confirmed)
    left, right = st.columns(2)
    do_all = left.button("Importer", key=f"import_{index}", type="primary", disabled=bool(blockers))
    do_valid = False
    if report.rejected_count and report.rows_valid:
        do_valid = right.button(f"Importer les lignes valides ({fmt.integer(report.rows_valid)})",
                                key=f"import_valid_{index}", disabled=bool(earlier) and not confirmed)
    if blockers:
        st.caption("« Importer » n'est pas disponible : " + " ; ".join(blockers) + ".")
    elif report.rows_stored == 0 and not report.replaced:
        st.caption("Rien de nouveau : toutes les lignes sont déjà enregistrées. Importer ce fichier ne "
                   "l'ajouterait à l'historique que comme source de ces lignes.")
    if do_all or do_valid:
        bar = st.progress(0.0, text="Import en cours…")
        outcome = session.run_write(uploads.store_file, data, upload.name, report.kind, settings, store.path,
                                    actor=session.actor(), accept_valid=do_valid,
                                    progress=lambda f, m, bar=bar: bar.progress(min(f, 1.0), text=m))
        session.clear_caches()
        if outcome["error"]:
            st.error(fmt.markdown_text(outcome["error"]))
        elif outcome["report"].stored:
            done = outcome["report"]
            st.session_state["import_done"] = (
                f"{fmt.markdown_text(upload.name)} : {fmt.integer(done.rows_stored)} ligne(s) enregistrée(s), "
                f"{fmt.integer(done.duplicates)} doublon(s) ignoré(s) (import n° {done.batch_id}).")
            imported.add(done.sha256)
            # Every file of the uploader imported: empty it (the next round starts clean).
            if all(uploads.fingerprint(f.getvalue()) in imported for f in files):
                st.session_state["import_round"] = round_ + 1
                imported.clear()
            st.rerun()
        else:
            st.error("Rien n'a été enregistré.")
