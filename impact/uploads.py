"""What the upload page needs from the importer, packaged for display."""

from __future__ import annotations

import hashlib

import pandas as pd

from impact import audit, auth, contract, fmt, ingest, privacy
from impact.settings import Settings

KIND_CHOICES = {"auto": "Reconnaître d'après les en-têtes", **contract.KIND_LABELS}


def fingerprint(data: bytes) -> str:
    """The file's SHA-256, as its import records it."""
    return hashlib.sha256(data).hexdigest()


def file_token(data: bytes, kind: str | None) -> str:
    return f"{kind}:{fingerprint(data)}"


def analyse(con, data: bytes, file_name: str, kind: str | None, settings: Settings, db_path,
            actor: auth.Actor) -> dict:
    """A dry run for `actor` (who must be allowed to import: it tells which rows are already
    stored): the report, or the whole-file problem in French."""
    auth.require(actor, "import")
    try:
        key = privacy.load_or_create_secret(privacy.secret_path(db_path))
        report = ingest.import_file(con, kind, data, file_name=file_name, settings=settings, key=key,
                                    dry_run=True, accept_valid=True)
        return {"report": report, "error": None}
    except (ingest.ImportProblem, privacy.SecretProblem) as exc:
        return {"report": None, "error": str(exc)}


def store_file(con, data: bytes, file_name: str, kind: str, settings: Settings, db_path,
               actor: auth.Actor, accept_valid: bool, progress=None) -> dict:
    """Import the file for `actor` (Forbidden unless allowed to import), recorded as its author."""
    auth.require(actor, "import")
    try:
        key = privacy.load_or_create_secret(privacy.secret_path(db_path))
        report = ingest.import_file(con, kind, data, file_name=file_name, settings=settings, key=key,
                                    imported_by=actor.name, accept_valid=accept_valid, progress=progress)
        if report.stored:
            audit.record(con, "import", actor.name, actor.role, target=f"import n° {report.batch_id}",
                         detail=file_name)
        return {"report": report, "error": None}
    except (ingest.ImportProblem, privacy.SecretProblem) as exc:
        return {"report": None, "error": str(exc)}


def mapping_table(report: ingest.ImportReport) -> pd.DataFrame:
    labels = {c.name: c.label for c in contract.COLUMNS[report.kind]}
    rows = [{"En-tête du fichier": h, "Colonne reconnue": labels.get(c, c)}
            for c, h in report.mapping.items()]
    rows += [{"En-tête du fichier": h, "Colonne reconnue": f"ignorée : {why}"} for h, why in report.ignored]
    return pd.DataFrame(rows)


def problems_table(problems: list[ingest.Problem]) -> pd.DataFrame:
    return pd.DataFrame([{"Ligne": p.line if p.line is not None else "—", "Colonne": p.column or "",
                          "Valeur": p.value or "", "Motif": p.message} for p in problems],
                        columns=["Ligne", "Colonne", "Valeur", "Motif"])


def replaced_table(report: ingest.ImportReport) -> pd.DataFrame:
    money = report.kind == "budget"
    return pd.DataFrame([{
        "Ligne": r["line"], "Clé": r["key"],
        "Ancienne valeur": fmt.euros(r["old"], cents=True) if money else r["old"],
        "Nouvelle valeur": fmt.euros(r["new"], cents=True) if money else r["new"],
    } for r in report.replaced], columns=["Ligne", "Clé", "Ancienne valeur", "Nouvelle valeur"])


PREVIEW_LABELS = {
    "line": "Ligne", "code": "Code", "intitule": "Intitulé", "porteur": "Porteur", "axe": "Thématique",
    "public_cible": "Public cible", "annee_debut": "Début", "annee_fin": "Fin", "annee": "Année",
    "action_code": "Action", "financeur": "Financeur", "montant": "Montant", "date": "Date",
    "exercice": "Exercice", "statut": "Statut", "libelle": "Libellé", "fournisseur": "Fournisseur",
    "piece": "Pièce", "person": "Pseudonyme", "age": "Âge", "tranche": "Tranche d'âge", "sexe": "Sexe",
    "qpv": "QPV", "nombre": "Nombre", "public": "Public",
}


def preview_table(report: ingest.ImportReport) -> pd.DataFrame:
    """The first rows as they will be stored, in French formats."""
    frame = report.preview.copy() if report.preview is not None else pd.DataFrame()
    if "montant" in frame:
        frame["montant"] = frame["montant"].map(lambda v: fmt.euros(v, cents=True))
    if "date" in frame:
        frame["date"] = frame["date"].map(fmt.date)
    if "qpv" in frame:
        frame["qpv"] = frame["qpv"].map(lambda v: "non renseigné" if pd.isna(v) else ("oui" if v else "non"))
    for col in ("age", "annee_debut", "annee_fin"):
        if col in frame:
            frame[col] = frame[col].map(lambda v: "" if pd.isna(v) else str(int(v)))
    return frame.rename(columns=PREVIEW_LABELS)


def earlier_import_text(earlier: pd.DataFrame) -> str | None:
    """« Ce fichier a déjà été importé le … (import n° 5) » when an active import has the same
    fingerprint; None otherwise. `earlier` is import_history.imports_of_file."""
    active = earlier[earlier["status"] == "active"] if len(earlier) else earlier
    if active.empty:
        return None
    last = active.iloc[0]
    text = (f"Ce fichier a déjà été importé le {last['imported_at']:%d/%m/%Y à %H:%M} (import n° {last['id']}, "
            f"{contract.KIND_LABELS.get(last['kind'], last['kind'])}) : les mêmes octets, même empreinte SHA-256.")
    if len(active) > 1:
        text += f" Il l'a été {len(active)} fois (imports n° {', '.join(str(i) for i in active['id'])})."
    return text + (" L'importer à nouveau n'ajouterait qu'un import sans ligne nouvelle : cochez la case "
                   "ci-dessous seulement si c'est voulu.")


def import_blockers(report: ingest.ImportReport, already_imported: bool, confirmed: bool) -> list[str]:
    """Why « Importer » (the whole file) is not offered, in French; empty when it is."""
    reasons = []
    if report.rejected_count:
        reasons.append(f"{fmt.integer(report.rejected_count)} ligne(s) en erreur : corrigez-les et déposez le "
                       "fichier à nouveau, ou importez seulement les lignes valides")
    elif report.rows_valid == 0:
        reasons.append("aucune ligne valide")
    if already_imported and not confirmed:
        reasons.append("ce fichier a déjà été importé (cochez « Importer ce fichier à nouveau » si c'est voulu)")
    return reasons
