"""The import history: list batches, describe what undoing one takes out, undo it; and the
history as the page shows it (French labels and formats).

A row stays as long as an active batch brought it: undoing a batch deletes only the rows that
no other active batch also contained; the others are handed over to one of those batches.
Undoing a budget or actions batch brings back the versions it replaced.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from impact import audit, auth, contract, fmt, queries
from impact.small_counts import CountRule
from impact.store import rebuild_derived, write_transaction

if TYPE_CHECKING:  # pandas costs 0.3 s to import: the command line mostly does without it
    import pandas as pd

# The two statements of an undo that name the kind's table, written out for each table (an allow-list:
# no table name is formatted into SQL): hand the rows that other imports also brought over to the first
# of them (temporary table `handover`), then delete the batch's own rows.
UNDO_SQL = {
    "actions": ("update actions set batch_id = h.new_batch, line = h.new_line from handover h "
                "where actions.batch_id = $b and actions.line = h.orig_line",
                "delete from actions where batch_id = $b"),
    "budget": ("update budget set batch_id = h.new_batch, line = h.new_line from handover h "
               "where budget.batch_id = $b and budget.line = h.orig_line",
               "delete from budget where batch_id = $b"),
    "spending": ("update spending set batch_id = h.new_batch, line = h.new_line from handover h "
                 "where spending.batch_id = $b and spending.line = h.orig_line",
                 "delete from spending where batch_id = $b"),
    "attendance": ("update attendance set batch_id = h.new_batch, line = h.new_line from handover h "
                   "where attendance.batch_id = $b and attendance.line = h.orig_line",
                   "delete from attendance where batch_id = $b"),
}


class UndoRefused(Exception):
    """The batch is unknown, already undone, or still needed (French message)."""


def batch_list(con) -> pd.DataFrame:
    """Every import, newest first, with the rows it alone brings to the data (`rows_alone`: what
    undoing it takes out; 0 once undone)."""
    batches = queries.run(con, "batch_list")
    rows = queries.run(con, "batch_rows", {"batch_id": None})
    return batches.merge(rows[["batch_id", "rows_alone"]], left_on="id", right_on="batch_id",
                         how="left").drop(columns="batch_id")


def imports_of_file(con, sha256: str) -> pd.DataFrame:
    """The imports of a file with this SHA-256 fingerprint, newest first (active and undone)."""
    return queries.run(con, "batches_of_file", {"sha256": sha256})


def batch_details(con, batch_id: int) -> dict:
    """The batch row, with what undoing it would take out."""
    rows = queries.run(con, "batch_one", {"batch_id": batch_id})
    if rows.empty:
        raise UndoRefused(f"Aucun import n° {batch_id}.")
    batch = rows.iloc[0].to_dict()
    batch["details"] = json.loads(batch["details"]) if batch.get("details") else {}
    if batch["kind"] == "budget":
        batch["replacements"] = queries.run(con, "batch_replacements", {"batch_id": batch_id})
    # A batch holds one row per line of its file; the rows another active batch also contained
    # (its lines listed in batch_duplicates) are handed over on undo, the others go.
    rows = queries.run(con, "batch_rows", {"batch_id": batch_id}).iloc[0]
    batch["rows_removed_on_undo"], batch["rows_held"] = int(rows["rows_alone"]), int(rows["rows_held"])
    batch["rows_held_elsewhere"] = int(rows["rows_held_elsewhere"])
    batch["sharers"] = queries.run(con, "batch_sharers", {"batch_id": batch_id, "kind": batch["kind"]})
    return batch


def undo(con, batch_id: int, actor: auth.Actor) -> dict:
    """Take one import back out, in one transaction, for `actor` (who must be allowed to: Forbidden
    otherwise). Returns batch_details as it was."""
    auth.require(actor, "undo")
    with write_transaction(con):   # the status read and the change, with no other write in between
        info = batch_details(con, batch_id)
        if info["status"] != "active":
            raise UndoRefused(f"L'import n° {batch_id} est déjà annulé.")
        kind = info["kind"]
        if kind == "actions":
            used = queries.run(con, "actions_only_in_batch_still_used", {"batch_id": batch_id})["code"].tolist()
            if used:
                raise UndoRefused(
                    f"L'import n° {batch_id} ne peut pas être annulé : ces actions sont encore utilisées par des "
                    f"présences, des dépenses ou le budget : {', '.join(used)}. Annulez d'abord ces imports-là.")
        hand_over, delete = UNDO_SQL[kind]
        p = {"b": batch_id, "kind": kind}
        con.execute("""create or replace temp table handover as
            select orig_line, arg_min(batch_id, batch_id) as new_batch, arg_min(line, batch_id) as new_line
            from batch_duplicates
            where kind = $kind and orig_batch_id = $b and batch_id <> $b
            group by orig_line""", p)
        con.execute(hand_over, {"b": batch_id})
        con.execute("""update batch_duplicates set orig_batch_id = h.new_batch, orig_line = h.new_line
            from handover h
            where batch_duplicates.kind = $kind and batch_duplicates.orig_batch_id = $b
              and batch_duplicates.orig_line = h.orig_line""", p)
        # The new holder no longer lists itself as a duplicate of the row it now holds.
        con.execute("""delete from batch_duplicates
            where kind = $kind and batch_id = orig_batch_id and line = orig_line""", {"kind": kind})
        con.execute(delete, {"b": batch_id})
        con.execute("delete from batch_duplicates where batch_id = $b", {"b": batch_id})
        con.execute("update batches set status = 'undone', undone_at = now()::timestamp, undone_by = $by "
                    "where id = $b", {"b": batch_id, "by": actor.name})
        audit.record(con, "undo", actor.name, actor.role, target=f"import n° {batch_id}",
                     detail=info["file_name"])
        # the current versions come back to the older ones; the people no row names any more go
        rebuild_derived(con, people=kind == "attendance")
    return info


# --- the history as the page shows it ---------------------------------------------------

STATUS = {"active": "actif", "undone": "annulé"}


def history_table(batches: pd.DataFrame, rule: CountRule) -> pd.DataFrame:
    """Every import, in French; the rows of attendance imports (people's participations) as
    `rule` shows counts."""
    import pandas as pd

    if batches.empty:
        return pd.DataFrame(columns=HISTORY_COLUMNS)

    def counts(column: str) -> list[str]:
        return [rule.text(n) if kind == "attendance" else fmt.integer(n)
                for n, kind in zip(batches[column], batches["kind"], strict=True)]
    alone = [text if status == "active" else "—"
             for text, status in zip(counts("rows_alone"), batches["status"], strict=True)]
    return pd.DataFrame({   # what tells imports apart first (read without scrolling), provenance last
        "N°": batches["id"],
        "Date": batches["imported_at"].map(lambda v: v.strftime("%d/%m/%Y %H:%M")),
        "Type": batches["kind"].map(contract.KIND_LABELS),
        "Fichier": batches["file_name"],
        "Statut": [STATUS.get(s, s) + (f" le {u:%d/%m/%Y %H:%M}" if s == "undone" and not pd.isna(u) else "")
                   + (f" par {by}" if s == "undone" and isinstance(by, str) and by else "")
                   for s, u, by in zip(batches["status"], batches["undone_at"], batches["undone_by"], strict=True)],
        "Lignes enregistrées": counts("rows_stored"),
        ALONE: alone,
        "Doublons": counts("duplicates"),
        "Remplacements": batches["replaced"].map(fmt.integer),
        "Par": batches["imported_by"],
        "SHA-256": batches["sha256"].str.slice(0, 16) + "…",
    })[HISTORY_COLUMNS]


ALONE = "Lignes qu'il est seul à apporter"
HISTORY_COLUMNS = ["N°", "Date", "Type", "Fichier", "Statut", "Lignes enregistrées", ALONE, "Doublons",
                   "Remplacements", "Par", "SHA-256"]


def mapping_text(kind: str, mapping: dict[str, str]) -> str:
    """The columns an import recognised, as a reader names them: « Né(e) le » → date de naissance."""
    labels = {c.name: c.label for c in contract.COLUMNS.get(kind, [])}
    return ", ".join(f"« {fmt.markdown_text(header)} » → {labels.get(name, name)}"
                     for name, header in mapping.items())


def rows_text(info: dict, rule: CountRule) -> str:
    """What an active import holds of the data, and which other imports also hold it."""
    count = rule.text if info["kind"] == "attendance" else fmt.integer
    text = (f"Cet import est seul à apporter {count(info['rows_removed_on_undo'])} ligne(s) des données "
            "(ce que son annulation retirerait)")
    kept = info["rows_held"] - info["rows_removed_on_undo"]
    if kept:
        ids = [f"n° {i}" for i in info["sharers"]["id"]]
        others = ("l'import " if len(ids) == 1 else "les imports ") + ", ".join(ids)
        text += f" ; {count(kept)} autre(s) ligne(s) sont aussi dans {others}"
    if info.get("rows_held_elsewhere"):
        text += (f" ; {count(info['rows_held_elsewhere'])} de ses lignes étaient déjà enregistrées par un "
                 "import précédent (doublons)")
    return text + "."


def undo_summary(info: dict) -> str:
    """What undoing the batch will take out, in French."""
    kind = contract.KIND_LABELS[info["kind"]]
    text = (f"L'annulation de l'import n° {info['id']} ({kind}, fichier « {info['file_name']} ») retirera "
            f"{fmt.integer(info['rows_removed_on_undo'])} ligne(s) des données.")
    kept = info["rows_held"] - info["rows_removed_on_undo"]
    if kept:
        sharers = info.get("sharers")
        names = [] if sharers is None else [
            f"l'import n° {r.id} (« {r.file_name} », {r.imported_at:%d/%m/%Y}, {fmt.integer(r.rows)} ligne(s))"
            for r in sharers.itertuples()]
        keepers = (names[0] if len(names) == 1 else ", ".join(names[:-1]) + " et " + names[-1]) if names \
            else "un autre import actif"
        verb = "les contiennent" if len(names) > 1 else "les contient"
        text += f" {fmt.integer(kept)} ligne(s) resteront, car {keepers} {verb} aussi."
    repl = info.get("replacements")
    if repl is not None and not repl.empty:
        text += (f" Les {len(repl)} montant(s) qu'il avait remplacés reviendront à leur valeur précédente.")
    if info["kind"] == "actions":
        text += " Les versions précédentes des actions modifiées reviendront."
    return text


def replacements_table(info: dict) -> pd.DataFrame:
    import pandas as pd

    repl = info.get("replacements")
    if repl is None or repl.empty:
        return pd.DataFrame()
    return pd.DataFrame({
        "Ligne": repl["line"], "Année": repl["annee"], "Action": repl["action_code"],
        "Financeur": repl["financeur"],
        "Ancien montant": repl["previous_montant"].map(lambda v: fmt.euros(v, cents=True)),
        "Nouveau montant": repl["montant"].map(lambda v: fmt.euros(v, cents=True)),
    })
