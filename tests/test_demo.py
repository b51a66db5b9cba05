"""The demonstration files: deterministic, in the formats partners use, loaded cleanly, no names kept."""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata

import pytest

from impact import demo, privacy
from impact.contract import normalise

FORMATS = [  # kind, encoding, BOM, Excel "sep=;" line, line end, separator
    ("actions", "cp1252", False, True, "\r\n", ";"),
    ("budget", "utf-8", False, False, "\n", ";"),
    ("spending", "utf-8", True, False, "\r\n", ";"),
    ("attendance", "cp1252", False, False, "\r\n", ";"),
]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from impact.settings import load_settings
    return demo.write_demo_files(tmp_path_factory.mktemp("demo"), load_settings())


def _records(path, encoding: str, separator: str = ";") -> list[dict[str, str]]:
    """Rows of a demo file, read with the csv module (not the project's importer)."""
    text = path.read_bytes().decode(encoding)
    text = text.removeprefix("\ufeff")
    if text.startswith("sep="):
        text = text.split("\n", 1)[1]
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=separator))


def _rows(files) -> dict[str, list[dict[str, str]]]:
    return {kind: _records(files[kind], enc, sep) for kind, enc, _, _, _, sep in FORMATS}


def _day(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d/%m/%Y").date()


def test_writing_twice_gives_identical_bytes(tmp_path, settings, files):
    again = demo.write_demo_files(tmp_path, settings)
    assert set(again) == set(demo.KIND_ORDER)
    for kind, path in again.items():
        assert path.read_bytes() == files[kind].read_bytes(), kind


def test_committed_files_are_the_generated_ones(files):
    """data/demo/ holds exactly what the generator writes (regenerate and commit after a change)."""
    for path in files.values():
        committed = demo.DEMO_DIR / path.name
        assert committed.exists(), f"{committed} is missing"
        assert committed.read_bytes() == path.read_bytes(), f"{committed} is out of date"


@pytest.mark.parametrize("kind, encoding, bom, sep_line, newline, separator", FORMATS)
def test_files_are_in_the_promised_format(files, kind, encoding, bom, sep_line, newline, separator):
    raw = files[kind].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == bom
    text = raw.decode(encoding).removeprefix("\ufeff")
    assert text.startswith(f"sep={separator}") == sep_line
    lines = text.split(newline)
    assert all("\r" not in line and "\n" not in line for line in lines), "mixed line ends"
    header = lines[1] if sep_line else lines[0]
    assert separator in header
    if encoding == "cp1252":
        # Really Windows-1252 (’ is byte 0x92), not UTF-8 that happens to be ASCII.
        assert b"\x92" in raw
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")


def test_files_are_small(files):
    assert sum(p.stat().st_size for p in files.values()) < 1_000_000


def test_amounts_are_french(files):
    rows = _rows(files)
    budget_amounts = [r["Montant programmé"] for r in rows["budget"]]
    assert "30 000,00 €" in budget_amounts
    spending_amounts = [r["Montant TTC"] for r in rows["spending"]]
    assert any("\u202f" in a and a.endswith(",00 €") for a in spending_amounts)
    assert any("\u202f" in a and not a.endswith("€") for a in spending_amounts)


def test_spending_has_statuses_pieces_and_late_payments(files, settings):
    rows = _rows(files)["spending"]
    statuses = {r["Statut"].lower() for r in rows}
    assert statuses == {"engagé", "payé", "mandaté", "avoir"}
    assert 1 <= sum(r["Statut"] == "avoir" for r in rows) <= 2
    assert all(r["N° pièce"] for r in rows)
    late = [r for r in rows if _day(r["Date"]).year == int(r["Exercice"]) + 1]
    assert late and all(_day(r["Date"]).month <= 3 for r in late), "late payments are early next year"
    assert {int(r["Exercice"]) for r in late} >= {2022, 2023}
    assert {r["Financeur"] for r in rows} >= {settings.state_funder, "Ville de Metz", "Région Grand Est"}


def test_attendance_has_named_and_head_count_rows(files):
    rows = _rows(files)["attendance"]
    named = [r for r in rows if r["Nom"]]
    counts = [r for r in rows if not r["Nom"]]
    assert named and counts
    assert all(r["Prénom"] and r["Né(e) le"] and not r["Nombre"] for r in named)
    assert all(not r["Prénom"] and r["Tranche d'âge"] and int(r["Nombre"]) >= 1 for r in counts)
    assert any(int(r["Nombre"]) > 1 for r in counts)
    assert {r["Public"] for r in counts} == {"jeune", "parent", "professionnel"}
    assert any(_day(r["Date de la séance"]).day > 12 for r in rows), "day-first dates"
    assert any(r["Sexe"] == "" for r in named) and any(r["QPV"] == "" for r in named)


def test_programme_follows_the_convention(files, settings):
    rows = _rows(files)
    codes = {r["Code"] for r in rows["actions"]}
    assert {"PSY-HDB", "PSY-PV", "RAP", "ROBOT", "CMA-MER", "CMA-CFA", "CMA-STA", "CMA-ATE", "SORTIES",
            "AUTODEF", "VELO", "COLLOQUE"} <= codes
    assert {r["Thématique"] for r in rows["actions"]} == {
        "Santé", "Insertion professionnelle", "Culture", "Sport", "Numérique", "Parentalité"}
    state = {}
    for r in rows["budget"]:
        if r["Financeur"] == settings.state_funder:
            amount = float(r["Montant programmé"].replace(" ", "").replace("€", "").replace(",", "."))
            state[int(r["Année"])] = state.get(int(r["Année"]), 0) + amount
    assert set(state) == set(settings.years)
    assert all(0 < v <= settings.state_envelope_per_year for v in state.values())
    colloque = {r["Date de la séance"] for r in rows["attendance"] if r["Code action"] == "COLLOQUE"}
    assert colloque == {"30/05/2023"}


def test_every_date_is_inside_the_convention_and_past(files, settings):
    rows = _rows(files)
    days = [_day(r["Date de la séance"]) for r in rows["attendance"]]
    days += [_day(r["Date"]) for r in rows["spending"]]
    assert settings.start <= min(days) and max(days) <= settings.end
    assert max(days) < dt.date.today()


# --- through the importer ------------------------------------------------------------------

@pytest.fixture
def loaded(store, settings, files):
    key = privacy.load_or_create_secret(privacy.secret_path(store.path))
    with store.connect() as con:
        reports = demo.load_demo(con, settings, key, folder=files["actions"].parent)
    return store, reports


def test_load_demo_rejects_nothing_and_stores_every_row(loaded, files):
    store, reports = loaded
    expected = {kind: len(rows) for kind, rows in _rows(files).items()}
    assert [r.kind for r in reports] == list(demo.KIND_ORDER)
    for report in reports:
        assert not report.rejected
        assert report.rows_read == report.rows_stored == expected[report.kind], report.kind
        assert report.duplicates == 0
    with store.connect() as con:
        for kind in demo.KIND_ORDER:
            assert con.execute(f"select count(*) from {kind}").fetchall()[0][0] == expected[kind]
        by = con.execute("select distinct imported_by from batches").fetchall()
        assert by == [(demo.IMPORTED_BY,)]


def test_loading_twice_adds_nothing(loaded, settings, files):
    store, first = loaded
    key = privacy.load_or_create_secret(privacy.secret_path(store.path))
    with store.connect() as con:
        again = demo.load_demo(con, settings, key, folder=files["actions"].parent)
    for before, after in zip(first, again, strict=True):
        assert not after.rejected
        assert after.rows_stored == 0 and after.duplicates == before.rows_stored


def test_progress_is_reported(store, settings, files):
    seen = []
    key = privacy.load_or_create_secret(privacy.secret_path(store.path))
    with store.connect() as con:
        demo.load_demo(con, settings, key, folder=files["actions"].parent,
                       progress=lambda f, m: seen.append((f, m)))
    assert [f for f, _ in seen] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert all(isinstance(m, str) and m for _, m in seen)


def test_no_demo_name_is_kept_under_the_database_folder(loaded, files):
    store, _ = loaded
    rows = _rows(files)
    named = [r for r in rows["attendance"] if r["Nom"]]
    assert named
    # Text that may legitimately be stored (titles, suppliers...): a name inside it proves nothing.
    other = " ".join(" ".join(r.values()) for kind in ("actions", "budget", "spending") for r in rows[kind])
    words = {r["Nom"] for r in named} | {r["Prénom"] for r in named}
    words = sorted(w for w in words if len(w) >= 5 and w.lower() not in other.lower())
    assert len(words) > 20

    def forms(word: str) -> set[bytes]:
        plain = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
        out = {word, word.upper(), word.lower(), plain, plain.upper(), plain.lower(), normalise(word)}
        return {f.encode(enc, errors="ignore") for f in out for enc in ("utf-8", "cp1252")}

    source = files["attendance"].read_bytes()
    assert all(any(f in source for f in forms(w)) for w in words), "the detector finds names in the source"
    folder_files = [p for p in store.path.parent.rglob("*") if p.is_file()]
    assert store.path in folder_files
    for path in folder_files:
        data = path.read_bytes()
        found = [w for w in words if any(f in data for f in forms(w))]
        assert not found, f"{path.name} holds names: {found[:5]}"
