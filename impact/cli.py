"""Command line: python -m impact import|export|batches|undo|demo|forget|purge|report|indicators|users|
backup|restore|serve-check (see README, « Ligne de commande »).

The command line is the server's operator: it needs no sign-in (whoever runs it can read the store
file anyway) and records its author as the system user, or the name given with --par.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os
import sys
from pathlib import Path

from impact import accounts, audit, auth, backup, contract, erasure, fmt, import_history, ingest, privacy
from impact.canonical_export import write_export
from impact.settings import database_path, load_settings
from impact.store import Store, StoreBusy, StoreUnusable, is_empty

OK, REJECTED, USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors exit 2 with a French hint
        self.print_usage(sys.stderr)
        print(f"Erreur d'utilisation : {message}", file=sys.stderr)
        raise SystemExit(USAGE)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m impact", description="Tableau de bord de la cité éducative.")
    p.add_argument("--settings", help="fichier de paramètres (défaut : data/convention.toml)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    who = _system_user()
    imp = sub.add_parser("import", help="importer un ou plusieurs fichiers")
    imp.add_argument("kind", help="actions | budget | spending | attendance")
    imp.add_argument("files", nargs="+")
    imp.add_argument("--db")
    imp.add_argument("--dry-run", action="store_true", help="vérifier sans rien enregistrer")
    imp.add_argument("--accept-valid", action="store_true", help="importer les lignes valides")
    imp.add_argument("--json", action="store_true", help="une ligne JSON par fichier")
    imp.add_argument("--rejected-out", help="écrire les lignes rejetées (CSV pour Excel)")
    imp.add_argument("--par", "--by", dest="par", default=who,
                     help="auteur de l'import (défaut : l'utilisateur système)")
    exp = sub.add_parser("export", help="exporter ce qui est enregistré (forme canonique)")
    exp.add_argument("kind")
    exp.add_argument("--db")
    exp.add_argument("--out")
    bat = sub.add_parser("batches", help="historique des imports")
    bat.add_argument("--db")
    und = sub.add_parser("undo", help="annuler un import")
    und.add_argument("batch_id", type=int)
    und.add_argument("--db")
    und.add_argument("--par", default=who, help="auteur de l'annulation (défaut : l'utilisateur système)")
    demo = sub.add_parser("demo", help="charger les données de démonstration")
    demo.add_argument("--db")
    demo.add_argument("--if-empty", action="store_true", help="seulement si la base est vide")
    fgt = sub.add_parser(
        "forget", help="effacer toutes les présences d'une personne (droit à l'effacement)",
        description="Efface toutes les présences d'une personne. Sans option, demande le nom, le prénom et la "
                    "date de naissance (ou l'identifiant de la structure et son porteur) sans les afficher. "
                    "Le pseudonyme est calculé comme à l'import ; le nombre de lignes est montré avant "
                    "confirmation. L'effacement est noté sans le nom. Statut : 0 effacé, 1 personne absente "
                    "ou effacement non confirmé, 2 erreur d'utilisation.")
    fgt.add_argument("--db")
    fgt.add_argument("--nom")
    fgt.add_argument("--prenom", help="prénom")
    fgt.add_argument("--naissance", default="", help="date de naissance JJ/MM/AAAA (comme dans les fichiers)")
    fgt.add_argument("--participant", help="identifiant de la personne dans la structure")
    fgt.add_argument("--porteur", help="porteur (structure) qui a donné cet identifiant")
    fgt.add_argument("--yes", action="store_true", help="ne pas demander de confirmation")
    fgt.add_argument("--par", default=who, help="auteur de l'effacement (défaut : l'utilisateur système)")
    prg = sub.add_parser(
        "purge", help="supprimer les présences gardées au-delà de la durée de conservation",
        description="Supprime les présences une fois passées [confidentialite] conservation_annees années "
                    "après la fin de la convention (data/convention.toml). Statut : 0 fait ou rien à "
                    "supprimer, 1 non confirmé, 2 erreur d'utilisation.")
    prg.add_argument("--db")
    prg.add_argument("--yes", action="store_true", help="ne pas demander de confirmation")
    prg.add_argument("--par", default=who, help="auteur de la purge (défaut : l'utilisateur système)")
    rep = sub.add_parser(
        "report", help="écrire la revue de projet (PDF ou Word)",
        description="Écrit la revue de projet d'une année de convention (--year) ou de toute la convention "
                    "jusqu'à aujourd'hui : PDF (--out rapport.pdf) ou document Word modifiable "
                    "(--out rapport.docx). Les effectifs suivent la règle des lecteurs (« < 5 », arrondis) sauf "
                    "avec --exact (version interne, marquée sur chaque page). Statut : 0 écrit, 1 base occupée, "
                    "2 erreur d'utilisation (année hors convention, fichier de sortie, outils manquants).")
    rep.add_argument("--year", type=int, help="année de convention (défaut : toute la convention)")
    rep.add_argument("--out", required=True, help="fichier à écrire : .pdf ou .docx")
    rep.add_argument("--exact", action="store_true", help="effectifs exacts (document interne)")
    rep.add_argument("--db")
    ind = sub.add_parser(
        "indicators", help="écrire le fichier d'indicateurs (JSON ou CSV)",
        description="Écrit les indicateurs de la revue de projet (schéma : docs/indicateurs.md) sur la sortie "
                    "standard ou dans --out. Statut : 0 écrit, 1 base occupée, 2 erreur d'utilisation.")
    ind.add_argument("--year", type=int, help="année de convention (défaut : toute la convention)")
    ind.add_argument("--format", choices=("json", "csv"), default="json")
    ind.add_argument("--exact", action="store_true", help="effectifs exacts (usage interne)")
    ind.add_argument("--out", help="fichier à écrire (défaut : la sortie standard)")
    ind.add_argument("--db")

    usr = sub.add_parser("users", help="comptes du tableau de bord (connexion par e-mail et mot de passe)",
                         description="Comptes locaux. Statut : 0 fait, 1 refusé (compte inconnu ou déjà là, "
                                     "mot de passe trop court ou différent), 2 erreur d'utilisation.")
    users = usr.add_subparsers(dest="users_command", required=True, parser_class=_Parser)
    u_add = users.add_parser("add", help="créer un compte")
    u_add.add_argument("email")
    u_add.add_argument("--role", required=True, choices=auth.ROLES)
    u_list = users.add_parser("list", help="lister les comptes (e-mail, rôle, état)")
    u_dis = users.add_parser("disable", help="désactiver un compte")
    u_dis.add_argument("email")
    u_role = users.add_parser("role", help="changer le rôle d'un compte")
    u_role.add_argument("email")
    u_role.add_argument("role", choices=auth.ROLES)
    u_pw = users.add_parser("passwd", help="changer le mot de passe d'un compte (et le réactiver)")
    u_pw.add_argument("email")
    for cmd in (u_add, u_pw):
        cmd.add_argument("--generate", action="store_true",
                         help="créer un mot de passe fort, affiché une seule fois (au lieu de le demander)")
    for cmd in (u_add, u_list, u_dis, u_role, u_pw):
        cmd.add_argument("--db")
        cmd.add_argument("--par", default=who, help="auteur du changement (défaut : l'utilisateur système)")

    bkp = sub.add_parser("backup", help="sauvegarder la base et son secret dans un dossier",
                         description="Copie cohérente de la base et du secret des pseudonymes, même pendant "
                                     "que le tableau de bord tourne. Statut : 0 fait, 1 impossible, 2 erreur "
                                     "d'utilisation.")
    bkp.add_argument("folder", help="dossier de la sauvegarde (nouveau ou vide)")
    bkp.add_argument("--db")
    rst = sub.add_parser("restore", help="remettre en place une sauvegarde (base et secret)",
                         description="Statut : 0 fait, 1 refusé (sauvegarde incomplète, base ou secret déjà là "
                                     "sans --replace), 2 erreur d'utilisation.")
    rst.add_argument("folder", help="dossier d'une sauvegarde faite par `backup`")
    rst.add_argument("--db")
    rst.add_argument("--replace", action="store_true", help="remplacer la base et le secret existants")
    srv = sub.add_parser("serve-check", help="dire si le tableau de bord peut écouter sur cette adresse",
                         description="Refuse (statut 1, avec la raison) une adresse réseau tant qu'aucun compte et "
                                     "aucune connexion unique n'existent ; 0 sinon.")
    srv.add_argument("address", help="adresse d'écoute (127.0.0.1, 0.0.0.0…)")
    srv.add_argument("--db")
    return p


def _system_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "ligne de commande"


def _store(db: str | None) -> Store:
    announced = []

    def waiting(remaining: float) -> None:
        if not announced:
            announced.append(True)
            print("La base est utilisée par un autre processus (tableau de bord ou import) : elle lui est "
                  f"demandée, nouvelle tentative pendant {remaining:.0f} s au plus…", file=sys.stderr)

    return Store(database_path(db), wait_seconds=120, on_wait=waiting)


def _human(report: ingest.ImportReport, accept_valid: bool) -> str:
    lines = [f"{report.file_name} ({contract.KIND_LABELS[report.kind]}, {report.encoding}, "
             f"séparateur {report.separator})"]
    for header, why in report.ignored:
        lines.append(f"  colonne ignorée « {header} » : {why}")
    lines.append(f"  lignes lues : {fmt.integer(report.rows_read)}, à enregistrer : "
                 f"{fmt.integer(report.rows_stored)}, doublons : {fmt.integer(report.duplicates)}, "
                 f"remplacements : {len(report.replaced)}, rejetées : {fmt.integer(report.rejected_count)}")
    for r in report.replaced[:50]:
        old, new = r["old"], r["new"]
        if report.kind == "budget":
            old, new = fmt.euros(old, cents=True), fmt.euros(new, cents=True)
        lines.append(f"  ligne {r['line']} remplace {r['key']} : {old} → {new}")
    for w in report.warnings[:50]:
        lines.append(f"  attention, ligne {w.line} : {w.message}")
    for p in report.rejected[:200]:
        where = f"ligne {p.line}" if p.line else "fichier"
        value = f" « {p.public_value} »" if p.public_value else ""
        lines.append(f"  {where}, {p.column or ''}{value} : {p.message}")
    if len(report.rejected) > 200:
        lines.append(f"  … {len(report.rejected) - 200} autres problèmes (--json ou --rejected-out).")
    if report.dry_run:
        lines.append("  essai (--dry-run) : rien n'a été enregistré.")
    elif report.stored:
        lines.append(f"  enregistré : import n° {report.batch_id}.")
    elif report.rejected_count and not accept_valid:
        lines.append("  rien n'a été enregistré : corrigez les lignes signalées, ou relancez avec "
                     "--accept-valid pour importer les lignes valides.")
    else:
        lines.append("  rien n'a été enregistré : aucune ligne valide.")
    return "\n".join(lines)


def _rejected_path(base: str, index: int, total: int) -> Path:
    p = Path(base)
    return p if total == 1 else p.with_name(f"{p.stem}-{index + 1}{p.suffix}")


def _unwritable(path: Path) -> str | None:
    """Why a file cannot be written at `path` (French), None when it can: checked before any work,
    so that nothing is stored and then left unreported by a failure to write the output."""
    if path.is_dir():
        return f"{path} est un dossier : indiquez un nom de fichier (par exemple {path / 'sortie.csv'})."
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        return f"Le dossier {folder} n'existe pas : créez-le ou indiquez un autre fichier."
    if path.exists() and not os.access(path, os.W_OK) or not path.exists() and not os.access(folder, os.W_OK):
        return f"{path} ne peut pas être écrit (droits insuffisants) : indiquez un autre fichier."
    return None


def cmd_import(args, settings) -> int:
    if args.kind not in contract.COLUMNS:
        print(f"Type de fichier inconnu : {args.kind} (attendu : {', '.join(contract.COLUMNS)}).",
              file=sys.stderr)
        return USAGE
    missing = [f for f in args.files if not Path(f).is_file()]
    if missing:
        print(f"Fichier introuvable : {', '.join(missing)}", file=sys.stderr)
        return USAGE
    if args.rejected_out:
        for i in range(len(args.files)):
            why = _unwritable(_rejected_path(args.rejected_out, i, len(args.files)))
            if why:
                print(f"--rejected-out : {why}", file=sys.stderr)
                return USAGE
    store = _store(args.db)
    status = OK
    with store.connect() as con:
        key = privacy.load_or_create_secret(privacy.secret_path(store.path))
        for i, path in enumerate(args.files):
            try:
                report = ingest.import_file(con, args.kind, Path(path), settings=settings, key=key,
                                            imported_by=args.par, dry_run=args.dry_run,
                                            accept_valid=args.accept_valid, with_preview=False)
                if report.stored:
                    audit.record(con, "import", args.par, auth.OPERATOR, target=f"import n° {report.batch_id}",
                                 detail=Path(path).name)
            except ingest.ImportProblem as exc:
                status = max(status, REJECTED)
                if args.json:
                    print(json.dumps({"kind": args.kind, "file": Path(path).name, "batch": None,
                                      "rows_read": 0, "rows_stored": 0, "duplicates": 0, "replaced": 0,
                                      "warnings": [], "rejected": [{"line": None, "column": None,
                                                                    "value": None, "message": str(exc)}]},
                                     ensure_ascii=False))
                else:
                    print(f"{Path(path).name} : {exc}")
                continue
            failed = (report.rejected_count and not args.accept_valid) or report.rows_valid == 0
            if failed:
                status = max(status, REJECTED)
            if args.rejected_out and report.rejected_rows_csv:
                _rejected_path(args.rejected_out, i, len(args.files)).write_bytes(report.rejected_rows_csv)
            print(json.dumps(report.as_json(), ensure_ascii=False) if args.json
                  else _human(report, args.accept_valid))
    return status


def cmd_export(args) -> int:
    if args.kind not in contract.COLUMNS:
        print(f"Type inconnu : {args.kind} (attendu : {', '.join(contract.COLUMNS)}).", file=sys.stderr)
        return USAGE
    why = _unwritable(Path(args.out)) if args.out else None
    if why:
        print(f"--out : {why}", file=sys.stderr)
        return USAGE
    with _store(args.db).connect() as con:
        if args.out:
            with open(args.out, "w", encoding="utf-8", newline="") as fh:
                n = write_export(con, args.kind, fh)
            print(f"{fmt.integer(n)} lignes écrites dans {args.out}", file=sys.stderr)
        else:
            write_export(con, args.kind, sys.stdout)
    return OK


def cmd_batches(args) -> int:
    with _store(args.db).connect() as con:
        frame = import_history.batch_list(con)
    if frame.empty:
        print("Aucun import.")
        return OK
    for r in frame.itertuples():
        state = "actif" if r.status == "active" else f"annulé le {r.undone_at:%d/%m/%Y %H:%M}"
        if r.status != "active" and isinstance(r.undone_by, str):
            state += f" par {r.undone_by}"
        print(f"n° {r.id:>4}  {r.imported_at:%d/%m/%Y %H:%M}  {r.kind:<10}  {r.file_name}  "
              f"{r.rows_stored} lignes, {r.duplicates} doublons  {state}  ({r.imported_by})")
    return OK


def cmd_undo(args) -> int:
    with _store(args.db).connect() as con:
        try:
            info = import_history.undo(con, args.batch_id, auth.operator(args.par))
        except import_history.UndoRefused as exc:
            print(str(exc), file=sys.stderr)
            return REJECTED
    print(f"Import n° {args.batch_id} ({info['file_name']}) annulé : {info['rows_removed_on_undo']} lignes "
          "retirées.")
    return OK


def cmd_demo(args, settings) -> int:
    from impact import demo

    store = _store(args.db)
    with store.connect() as con:
        if args.if_empty and not is_empty(con):
            print("La base contient déjà des données : démonstration non chargée.")
            return OK
        key = privacy.load_or_create_secret(privacy.secret_path(store.path))
        reports = demo.load_demo(con, settings, key)
    for r in reports:
        print(f"{r.file_name} : {r.rows_stored} lignes enregistrées (import n° {r.batch_id}).")
    return OK


def _ask(prompt: str, secret: bool = True) -> str:
    """A value typed at the terminal; names are not echoed (getpass), so they stay off the screen."""
    try:
        return (getpass.getpass(prompt) if secret else input(prompt)).strip()
    except EOFError:
        return ""


def _confirmed(args, question: str) -> bool:
    if args.yes:
        return True
    return _ask(f"{question} Tapez « oui » pour confirmer : ", secret=False).lower() == "oui"


def cmd_forget(args, settings, today: dt.date | None = None) -> int:
    named = bool(args.nom or args.prenom)
    if named and args.participant:
        print("Donnez soit --nom et --prenom (et --naissance), soit --participant et --porteur, pas les deux.",
              file=sys.stderr)
        return USAGE
    if not named and not args.participant:
        args.nom = _ask("Nom (laisser vide pour donner l'identifiant de la structure) : ")
        if args.nom:
            args.prenom = _ask("Prénom : ")
            args.naissance = _ask("Date de naissance JJ/MM/AAAA (vide si elle n'était pas dans les fichiers) : ")
        else:
            args.participant = _ask("Identifiant de la personne dans la structure : ")
            args.porteur = _ask("Porteur (structure) qui utilise cet identifiant : ", secret=False)
        named = bool(args.nom)
    if named and not (args.nom and args.prenom):
        print("Le nom et le prénom vont ensemble, comme dans les fichiers importés : donnez les deux.",
              file=sys.stderr)
        return USAGE
    if not named and not (args.participant and args.porteur):
        print("Un identifiant de structure se donne avec son porteur (--participant et --porteur).",
              file=sys.stderr)
        return USAGE
    store = _store(args.db)
    with store.connect() as con:
        key = privacy.read_secret(privacy.secret_path(store.path))
        if key is None:
            print("Aucune présence enregistrée dans cette base (pas encore de secret des pseudonymes).")
            return REJECTED
        try:
            person = ingest.pseudonym(con, settings, key, nom=args.nom or "", prenom=args.prenom or "",
                                      date_naissance=args.naissance or "", participant=args.participant or "",
                                      porteur=args.porteur or "", today=today)
        except ValueError as exc:
            print(str(exc), file=sys.stderr)
            return USAGE
        found = erasure.person_rows(con, person) if person else erasure.PersonRows(0, None, None, 0)
        if not found.rows:
            print("Aucune présence enregistrée pour cette personne : vérifiez l'orthographe et la date de "
                  "naissance telles qu'elles étaient dans les fichiers importés (ou l'identifiant et son porteur).")
            return REJECTED
        print(f"{fmt.integer(found.rows)} ligne{'s' if found.rows > 1 else ''} de présence de cette personne "
              f"({found.actions} action{'s' if found.actions > 1 else ''}, du {found.first:%d/%m/%Y} au "
              f"{found.last:%d/%m/%Y}) {'seront supprimées' if found.rows > 1 else 'sera supprimée'}.")
        if not _confirmed(args, "Effacer ces présences ?"):
            print("Rien n'a été effacé.")
            return REJECTED
        deleted = erasure.forget_person(con, person, args.par)
    print(f"Effacé : {fmt.integer(deleted)} ligne{'s' if deleted > 1 else ''} de présence supprimée"
          f"{'s' if deleted > 1 else ''} (effacement noté sans le nom).")
    return OK


def cmd_purge(args, settings, today: dt.date | None = None) -> int:
    today = today or dt.date.today()
    limit = erasure.purge_limit(settings, today)
    if limit is None:
        print(f"Rien à supprimer : les présences sont conservées jusqu'au {settings.retention_end:%d/%m/%Y} "
              f"({settings.retention_years} ans après la fin de la convention).")
        return OK
    with _store(args.db).connect() as con:
        count = erasure.rows_to_purge(con, settings, today)
        if not count:
            print("Rien à supprimer : aucune présence enregistrée.")
            return OK
        print(f"{fmt.integer(count)} lignes de présence (jusqu'au {limit:%d/%m/%Y}) ont dépassé la durée de "
              f"conservation ({settings.retention_years} ans après la fin de la convention, le "
              f"{settings.end:%d/%m/%Y}) et seront supprimées.")
        if not _confirmed(args, "Supprimer ces présences ?"):
            print("Rien n'a été supprimé.")
            return REJECTED
        deleted = erasure.purge(con, settings, today, args.par)
    print(f"Supprimé : {fmt.integer(deleted)} lignes de présence (purge notée).")
    return OK


def _gather(args, settings, today: dt.date | None):
    """The report's figures for --year (or the whole convention), or a French reason on stderr."""
    from impact import report

    today = today or dt.date.today()
    try:
        filters = report.year_filters(settings, args.year, today)
    except report.ReportPeriodError as exc:
        print(f"--year : {exc}", file=sys.stderr)
        return None
    with _store(args.db).connect() as con:
        return report.gather(con, filters, settings, today)


def cmd_report(args, settings, today: dt.date | None = None) -> int:
    from impact import report, report_charts

    out = Path(args.out)
    if out.suffix.lower() not in (".pdf", ".docx"):
        print(f"--out : {out.name} doit finir par .pdf (rapport à imprimer) ou .docx (document Word).",
              file=sys.stderr)
        return USAGE
    why = _unwritable(out)
    if why:
        print(f"--out : {why}", file=sys.stderr)
        return USAGE
    word = out.suffix.lower() == ".docx"
    missing = report_charts.missing_tools(word=word)
    if missing:
        print("Le rapport ne peut pas être produit sur cette machine : il manque " + " ; ".join(missing) + ".",
              file=sys.stderr)
        return USAGE
    gathered = _gather(args, settings, today)
    if gathered is None:
        return USAGE
    content = report.build(gathered, settings, exact=args.exact)
    if word:
        from impact.report_docx import docx
        data = docx(content)
    else:
        from impact.report_pdf import pdf
        data = pdf(content)
    out.write_bytes(data)
    version = "version interne, effectifs exacts" if content.exact else "effectifs des lecteurs (« < 5 », arrondis)"
    print(f"{content.title} écrite dans {out} ({version}).", file=sys.stderr)
    return OK


def cmd_indicators(args, settings, today: dt.date | None = None) -> int:
    from impact import indicators

    why = _unwritable(Path(args.out)) if args.out else None
    if why:
        print(f"--out : {why}", file=sys.stderr)
        return USAGE
    gathered = _gather(args, settings, today)
    if gathered is None:
        return USAGE
    doc = indicators.document(gathered, settings, exact=args.exact)
    text = indicators.to_json(doc) if args.format == "json" else indicators.to_csv(doc)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8", newline="")
        print(f"Indicateurs écrits dans {args.out}.", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return OK


def _new_password(args) -> str | None:
    """--generate: a strong password, printed once on its own line; else typed twice (not echoed)."""
    if args.generate:
        password = accounts.generate_password()
        print(f"Mot de passe : {password}")
        return password
    first = _ask("Mot de passe (12 caractères au moins) : ")
    if first != _ask("Le même mot de passe, encore une fois : "):
        print("Les deux mots de passe sont différents : rien n'a été changé.", file=sys.stderr)
        return None
    return first


def cmd_users(args) -> int:
    actor = auth.operator(args.par)
    with _store(args.db).connect() as con:
        try:
            if args.users_command == "list":
                found = accounts.list_accounts(con)
                if not found:
                    print("Aucun compte : le tableau de bord est en mode poste local (127.0.0.1 seulement).")
                for a in found:
                    print(f"{a.email}  {auth.role_label(a.role)} ({a.role})  {accounts.STATE_LABELS[a.state]}")
                return OK
            if args.users_command in ("add", "passwd"):
                # check what can be checked before asking for a password
                if args.users_command == "add":
                    email = accounts.normalise_email(args.email)
                    if any(a.email == email for a in accounts.list_accounts(con)):
                        raise accounts.AccountProblem(f"Le compte {email} existe déjà (users role ou users passwd "
                                                      "pour le modifier).")
                else:
                    email = accounts.existing_email(con, args.email)
                if not args.generate:
                    print(f"Mot de passe de {email} :", file=sys.stderr)
                password = _new_password(args)
                if password is None:
                    return REJECTED
                if args.users_command == "add":
                    accounts.add(con, email, args.role, password, actor)
                    print(f"Compte créé : {email} ({auth.role_label(args.role)}).")
                else:
                    accounts.set_password(con, email, password, actor)
                    print(f"Mot de passe changé : {email} (compte actif).")
            elif args.users_command == "disable":
                accounts.disable(con, args.email, actor)
                print(f"Compte désactivé : {args.email.strip().lower()}.")
            else:
                accounts.set_role(con, args.email, args.role, actor)
                print(f"Rôle changé : {args.email.strip().lower()} est maintenant {auth.role_label(args.role)}.")
        except accounts.AccountProblem as exc:
            print(str(exc), file=sys.stderr)
            return REJECTED
    return OK


def cmd_backup(args) -> int:
    try:
        manifest = backup.backup(_store(args.db), Path(args.folder))
    except backup.BackupProblem as exc:
        print(str(exc), file=sys.stderr)
        return REJECTED
    print(f"Sauvegarde faite dans {args.folder} : la base et son secret des pseudonymes "
          f"({manifest['date']}). Gardez ce dossier en lieu sûr : il contient le secret.")
    return OK


def cmd_restore(args) -> int:
    try:
        manifest = backup.restore(Path(args.folder), database_path(args.db), replace=args.replace)
    except backup.BackupProblem as exc:
        print(str(exc), file=sys.stderr)
        return REJECTED
    print(f"Sauvegarde du {manifest['date']} remise en place : {database_path(args.db)} et son secret.")
    return OK


def cmd_serve_check(args) -> int:
    from impact.settings import ROOT

    with _store(args.db).connect() as con:
        has_accounts = accounts.account_count(con) > 0
    refusal = auth.network_refusal(args.address, has_accounts,
                                   auth.sso_configured(auth.secrets_auth_section(ROOT)))
    if refusal:
        print(refusal, file=sys.stderr)
        return REJECTED
    return OK


def _settings(path: str | None):
    """The convention settings; None, after a French line on stderr, when they cannot be read."""
    shown = path or "data/convention.toml"
    try:
        return load_settings(path)
    except FileNotFoundError:
        print(f"Fichier de paramètres introuvable : {shown} (--settings ou IMPACT_SETTINGS).", file=sys.stderr)
    except IsADirectoryError:
        print(f"--settings : {shown} est un dossier ; indiquez le fichier de paramètres (.toml).", file=sys.stderr)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        reason = f"la rubrique ou le paramètre {exc} manque" if isinstance(exc, KeyError) else str(exc)
        print(f"Fichier de paramètres {shown} illisible : {reason}. Partez de data/convention.toml.",
              file=sys.stderr)
    return None


def main(argv: list[str] | None = None, today: dt.date | None = None) -> int:
    """Run one command; `today` stands for the current date (tests)."""
    args = _parser().parse_args(argv)
    settings = _settings(args.settings)
    if settings is None:
        return USAGE
    try:
        if args.command == "import":
            return cmd_import(args, settings)
        if args.command == "export":
            return cmd_export(args)
        if args.command == "batches":
            return cmd_batches(args)
        if args.command == "undo":
            return cmd_undo(args)
        if args.command == "forget":
            return cmd_forget(args, settings, today)
        if args.command == "purge":
            return cmd_purge(args, settings, today)
        if args.command == "report":
            return cmd_report(args, settings, today)
        if args.command == "indicators":
            return cmd_indicators(args, settings, today)
        if args.command == "users":
            return cmd_users(args)
        if args.command == "backup":
            return cmd_backup(args)
        if args.command == "restore":
            return cmd_restore(args)
        if args.command == "serve-check":
            return cmd_serve_check(args)
        return cmd_demo(args, settings)
    except StoreBusy as exc:
        print(f"La base {exc} est restée occupée par un autre processus : réessayez plus tard.",
              file=sys.stderr)
        return REJECTED
    except (StoreUnusable, privacy.SecretProblem) as exc:
        print(str(exc), file=sys.stderr)
        return USAGE
    except auth.Forbidden as exc:   # never for the operator; kept so that a refusal is French
        print(str(exc), file=sys.stderr)
        return REJECTED
