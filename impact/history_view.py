"""The import history as the page shows it (French labels and formats)."""

from __future__ import annotations

import pandas as pd

from impact import contract, fmt
from impact.small_counts import CountRule

STATUS = {"active": "actif", "undone": "annulé"}


def history_table(batches: pd.DataFrame, rule: CountRule) -> pd.DataFrame:
    """Every import, in French; the rows of attendance imports (people's participations) as
    `rule` shows counts."""
    if batches.empty:
        return pd.DataFrame(columns=["N°", "Date", "Par", "Type", "Fichier", "SHA-256", "Lignes enregistrées",
                                     "Doublons", "Remplacements", "Statut"])
    return pd.DataFrame({
        "N°": batches["id"],
        "Date": batches["imported_at"].map(lambda v: v.strftime("%d/%m/%Y %H:%M")),
        "Par": batches["imported_by"],
        "Type": batches["kind"].map(contract.KIND_LABELS),
        "Fichier": batches["file_name"],
        "SHA-256": batches["sha256"].str.slice(0, 16) + "…",
        "Lignes enregistrées": [rule.text(n) if kind == "attendance" else fmt.integer(n)
                                for n, kind in zip(batches["rows_stored"], batches["kind"], strict=True)],
        "Doublons": [rule.text(n) if kind == "attendance" else fmt.integer(n)
                     for n, kind in zip(batches["duplicates"], batches["kind"], strict=True)],
        "Remplacements": batches["replaced"].map(fmt.integer),
        "Statut": [STATUS.get(s, s) + (f" le {u:%d/%m/%Y %H:%M}" if s == "undone" and not pd.isna(u) else "")
                   for s, u in zip(batches["status"], batches["undone_at"], strict=True)],
    })


def undo_summary(info: dict) -> str:
    """What undoing the batch will take out, in French."""
    kind = contract.KIND_LABELS[info["kind"]]
    text = (f"L'annulation de l'import n° {info['id']} ({kind}, fichier « {info['file_name']} ») retirera "
            f"{fmt.integer(info['rows_removed_on_undo'])} ligne(s) des données.")
    kept = info["rows_held"] - info["rows_removed_on_undo"]
    if kept:
        text += f" {fmt.integer(kept)} ligne(s) resteront, car un autre import actif les contient aussi."
    repl = info.get("replacements")
    if repl is not None and not repl.empty:
        text += (f" Les {len(repl)} montant(s) qu'il avait remplacés reviendront à leur valeur précédente.")
    if info["kind"] == "actions":
        text += " Les versions précédentes des actions modifiées reviendront."
    return text


def replacements_table(info: dict) -> pd.DataFrame:
    repl = info.get("replacements")
    if repl is None or repl.empty:
        return pd.DataFrame()
    return pd.DataFrame({
        "Ligne": repl["line"], "Année": repl["annee"], "Action": repl["action_code"],
        "Financeur": repl["financeur"],
        "Ancien montant": repl["previous_montant"].map(lambda v: fmt.euros(v, cents=True)),
        "Nouveau montant": repl["montant"].map(lambda v: fmt.euros(v, cents=True)),
    })
