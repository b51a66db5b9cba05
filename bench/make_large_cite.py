"""A large cité éducative, written as its partners' CSV files and loaded through the command line.

    .venv/bin/python bench/make_large_cite.py --db bench/output/large.duckdb

Writes the four files (actions, budget, spending, attendance) in French Excel's formats
(`;`, day-first dates, amounts like `1 234,50 €`, Windows-1252 with a `sep=;` line or UTF-8
with BOM), then imports them with `python -m impact import KIND FILE --db PATH` in that order,
with the settings of bench/large_cite.toml (five years, 2022–2026), and prints each import's time.

Shape, by default: 60 actions (thématiques, porteurs, age bands, weekly groups on one to
three weekdays, term time, a few summer actions), 20 000 young people aged 3 to 25 (half of
them 16–25), each joining one to four actions for a school year or two and coming many times;
1 000 000 attendance rows, about 1 % of them head counts (`nombre` > 1, no person). Seven
people in ten are written with nom, prénom and date de naissance (one pseudonym across every
structure), the others with the structure's `participant` id and an age. No session after the
last day of the previous month. Everything is drawn from --seed: the files are reproducible.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import datetime as dt
import itertools
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "bench" / "large_cite.toml"
NNBSP = "\u202f"
CODES = {"Réussite éducative": "REU", "Sport": "SPO", "Culture": "CUL", "Numérique": "NUM",
         "Insertion professionnelle": "INS", "Santé": "SAN", "Parentalité": "PAR"}
THEMES = {  # thématique: activities
    "Réussite éducative": ["Aide aux devoirs", "Club lecture", "Atelier d’écriture", "Soutien en mathématiques"],
    "Sport": ["Boxe éducative", "Football féminin", "Natation", "Basket de rue", "Escalade"],
    "Culture": ["Théâtre", "Chorale", "Atelier hip-hop", "Arts plastiques", "Ciné-club"],
    "Numérique": ["Codage et robotique", "FabLab", "Montage vidéo", "Éducation aux écrans"],
    "Insertion professionnelle": ["Permis de conduire accompagné", "Découverte des métiers", "Chantier éducatif",
                                  "Coaching emploi", "Préparation aux stages"],
    "Santé": ["Point écoute jeunes", "Prévention santé", "Nutrition et cuisine"],
    "Parentalité": ["Café des parents", "Ateliers parents-enfants", "Sorties en famille"],
}
PORTEURS = ["Centre social Le Lien", "MJC des Hauts", "Collège Louise Michel", "Collège Jules Ferry",
            "École élémentaire Les Tilleuls", "Mission locale", "Médiathèque Aimé Césaire", "Conservatoire municipal",
            "Association sportive de l’Est", "Boxing club du quartier", "Compagnie La Passerelle",
            "Les Petits Débrouillards", "Maison de santé pluriprofessionnelle", "Ville – service jeunesse",
            "Programme de réussite éducative", "Association Clés pour l’emploi", "École des parents",
            "FabLab du quartier"]
BANDS = {"3-5": (3, 5), "6-10": (6, 10), "11-15": (11, 15), "16-25": (16, 25), "": (3, 25)}
AGE_MIX = [("3-5", 0.08), ("6-10", 0.17), ("11-15", 0.25), ("16-25", 0.50)]
FIRST_F = ["Léa", "Inès", "Chloé", "Manon", "Sarah", "Yasmine", "Amina", "Emma", "Jade", "Camille", "Lina",
           "Maëlys", "Zoé", "Anaïs", "Océane", "Fatoumata", "Aïcha", "Elif", "Meryem", "Louna", "Noémie",
           "Héloïse", "Salomé", "Kenza", "Rania", "Nour", "Clémence", "Justine", "Maya", "Awa", "Lou", "Alice"]
FIRST_M = ["Mehdi", "Yanis", "Lucas", "Nathan", "Enzo", "Rayan", "Adam", "Hugo", "Théo", "Ilyes", "Kylian",
           "Mamadou", "Moussa", "Bilal", "Samir", "Noah", "Louis", "Maël", "Loïc", "Jérémy", "Benoît", "Ethan",
           "Amine", "Ismaël", "Emir", "Yusuf", "Kévin", "Dylan", "Sofiane", "Thomas", "Léo", "Gabriel"]
LAST = ["Schmitt", "Müller", "Weber", "Klein", "Becker", "Hoffmann", "Lefèvre", "Girard", "Mercier", "Bernard",
        "Laurent", "Benali", "Haddad", "Bouzid", "Mansouri", "Diallo", "Traoré", "Camara", "N’Diaye", "Kaya",
        "Yilmaz", "Demir", "Petitjean", "Thiébaut", "Marchal", "François", "Ferreira", "Da Costa", "Lopes",
        "Rossi", "Kowalski", "Nowak", "Gauthier", "Masson", "Noël", "Benhamou", "Zimmermann", "Lambert",
        "Chevalier", "Ouattara", "Belkacem", "Aubertin", "Cœurdevey", "Martin", "Dubois", "Moreau", "Fontaine",
        "Rousseau", "Vincent", "Muller", "Lemoine", "Faure", "André", "Boyer", "Garnier", "Roux", "Dupont"]


def d(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def euros(x: float, rng: random.Random, spaces: str = " " + NNBSP) -> str:
    """'1 234,50 €' with a space, or a narrow no-break one as accounting software writes it."""
    whole, cents = f"{x:.2f}".split(".")
    text = f"{int(whole):,}".replace(",", rng.choice(spaces)) + "," + cents
    return text + (" €" if rng.random() < 0.7 else "")


def in_term(day: dt.date) -> bool:
    """Outside summer (8 July – 31 August) and the Christmas fortnight."""
    md = (day.month, day.day)
    return not ((7, 8) <= md <= (8, 31) or md >= (12, 20) or md <= (1, 3))


def write_csv(path: Path, header: list[str], rows, encoding: str, sep_line: bool = False) -> None:
    with open(path, "w", encoding=encoding, newline="") as fh:
        if sep_line:
            fh.write("sep=;\r\n")
        w = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)


def make_actions(rng, n, first_year, last_year):
    actions = []
    for i in range(n):
        theme = list(THEMES)[i % len(THEMES)]
        activity = THEMES[theme][(i // len(THEMES)) % len(THEMES[theme])]
        band = "" if theme == "Parentalité" else rng.choices(list(BANDS)[:4], [1, 3, 4, 5])[0]
        if theme == "Insertion professionnelle":
            band = "16-25"
        start = first_year if rng.random() < 0.7 else rng.randint(first_year, max(first_year, last_year - 2))
        end = last_year if rng.random() < 0.85 else rng.randint(start, last_year)
        if i == 0:  # the first by title, which the Fiche action opens on, runs every year
            start, end = first_year, last_year
        days = sorted(rng.sample(range(6), rng.choice([1, 2, 2, 3])))
        actions.append({"code": f"{CODES[theme]}-{i + 1:02d}", "intitule": f"{activity} – groupe {i + 1}",
                        "porteur": rng.choice(PORTEURS), "axe": theme, "band": band, "start": start, "end": end,
                        "days": days, "summer": i % 17 == 5, "weight": rng.paretovariate(1.5),
                        "headcounts": theme == "Parentalité" or i % 11 == 3})
    return actions


def sessions_of(action, weekday, first: dt.date, last: dt.date) -> list[dt.date]:
    lo = max(first, dt.date(action["start"], 1, 1))
    hi = min(last, dt.date(action["end"], 12, 31))
    day = lo + dt.timedelta(days=(weekday - lo.weekday()) % 7)
    out = []
    while day <= hi:
        if (day.month == 7 and day.day <= 28) if action["summer"] else in_term(day):
            out.append(day)
        day += dt.timedelta(days=7)
    return out


def make_people(rng, n, mid: dt.date):
    people, seen = [], set()
    while len(people) < n:
        band = rng.choices([b for b, _ in AGE_MIX], [w for _, w in AGE_MIX])[0]
        lo, hi = BANDS[band]
        born = mid - dt.timedelta(days=rng.randint(lo * 365, hi * 365 + 364))
        sexe = rng.choice("FM")
        prenom, nom = rng.choice(FIRST_F if sexe == "F" else FIRST_M), rng.choice(LAST)
        if (nom, prenom, born) in seen:
            continue
        seen.add((nom, prenom, born))
        q = rng.random()
        people.append({"id": f"J{len(people) + 1:06d}", "nom": nom, "prenom": prenom, "born": born,
                       "sexe": "" if rng.random() < 0.04 else sexe, "named": rng.random() < 0.7,
                       "qpv": "oui" if q < 0.75 else "non" if q < 0.93 else ""})
    return people


def age(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def enrolments(rng, people, actions, first: dt.date, last: dt.date):
    """(person index, action index, weekday, first day, last day): each person in 1 to 4 actions."""
    out = []
    cum = list(itertools.accumulate(a["weight"] for a in actions))
    for pi, p in enumerate(people):
        wanted, tries, chosen = rng.choices([1, 2, 3, 4], [35, 30, 20, 15])[0], 0, set()
        while len(chosen) < wanted and tries < 40:
            tries += 1
            ai = bisect.bisect(cum, rng.random() * cum[-1])
            a = actions[ai]
            if ai in chosen:
                continue
            year = rng.randint(max(a["start"], first.year) - 1, min(a["end"], last.year))
            start = max(first, dt.date(year, 9, 1) + dt.timedelta(weeks=rng.choice([0, 0, 0, 2, 6, 14])))
            end = min(last, dt.date(year + rng.choices([1, 2], [85, 15])[0], 6, 30))
            if a["summer"]:
                year = max(year, first.year)
                start, end = dt.date(year, 7, 1), min(last, dt.date(year, 7, 31))
            lo, hi = BANDS[a["band"]]
            if start > end or not (lo - 1 <= age(p["born"], start) and age(p["born"], end) <= min(hi + 1, 25)
                                   and age(p["born"], start) >= 3):
                continue
            chosen.add(ai)
            out.append((pi, ai, rng.choice(a["days"]), start, end))
    return out


def attendance_rows(rng, people, actions, enrols, first, last, n_rows):
    sessions = {(ai, wd): sessions_of(a, wd, first, last) for ai, a in enumerate(actions) for wd in a["days"]}
    heads = []  # head counts: parents at family actions, open sessions of a few others
    for (ai, _wd), days in sessions.items():
        a = actions[ai]
        for day in days if a["headcounts"] else ():
            groups = ([("26 et plus", "F", "oui", "parent"), ("26 et plus", "M", "oui", "parent")]
                      if a["axe"] == "Parentalité" else [(a["band"] or "11-15", "F", "", "jeune"),
                                                         (a["band"] or "11-15", "M", "", "jeune")])
            for tranche, sexe, qpv, public in groups:
                heads.append((day, ai, -1, tranche, sexe, qpv, rng.randint(2, 14), public))
    named_target = n_rows - len(heads)
    expected = sum(bisect.bisect_right(s, e) - bisect.bisect_left(s, b)
                   for _, ai, wd, b, e in enrols for s in [sessions[(ai, wd)]])
    presence = [min(0.97, rng.uniform(0.5, 1.1) / 0.8 * 1.03 * named_target / max(expected, 1)) for _ in people]
    named = []
    for pi, ai, wd, b, e in enrols:
        s = sessions[(ai, wd)]
        pr = presence[pi]
        named += [(day, ai, pi) for day in s[bisect.bisect_left(s, b):bisect.bisect_right(s, e)] if rng.random() < pr]
    if len(named) > named_target:
        rng.shuffle(named)
        named = named[:named_target]
    print(f"Présences : {len(named):,} lignes nominatives, {len(heads):,} effectifs".replace(",", " "))
    rows = [(day, ai, pi, "", "", "", 1, "jeune") for day, ai, pi in named] + heads
    rows.sort(key=lambda r: (r[0], r[1], r[2]))  # exports come sorted by date, then action
    for day, ai, pi, tranche, sexe, qpv, nombre, public in rows:
        code = actions[ai]["code"]
        if pi < 0:
            yield [d(day), code, "", "", "", "", "", sexe, qpv, str(nombre), tranche, public]
        else:
            p = people[pi]
            names = [p["nom"], p["prenom"], d(p["born"]), ""] if p["named"] else ["", "", "", str(age(p["born"], day))]
            yield [d(day), code, p["id"], *names, p["sexe"], p["qpv"], "", "", "jeune"]


def money(rng, actions, settings, last: dt.date):
    state = settings["convention"].get("financeur_etat", "État - cité éducative")
    envelope = float(settings["convention"]["enveloppe_etat_annuelle"])
    budget, spending, n = [], [], 0
    for year in range(settings["convention"]["debut"].year, last.year + 1):
        running = [a for a in actions if a["start"] <= year <= a["end"]]
        weights = [rng.uniform(0.5, 1.5) * (1 + a["weight"] / 4) for a in running]
        for a, w in zip(running, weights, strict=True):
            amounts = {state: round(0.95 * envelope * w / sum(weights), -2)}
            if rng.random() < 0.3:
                amounts[rng.choice(["Ville", "CAF", "Région"])] = round(rng.uniform(2000, 15000), -2)
            for funder, amount in amounts.items():
                budget.append([str(year), a["code"], funder, euros(amount, rng)])
                committed = round(amount * rng.uniform(0.9, 1.0), 2)
                steps = [(dt.date(year, 2, 1) + dt.timedelta(days=rng.randint(0, 60)), committed, "engagé"),
                         (dt.date(year, 4, 15) + dt.timedelta(days=rng.randint(0, 40)), round(committed / 2, 2),
                          "payé"),
                         (dt.date(year + 1, 1, 15) + dt.timedelta(days=rng.randint(0, 60)),
                          round(committed - round(committed / 2, 2), 2), "payé")]
                for day, amount_, status in steps:
                    if day <= last:
                        n += 1
                        spending.append([d(day), str(year), a["code"], f"Subvention {year} – {status}", a["porteur"],
                                         f"{'EJ' if status == 'engagé' else 'MDT'}-{year}-{n:05d}",
                                         euros(amount_, rng, " \xa0"), funder, status])  # Windows-1252
    return budget, spending


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--actions", type=int, default=60)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20220101)
    parser.add_argument("--settings", type=Path, default=Path(os.environ.get("IMPACT_SETTINGS") or SETTINGS))
    parser.add_argument("--keep-csv", type=Path, help="garder les fichiers CSV dans ce dossier")
    args = parser.parse_args()
    settings = tomllib.loads(args.settings.read_text(encoding="utf-8"))
    first = settings["convention"]["debut"]
    last_month = dt.date.today().replace(day=1) - dt.timedelta(days=1)  # nothing in the future
    last = min(settings["convention"]["fin"], dt.date(first.year + args.years - 1, 12, 31), last_month)
    rng = random.Random(args.seed)
    folder = args.keep_csv or Path(tempfile.mkdtemp(prefix="large-cite-"))
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    actions = make_actions(rng, args.actions, first.year, last.year)
    people = make_people(rng, args.people, first + (last - first) / 2)
    enrols = enrolments(rng, people, actions, first, last)
    budget, spending = money(rng, actions, settings, last)
    files = {"actions": folder / "referentiel_actions.csv", "budget": folder / "programmation.csv",
             "spending": folder / "depenses.csv", "attendance": folder / "presences.csv"}
    write_csv(files["actions"], ["Code", "Intitulé", "Porteur", "Thématique", "Public cible", "Année début",
                                 "Année fin"],
              [[a["code"], a["intitule"], a["porteur"], a["axe"], a["band"], a["start"], a["end"]] for a in actions],
              "cp1252", sep_line=True)
    write_csv(files["budget"], ["Année", "Code action", "Financeur", "Montant programmé"], budget, "utf-8-sig")
    write_csv(files["spending"], ["Date", "Exercice", "Code action", "Libellé", "Fournisseur", "N° pièce", "Montant",
                                  "Financeur", "Statut"], spending, "cp1252")
    write_csv(files["attendance"], ["Date", "Action", "Participant", "Nom", "Prénom", "Date de naissance", "Âge",
                                    "Sexe", "QPV", "Nombre", "Tranche d'âge", "Public"],
              attendance_rows(rng, people, actions, enrols, first, last, args.rows), "utf-8-sig")
    print(f"Fichiers écrits en {time.perf_counter() - t0:.1f} s dans {folder} : {len(actions)} actions, "
          f"{len(people)} jeunes, {len(enrols)} inscriptions, du {d(first)} au {d(last)}")
    for p in (args.db, args.db.with_name(args.db.name + ".wal")):
        p.unlink(missing_ok=True)
    env = {**os.environ, "IMPACT_SETTINGS": str(args.settings.resolve())}
    status = 0
    for kind in ("actions", "budget", "spending", "attendance"):
        t1 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "impact", "--settings", str(args.settings.resolve()), "import",
                               kind, str(files[kind]), "--db", str(args.db), "--by", "banc d'essai"],
                              env=env, capture_output=True, text=True)
        print(f"import {kind:<10} {time.perf_counter() - t1:6.1f} s  (code {done.returncode})")
        print("\n".join("    " + line for line in (done.stdout + done.stderr).strip().splitlines()[:12]))
        status = max(status, done.returncode)
        if done.returncode:
            break
    if not args.keep_csv:
        shutil.rmtree(folder)
    print(f"Base : {args.db} ({args.db.stat().st_size / 1e6:.0f} Mo)" if args.db.exists() else "Base non créée")
    return status


if __name__ == "__main__":
    sys.exit(main())
