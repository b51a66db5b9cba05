"""Decoding partners' files: encodings, separators, line ends, blank rows, row numbers, not-a-CSV."""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import pytest

from impact.sources import EmptyFile, ImportProblem, MissingColumns, UnreadableFile, open_source
from tests.fixtures import counts, imp, problem, rejects, reset, seed, stored

TITLE = "Parcours d’insertion par le rap"
SPECIAL = "Cœur d’été — 50 € « ok » ‰ Š ž Ÿ"  # every one of these is in cp1252's 0x80–0x9F range or beyond


@pytest.fixture
def con(module_store):
    """One in-memory store for the module, emptied (back to the seeded actions) for each test."""
    reset(module_store)
    return module_store


def _actions_file(encoding: str, bom: bytes = b"", sep: str = ";") -> bytes:
    text = (f"code{sep}intitulé{sep}porteur\n"
            f"RAP{sep}{TITLE}{sep}Association Œuvre\n"
            f"ETE{sep}{SPECIAL}{sep}Médiathèque\n")
    return bom + text.encode(encoding)


@pytest.mark.parametrize(("encoding", "bom", "label"), [
    ("utf-8", b"", "UTF-8"),
    ("utf-8", b"\xef\xbb\xbf", "UTF-8 avec BOM"),
    ("cp1252", b"", "Windows-1252 (Excel)"),
])
def test_encodings_come_out_right(con, encoding, bom, label):
    report = imp(con, "actions", _actions_file(encoding, bom))
    assert report.stored and report.encoding == label
    assert report.mapping["intitule"] == "intitulé"
    assert stored(con, "select code, intitule, porteur from actions order by code") == [
        ("ETE", SPECIAL, "Médiathèque"), ("RAP", TITLE, "Association Œuvre")]


def test_cp1252_bytes_0x80_to_0x9f_decode_as_windows_1252(con):
    raw = b"code;intitul\xe9\nA;\x80 \x8c\x9c \x92 \x93x\x94 \x85\n"
    imp(con, "actions", raw)
    assert stored(con, "select intitule from actions") == [("€ Œœ ’ “x” …",)]


def test_latin1_file_is_read_as_cp1252(con):
    text = "code;intitulé;porteur\nA;Fête de l'été;Maison à Borny\n"
    report = imp(con, "actions", text.encode("latin-1"))
    assert report.encoding == "Windows-1252 (Excel)"
    assert stored(con, "select intitule, porteur from actions") == [("Fête de l'été", "Maison à Borny")]


def test_utf8_file_whose_first_non_ascii_byte_is_far_away(con):
    # Valid UTF-8 in the first chunk is not proof: a cp1252 byte later makes the whole file cp1252.
    from impact import sources
    filler = "".join(f"C{i};Atelier {i}\n" for i in range(20))
    raw = ("code;intitule\n" + filler).encode() + "Z;Fête €\n".encode("cp1252")
    old = sources.CHUNK
    sources.CHUNK = 64
    try:
        report = imp(con, "actions", raw)
    finally:
        sources.CHUNK = old
    assert report.encoding == "Windows-1252 (Excel)"
    assert stored(con, "select intitule from actions where code = 'Z'") == [("Fête €",)]


@pytest.mark.parametrize("bom", [True, False])
@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_or_without_bom_is_accepted(con, codec, bom):
    raw = (("\ufeff".encode(codec)) if bom else b"") + _actions_file(codec)
    report = imp(con, "actions", raw)
    assert report.stored and report.encoding == "UTF-16"
    assert stored(con, "select intitule from actions order by code") == [(SPECIAL,), (TITLE,)]


@pytest.mark.parametrize(("sep", "label"), [(";", "point-virgule"), (",", "virgule"), ("\t", "tabulation")])
def test_separators(con, sep, label):
    report = imp(con, "actions", _actions_file("utf-8", sep=sep))
    assert report.separator == label
    assert stored(con, "select count(*) from actions") == [(2,)]


def test_comma_separated_file_with_decimal_commas_in_quotes(con):
    seed(con)
    text = 'date,action,montant,objet\n03/04/2023,RAP,"1 234,50","Affiches, flyers"\n'
    assert imp(con, "spending", text).stored
    assert stored(con, "select montant, libelle from spending") == [
        (pytest.approx(1234.5), "Affiches, flyers")]


@pytest.mark.parametrize("sep_line", ["sep=;", '"sep=;"', "SEP=;"])
def test_excel_sep_line_is_honoured_skipped_and_not_counted(con, sep_line):
    seed(con)
    text = f"{sep_line}\r\ndate;action;montant\r\n03/04/2023;RAP;12,5\r\n31/02/2023;RAP;1\r\n"
    report = rejects(con, "spending", text, "impossible")
    assert [p.line for p in report.rejected] == [3]  # header is row 1, the sep= line is not shown


def test_sep_line_declaring_comma(con):
    seed(con)
    text = "sep=,\ndate,action,montant,objet\n03/04/2023,RAP,12.5,a;b\n"
    report = imp(con, "spending", text)
    assert report.separator == "virgule"
    assert stored(con, "select libelle from spending") == [("a;b",)]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_line_endings_blank_lines_and_empty_rows(con, newline):
    seed(con)
    lines = ["date;action;montant", "", "03/04/2023;RAP;1", ";;", "  ", "04/04/2023;RAP;2",
             ";  ;", "31/02/2023;RAP;3", "", ""]
    report = rejects(con, "spending", newline.join(lines), "impossible")
    assert report.rows_read == 3
    assert [p.line for p in report.rejected] == [8]  # row numbers as Excel shows them


def test_row_numbers_with_quoted_line_breaks(con):
    seed(con)
    text = ('date;action;montant;objet\n'
            '03/04/2023;RAP;1;"ligne un\nligne deux"\n'
            '\n'
            '04/04/2023;RAP;2;"a;b\r\n\r\nc"\n'
            '31/02/2023;RAP;3;x\n')
    report = rejects(con, "spending", text, "impossible")
    assert [p.line for p in report.rejected] == [5]
    assert report.rows_read == 3


def test_quoted_fields_keep_separator_line_breaks_and_quotes(con):
    seed(con)
    text = ('date;action;montant;objet\n'
            '03/04/2023;RAP;1;"ligne un\nligne deux"\n'
            '04/04/2023;RAP;2;"a;b ""c"""\n')
    assert imp(con, "spending", text).stored
    assert stored(con, "select libelle from spending order by montant") == [("ligne un\nligne deux",),
                                                                           ('a;b "c"',)]


def test_header_with_quoted_line_break_is_one_row(con):
    seed(con)
    text = '"code\naction";"date";"montant"\nRAP;03/04/2023;1\nRAP;31/02/2023;2\n'
    report = rejects(con, "spending", text, "impossible")
    assert report.mapping["action"] == "code\naction" or report.mapping["action"] == "code action"
    assert [p.line for p in report.rejected] == [3]


def test_stray_quote_inside_an_unquoted_cell(con):
    seed(con)
    text = 'date;action;montant;objet\n03/04/2023;RAP;1;Écran 24" HD\n04/04/2023;RAP;2;Câble\n'
    before = counts(con)
    try:
        imp(con, "spending", text)
    except ImportProblem as exc:  # refused clearly rather than merging rows
        assert "guillemet" in str(exc)
        assert counts(con) == before
    else:
        assert stored(con, "select libelle from spending order by montant") == [('Écran 24" HD',), ("Câble",)]


# --- not a CSV ------------------------------------------------------------------------------

def _xlsx(rows: list[list[str]]) -> bytes:
    buf = io.BytesIO()
    pd.DataFrame(rows[1:], columns=rows[0]).to_excel(buf, index=False)
    return buf.getvalue()


BAD_FILES = [
    ("binary", bytes(range(256)) * 40, "fichier.csv", UnreadableFile, "binaire"),
    ("png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "photo.csv", UnreadableFile, "binaire"),
    ("xlsx renamed", _xlsx([["code", "intitule"], ["A", "B"]]), "actions.csv", UnreadableFile,
     "classeur Excel renommé"),
    ("broken zip", b"PK\x03\x04" + b"x" * 100, "actions.xlsx", UnreadableFile, "classeur Excel"),
    ("empty", b"", "vide.csv", EmptyFile, "vide"),
    ("spaces", b"  \r\n\r\n", "vide.csv", EmptyFile, "vide"),
    ("header only", b"code;intitule\r\n", "a.csv", EmptyFile, "aucune ligne de données"),
    ("header and blank rows", b"code;intitule\r\n;\r\n\r\n", "a.csv", EmptyFile, "aucune ligne de données"),
    ("sep line only", b"sep=;\r\n", "a.csv", EmptyFile, "en-têtes"),
    ("unclosed quote", b'code;intitule\nA;"jamais ferm\xc3\xa9\n' + b"B;x\n" * 3, "a.csv", UnreadableFile,
     "guillemet"),
    # a header cell ending in a quote, then CRLF: read as the header `0"`, not a traceback
    ("stray quote in the header", b'0"\r\n', "a.csv", MissingColumns, 'En-têtes trouvés : « 0" »'),
    ("header cell of 200 000 characters", b"code;" + b"x" * 200_000 + b"\r\nA;B\r\n", "a.csv", UnreadableFile,
     "ligne d'en-têtes est illisible"),
]


@pytest.mark.parametrize(("name", "raw", "file_name", "exc_type", "message"), BAD_FILES,
                         ids=[c[0] for c in BAD_FILES])
def test_not_a_csv_is_a_clear_message_and_stores_nothing(con, name, raw, file_name, exc_type, message):
    problem(con, "actions", raw, exc_type, message, file_name=file_name)


def test_huge_line_is_refused_or_read_without_traceback(con):
    raw = b"code;intitule\nA;" + b"x" * 12_000_000 + b"\n"
    before = counts(con)
    try:
        report = imp(con, "actions", raw)
    except ImportProblem as exc:
        assert "CSV" in str(exc) or "ligne" in str(exc)
        assert counts(con) == before
    else:
        assert report.stored


def test_ten_thousand_columns_are_refused_with_their_number(con):
    seed(con)
    headers = ["annee", "action", "montant", *[f"col{i}" for i in range(10_000)]]
    row = ["2023", "RAP", "10", *["" for _ in range(10_000)]]
    problem(con, "budget", ";".join(headers) + "\n" + ";".join(row) + "\n", UnreadableFile,
            "a 10003 colonnes : c'est plus que les 500")
    assert counts(con)["budget"] == 0


def test_five_hundred_columns_are_read(con):
    seed(con)
    headers = ["annee", "action", "montant", *[f"col{i}" for i in range(497)]]
    report = imp(con, "budget", ";".join(headers) + "\n2023;RAP;10" + ";" * 497 + "\n")
    assert report.stored and len(report.ignored) == 497


@pytest.mark.parametrize(("extra", "said"), [
    (";x", "1 cellule de plus"),
    (";;x;y", "3 cellules de plus"),
    (";z" * 3000, "au moins 498 cellules de plus"),
])
def test_a_row_with_more_cells_than_the_header_is_stored_with_a_warning(con, extra, said):
    seed(con)
    text = "annee;action;montant\n2023;RAP;10\n2024;RAP;20" + extra + "\n2023;RAP;10;;\n"
    report = imp(con, "budget", text)
    assert report.stored and report.rows_stored == 2 and report.duplicates == 1  # trailing empty cells: no warning
    warned = [(w.line, w.message) for w in report.warnings]
    assert len(warned) == 1 and warned[0][0] == 3 and said in warned[0][1], warned
    assert "(3 colonnes) : elles ne sont pas importées" in warned[0][1]


def test_header_repeated_inside_the_file_is_an_invalid_row(con):
    seed(con)
    text = "annee;action;montant\n2023;RAP;10\nannee;action;montant\n2024;RAP;10\n"
    report = rejects(con, "budget", text, "Année illisible")
    assert [p.line for p in report.rejected if p.column == "annee"] == [3]


def test_xlsx_given_as_such_reads_its_first_sheet(con):
    seed(con)
    buf = io.BytesIO()
    with pd.ExcelWriter(buf) as writer:
        pd.DataFrame({"Exercice": [2023, 2024], "Code action": ["RAP", "SPORT"],
                      "Montant attribué": [1500.5, 200]}).to_excel(writer, index=False, sheet_name="Budget")
        pd.DataFrame({"x": [1]}).to_excel(writer, index=False, sheet_name="Autre")
    report = imp(con, "budget", buf.getvalue(), file_name="budget.xlsx")
    assert report.stored and report.encoding == "classeur Excel (.xlsx)"
    assert stored(con, "select annee, action_code, montant from budget order by annee") == [
        (2023, "RAP", pytest.approx(1500.5)), (2024, "SPORT", pytest.approx(200))]


def test_xlsx_with_real_dates(con):
    seed(con)
    buf = io.BytesIO()
    pd.DataFrame({"Date": pd.to_datetime(["2023-04-03"]), "Action": ["RAP"], "Montant": [12.5]}).to_excel(
        buf, index=False)
    assert imp(con, "spending", buf.getvalue(), file_name="d.xlsx").stored
    assert stored(con, "select date::varchar from spending") == [("2023-04-03",)]


def test_source_is_read_into_memory_and_no_file_is_written(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    workbook = io.BytesIO()
    pd.DataFrame({"code": ["A"], "intitule": ["Zéphyrine"]}).to_excel(workbook, index=False)
    for data, name in ((b"code;intitule\nA;Z\xe9phyrine\n", "a.csv"), (workbook.getvalue(), "a.xlsx")):
        with open_source(data, name) as src:
            assert src.headers == ["code", "intitule"] and src.data == "A;Zéphyrine\n".encode()
            assert list(tmp_path.iterdir()) == []
        assert src.data == b""


def test_a_zip_that_is_not_a_workbook(con):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", "hello")
    problem(con, "actions", buf.getvalue(), UnreadableFile, "classeur Excel", file_name="a.xlsx")


TRICKY = ('date;action;montant;objet\r\n'
          '03/04/2023;RAP;1;Écran 24" HD\r\n'                 # row 2: a stray quote is a character
          '\r\n'                                              # row 3: blank
          '04/04/2023;RAP;2;"dit ""bonjour""\r\n\r\nsuite"\r\n'  # row 4: quoted, escaped quotes, blank inside
          '  \r\n'                                            # row 5: spaces only
          '05/04/2023;RAP;3;Câble 3" x\r\n'                   # row 6
          ';;;\r\n'                                           # row 7: all-empty
          '31/02/2023;RAP;4;"a;b"\r\n')                       # row 8: the invalid one


@pytest.mark.parametrize("chunk", [None, 1, 2, 3, 5, 7, 11, 16, 29])
def test_row_numbers_and_cells_whatever_the_chunk_boundaries(con, chunk, monkeypatch):
    from impact import sources
    seed(con)
    if chunk:
        monkeypatch.setattr(sources, "CHUNK", chunk)
    report = rejects(con, "spending", TRICKY, "impossible")
    assert [p.line for p in report.rejected] == [8]
    assert report.rows_read == 4
    report = imp(con, "spending", TRICKY, accept_valid=True)
    assert stored(con, "select line, libelle from spending order by line") == [
        (2, 'Écran 24" HD'), (4, 'dit "bonjour"\n\nsuite'), (6, 'Câble 3" x')]


@pytest.mark.parametrize("text", [
    'date;action;montant;objet\n03/04/2023;RAP;1;Écran 24"\n\n31/02/2023;RAP;2;x\n',     # quote ending a cell
    'date;action;montant;objet\n03/04/2023;RAP;1;24";\n\n31/02/2023;RAP;2;"a\n\nb"\n',  # ... then a quoted cell
])
def test_stray_quote_at_the_end_of_a_cell_is_read_exactly(con, text):
    seed(con)
    report = rejects(con, "spending", text, "impossible")
    assert [p.line for p in report.rejected] == [4]
