"""One settings file is enough: another cité (its name, its focus band, its co-funders) opens every
page with its own labels, and the README lists every key of the settings file. The key figures'
labels, which readers quote, keep their words: only the focus band's own labels follow the settings."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import pytest
from google.protobuf import text_format
from streamlit.testing.v1 import AppTest

from impact import budget
from impact import participation as p
from impact.charts import budget as budget_charts
from impact.filters import Filters
from impact.settings import load_settings
from tests import fixtures

ROOT = Path(__file__).resolve().parent.parent

OTHER_CITE = """
[cite]
nom = "Cité éducative de Lyon Duchère"
territoire = "La Duchère"
date_signature = 2023-02-01

[convention]
debut = 2023-01-01
fin = 2025-12-31
enveloppe_etat_annuelle = 250000
financeur_etat = "Préfecture du Rhône - cité éducative"

[financeurs]
[[financeurs.groupe]]
nom = "Ville de Lyon"
financeurs = ["*Ville de Lyon*", "Mairie de Lyon*"]

[[financeurs.groupe]]
nom = "Métropole"
financeurs = ["Métropole de Lyon*", "Grand Lyon*"]

[ages]
tranches = ["0-5", "6-10", "11-15", "16-18", "19 et plus"]
tranche_prioritaire = "11-15"

[population]
estimation_tranche_prioritaire = 900
source_estimation_tranche_prioritaire = "Estimation de test : INSEE, QPV de la Duchère"

[confidentialite]
masquer_petits_effectifs = true
seuil = 5
"""

PAGES = ["pages/overview.py", "pages/participation.py", "pages/publics.py", "pages/fiche-action.py",
         "pages/budget.py", "pages/fonds-etat.py", "pages/import.py", "pages/historique.py",
         "pages/methodologie.py", "pages/rapport.py"]
# Words of the default settings (Metz Borny, focus band 16-25) that another cité must not see.
FOREIGN = ("Metz", "Borny", "16-25", "16–25", "16 à 25")


@pytest.fixture
def other_settings(tmp_path, monkeypatch):
    path = tmp_path / "lyon.toml"
    path.write_text(OTHER_CITE, encoding="utf-8")
    monkeypatch.setenv("IMPACT_SETTINGS", str(path))
    return load_settings(path)


@pytest.fixture
def other_db(tmp_path, monkeypatch, other_settings):
    """The other cité's store: its State funder, its city, bands 11-15 and 6-10 only."""
    return fixtures.small_cite_store(tmp_path / "lyon.duckdb", monkeypatch, other_settings.state_funder,
                                     "Ville de Lyon", "11-15", "6-10")


@pytest.fixture
def default_db(tmp_path, monkeypatch, settings):
    """The same store under the default settings (Metz Borny, focus band 16-25)."""
    return fixtures.small_cite_store(tmp_path / "metz.duckdb", monkeypatch, settings.state_funder,
                                     "Ville de Metz", "16-25", "11-15")


def open_page(page: str, role: str | None = "coordinateur") -> AppTest:
    at = fixtures.open_page(page, role)
    assert not at.error, [e.value for e in at.error]
    return at


def screen_texts(at: AppTest) -> list[str]:
    """Everything a page shows, main area and sidebar: each element's and block's proto as text
    (labels, headings, captions, markdown, help, chart specs with titles and axis labels), and
    each table's column names and cells."""
    texts = []
    for node in [*at.main, *at.sidebar]:
        if getattr(node, "proto", None) is not None:
            texts.append(text_format.MessageToString(node.proto, as_utf8=True))
        if getattr(node, "type", "") == "dataframe":
            df = node.value
            texts += [str(c) for c in df.columns] + [str(v) for v in df.astype(str).to_numpy().ravel()]
    return texts


def test_another_cite_overview_and_publics_name_its_focus_band(other_db):
    overview = {m.label for m in open_page("pages/overview.py").metric}
    assert "Part des 11-15 ans" in overview
    at = open_page("pages/publics.py", role=None)
    assert [h.value for h in at.main.header] == ["Tranches d'âge", "Les 11-15 ans, public prioritaire"]
    labels = [m.label for m in at.metric]
    assert labels == ["Jeunes de 11 à 15 ans distincts", "Part des participants distincts",
                      "Taux de couverture des 11-15 ans du QPV", "Parcours des 11-15 ans"]
    assert any("Jeunes 11-15 ans distincts" in df.value.columns for df in at.dataframe)
    bands = next(df.value for df in at.dataframe if "Tranche d'âge" in df.value.columns)
    assert bands["Tranche d'âge"].tolist()[0] == "11-15 ans"
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert "Participation par tranche d'âge (11-15 ans en premier)" in titles
    assert "Jeunes de 11 à 15 ans, mois par mois" in titles


def test_another_cite_budget_shows_its_funders_in_the_settings_order(other_db):
    at = open_page("pages/budget.py")
    funders = next(df.value for df in at.dataframe if "Financeur" in df.value.columns)
    assert funders["Financeur"].tolist() == ["État", "Ville de Lyon", "Autres financeurs"]
    chart = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
                 if json.loads(c.proto.spec)["layout"]["title"]["text"].startswith("Programmation par financeur"))
    # colours and patterns go by position: the city, second in the settings, has the second ones
    assert [(t["name"], t["marker"]["color"], t["marker"]["pattern"]["shape"]) for t in chart["data"]] == [
        ("État", budget_charts.FUNDER_COLOURS[0], budget_charts.FUNDER_PATTERNS[0]),
        ("Ville de Lyon", budget_charts.FUNDER_COLOURS[1], budget_charts.FUNDER_PATTERNS[1]),
        ("Autres financeurs", budget_charts.FUNDER_COLOURS[3], budget_charts.FUNDER_PATTERNS[3]),
    ]
    lever = next(m for m in at.metric if m.label.startswith("Effet levier"))
    assert "Ville de Lyon, Métropole…" in lever.proto.help


@pytest.mark.parametrize(("financeur", "group"), [
    ("Préfecture du Rhône - cité éducative", "État"),
    ("PREFECTURE DU RHONE – Cité Educative", "État"),
    ("Ville de Lyon", "Ville de Lyon"),
    ("Mairie de Lyon 9e", "Ville de Lyon"),
    ("Métropole de Lyon", "Métropole"),
    ("Grand Lyon - politique de la ville", "Métropole"),
    ("Ville de Metz", "Autres financeurs"),
    ("État - cité éducative", "Autres financeurs"),   # another convention's State line
    ("CAF du Rhône", "Autres financeurs"),            # no CAF group in these settings
])
def test_funder_groups_come_from_the_settings(con, other_settings, financeur, group):
    fixtures.action(con, "X")
    fixtures.budget(con, [(2023, "X", financeur, 100)])
    yf = budget.year_funder(con, Filters(other_settings.start, other_settings.end), other_settings)
    assert yf["groupe"].tolist() == [group]


# --- key-figure labels -----------------------------------------------------------------------------

# The metric labels of every page, in order, on the small store. A change here is deliberate:
# readers quote these words. {focus} ('16-25 ans'), {span} ('de 16 à 25 ans') and {years} (the
# convention's years) come from the settings; nothing else may.
METRIC_LABELS = {
    "pages/overview.py": ["Participations", "Participants distincts", "Part des {focus}", "Actions avec activité",
                          "Enveloppe État {years}", "Programmé", "Engagé", "Payé"],
    "pages/participation.py": ["Participations", "Participants distincts", "Séances",
                               "Présence moyenne par séance", "Parcours, tous âges"],
    "pages/publics.py": ["Jeunes {span} distincts", "Part des participants distincts",
                         "Taux de couverture des {focus} du QPV", "Parcours des {focus}"],
    "pages/fiche-action.py": ["Participations", "Participants distincts", "Séances", "Présence moyenne par séance",
                              "Programmé", "Engagé", "Payé", "Coût par participant", "Coût par participation"],
    "pages/budget.py": ["Enveloppe État", "Programmé État", "Engagé État", "Payé État", "Reste à payer",
                        "Payé État cumulé", "Rythme des 6 derniers mois", "Payé en fin de convention",
                        "Non dépensé", "Programmé par l'État", "Programmé par les autres financeurs",
                        "Effet levier (par euro de l'État)"],
    "pages/fonds-etat.py": ["Enveloppe", "Programmé", "Engagé", "Payé", "Reste à payer", "Enveloppe non programmée",
                            "Payé en fin de convention", "Non dépensé", "Part de l'enveloppe",
                            "Jeunes {focus} distincts", "Part habitant le QPV", "Payé État par jeune {focus}"],
    "pages/import.py": ["Lignes lues", "À ajouter", "Doublons déjà connus", "Remplacements", "Lignes en erreur"],
    "pages/historique.py": [],
    "pages/methodologie.py": [],
    "pages/rapport.py": [],
}
ACTIONS_FILE = "code;intitulé;porteur\nNEW;Atelier vidéo;MJC\n".encode()


def test_every_page_is_in_the_golden_list():
    assert sorted(METRIC_LABELS) == sorted(PAGES)


@pytest.mark.parametrize("cite", ["default_db", "other_db"])
@pytest.mark.parametrize("page", PAGES)
def test_key_figure_labels_keep_their_words_and_another_cite_sees_its_own(request, cite, page):
    """Under either settings file, the key figures' labels are the golden list's (only the focus
    band's own labels follow the settings); under another cité's, no word of the default settings
    is left on screen."""
    request.getfixturevalue(cite)
    settings = load_settings(os.environ.get("IMPACT_SETTINGS"))
    at = open_page(page)
    if page == "pages/import.py":
        at.file_uploader[0].set_value(("actions.csv", ACTIONS_FILE, "text/csv")).run()
        assert not at.exception
    years = settings.years
    expected = [label.format(focus=p.band_label(settings.focus_band), span=p.band_span(settings.focus_band),
                             years=f"{years[0]}–{years[-1]}") for label in METRIC_LABELS[page]]
    assert [m.label for m in at.metric] == expected
    if cite == "other_db":
        texts = screen_texts(at)
        assert len(texts) > 3
        found = {word: [t[:200] for t in texts if word in t] for word in FOREIGN}
        assert not any(found.values()), found


@pytest.mark.parametrize(("band", "label", "span"), [
    ("16-25", "16-25 ans", "de 16 à 25 ans"),
    ("11-15", "11-15 ans", "de 11 à 15 ans"),
    ("26 et plus", "26 ans et plus", "de 26 ans et plus"),
])
def test_focus_band_labels(band, label, span):
    assert (p.band_label(band), p.band_span(band)) == (label, span)
    assert p.focus_text("Jeunes {span} distincts", band) == f"Jeunes {span} distincts"
    assert p.column_name("young_people", band) == f"Jeunes {label} distincts"
    with pytest.raises(ValueError, match="names the focus band"):
        p.column_name("young_people")


# --- the settings file itself --------------------------------------------------------------------

def _toml(tmp_path, text: str):
    path = tmp_path / "convention.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_without_funder_groups_there_are_the_state_and_the_others(tmp_path):
    text = OTHER_CITE[:OTHER_CITE.index("[financeurs]")] + OTHER_CITE[OTHER_CITE.index("[ages]"):]
    settings = load_settings(_toml(tmp_path, text))
    assert settings.funder_labels == ["État", "Autres financeurs"]


@pytest.mark.parametrize(("old", "new", "message"), [
    ('tranche_prioritaire = "11-15"', 'tranche_prioritaire = "12-16"',
     r"la tranche prioritaire \(12-16\) doit être l'une des tranches de \[ages\] : 0-5, 6-10, 11-15"),
    ('tranche_prioritaire = "11-15"', "",
     r"la tranche prioritaire \(absente\) doit être l'une des tranches"),
    ('financeurs = ["Métropole de Lyon*", "Grand Lyon*"]', "",
     r"le groupe de financeurs n° 2 de \[financeurs\] doit avoir un « nom » et une liste « financeurs »"),
])
def test_a_wrong_settings_file_is_refused_in_french(tmp_path, old, new, message):
    with pytest.raises(ValueError, match=message):
        load_settings(_toml(tmp_path, OTHER_CITE.replace(old, new)))


def _keys(table: dict) -> set[str]:
    keys = set()
    for key, value in table.items():
        if isinstance(value, dict):
            keys |= _keys(value)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            keys |= set().union(*(_keys(v) for v in value))
        else:
            keys.add(key)
    return keys


@pytest.mark.parametrize("text", [(ROOT / "data" / "convention.toml").read_text(encoding="utf-8"), OTHER_CITE])
def test_the_readme_lists_every_setting(text):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("**Les paramètres de la convention**"):readme.index("**Les comptes et les rôles")]
    missing = [key for key in sorted(_keys(tomllib.loads(text))) if f"`{key}`" not in table]
    assert not missing, f"README.md does not describe these settings: {missing}"
