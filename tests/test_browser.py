"""The running app in a real headless Chromium: every page opens by its URL and draws.

The server runs on its own database file (loaded with the demonstration data by the command
line), on a free port, and is stopped by PID at the end of the module.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SETTLED = """() => {
    const app = document.querySelector('[data-testid=stApp]');
    return app !== null && app.dataset.testScriptState === 'notRunning'
        && !document.querySelector('[data-testid=stSkeleton], [data-testid=stSkeletonElement]');
}"""
PLOTLY = ".js-plotly-plot, [data-testid=stPlotlyChart]"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# axe-core's serious findings that come from Streamlit's own markup (its sidebar menu puts <li>
# in <div> inside a <ul>), not from our content: the README lists them.
STREAMLIT_FINDINGS = {"list", "listitem"}
STREAMLIT_MARKUP = "[data-testid=stSidebarNav]"

# (url_path, expected title of the page's h1, an element that only that page draws)
PAGES = [
    ("", "Vue d'ensemble", PLOTLY),
    ("participation", "Participation", None),
    ("publics", "Publics et âges", None),
    ("fiche-action", "Fiche action", None),
    ("rapport", "Rapport", None),
    ("budget", "Budget", None),
    ("fonds-etat", "Utilisation des fonds de l'État", None),
    ("import", "Import de données", None),
    ("historique", "Historique des imports", None),
    ("methodologie", "Méthodologie", None),
]


def _python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server stopped (status {proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"no answer on {url}/_stcore/health after {timeout} s:\n{log.read_text()[-3000:]}")


def _same_text(text: str) -> str:
    """Compare titles whatever the apostrophe (' or ’) and surrounding space."""
    return " ".join(text.replace("’", "'").split())


@pytest.fixture(scope="module")
def demo_db(demo_template, tmp_path_factory) -> Path:
    """The module's own copy of the demonstration store (its tests import files into it)."""
    db = tmp_path_factory.mktemp("browser") / "impact.duckdb"
    shutil.copy(demo_template, db)
    shutil.copy(demo_template.with_suffix(".secret"), db.with_suffix(".secret"))
    return db


@contextlib.contextmanager
def _running_server(db: Path, log: Path, port: int | None = None, extra_args: tuple[str, ...] = (),
                    extra_env: dict | None = None):
    """A Streamlit server on `db` and a free port; stopped by PID with SIGTERM on exit. With no
    account, the browser on this machine is in local mode: the coordinator of its own copy."""
    port = port or _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "IMPACT_DB": str(db), **(extra_env or {})}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [_python(), "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(port),
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *extra_args],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(url, proc, log)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def server(demo_db, tmp_path_factory):
    with _running_server(demo_db, tmp_path_factory.mktemp("server") / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y chromium` (make test does it as root)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def tab(browser):
    """One browser tab for the module's tests, one after the other: a page opened where another
    page of the app was keeps Streamlit's and Plotly's scripts compiled, which halves the browser's
    work for each page. The visitor asks for reduced motion (a setting of the system), so that the
    browser does not draw animations while a page runs."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR",
                                  reduced_motion="reduce")
    pg = context.new_page()
    pg.set_default_timeout(45_000)
    yield pg
    context.close()


@pytest.fixture
def page(tab):
    """The module's tab, with no cookie (a sign-in) and no extra header left by another test; each
    test opens its first page by its address, which starts a new session of the app."""
    tab.context.clear_cookies()
    yield tab
    tab.set_extra_http_headers({})
    tab.context.clear_cookies()


@pytest.fixture(scope="session")
def axe_script() -> Path | None:
    """axe-core from npm (package.json; `make test` installs it). Installed here if it is missing
    and npm is there; None only when npm itself is missing."""
    if not AXE.exists():
        npm = shutil.which("npm")
        if npm is None:
            return None
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=ROOT, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0 and AXE.exists(), f"npm ci failed:\n{done.stdout}\n{done.stderr}"
    return AXE


@pytest.fixture
def axe_audit(axe_script):
    """Run axe-core on the page as it is; without npm, the test ends skipped, saying why, after its
    other checks have passed."""
    def audit(page) -> None:
        if axe_script is None:
            pytest.skip("npm est introuvable : l'audit d'accessibilité axe-core (paquet npm) ne peut pas être "
                        "installé. Installez Node.js et npm (apt-get install npm), puis relancez make test.")
        _audit(page, axe_script)
    return audit


def _settle(page) -> None:
    """Wait until the script has finished AND every element is drawn.

    The script state turns to notRunning before lazily loaded elements (a first button, an
    exception box...) replace their skeleton placeholders, so both are waited for.
    """
    page.wait_for_function(SETTLED)
    page.wait_for_timeout(250)
    page.wait_for_function(SETTLED)


def _open(page, url: str) -> None:
    """Go to `url` and wait until the page's script has drawn its title (or failed)."""
    page.goto(url)
    drawn = page.locator("[data-testid=stMain] h1").or_(page.locator("[data-testid=stException]"))
    drawn.first.wait_for()
    _settle(page)


def _assert_clean(page) -> None:
    """No exception box, and no modal (Streamlit's « Page not found » when a URL is not resolved)."""
    boxes = page.locator("[data-testid=stException]")
    dialogs = page.locator("[role=dialog]")
    problem = ""
    if boxes.count():
        problem = "exception shown on the page:\n" + "\n---\n".join(boxes.all_inner_texts())
    elif dialogs.count():
        problem = "a dialog covers the page: " + " / ".join(dialogs.all_inner_texts())
    if problem:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOTS / f"echec-{time.strftime('%H%M%S')}.png"
        page.screenshot(path=str(shot), full_page=True)
        pytest.fail(f"{page.url}: {problem}\n(screenshot: {shot})")


@pytest.mark.parametrize(("path", "title", "marker"), PAGES, ids=[p[0] or "vue-ensemble" for p in PAGES])
def test_every_page_opens_in_french_and_passes_the_audit(server, page, axe_audit, path, title, marker):
    """Each page opens, at its address, titled and selected in the menu; its charts are drawn; it says
    it is French (screen readers) and none of the English words Streamlit or Plotly write is left
    (accessible names, the uploader, the charts' buttons); then axe-core finds no serious or critical
    problem in our content (RGAA / WCAG AA): contrast, heading order, names... The findings in
    Streamlit's own markup are the README's list.
    The first page opens by its address, the next ones from the menu, as a reader goes from page to
    page (a shared link opening a page by its address: the deep-link, sign-in and journey tests)."""
    _arrive(page, server, path)
    _assert_clean(page)
    main = page.locator("[data-testid=stMain]")
    if marker:
        main.locator(marker).first.wait_for()
        _settle(page)
        _assert_clean(page)

    h1 = _same_text(main.locator("h1").first.inner_text())
    assert h1.startswith(_same_text(title)), f"/{path}: title {h1!r}, expected {title!r}"
    selected = _same_text(page.locator("[data-testid=stSidebarNav] a[aria-current=page]").inner_text())
    # The link's text starts with its icon's name (Material icons are ligatures): compare the end.
    assert selected.endswith(_same_text(title)), f"/{path}: the menu shows {selected!r} as the current page"
    if path == "import":
        _coordinator(page)
        _settle(page)
    _assert_charts_drawn(page, path)
    _assert_french(page, path)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{path or 'vue-ensemble'}.png"), full_page=True)
    axe_audit(page)


NEW_TITLE = """(old) => {
    const h1 = document.querySelector('[data-testid=stMain] h1');
    return (h1 !== null && h1.innerText !== old) || document.querySelector('[data-testid=stException]') !== null;
}"""


def _arrive(page, server: str, path: str) -> None:
    """Go to the page `path` of `server`: from the menu when the tab already shows this app, by its
    address otherwise; either way the browser ends at the page's address."""
    if page.url.startswith(server) and page.locator(f"[data-testid=stSidebarNav] a[href='{server}/{path}']").count():
        _go(page, path)
    else:
        _open(page, f"{server}/{path}")
    assert page.url.split("?")[0] == f"{server}/{path}", page.url


def _assert_charts_drawn(page, path: str) -> None:
    """A chart is drawn when Plotly has put its traces in an SVG, not when the placeholder exists."""
    charts = page.locator("[data-testid=stPlotlyChart]")
    if not charts.count():
        assert path not in {"", "participation", "publics", "budget", "fonds-etat"}, f"/{path}: no chart"
        return
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid=stPlotlyChart]')]
                 .every(el => el.querySelector('svg.main-svg .trace'))"""
    )
    # Plotly's buttons, reduced to two, in French
    charts.first.hover()
    page.wait_for_timeout(300)
    buttons = page.evaluate("() => [...document.querySelectorAll('.modebar-btn')].map(b => b.dataset.title)")
    assert buttons and set(buttons) <= {"Télécharger l'image (PNG)", "Plein écran"}, f"/{path}: {buttons}"


def _assert_french(page, path: str) -> None:
    assert page.evaluate("document.documentElement.lang") == "fr"
    found = page.evaluate(ENGLISH, _english_words())
    assert not found, f"/{path}: {found}"
    if path == "":
        # a multi-select lists its options, without an English « Select all »
        page.locator("[data-testid=stSidebar] [data-testid=stMultiSelect]").first.click()
        options = page.locator("[role=option]")
        options.first.wait_for()
        assert not [o for o in options.all_inner_texts() if "Select" in o]
        page.keyboard.press("Escape")


def test_deep_link_on_a_fresh_server(demo_db, page, tmp_path):
    """The first visitor after a start may arrive by a shared link to any page, not the home page."""
    path, title = "historique", "Historique des imports"
    db = tmp_path / "impact.duckdb"  # a copy: the module's server keeps using the other file
    shutil.copy(demo_db, db)
    shutil.copy(demo_db.with_suffix(".secret"), db.with_suffix(".secret"))
    with _running_server(db, tmp_path / "fresh.log") as url:
        _open(page, f"{url}/{path}")
        _assert_clean(page)
        h1 = _same_text(page.locator("[data-testid=stMain] h1").first.inner_text())
        assert h1.startswith(title)


UPLOAD_CODE = "NAVTEST"
UPLOAD_CSV = (
    "code;intitulé;porteur;axe;public cible;année début;année fin\r\n"
    f"{UPLOAD_CODE};Action ajoutée par le test du navigateur;Centre social;Numérique;16-25;2023;2024\r\n"
).encode("cp1252")  # Excel on Windows


def _choose_kind(page, label: str) -> None:
    """Pick the kind of file in the page's « Type de fichier » select box, when there is one."""
    main = page.locator("[data-testid=stMain]")
    box = main.locator("[data-testid=stSelectbox]", has_text="Type de fichier")
    if not box.count():
        return
    from playwright.sync_api import expect

    box.first.click()
    page.locator("[role=option]", has_text=label).first.click()
    expect(box.first.locator("input[role=combobox]")).to_have_value(label)  # the chosen value
    _settle(page)


def test_upload_on_import_page_is_counted(server, demo_db, page, tmp_path):
    csv = tmp_path / "actions_navigateur.csv"
    csv.write_bytes(UPLOAD_CSV)
    _open(page, server)  # not the server's first page: deep links are test_deep_link_on_a_fresh_server's
    _open(page, f"{server}/import")
    _assert_clean(page)
    main = page.locator("[data-testid=stMain]")
    main.locator("[data-testid=stFileUploader]").wait_for()   # local mode: no sign-in on this machine
    _choose_kind(page, "Référentiel des actions")
    main.locator("input[type=file]").first.set_input_files(str(csv))

    # The analysis counts the file's one row before anything is stored.
    importer = main.get_by_role("button", name="Importer", exact=True)
    importer.wait_for()
    _settle(page)
    _assert_clean(page)
    to_add = main.locator("[data-testid=stMetric]", has_text="À ajouter")
    assert to_add.locator("[data-testid=stMetricValue]").inner_text().strip() == "1"
    importer.click()
    success = main.locator("[data-testid=stAlertContentSuccess]", has_text=csv.name)
    success.wait_for()
    _settle(page)
    _assert_clean(page)
    assert "1 ligne(s) enregistrée(s)" in success.inner_text()

    # The row is really stored: the canonical export of the app's own database holds it.
    export = subprocess.run([_python(), "-m", "impact", "export", "actions", "--db", str(demo_db)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert export.returncode == 0, export.stderr
    assert f"{UPLOAD_CODE},Action ajoutée par le test du navigateur," in export.stdout

    # And the history lists the file's import.
    _open(page, f"{server}/historique")
    _assert_clean(page)
    # st.dataframe draws on a canvas (its cells are readable through [role=gridcell] only) and a
    # select box shows its choice as an input's value: read all three.
    history = "\n".join([main.inner_text(), *page.locator("[role=gridcell]").all_text_contents(),
                         *(box.input_value() for box in main.locator("input[role=combobox]").all())])
    assert csv.name in history, history[:2000]


def test_chart_data_downloads_as_csv_and_xlsx(server, page, tmp_path):
    """Both files arrive, the CSV ready for French Excel (BOM, semicolons), the .xlsx readable, with
    the table's columns; a click does not run the page again."""
    import openpyxl

    _open(page, f"{server}/fonds-etat")
    _assert_clean(page)
    main = page.locator("[data-testid=stMain]")
    expander = main.locator("[data-testid=stExpander]", has_text="Voir les données du graphique").first
    expander.locator("summary").click()
    got = {}
    for label in ("Télécharger (CSV)", "Télécharger (Excel)"):
        button = expander.get_by_role("button", name=label)
        button.wait_for()
        _settle(page)
        with page.expect_download() as info:
            button.click()
        download = info.value
        target = tmp_path / download.suggested_filename
        download.save_as(target)
        got[label] = target
        _settle(page)
    csv = got["Télécharger (CSV)"].read_bytes()
    assert got["Télécharger (CSV)"].suffix == ".csv" and csv.startswith(b"\xef\xbb\xbf")
    header = csv[3:].decode("utf-8").splitlines()[0]
    assert ";" in header
    sheet = openpyxl.load_workbook(got["Télécharger (Excel)"]).active
    assert [c.value for c in next(sheet.iter_rows(max_row=1))] == header.split(";")
    assert sheet.max_row == len(csv[3:].decode("utf-8").splitlines())
    _assert_clean(page)


def test_command_line_import_while_the_dashboard_holds_the_database(server, demo_db, page, tmp_path):
    """The server keeps the database open between pages; an import from the command line asks for
    it, gets it within seconds, and the next page shows what it stored."""
    csv = tmp_path / "actions_ligne_de_commande.csv"
    csv.write_bytes(UPLOAD_CSV.replace(UPLOAD_CODE.encode(), b"CLITEST"))
    _open(page, f"{server}/participation")   # the server now holds the database
    _assert_clean(page)
    started = time.monotonic()
    done = subprocess.run([_python(), "-m", "impact", "import", "actions", str(csv), "--db", str(demo_db)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    waited = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert "utilisée par un autre processus" in done.stderr   # it found the database held
    assert "enregistré : import n°" in done.stdout
    assert waited < 30, f"the command line waited {waited:.1f} s for the dashboard"
    assert not Path(f"{demo_db}.demande").exists()
    _open(page, f"{server}/historique")
    _assert_clean(page)
    main = page.locator("[data-testid=stMain]")
    history = "\n".join([main.inner_text(), *page.locator("[role=gridcell]").all_text_contents(),
                         *(box.input_value() for box in main.locator("input[role=combobox]").all())])
    assert csv.name in history, history[:2000]


def test_report_button_gives_a_pdf(server, page, tmp_path, axe_audit):
    """The Rapport page prepares the revue de projet of the selection and hands it over as a PDF."""
    _open(page, f"{server}/rapport?annee=2023")
    _assert_clean(page)
    main = page.locator("[data-testid=stMain]")
    _click_until_shown(page, main.get_by_role("button", name="Préparer la revue de projet"),
                       main.get_by_role("button", name="Préparer le rapport (PDF)"))
    _settle(page)
    _assert_clean(page)
    assert "Chiffres clés" in main.inner_text()
    main.get_by_role("button", name="Préparer le rapport (PDF)").click()
    download_button = main.get_by_role("button", name="Télécharger le rapport (PDF)")
    download_button.wait_for(timeout=120_000)   # charts drawn by Chromium, then the layout
    _settle(page)
    _assert_clean(page)
    with page.expect_download() as info:
        download_button.click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    assert target.name == "revue-de-projet-2023.pdf"
    data = target.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 50_000
    import pypdf

    text = pypdf.PdfReader(target).pages[0].extract_text()
    assert "Revue de projet 2023" in text and "Cité éducative de Metz Borny" in text
    _settle(page)
    _assert_clean(page)
    axe_audit(page)   # the prepared page: its tables, buttons and headings


# --- access: the pages of each role, single sign-on, local accounts -----------------------------

ROLE_MENUS = {
    "coordinateur": ["Vue d'ensemble", "Participation", "Publics et âges", "Fiche action", "Rapport", "Budget",
                     "Utilisation des fonds de l'État", "Import de données", "Historique des imports",
                     "Méthodologie"],
    "comite": ["Vue d'ensemble", "Participation", "Publics et âges", "Fiche action", "Rapport", "Budget",
               "Méthodologie"],
    "etat": ["Vue d'ensemble", "Publics et âges", "Rapport", "Budget", "Utilisation des fonds de l'État",
             "Méthodologie"],
    None: ["Méthodologie", "Connexion"],
}
OIDC_PASSWORD = "un mot de passe de test assez long"


def _menu(page) -> list[str]:
    """The titles of the pages in the sidebar's menu (each link's text ends with its title)."""
    links = page.locator("[data-testid=stSidebarNav] a").all_inner_texts()
    titles = [t for t in sum(ROLE_MENUS.values(), []) if t]
    return [next((t for t in sorted(titles, key=len, reverse=True) if _same_text(link).endswith(_same_text(t))),
                 link) for link in links]


def _h1(page) -> str:
    return _same_text(page.locator("[data-testid=stMain] h1").first.inner_text())


def test_demonstration_menus_follow_the_role_viewed(demo_template, page, tmp_path):
    """Local mode on demonstration data: every page, and « voir comme » gives each role's menu, where
    readers see rounded counts. Its own copy of the demonstration store: « voir comme » is offered on
    demonstration data only, and other tests of the module import real files into theirs."""
    db = tmp_path / "impact.duckdb"
    shutil.copy(demo_template, db)
    shutil.copy(demo_template.with_suffix(".secret"), db.with_suffix(".secret"))
    with _running_server(db, tmp_path / "demo.log") as url:
        _open(page, url)
        assert _menu(page) == ROLE_MENUS["coordinateur"]
        assert "Poste local" in page.locator("[data-testid=stSidebar]").inner_text()
        for role, label in (("comite", "comité de pilotage"), ("etat", "État")):
            box = page.locator("[data-testid=stSidebar] [data-testid=stSelectbox]", has_text="Voir comme")
            option = page.locator("[role=option]", has_text=label).first
            for _ in range(3):   # a click while the page still draws may not open the list
                _settle(page)
                box.locator("input[role=combobox]").click()
                try:
                    option.wait_for(timeout=5_000)
                    break
                except Exception:
                    page.keyboard.press("Escape")
            option.click()
            _settle(page)
            _assert_clean(page)
            assert _menu(page) == ROLE_MENUS[role], role
            metric = page.locator("[data-testid=stMetric]", has_text="Participations").first
            value = metric.locator("[data-testid=stMetricValue]").inner_text().replace("\u202f", "")
            assert value.isdigit() and int(value) % 5 == 0, f"{role} sees a rounded count, not {value}"


@pytest.fixture(scope="module")
def sso_server(demo_db, tmp_path_factory):
    """The dashboard with single sign-on through a real local OpenID Connect provider
    (oidc-provider-mock), a settings file mapping @prefecture.gouv.fr to the State, and one local
    account: no local mode there."""
    from oidc_provider_mock import run_server_in_thread

    folder = tmp_path_factory.mktemp("sso")
    db = folder / "impact.duckdb"
    shutil.copy(demo_db, db)
    shutil.copy(demo_db.with_suffix(".secret"), db.with_suffix(".secret"))
    from impact.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):   # the command line, in this process (the server is not started yet)
        assert main(["users", "add", "ana@ville.fr", "--role", "comite", "--generate", "--db", str(db)]) == 0
    password = out.getvalue().splitlines()[0].removeprefix("Mot de passe : ")
    settings = folder / "convention.toml"
    settings.write_text((ROOT / "data" / "convention.toml").read_text(encoding="utf-8")
                        + '\n[[acces.connexion_unique]]\nadresse = "@prefecture.gouv.fr"\nrole = "etat"\n',
                        encoding="utf-8")
    port = _free_port()
    with run_server_in_thread() as provider:
        issuer = f"http://localhost:{provider.server_port}"
        secrets = folder / "secrets.toml"
        secrets.write_text(f'[auth]\nredirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
                           'cookie_secret = "un-secret-de-cookie-pour-les-tests-0123456789"\n'
                           'client_id = "tableau-de-bord"\nclient_secret = "secret-du-client"\n'
                           f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n', encoding="utf-8")
        with _running_server(db, folder / "streamlit.log", port=port, extra_args=("--secrets.files", str(secrets)),
                             extra_env={"IMPACT_SETTINGS": str(settings)}) as url:
            yield {"url": url, "issuer": issuer, "password": password, "db": db}


def _click_until_url(page, button, url, tries: int = 3) -> None:
    """Click `button` until the browser goes to `url`: a click that lands while the page is running
    again can be lost (toolchain notes), so the page is let settle and the click made again."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(tries):
        _settle(page)
        button.click()
        try:
            page.wait_for_url(url, timeout=15_000)
            return
        except PlaywrightTimeout:
            if attempt == tries - 1:
                raise
            if not button.count():   # the click was taken (the page changed): let it finish, do not click again
                page.wait_for_url(url, timeout=30_000)
                return


def _click_until_shown(page, button, shown, tries: int = 3) -> None:
    """Click `button` until `shown` appears (a click landing while the page runs again can be lost)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(tries):
        _settle(page)
        if not button.count():
            break
        button.click()
        try:
            shown.wait_for(timeout=30_000)
            return
        except PlaywrightTimeout:
            if attempt == tries - 1:
                raise
    shown.wait_for()


def _sso_sign_in(page, server, email: str) -> None:
    _click_until_url(page, page.get_by_role("button", name="Se connecter avec le compte de mon organisation"),
                     f"{server['issuer']}/**")
    page.fill("input[name=sub]", email)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{server['url']}/**")
    page.locator("[data-testid=stMain] h1").first.wait_for()
    _settle(page)


def test_single_sign_on_through_a_local_oidc_provider(sso_server, page):
    url = sso_server["url"]
    _open(page, f"{url}/fonds-etat")
    _assert_clean(page)
    assert _h1(page) == "Connexion" and _menu(page) == ROLE_MENUS[None]
    assert not page.locator("[data-testid=stMetric]").count()
    _sso_sign_in(page, sso_server, "chef@prefecture.gouv.fr")
    _assert_clean(page)
    assert _menu(page) == ROLE_MENUS["etat"]
    sidebar = page.locator("[data-testid=stSidebar]").inner_text()
    assert "chef@prefecture.gouv.fr" in sidebar and "État" in sidebar and "Se déconnecter" in sidebar
    # a forbidden address: a French refusal, never data, never « Page not found »
    _open(page, f"{url}/import")
    _assert_clean(page)
    assert _h1(page) == "Accès refusé"
    assert not page.locator("[data-testid=stFileUploader]").count()
    _open(page, f"{url}/fonds-etat")
    assert _h1(page).startswith("Utilisation des fonds de l")
    # « Se déconnecter » also ends the session at the provider (its end_session page), then comes back
    _click_until_url(page, page.locator("[data-testid=stSidebar]").get_by_role("button", name="Se déconnecter"),
                     f"{sso_server['issuer']}/**")
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{url}/**")
    page.locator("[data-testid=stMain] h1").first.wait_for()
    _settle(page)
    assert _h1(page) == "Connexion" and _menu(page) == ROLE_MENUS[None]


def test_single_sign_on_without_a_role_gets_no_data(sso_server, page):
    _open(page, sso_server["url"])
    _sso_sign_in(page, sso_server, "eve@ailleurs.fr")
    _assert_clean(page)
    main = page.locator("[data-testid=stMain]").inner_text()
    assert "ne donne accès à aucune donnée" in main and "la coordination de la cité éducative" in main
    assert _menu(page) == ROLE_MENUS[None] and not page.locator("[data-testid=stMetric]").count()


def test_local_account_sign_in_and_what_a_reload_does(sso_server, page):
    url = sso_server["url"]
    _open(page, f"{url}/publics?annee=2023")
    assert _h1(page) == "Connexion"
    main = page.locator("[data-testid=stMain]")
    main.get_by_label("Adresse e-mail").fill("ana@ville.fr")
    main.get_by_label("Mot de passe").fill(sso_server["password"])
    main.get_by_role("button", name="Se connecter", exact=True).click()
    page.locator("[data-testid=stMain] h1", has_text="Publics").wait_for()
    _settle(page)
    _assert_clean(page)
    assert "annee=2023" in page.url, "the shared link's filters are kept through the sign-in"
    assert _menu(page) == ROLE_MENUS["comite"]
    # A reload starts a new Streamlit session: a local sign-in is not kept, the sign-in comes back
    # at the same address.
    page.reload()
    page.locator("[data-testid=stMain] h1").first.wait_for()
    _settle(page)
    assert _h1(page) == "Connexion" and "annee=2023" in page.url


def test_a_visitor_through_a_reverse_proxy_is_not_in_local_mode(server, page):
    """Behind a proxy on this machine (which gives the visitor's address in X-Forwarded-For), the
    server still listens on 127.0.0.1, but a visitor is never the local coordinator."""
    page.set_extra_http_headers({"X-Forwarded-For": "203.0.113.7"})
    _open(page, f"{server}/import")
    _assert_clean(page)
    assert _h1(page) == "Connexion" and "Aucun compte n'existe encore" in page.inner_text("body")
    assert not page.locator("[data-testid=stFileUploader]").count()

def _coordinator(page) -> None:
    """On the import page: open the coordinator space (no password on a local server)."""
    main = page.locator("[data-testid=stMain]")
    opener = main.get_by_role("button", name="Ouvrir l'espace coordinateur")
    uploader = main.locator("[data-testid=stFileUploader]")
    opener.or_(uploader).first.wait_for()
    if opener.count():
        opener.click()
        uploader.wait_for()
        _settle(page)


AUDIT = """async () => {
    const result = await axe.run(document, {resultTypes: ['violations']});
    return result.violations
        .filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => {
            const el = document.querySelector(n.target.join(' '));
            return {target: n.target.join(' '), html: n.html.slice(0, 200),
                    streamlit: !!(el && el.closest('STREAMLIT_MARKUP'))};
        })}));
}""".replace("STREAMLIT_MARKUP", STREAMLIT_MARKUP)


def _audit(page, axe_script) -> None:
    page.add_script_tag(path=str(axe_script))
    found = page.evaluate(AUDIT)
    ours = [(v["id"], v["help"], [n for n in v["nodes"] if not n["streamlit"]]) for v in found]
    ours = [(rule, why, nodes) for rule, why, nodes in ours if nodes]
    assert not ours, "\n".join(f"{rule} ({why}): {nodes[:3]}" for rule, why, nodes in ours)
    streamlit = {v["id"] for v in found}
    assert streamlit <= STREAMLIT_FINDINGS, f"new findings in Streamlit's markup, to list in the README: {streamlit}"


def test_streamlit_findings_are_listed_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for rule in STREAMLIT_FINDINGS:
        assert f"`{rule}`" in readme, rule


ENGLISH = """(words) => {
    const english = new Set(words.exact);
    const patterns = words.patterns.map(p => new RegExp(p));
    const found = [];
    const check = (where, text) => {
        const t = (text || '').trim();
        const isEnglish = english.has(t) || patterns.some(p => p.test(t)) || /^Select all/.test(t);
        if (t && isEnglish) found.push(where + ': ' + t);
    };
    for (const el of document.querySelectorAll('body *')) {
        if (el.closest('svg, script, style, [data-testid=stMarkdown]')) continue;
        for (const a of ['aria-label', 'title', 'placeholder', 'data-title']) check(a, el.getAttribute(a));
        for (const n of el.childNodes) if (n.nodeType === 3) check('texte', n.nodeValue);
    }
    return found;
}"""


def _english_words() -> dict:
    from impact import interface_language

    return {"exact": list(interface_language.EXACT),
            "patterns": [p for p, _ in interface_language.PATTERNS]}


def test_an_unknown_address_says_so_in_french(server, page):
    from playwright.sync_api import expect

    page.goto(f"{server}/page-inexistante")
    dialog = page.locator("[role=dialog]")
    # the French script translates Streamlit's dialog as soon as it is drawn (later on a busy machine)
    expect(dialog).to_contain_text("Page introuvable", timeout=15_000)
    text = dialog.inner_text()
    assert "Page introuvable" in text and "not found" not in text, text


# --- the coordinator's journey, end to end ------------------------------------------------------

JOURNEY_PEOPLE = ["Zéphyrine;Œuvray", "Anaïs;Lefèvre-Dâ", "Noé;Bœuf", "Maëlys;Garçon", "Zoé;Dupré",
                  "Léon;Fèvre", "Chloé;Bénard", "Jérôme;Lœb", "Inès;Mégane", "Hélène;Forêt"]


def _journey_file(fixed: bool) -> bytes:
    """A partner's export from Excel on Windows (Windows-1252, ;) of ten participations; unless
    `fixed`, two of them are wrong: a day that does not exist, an action misspelt."""
    lines = ["Date de la séance;Code action;Prénom;Nom;Né(e) le;Sexe;QPV"]
    for i, person in enumerate(JOURNEY_PEOPLE):
        day = f"{7 + i:02d}/10/2023"
        action = "NUM-FAM"
        if not fixed and i == 3:
            day = "31/02/2023"
        if not fixed and i == 6:
            action = "NUM-FAMM"
        lines.append(f"{day};{action};{person};12/05/2008;F;oui")
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def _grid_text(page, waited: str) -> str:
    """The cells of the page's tables (drawn on a canvas, read through their accessible cells),
    once one of them holds `waited`."""
    cells = page.locator("[data-testid=stMain] [role=gridcell]")
    cells.filter(has_text=waited).first.wait_for(state="attached")
    return "\n".join(cells.all_text_contents())


def _go(page, path: str) -> None:
    """Change page through the menu (the session, a coordinator's space, stays open): click until the
    browser is at the page's address, then wait for the page's own title (the previous page's may
    still be shown); the page already shown runs again."""
    link = page.locator(f"[data-testid=stSidebarNav] a[href$='/{path}']").first
    there = urlsplit(page.url).path == f"/{path}"
    before = page.locator("[data-testid=stMain] h1").first.inner_text()
    _click_until_url(page, link, lambda url: urlsplit(url).path == f"/{path}")
    if there:
        page.wait_for_timeout(300)
    else:
        page.wait_for_function(NEW_TITLE, arg=before)
    _settle(page)


def _participations(page) -> str:
    _go(page, "participation")
    metric = page.locator("[data-testid=stMain] [data-testid=stMetric]").filter(
        has=page.locator("[data-testid=stMetricLabel]", has_text="Participations")).first
    return metric.locator("[data-testid=stMetricValue]").inner_text().strip()


def _upload_file(page, path: Path) -> None:
    main = page.locator("[data-testid=stMain]")
    main.locator("input[type=file]").first.set_input_files(str(path))
    main.locator("[data-testid=stMetric]", has_text="Lignes lues").first.wait_for()
    _settle(page)


def _undo(page, batch: int) -> str:
    _go(page, "historique")
    main = page.locator("[data-testid=stMain]")
    main.locator("[data-testid=stSelectbox]").first.click()
    page.locator("[role=option]", has_text=f"n° {batch} —").first.click()
    _settle(page)
    main.get_by_role("button", name="Annuler cet import").click()
    summary = main.locator("[data-testid=stAlertContentWarning]", has_text="L'annulation de l'import")
    summary.wait_for()
    text = summary.inner_text()
    main.get_by_role("button", name="Confirmer l'annulation").click()
    main.locator("[data-testid=stAlertContentSuccess]", has_text=f"Import n° {batch} annulé").wait_for()
    _settle(page)
    return text


def test_coordinator_journey(server, page, tmp_path):
    """Upload a Windows-1252 file with two bad rows, read both errors, download them, import the
    valid rows, upload the fixed file (two rows added, the rest duplicates), undo: the figures are
    back where they were."""
    import re

    bad, fixed = tmp_path / "presences_octobre.csv", tmp_path / "presences_octobre_corrige.csv"
    bad.write_bytes(_journey_file(fixed=False))
    fixed.write_bytes(_journey_file(fixed=True))
    _open(page, f"{server}/import")
    _coordinator(page)
    before = _participations(page)

    _go(page, "import")
    main = page.locator("[data-testid=stMain]")
    _choose_kind(page, "Présences")
    _upload_file(page, bad)
    assert "Windows-1252" in main.inner_text()
    errors = _grid_text(page, "Action inconnue")
    assert "ce jour n'existe pas dans ce mois" in errors and "Action inconnue" in errors, errors
    assert "« Ateliers numériques en famille » (NUM-FAM)" in errors   # the nearest known action
    assert "« Importer » n'est pas disponible : 2 ligne(s) en erreur" in main.inner_text()
    with page.expect_download() as info:
        main.get_by_role("button", name="Télécharger les lignes rejetées (CSV pour Excel)").click()
    rejected = info.value.path().read_bytes().decode("utf-8-sig").splitlines()
    assert rejected[0].startswith("ligne d'origine;") and len(rejected) == 3
    assert [row.split(";")[0] for row in rejected[1:]] == ["5", "8"]   # the rows Excel showed
    _settle(page)
    main.get_by_role("button", name=re.compile(r"^Importer les lignes valides \(8\)$")).click()
    done = main.locator("[data-testid=stAlertContentSuccess]", has_text="8 ligne(s) enregistrée(s)")
    done.wait_for()
    first = int(re.search(r"import n° (\d+)", done.inner_text()).group(1))
    _settle(page)
    assert not main.locator("[data-testid=stMetric]", has_text="Lignes lues").count()   # uploader emptied

    _upload_file(page, fixed)
    metrics = {label: main.locator("[data-testid=stMetric]", has_text=label).locator(
        "[data-testid=stMetricValue]").inner_text().strip() for label in ("À ajouter", "Doublons déjà connus")}
    assert metrics == {"À ajouter": "2", "Doublons déjà connus": "8"}
    main.get_by_role("button", name="Importer", exact=True).click()
    done = main.locator("[data-testid=stAlertContentSuccess]", has_text="2 ligne(s) enregistrée(s)")
    done.wait_for()
    second = int(re.search(r"import n° (\d+)", done.inner_text()).group(1))
    assert "8 doublon(s)" in done.inner_text()
    _settle(page)
    after = _participations(page)
    assert int(after.replace("\u202f", "")) == int(before.replace("\u202f", "")) + 10

    summary = _undo(page, first)   # its eight rows are also in the fixed file: they stay
    assert f"8 ligne(s) resteront, car l'import n° {second}" in summary.replace("\\", "")
    _undo(page, second)
    assert _participations(page) == before
    _assert_clean(page)


def test_on_a_phone_action_names_fit_and_the_chart_buttons_leave_the_title_alone(server, browser):
    """At 390 px, the names of the actions are written whole (on two lines at most) inside the
    chart, and Plotly's buttons, reduced to one, do not cover the chart's title."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR", is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(45_000)
    try:
        _open(page, f"{server}/participation")
        chart = page.locator("[data-testid=stPlotlyChart]").first
        chart.scroll_into_view_if_needed()
        page.wait_for_function("() => document.querySelector('[data-testid=stPlotlyChart] svg.main-svg .trace')")
        box = chart.bounding_box()
        names = chart.locator("g.annotation")
        assert names.count() >= 10
        for i in range(names.count()):
            name = names.nth(i).bounding_box()
            assert box["x"] - 1 <= name["x"] and name["x"] + name["width"] <= box["x"] + box["width"] + 1, i
        chart.hover()
        page.wait_for_timeout(300)
        buttons = chart.locator(".modebar-btn")
        assert buttons.count() <= 2
        title = chart.locator(".gtitle").bounding_box()
        bar = chart.locator(".modebar").bounding_box()
        overlap = not (bar["x"] >= title["x"] + title["width"] or bar["y"] >= title["y"] + title["height"]
                       or bar["y"] + bar["height"] <= title["y"])
        assert not overlap, (title, bar)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "participation-390.png"))
    finally:
        context.close()
