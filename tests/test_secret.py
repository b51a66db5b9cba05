"""The pseudonym secret: 32 random bytes, readable by its owner only, never replaced, created
atomically; anything else is refused with a French message saying what to do."""

from __future__ import annotations

import os
import secrets
import threading
from pathlib import Path

import pytest

from impact import cli, privacy


def _write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    os.chmod(path, mode)
    return path


def test_the_existing_format_still_loads(tmp_path):
    """Stores made before these checks hold 64 hexadecimal digits and a line end."""
    value = secrets.token_hex(32)
    path = _write(tmp_path / "impact.secret", value + "\n")
    assert privacy.load_or_create_secret(path) == bytes.fromhex(value)
    assert path.read_text() == value + "\n"   # read, never rewritten


# A well-formed secret (32 distinct bytes), fixed: parameters must read the same in every test process.
SOME_SECRET = bytes(range(0, 256, 8)).hex()


@pytest.mark.parametrize(("text", "said"), [
    ("", "est vide"),
    ("\n", "est vide"),
    ("00112233", "64 chiffres hexadécimaux attendus"),                  # short
    (SOME_SECRET + "ab", "64 chiffres hexadécimaux attendus"),          # long
    ("zz" * 32, "64 chiffres hexadécimaux attendus"),                   # not hexadecimal
    ("motdepasse-de-la-cite-educative-2024-motdepasse-de-la-cite-educ", "64 chiffres hexadécimaux"),
    ("00" * 32, "n'est pas aléatoire"),
    ("0102" * 16, "n'est pas aléatoire"),
])
def test_a_secret_that_is_not_32_random_bytes_is_refused(tmp_path, text, said):
    path = _write(tmp_path / "impact.secret", text)
    with pytest.raises(privacy.SecretProblem) as caught:
        privacy.load_or_create_secret(path)
    message = str(caught.value)
    assert said in message and str(path) in message
    assert "sauvegardée avec la base" in message and "ne le remplacez pas" in message
    assert path.read_text() == text   # never replaced


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_secret_others_can_read_is_refused(tmp_path, mode):
    value = secrets.token_hex(32)
    path = _write(tmp_path / "impact.secret", value, mode)
    with pytest.raises(privacy.SecretProblem) as caught:
        privacy.load_or_create_secret(path)
    assert f"lisible par d'autres que son propriétaire (droits {mode:o})" in str(caught.value)
    assert f"chmod 600 {path}" in str(caught.value)
    os.chmod(path, 0o600)
    assert privacy.load_or_create_secret(path) == bytes.fromhex(value)


def test_a_folder_in_place_of_the_secret_is_refused(tmp_path):
    (tmp_path / "impact.secret").mkdir()
    with pytest.raises(privacy.SecretProblem, match="n'est pas un fichier"):
        privacy.load_or_create_secret(tmp_path / "impact.secret")


def test_creation_is_private_and_leaves_nothing_else(tmp_path):
    path = tmp_path / "sub" / "impact.secret"
    key = privacy.load_or_create_secret(path)
    assert len(key) == 32 and len(set(key)) >= 16
    assert (path.stat().st_mode & 0o777) == 0o600
    assert os.listdir(path.parent) == ["impact.secret"]
    assert privacy.load_or_create_secret(path) == key


def test_processes_creating_it_at_once_share_one_secret(tmp_path):
    path = tmp_path / "impact.secret"
    keys, start = [], threading.Barrier(8)

    def create():
        start.wait()
        keys.append(privacy.load_or_create_secret(path))

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1 and bytes.fromhex(path.read_text()) == keys[0]
    assert os.listdir(tmp_path) == ["impact.secret"]


@pytest.mark.parametrize(("text", "mode", "said"), [
    ("", 0o600, "est vide"),
    ("xyz", 0o600, "64 chiffres hexadécimaux"),
    (SOME_SECRET, 0o644, "lisible par d'autres"),
])
def test_the_command_line_says_it_in_one_line_with_status_2(tmp_path, monkeypatch, capsys, text, mode, said):
    monkeypatch.delenv("IMPACT_SECRET", raising=False)
    db = tmp_path / "impact.duckdb"
    _write(tmp_path / "impact.secret", text, mode)
    actions = tmp_path / "actions.csv"
    actions.write_text("code;intitule\nRAP;Rap\n")
    code = cli.main(["import", "actions", str(actions), "--db", str(db)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and said in err and "Traceback" not in err


@pytest.mark.parametrize(("text", "mode", "said"), [
    ("", 0o600, "est vide"),
    (SOME_SECRET, 0o644, "lisible par d'autres"),
])
def test_the_dashboard_shows_it_instead_of_figures(tmp_path, monkeypatch, text, mode, said):
    from streamlit.testing.v1 import AppTest

    monkeypatch.delenv("IMPACT_SECRET", raising=False)
    monkeypatch.setenv("IMPACT_DB", str(tmp_path / "impact.duckdb"))
    _write(tmp_path / "impact.secret", text, mode)
    at = AppTest.from_file("../dashboard.py", default_timeout=60).run()
    assert not at.exception
    assert [e.value for e in at.error if said in e.value.replace("\\", "")], [e.value for e in at.error]
    assert not at.metric


def test_a_folder_given_as_the_dashboards_store(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("IMPACT_DB", str(tmp_path))
    at = AppTest.from_file("../dashboard.py", default_timeout=60).run()
    assert not at.exception
    assert [e.value for e in at.error if "est un dossier, pas une base" in e.value.replace("\\", "")]
