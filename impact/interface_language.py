"""The page in French, down to what Streamlit and Plotly write themselves.

Streamlit 1.67 has no translation. What it lets us choose is chosen elsewhere (French labels and
placeholders, no « Select all » in multi-selects, Plotly's own buttons reduced to one and named in
French through its `locales` setting). What is left — the document's language, the accessible
names of Streamlit's buttons (« Help for … », « Fullscreen »), the file uploader's button and
size limit, the « Page not found » dialog — is rewritten in the browser by a small script that
`dashboard.py` adds once per run (`st.html(..., unsafe_allow_javascript=True)`).

The README lists what stays in English.
"""

from __future__ import annotations

import json

# Whole texts (an element's text or its aria-label, title or placeholder) → French.
EXACT = {
    "Choose date range": "Choisir la période",
    "Collapse sidebar": "Replier la barre latérale",
    "Expand sidebar": "Déplier la barre latérale",
    "Download as CSV": "Télécharger en CSV",
    "Fullscreen": "Plein écran",
    "Close fullscreen": "Quitter le plein écran",
    "Exit fullscreen": "Quitter le plein écran",
    "Link to heading": "Lien vers ce titre",
    "Open": "Ouvrir la liste",
    "Close": "Fermer",
    "Clear all": "Tout effacer",
    "Clear value": "Effacer",
    "Search": "Rechercher",
    "Show/hide columns": "Afficher ou masquer des colonnes",
    "file upload": "Déposer un fichier",
    "Upload": "Parcourir",
    "Browse files": "Parcourir",
    "Drag and drop files here": "Glissez-déposez les fichiers ici",
    "Drag and drop file here": "Glissez-déposez le fichier ici",
    "Choose an option": "Choisir",
    "No results": "Aucun résultat",
    "No options to select": "Aucun choix possible",
    "Page not found": "Page introuvable",
    "The page that you have requested does not seem to exist. Running the app's main page.":
        "La page demandée n'existe pas : la vue d'ensemble est affichée à la place.",
    "Remove file": "Retirer le fichier",
    "Delete": "Retirer",
    "Sidebar": "Barre latérale",
    "App pages": "Pages du tableau de bord",
    # the date picker's calendar
    "Use arrow keys to navigate dates. Enter to select. Escape to close.":
        "Flèches pour changer de jour, Entrée pour choisir, Échap pour fermer.",
    "Previous month": "Mois précédent",
    "Next month": "Mois suivant",
    "month": "mois",
    "year": "année",
}
MONTHS = {"January": "janvier", "February": "février", "March": "mars", "April": "avril", "May": "mai",
          "June": "juin", "July": "juillet", "August": "août", "September": "septembre", "October": "octobre",
          "November": "novembre", "December": "décembre"}
DAYS = {"Sunday": "dimanche", "Monday": "lundi", "Tuesday": "mardi", "Wednesday": "mercredi",
        "Thursday": "jeudi", "Friday": "vendredi", "Saturday": "samedi"}
EXACT.update({en: fr.capitalize() for en, fr in MONTHS.items()})
# Words around the calendar's dates (« Sunday, January 2, 2022 selected »), once its dates are French.
DATE_WORDS = {"Selected Range: ": "Période choisie : ", " to ": " au ", " selected": " (choisi)",
              "First available date": "première date possible", "Last available date": "dernière date possible",
              "Choose date range, ": "Choisir la période, "}
# Texts with a part that varies: (regular expression, replacement with $1 for the part).
PATTERNS = [
    (r"^Help for (.+)$", "Aide : $1"),
    (r"^(.+) start date$", "$1, date de début"),
    (r"^(.+) end date$", "$1, date de fin"),
    (r"^day, (.+)$", "jour, $1"),
    (r"^month, (.+)$", "mois, $1"),
    (r"^year, (.+)$", "année, $1"),
    (r"^(\d+)\s?MB per file$", "$1 Mo par fichier"),
    (r"^(\d+)\s?MB per file • (.+)$", "$1 Mo par fichier • $2"),
    (r"^Remove (.+)$", "Retirer $1"),
    *((rf"^{en} (\d{{4}})$", f"{fr.capitalize()} $1") for en, fr in MONTHS.items()),
    *((rf"^Choose date range, {en} (\d{{4}})$", f"Choisir la période, {fr} $1") for en, fr in MONTHS.items()),
]
ATTRIBUTES = ("aria-label", "title", "placeholder", "data-title")

_SCRIPT = """
(() => {
  document.documentElement.lang = 'fr';
  if (window.__impactFrench) return;
  window.__impactFrench = true;
  const exact = %(exact)s;
  const patterns = %(patterns)s.map(([p, r]) => [new RegExp(p), r]);
  const attributes = %(attributes)s;
  const months = %(months)s, days = %(days)s, dateWords = %(date_words)s;
  const englishDate = new RegExp('(' + Object.keys(days).join('|') + '), (' + Object.keys(months).join('|')
                                 + ') (\\\\d{1,2}), (\\\\d{4})', 'g');
  const frenchDates = t => {
    if (!englishDate.test(t)) return null;
    englishDate.lastIndex = 0;
    let out = t.replace(englishDate, (_, d, m, n, y) => `${days[d]} ${n} ${months[m]} ${y}`);
    for (const [en, fr] of Object.entries(dateWords)) out = out.split(en).join(fr);
    return out;
  };
  const french = text => {
    const t = text.trim();
    if (!t) return null;
    if (Object.prototype.hasOwnProperty.call(exact, t)) return text.replace(t, exact[t]);
    for (const [p, r] of patterns) if (p.test(t)) return text.replace(t, t.replace(p, r));
    const dated = frenchDates(t);
    return dated === null ? null : text.replace(t, dated);
  };
  // Partners' words (Markdown) and what charts draw (SVG) are left alone; the test
  // runs only on the rare texts that have a translation.
  // (Streamlit's own dialogs, « Page not found », write their text as Markdown too.)
  const skip = el => !el || el.closest('svg, script, style')
    || (el.closest('[data-testid=stMarkdown]') && !el.closest('[role=dialog]'));
  const fixAttributes = el => {
    for (const a of attributes) {
      const v = el.getAttribute(a);
      const f = v && french(v);
      if (f && f !== v && !skip(el)) el.setAttribute(a, f);
    }
  };
  const fixText = n => {
    const f = french(n.nodeValue);
    if (f && f !== n.nodeValue && !skip(n.parentElement)) n.nodeValue = f;
  };
  const fix = root => {
    if (root.nodeType === 3) { fixText(root); return; }
    if (root.nodeType !== 1 || root.closest('svg')) return;
    // a chart adds hundreds of SVG elements: they are not even looked at
    for (const el of [root, ...root.querySelectorAll('*:not(svg):not(svg *)')]) {
      fixAttributes(el);
      for (const n of el.childNodes) if (n.nodeType === 3) fixText(n);
    }
  };
  // Only what changed is looked at: a page switch adds thousands of elements.
  new MutationObserver(records => {
    if (document.documentElement.lang !== 'fr') document.documentElement.lang = 'fr';
    for (const r of records) {
      if (r.type === 'childList') r.addedNodes.forEach(fix);
      else if (r.type === 'characterData') fix(r.target);
      else if (r.type === 'attributes' && r.target.nodeType === 1) fixAttributes(r.target);
    }
  }).observe(document.documentElement, {subtree: true, childList: true, characterData: true,
                                       attributes: true, attributeFilter: ['lang', ...attributes]});
  fix(document.body);
})();
"""


def french_page_script() -> str:
    """The <script> that sets the document's language and rewrites Streamlit's English words."""
    return "<script>" + _SCRIPT % {
        "exact": json.dumps(EXACT, ensure_ascii=False),
        "patterns": json.dumps(PATTERNS, ensure_ascii=False),
        "attributes": json.dumps(list(ATTRIBUTES)),
        "months": json.dumps(MONTHS, ensure_ascii=False),
        "days": json.dumps(DAYS, ensure_ascii=False),
        "date_words": json.dumps(DATE_WORDS, ensure_ascii=False),
    } + "</script>"


# Plotly's own buttons: only « download as an image » is kept (the data are in the table beside
# every chart), named in French; the rest (zoom, pan, reset...) went unused and covered the
# titles on a phone.
PLOTLY_CONFIG = {
    "displaylogo": False,
    "locale": "fr",
    "locales": {"fr": {"dictionary": {
        "Download plot as a PNG": "Télécharger l'image (PNG)",
        "Download plot": "Télécharger l'image",
        "Taking snapshot - this may take a few seconds": "Préparation de l'image…",
        "Snapshot succeeded": "Image téléchargée",
        "Double-click to zoom back out": "Double-cliquez pour revenir à la vue d'origine",
    }, "format": {
        "decimal": ",", "thousands": "\u202f",
        "days": ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
        "shortDays": ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
        "months": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
                   "octobre", "novembre", "décembre"],
        "shortMonths": ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
                        "nov.", "déc."],
        "date": "%d/%m/%Y",
    }}},
    "modeBarButtonsToRemove": ["zoom2d", "pan2d", "select2d", "lasso2d", "zoomIn2d", "zoomOut2d", "autoScale2d",
                               "resetScale2d", "hoverClosestCartesian", "hoverCompareCartesian",
                               "toggleSpikelines"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}
