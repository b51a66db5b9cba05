"""Reading an uploaded file: encoding, separator, header, and a clean UTF-8 copy for DuckDB.

Partners' files come from Excel on Windows (Windows-1252, `;`, a `sep=;` first line, CRLF),
from accounting tools (UTF-8 with BOM) or as .xlsx. `open_source` streams the bytes once,
decodes them, and keeps the data records (header excluded) as UTF-8 in memory, where DuckDB
reads them: an upload holds names and birth dates, and no copy of it is ever written to a file
(a temporary file outlives a process that is killed, and other users may read it).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

CHUNK = 8 * 1024 * 1024
# More columns than any partner's file has; a wider header is refused before DuckDB reads it (a
# file of 10 000 columns runs it out of memory).
MAX_COLUMNS = 500
SEPARATORS = {";": "point-virgule", ",": "virgule", "\t": "tabulation"}
# Line ends stay as the file has them (DuckDB reads CRLF and LF alike): a blank line is a line
# end, spaces or tabs, then a line end of either kind.
_BLANK_LINE = re.compile(r"\n[ \t]*(?=\r?\n)")
_BLANK_START = re.compile(r"[ \t]*\r?\n")
_LONE_CR = re.compile(r"\r(?!\n)")


class ImportProblem(Exception):
    """A problem with a whole file; `str(exc)` is a French sentence for the user."""


class UnreadableFile(ImportProblem):
    """Not a CSV we can read: binary, spreadsheet renamed .csv, broken quoting, huge line."""


class EmptyFile(ImportProblem):
    """No header, or a header and no data rows."""


class MissingColumns(ImportProblem):
    """A required column is not among the file's headers."""


class UnknownKind(ImportProblem):
    """The kind of file is not one of the four, or cannot be recognised from the headers."""


def _cp1252_fallback(err: UnicodeDecodeError):
    # The five bytes Windows-1252 leaves undefined are read as Latin-1.
    return err.object[err.start:err.end].decode("latin-1"), err.end


codecs.register_error("impact_cp1252", _cp1252_fallback)


@dataclass
class Source:
    """A decoded file ready for DuckDB: `data` holds the records without the header, as UTF-8
    bytes in memory (never in a file)."""
    file_name: str
    sha256: str
    encoding: str
    separator: str
    headers: list[str]
    data: bytes
    size: int
    has_sep_line: bool = False

    @property
    def separator_label(self) -> str:
        return SEPARATORS.get(self.separator, repr(self.separator))

    def close(self) -> None:
        self.data = b""

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _looks_binary(head: bytes) -> bool:
    if b"\x00" in head:
        return True
    sample = head[:4096]
    control = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return len(sample) > 0 and control / len(sample) > 0.05


def _detect_encoding(head: bytes) -> tuple[str, str, int]:
    """(python codec, French label, BOM length)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", "UTF-8 avec BOM", 3
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16", "UTF-16", 0
    sample = head[:4096 - 4096 % 2]
    if len(sample) >= 4:
        # UTF-16 without BOM (some export tools): text whose every other byte is zero.
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
            return "utf-16-le", "UTF-16", 0
        if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
            return "utf-16-be", "UTF-16", 0
    try:
        # A multi-byte character may be cut at the end of the sample.
        head.decode("utf-8")
        return "utf-8", "UTF-8", 0
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3 and exc.reason == "unexpected end of data":
            return "utf-8", "UTF-8", 0
        return "cp1252", "Windows-1252 (Excel)", 0


def _choose_separator(line: str) -> str:
    counts = {sep: line.count(sep) for sep in SEPARATORS}
    best = max(counts, key=lambda s: (counts[s], s == ";"))
    return best if counts[best] else ";"


def _header_end(text: str) -> int:
    """Index of the newline ending the first record (quotes may hold line breaks), or -1."""
    pos = text.find("\n")
    while pos != -1 and text.count('"', 0, pos) % 2:
        pos = text.find("\n", pos + 1)
    return pos


class _RecordScanner:
    """Follows CSV quoting across chunks and turns each blank line into one separator, so that
    DuckDB keeps it and row numbers match Excel's.

    As DuckDB reads it: a quote opens a quoted field only at the start of a field (a quote inside
    an unquoted cell, as in `Écran 24" HD`, is a plain character); inside a quoted field `""` is
    a quote and a lone quote closes it. A blank line inside a quoted field is part of the cell.

    Files written by Excel only quote whole cells: counting quotes is then enough, and fast. A
    chunk with a quote in the middle of a word, or a file whose count says a quote is left open
    (`exact`, a second reading), is walked character by character instead.
    """

    def __init__(self, sep: str, exact: bool = False):
        self.sep = sep
        self.exact = exact
        self.special = re.compile("[" + re.escape(sep) + '\n"]')
        # a quote with an ordinary character on each side (the literal quote first: fast to search)
        other = '[^' + re.escape(sep) + '\n"]'
        self.mid_word = re.compile('"(?<=' + other + '")(?=' + other + ')')
        self.inside = False        # in a quoted field
        self.field_start = True    # nothing read yet in the current field
        self.blank = True          # nothing but spaces or tabs read yet on the current line
        self.prev = "\n"          # the last character of the previous round

    def feed(self, text: str) -> str:
        if not self.inside and '"' not in text:
            self.prev = text[-1:] or self.prev
            return self._fast(text)
        # (a quote is never the last character of a round: see _decode; the first one may follow
        # the previous round's last character)
        if self.exact or self.mid_word.search(self.prev + text[:2]) or self.mid_word.search(text):
            out = self._walk(text)
        else:
            out = self._count(text)
        self.prev = text[-1:] or self.prev
        return out

    def _count(self, text: str) -> str:
        """Quotes only around whole cells: the parity of the count says whether one is open."""
        if _BLANK_LINE.search(text) or (self.blank and not self.inside and _BLANK_START.match(text)):
            lines = text.split("\n")
            inside = self.inside
            for k, line in enumerate(lines):
                blank_before = self.blank if k == 0 else True
                if k < len(lines) - 1 and blank_before and not inside and not line.strip(" \t\r"):
                    lines[k] = line[:-1] + self.sep + "\r" if line.endswith("\r") else line + self.sep
                inside ^= line.count('"') % 2 == 1
            self.inside = inside
            text = "\n".join(lines)
        else:
            self.inside ^= text.count('"') % 2 == 1
        self._after(text)
        return text

    def _after(self, text: str) -> None:
        if not text:
            return
        cut = text.rfind("\n")
        last = text[cut + 1:]
        self.blank = (self.blank or cut != -1) and not last.strip(" \t") and not self.inside
        self.field_start = text[-1] in (self.sep, "\n")

    def _walk(self, text: str) -> str:
        out, last, i, n = [], 0, 0, len(text)
        for m in self.special.finditer(text):
            j = m.start()
            if j < i:  # the second quote of an escaped pair, already consumed
                continue
            between = text[i:j]
            c = text[j]
            if self.inside:
                if c == '"':
                    if j + 1 < n and text[j + 1] == '"':
                        i = j + 2
                        continue
                    # the line that closes a quoted cell is not blank, whatever came before
                    self.inside = self.blank = self.field_start = False
                i = j + 1
                continue
            if between:
                self.field_start = False
                if between.strip(" \t\r"):
                    self.blank = False
            if c == '"':
                self.blank = False
                if self.field_start:
                    self.inside = True
                self.field_start = False
            elif c == "\n":
                if self.blank:   # the separator goes before the line end (CRLF: before its CR)
                    cut = j - 1 if j > 0 and text[j - 1] == "\r" else j
                    out.append(text[last:cut])
                    out.append(self.sep)
                    last = cut
                self.field_start = self.blank = True
            else:  # the separator
                self.field_start = True
                self.blank = False
            i = j + 1
        tail = text[i:]
        if tail and not self.inside:
            self.field_start = False
            if tail.strip(" \t\r"):
                self.blank = False
        out.append(text[last:])
        return "".join(out)

    def _fast(self, text: str) -> str:
        """No quote in sight: only blank lines to fill (a regex, for speed on big files)."""
        if self.blank:  # the line begun in the previous chunk is still blank: let the pattern see it
            filled = _BLANK_LINE.sub("\n" + self.sep, "\n" + text)[1:]
        else:
            filled = _BLANK_LINE.sub("\n" + self.sep, text)
        cut = text.rfind("\n")
        last = text[cut + 1:]
        if cut == -1:
            self.blank = self.blank and not last.strip(" \t")
            self.field_start = (self.field_start and not last) or last.endswith(self.sep)
        else:
            self.blank = not last.strip(" \t")
            self.field_start = not last or last.endswith(self.sep)
        return filled


def _xlsx_to_csv(raw: bytes) -> bytes:
    """The first sheet of a workbook as `;`-separated UTF-8 text, in memory."""
    import pandas as pd

    try:
        frame = pd.read_excel(io.BytesIO(raw), sheet_name=0, header=None, dtype=str, engine="calamine")
    except Exception as exc:  # calamine raises its own error types for broken workbooks
        raise UnreadableFile("Le classeur Excel n'a pas pu être lu : enregistrez-le à nouveau "
                             "ou exportez-le en CSV (séparateur point-virgule).") from exc
    frame = frame.fillna("")
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\n").writerows(frame.itertuples(index=False))
    return out.getvalue().encode("utf-8")


def open_source(data: bytes | str | os.PathLike, file_name: str | None = None) -> Source:
    """Decode a file (bytes or a path) into a Source; raise ImportProblem in French when unreadable."""
    if isinstance(data, bytes):
        name = file_name or "fichier.csv"
        reader = io.BytesIO(data)
    else:
        path = Path(data)
        name = file_name or path.name
        try:
            reader = open(path, "rb")
        except OSError as exc:
            raise UnreadableFile(f"Le fichier {name} ne peut pas être ouvert ({exc.strerror}).") from exc
    with reader:
        force, exact = None, False
        for _ in range(3):
            try:
                return _decode(reader, name, force=force, exact=exact)
            except _NotUtf8:
                # Valid UTF-8 at the start, not further on: the whole file is Windows-1252.
                force = "cp1252"
            except _Rescan:
                exact = True
            reader.seek(0)
        raise UnreadableFile(f"{name} n'a pas pu être lu comme un CSV.")


class _NotUtf8(Exception):
    pass


class _Rescan(Exception):
    """Counting quotes left one open: read the file again, following every quote."""


def _decode(reader, name: str, force: str | None = None, exact: bool = False) -> Source:
    head = reader.read(CHUNK)
    digest = hashlib.sha256(head)
    size = len(head)
    if not head.strip():
        raise EmptyFile(f"Le fichier {name} est vide.")
    if head.startswith(b"PK\x03\x04"):
        if not name.lower().endswith((".xlsx", ".xlsm")):
            raise UnreadableFile(
                f"{name} est un classeur Excel renommé en .csv. Dans Excel, choisissez « Enregistrer "
                "sous » puis « CSV (séparateur : point-virgule) », ou déposez le fichier en .xlsx.")
        rest = reader.read()
        digest.update(rest)
        src = _decode(io.BytesIO(_xlsx_to_csv(head + rest)), name, exact=exact)
        src.sha256, src.size, src.encoding = digest.hexdigest(), size + len(rest), "classeur Excel (.xlsx)"
        return src
    codec, label, bom = _detect_encoding(head)
    if force:
        codec, label, bom = force, "Windows-1252 (Excel)", 0
    if not codec.startswith("utf-16") and _looks_binary(head):
        raise UnreadableFile(f"{name} n'est pas un fichier texte (CSV) : c'est un fichier binaire. "
                             "Exportez les données en CSV depuis le logiciel d'origine.")
    errors = "impact_cp1252" if codec == "cp1252" else "strict"
    decoder = codecs.getincrementaldecoder(codec)(errors=errors)
    out = io.BytesIO()
    headers: list[str] | None = None
    sep = ";"
    has_sep_line = False
    pending = ""
    scanner: _RecordScanner | None = None
    chunk = head[bom:]
    try:
        while True:
            final = not chunk
            text = pending + decoder.decode(chunk, final=final)
            # Keep trailing CRs and quotes for the next round, so that neither a CRLF nor an
            # escaped pair of quotes ("") is ever split between two rounds.
            held = len(text) - len(text.rstrip('\r"')) if not final else 0
            text, pending = (text[:-held], text[-held:]) if held else (text, "")
            if "\r" in text:   # a lone CR (old Mac line end) becomes a LF; CRLF stays
                text = _LONE_CR.sub("\n", text)
            if headers is None:
                if not final and "\n" not in text:
                    pending, chunk = text + pending, reader.read(CHUNK)
                    digest.update(chunk)
                    size += len(chunk)
                    continue
                text = text.lstrip("\ufeff")
                first = text.split("\n", 1)[0].strip()
                if re.fullmatch(r'"?sep=.?"?', first, flags=re.IGNORECASE):
                    has_sep_line = True
                    declared = first.strip('"')[4:5]
                    sep = declared or ";"
                    text = text.split("\n", 1)[1] if "\n" in text else ""
                while text.startswith(("\n", "\r\n")):
                    text = text[1:] if text[0] == "\n" else text[2:]
                end = _header_end(text)
                header_text = text if end == -1 else text[:end]
                if not has_sep_line:
                    sep = _choose_separator(header_text.split("\n", 1)[0])
                one_line = re.sub(r"\r?\n|\r", " ", header_text)
                try:
                    headers = next(csv.reader([one_line], delimiter=sep), [])
                except csv.Error as exc:
                    raise UnreadableFile(
                        f"{name} n'a pas pu être lu comme un CSV : sa ligne d'en-têtes est illisible "
                        "(une cellule de plus de 100 000 caractères, ou des guillemets mal placés). "
                        "Vérifiez la première ligne du fichier ou enregistrez-le à nouveau depuis Excel.") from exc
                headers = [h.strip().lstrip("\ufeff") for h in headers]
                if len(headers) > MAX_COLUMNS:
                    raise UnreadableFile(
                        f"{name} a {len(headers)} colonnes : c'est plus que les {MAX_COLUMNS} qu'un fichier "
                        "peut avoir ici. Gardez seulement les colonnes utiles (date, action, personne…) "
                        "et enregistrez à nouveau le fichier.")
                text = "" if end == -1 else text[end + 1:]
                if not any(headers):
                    raise EmptyFile(f"Le fichier {name} n'a pas de ligne d'en-têtes.")
            if scanner is None:
                scanner = _RecordScanner(sep, exact=exact)
            text = scanner.feed(text)
            out.write(text.encode("utf-8"))
            if final:
                if scanner.inside and not exact:
                    raise _Rescan()  # counting was misled by a stray quote: read it exactly
                if scanner.inside:
                    raise UnreadableFile(
                        f"{name} n'a pas pu être lu comme un CSV : un guillemet (\") ouvre un texte qui "
                        "n'est jamais refermé, et tout le reste du fichier serait lu comme une seule "
                        "cellule. Corrigez la cellule concernée ou enregistrez à nouveau le fichier "
                        "depuis Excel.")
                break
            chunk = reader.read(CHUNK)
            digest.update(chunk)
            size += len(chunk)
    except UnicodeDecodeError as exc:
        if codec == "utf-8" and not bom:
            raise _NotUtf8() from exc
        raise UnreadableFile(
            f"{name} n'est pas lisible en {label} (octet invalide à la position {exc.start}). "
            "Enregistrez-le en « CSV UTF-8 » ou « CSV (séparateur : point-virgule) » depuis Excel.") from exc
    return Source(name, digest.hexdigest(), label, sep, headers or [], out.getvalue(), size, has_sep_line)
