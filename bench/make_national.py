"""Generate a national-scale store quickly, in DuckDB SQL, straight into a database file.

    .venv/bin/python bench/make_national.py --db bench/output/national.duckdb

Defaults: 200 actions over the convention's years, 10 000 000 attendance rows (named rows
with pseudonyms, plus head counts), 1 000 000 spending rows, a budget per action, year and
funder. The schema is the application's own (Store.connect() creates it). Prints a table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from impact.settings import load_settings  # noqa: E402
from impact.store import Store, rebuild_derived  # noqa: E402

THEMES = ["Santé", "Insertion professionnelle", "Culture", "Sport", "Numérique", "Parentalité"]
BANDS = ["0-2", "3-5", "6-10", "11-15", "16-25", "26 et plus"]
FUNDERS = ["État - cité éducative", "Ville de Metz", "Région Grand Est"]
BY = "banc d'essai"

ACTIONS_SQL = """
insert into actions
select 1, (i + 2)::int, code, lower(code), intitule, lower(strip_accents(intitule)), porteur, axe,
       public_cible, $first_year, $last_year
from (
    select i,
        'A' || lpad(i::varchar, 3, '0') as code,
        'Action ' || (i + 1) || ' ' || $themes[1 + i % 6] as intitule,
        'Structure ' || (1 + i % 25) as porteur,
        $themes[1 + i % 6] as axe,
        $bands[1 + i % 6] as public_cible
    from range($n_actions) t(i)
)
"""

BUDGET_SQL = """
insert into budget
select 2, (row_number() over () + 1)::int, y, 'A' || lpad(a::varchar, 3, '0'), f,
       lower(strip_accents(f)), (1000 + hash(a, y, f) % 20000)::decimal(14, 2), null
from range($n_actions) ta(a), range($first_year, $last_year + 1) ty(y), unnest($funders) tf(f)
where f = $funders[1] or hash(a, f) % 3 = 0
"""

SPENDING_SQL = """
insert into spending
select 3, (i + 2)::int, d, year(d)::smallint, 'A' || lpad((hash(i, 2) % $n_actions)::varchar, 3, '0'),
       case when st = 'avoir' then -m else m end, f, lower(strip_accents(f)), st,
       'Dépense ' || i, 'Fournisseur ' || (hash(i, 5) % 500), 'F-' || i
from (
    select i,
        $start + (hash(i, 1) % $n_days)::int as d,
        ((50 + hash(i, 3) % 500000) / 100)::decimal(14, 2) as m,
        $funders[1 + (hash(i, 4) % 3)::bigint] as f,
        case when hash(i, 6) % 50 = 0 then 'avoir' when hash(i, 6) % 5 = 0 then 'engagé' else 'payé' end as st
    from range($n_spending) t(i)
)
"""

# People first (a pseudonym, a birth year, a sex, a QPV flag), then sessions drawing from them.
PEOPLE_SQL = """
create temp table bench_people as
select i as pid,
    'ps_' || substr(md5(i::varchar), 1, 16) as person,
    ($first_year - 1 - hash(i, 'age') % 30)::int as birth_year,
    ['F', 'M', 'NR'][1 + (hash(i, 'sexe') % 20 // 9)::bigint] as sexe,
    case hash(i, 'qpv') % 10 when 0 then null when 1 then false when 2 then false else true end as qpv
from range($n_people) t(i)
"""

ATTENDANCE_SQL = """
insert into attendance (batch_id, line, date, action_code, person, age, tranche, sexe, qpv, nombre, public)
with sessions as (
    select i,
        $start + (hash(i, 1) % $n_days)::int as d,
        'A' || lpad((hash(i, 2) % $n_actions)::varchar, 3, '0') as action_code,
        hash(i, 3) % $n_people as pid,
        hash(i, 4) % 20 = 0 as head_count
    from range($n_drawn) t(i)
), unique_rows as (
    -- a named person comes once per session, as imports keep them (identity: date, action, person):
    -- the repeats the draw makes (a few in a hundred) are dropped, then the first $n_attendance rows kept
    select * from sessions
    qualify head_count or row_number() over (partition by d, action_code, pid order by i) = 1
    order by i
    limit $n_attendance
), aged as (
    select s.*, p.person, p.sexe, p.qpv, year(s.d) - p.birth_year as age
    from unique_rows s join bench_people p using (pid)
)
select 4, (i + 2)::int, d, action_code,
    case when head_count then null else person end,
    case when head_count then null else age end,
    case
        when head_count then $bands[1 + (hash(i, 5) % 6)::bigint]
        when age <= 2 then '0-2' when age <= 5 then '3-5' when age <= 10 then '6-10'
        when age <= 15 then '11-15' when age <= 25 then '16-25' else '26 et plus'
    end,
    sexe, qpv,
    case when head_count then 2 + hash(i, 6) % 15 else 1 end,
    case when not head_count and age > 25 then 'parent' else 'jeune' end
from aged
"""


def generate(db: Path, n_actions: int, n_attendance: int, n_spending: int, n_people: int) -> list[tuple]:
    settings = load_settings()
    params = {
        "n_actions": n_actions, "first_year": settings.start.year, "last_year": settings.end.year,
        "themes": THEMES, "bands": BANDS, "funders": FUNDERS, "start": settings.start,
        "n_days": (settings.end - settings.start).days + 1,
    }
    timings = []
    with Store(db).connect() as con:
        for bid, kind in enumerate(("actions", "budget", "spending", "attendance"), start=1):
            con.execute("insert into batches (id, kind, file_name, sha256, imported_by, imported_at) "
                        "values ($id, $kind, $f, 'bench', $by, now())",
                        {"id": bid, "kind": kind, "f": f"national_{kind}.csv", "by": BY})
        steps = [
            ("actions", ACTIONS_SQL, {k: params[k] for k in ("n_actions", "first_year", "last_year",
                                                              "themes", "bands")}),
            ("budget", BUDGET_SQL, {k: params[k] for k in ("n_actions", "first_year", "last_year",
                                                            "funders")}),
            ("spending", SPENDING_SQL, {**{k: params[k] for k in ("n_actions", "funders", "start", "n_days")},
                                        "n_spending": n_spending}),
            ("bench_people", PEOPLE_SQL, {"first_year": params["first_year"], "n_people": n_people}),
            ("attendance", ATTENDANCE_SQL, {**{k: params[k] for k in ("n_actions", "bands", "start",
                                                                       "n_days")},
                                            "n_people": n_people, "n_attendance": n_attendance,
                                            "n_drawn": n_attendance + n_attendance // 10}),
        ]
        for name, sql, p in steps:
            t0 = time.perf_counter()
            con.execute(sql, p)
            elapsed = time.perf_counter() - t0
            count = (con.execute(f"select count(*) from {name}").fetchall()[0][0])  # name from the list above
            timings.append((name, count, elapsed))
        con.execute("""
            update batches set rows_read = c.n, rows_stored = c.n
            from (select 1 as b, count(*) as n from actions union all select 2, count(*) from budget
                  union all select 3, count(*) from spending union all select 4, count(*) from attendance) c
            where batches.id = c.b""")
        rebuild_derived(con)
        con.execute("checkpoint")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "bench" / "output" / "national.duckdb")
    parser.add_argument("--actions", type=int, default=200)
    parser.add_argument("--attendance", type=int, default=10_000_000)
    parser.add_argument("--spending", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=60_000)
    args = parser.parse_args()
    for p in (args.db, args.db.with_name(args.db.name + ".wal")):
        p.unlink(missing_ok=True)
    t0 = time.perf_counter()
    timings = generate(args.db, args.actions, args.attendance, args.spending, args.people)
    total = time.perf_counter() - t0
    print(f"Store national : {args.db}")
    print(f"{'table':<12} {'lignes':>12} {'durée (s)':>10}")
    for name, count, elapsed in timings:
        print(f"{name:<12} {count:>12,} {elapsed:>10.2f}".replace(",", " "))
    print(f"{'total':<12} {'':>12} {total:>10.2f}")
    print(f"taille du fichier : {args.db.stat().st_size / 1e6:.0f} Mo")


if __name__ == "__main__":
    main()
