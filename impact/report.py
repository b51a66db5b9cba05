"""The revue de projet: one convention year, or the whole convention so far, as the steering
committee reads it in the report (PDF, Word), the workbook and the indicators file.

Every figure comes from the pages' own core functions (overview, participation, budget) called
with the report's filters: `gather` collects their exact results once; `build` applies the
small-count rule (the readers' one unless an exact internal version is asked for) and lays them
out as sections of tables, each with the chart the pages draw from it. The PDF, the Word
document, the workbook and the Rapport page all show this one `Report`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import pandas as pd

from impact import budget, fmt, overview, participation, queries, spreadsheets
from impact.charts import budget as budget_charts
from impact.charts import overview as overview_charts
from impact.charts import participation as participation_charts
from impact.contract import KIND_LABELS
from impact.filters import Filters
from impact.participation import band_label, band_span, focus_text
from impact.settings import Settings
from impact.small_counts import CountRule

PUBLIC_LABELS = {"jeune": "Jeunes", "parent": "Parents", "professionnel": "Professionnels"}
EXACT_MARK = "Document interne — effectifs exacts"


class ReportPeriodError(ValueError):
    """The asked period is outside the convention (the message is French)."""


# --- the period ----------------------------------------------------------------------------

def year_filters(settings: Settings, year: int | None, today: dt.date) -> Filters:
    """One convention year, or (year None) the whole convention so far."""
    if year is None:
        return Filters(settings.start, max(settings.start, min(today, settings.end)))
    if year not in settings.years:
        raise ReportPeriodError(
            f"L'année {year} n'est pas une année de la convention ({settings.years[0]} à {settings.years[-1]}).")
    return Filters(max(settings.start, dt.date(year, 1, 1)), min(settings.end, dt.date(year, 12, 31)))


def period_label(filters: Filters, settings: Settings) -> str:
    """« 2023 » for a whole year, « 2022–2024 » for whole years, else « du 01/03/2023 au 30/06/2023 »."""
    start, end = filters.date_from, filters.date_to
    first_day = start == dt.date(start.year, 1, 1) or start == settings.start
    last_day = end == dt.date(end.year, 12, 31) or end == settings.end
    if first_day and last_day:
        return str(start.year) if start.year == end.year else f"{start.year}–{end.year}"
    return f"du {fmt.date(start)} au {fmt.date(end)}"


def comparison_periods(filters: Filters, settings: Settings) -> list[tuple[str, Filters]]:
    """The report's period first, then what each key figure is compared with: the same dates a year
    earlier for a period within one year (when the convention had begun), each year of the period
    otherwise."""
    start, end = filters.date_from, filters.date_to
    periods = [(period_label(filters, settings), filters)]
    if start.year == end.year:
        if start.year - 1 >= settings.start.year:
            earlier = filters.with_(date_from=max(settings.start, _year_earlier(start)),
                                    date_to=_year_earlier(end))
            periods.append((period_label(earlier, settings), earlier))
        return periods
    for year in range(start.year, end.year + 1):
        one = filters.with_(date_from=max(start, dt.date(year, 1, 1)), date_to=min(end, dt.date(year, 12, 31)))
        periods.append((period_label(one, settings), one))
    return periods


def _year_earlier(day: dt.date) -> dt.date:
    return day.replace(year=day.year - 1, day=28) if (day.month, day.day) == (2, 29) else day.replace(year=day.year - 1)


def filters_text(filters: Filters, action_labels: dict[str, str]) -> list[str]:
    """The filters other than the period, one French line each (empty when there are none)."""
    named = [
        ("Actions", [action_labels.get(c, c) for c in filters.actions]),
        ("Thématiques", list(filters.themes)),
        ("Porteurs", list(filters.porteurs)),
        ("Tranches d'âge", [band_label(b) for b in filters.bands]),
        ("Sexe", [participation.SEX_LABELS.get(s, s) for s in filters.sexes]),
        ("Résidence", [participation.QPV_LABELS.get(q, q) for q in filters.qpvs]),
        ("Publics", [PUBLIC_LABELS.get(p, p) for p in filters.publics]),
    ]
    return [f"{name} : {', '.join(values)}" for name, values in named if values]


# --- gathering the exact figures -----------------------------------------------------------

@dataclass
class Gathered:
    """The exact results of the pages' core functions for one report (nothing hidden yet)."""
    filters: Filters
    today: dt.date
    periods: list[str]                 # labels: the report's period, then the comparisons
    key: list[dict]                    # key figures of each period, exact
    action_labels: dict[str, str]
    freshness: pd.DataFrame            # kind, last_import, imports
    participation: dict                # participation.participation_overview
    monthly: pd.DataFrame              # overview.monthly_participation
    publics: dict                      # participation.publics_overview
    people: dict                       # participation.people_shares (every participant)
    money: dict                        # budget.committee_view on the report's period
    years: pd.DataFrame                # budget.years_summary from the convention's start
    pace: pd.DataFrame                 # over the whole convention
    projection: dict = field(default_factory=dict)


def key_figures(con, filters: Filters, settings: Settings, today: dt.date) -> dict:
    """The headline figures of one period, exact, from the pages' core functions."""
    part = overview.participation_figures(con, filters, settings)
    totals = participation.totals(con, filters)
    focus = participation.focus_figures(con, filters, settings)
    yf = budget.year_funder(con, filters, settings, today)
    money = budget.totals(budget.years_summary(yf, filters, settings))
    lever = budget.leverage(budget.funders_by_year(yf))
    return {
        "participations": part["participations"], "participants": part["participants"],
        "headcount_participations": part["headcount_participations"], "sessions": totals["sessions"],
        "actions": part["actions"], "parcours": totals["parcours"],
        "focus_people": part["focus_participants"], "focus_qpv": focus["young_qpv"],
        "focus_population": focus["population"], "focus_parcours": focus["parcours"],
        **{k: money[k] for k in ("enveloppe", "programme", "engage", "paye", "reste_a_payer",
                                 "taux_programmation", "taux_execution")},
        "programme_autres": lever["programme_autres"], "levier": lever["levier"],
    }


def gather(con, filters: Filters, settings: Settings, today: dt.date) -> Gathered:
    """Everything the report shows, exact, for `filters` (one computation, cached by the page)."""
    periods = comparison_periods(filters, settings)
    conv_start = filters.with_(date_from=settings.start)
    whole = filters.with_(date_from=settings.start, date_to=settings.end)
    convention = budget.committee_view(con, whole, settings, today)
    to_date = budget.committee_view(con, conv_start, settings, today)
    choices = participation.action_choices(con)
    return Gathered(
        filters=filters, today=today,
        periods=[label for label, _ in periods],
        key=[key_figures(con, f, settings, today) for _, f in periods],
        action_labels=dict(zip(choices["code"], choices["intitule"], strict=True)),
        freshness=queries.run(con, "report_freshness"),
        participation=participation.participation_overview(con, filters),
        monthly=overview.monthly_participation(con, filters, settings),
        publics=participation.publics_overview(con, filters, settings),
        people=participation.people_shares(con, filters, settings),
        money=budget.committee_view(con, filters, settings, today),
        years=to_date["years"][to_date["years"]["annee"] <= filters.date_to.year].reset_index(drop=True),
        pace=convention["pace"], projection=convention["projection"],
    )


# --- the report as readers see it -----------------------------------------------------------

@dataclass
class Table:
    """A table of figures: French headers, numbers as numbers, hidden cells as text (« < 5 »,
    « masqué »). `kinds` tells each column's kind (text, count, number, money, percent, decimal,
    month, date); `row_kinds`, when given, the kind of each row's figures instead."""
    key: str
    title: str
    data: pd.DataFrame
    kinds: dict[str, str]
    row_kinds: list[str] | None = None
    note: str = ""
    chart: dict | None = None          # a Plotly figure (as a dict) drawn from the same figures

    def kind(self, row: int, column: str) -> str:
        if self.row_kinds is not None and column != self.data.columns[0]:
            return self.row_kinds[row]
        return self.kinds.get(column, "text")


@dataclass
class Section:
    key: str
    title: str
    paragraphs: list[str]
    tables: list[Table]


@dataclass
class Report:
    title: str
    cite: str
    territory: str
    period: str
    date_from: dt.date
    date_to: dt.date
    filters: list[str]
    produced_on: dt.date
    freshness: list[tuple[str, dt.datetime | None]]
    exact: bool
    rule_note: str | None
    sections: list[Section]
    methodology: list[tuple[str, str]]

    @property
    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables]

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


def cell_text(value, kind: str) -> str:
    """A figure as a reader reads it: « 1 235 », « < 5 », « 12 000 € », « 12,5 % », « mars 2023 »."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return "—"
    if kind in ("count", "number"):
        return fmt.integer(value)
    if kind == "money":
        return fmt.euros(value, cents=True)
    if kind == "percent":
        return fmt.percent(value)
    if kind == "decimal":
        return fmt.number(value, 1)
    if kind == "ratio":
        return fmt.number(value, 2)
    if kind == "month":
        return fmt.month(value)
    if kind == "date":
        return fmt.date(value)
    return str(value)


def _figure(fig) -> dict:
    return fig.to_dict()


KEY_ROWS = [   # (label template, kind, value as shown from the exact figures and the rule)
    ("Participations", "count", lambda k, r: r.shown(k["participations"])),
    ("Participants distincts", "count", lambda k, r: r.shown(k["participants"])),
    ("Séances", "number", lambda k, r: k["sessions"]),
    ("Actions avec activité", "number", lambda k, r: k["actions"]),
    ("Parcours (2 actions ou plus)", "count", lambda k, r: r.shown(k["parcours"])),
    ("Jeunes {focus} distincts", "count", lambda k, r: r.shown(k["focus_people"])),
    ("Part des {focus}", "percent", lambda k, r: r.share(k["focus_people"], k["participants"])),
    ("Jeunes {focus} habitant le QPV", "count", lambda k, r: r.shown(k["focus_qpv"])),
    ("Taux de couverture des {focus} du QPV", "percent",
     lambda k, r: r.derived(k["focus_qpv"], lambda n: n / k["focus_population"] if k["focus_population"] else None)),
    ("Enveloppe État", "money", lambda k, r: k["enveloppe"]),
    ("Programmé État", "money", lambda k, r: k["programme"]),
    ("Engagé État", "money", lambda k, r: k["engage"]),
    ("Payé État", "money", lambda k, r: k["paye"]),
    ("Reste à payer", "money", lambda k, r: k["reste_a_payer"]),
    ("Taux de programmation", "percent", lambda k, r: k["taux_programmation"]),
    ("Taux d'exécution", "percent", lambda k, r: k["taux_execution"]),
    ("Effet levier (€ autres financeurs par € État)", "ratio", lambda k, r: k["levier"]),
]


def _nan_none(value):
    return None if isinstance(value, float) and math.isnan(value) else value


def _key_table(g: Gathered, settings: Settings, rule: CountRule) -> Table:
    rows = []
    for label, _, value in KEY_ROWS:
        rows.append({"Indicateur": focus_text(label, settings.focus_band),
                     **{p: _nan_none(value(k, rule)) for p, k in zip(g.periods, g.key, strict=True)}})
    data = pd.DataFrame(rows, dtype=object)
    single = g.filters.date_from.year == g.filters.date_to.year
    note = ("Chaque chiffre est comparé à la même période de l'année précédente." if single and len(g.periods) > 1
            else "Chaque chiffre est donné pour toute la période, puis année par année." if not single else "")
    return Table("chiffres_cles", "Chiffres clés", data, {"Indicateur": "text"},
                 row_kinds=[kind for _, kind, _ in KEY_ROWS], note=note)


def _named(df: pd.DataFrame, columns: dict[str, tuple[str, str]]) -> tuple[pd.DataFrame, dict[str, str]]:
    """df's columns {name: (French header, kind)} under their headers, and each header's kind."""
    data = df[list(columns)].rename(columns={c: h for c, (h, _) in columns.items()}).reset_index(drop=True)
    return data, {h: k for h, k in columns.values()}


def _participation_section(g: Gathered, settings: Settings, rule: CountRule) -> Section:
    data = g.participation
    by_action = rule.table(data["by_action"], participation.ACTION_COUNTS,
                           per={"average_per_session": ("participations", "sessions")})
    action_table, kinds = _named(by_action, {
        "intitule": ("Action", "text"), "porteur": ("Porteur", "text"),
        "participations": ("Participations", "count"), "participants": ("Participants distincts", "count"),
        "sessions": ("Séances", "number"), "average_per_session": ("Présence moyenne par séance", "decimal")})
    monthly = g.monthly.copy()
    display = overview.monthly_display(monthly, rule)
    monthly["participations"] = monthly["participations"].map(rule.shown).astype(object)
    monthly["participants"] = monthly["participants"].map(rule.shown).astype(object)
    month_table, month_kinds = _named(monthly, {
        "month": ("Mois", "month"), "participations": ("Participations", "count"),
        "participants": ("Participants distincts (du mois)", "count")})
    people = []
    for key, title in (("sex", "Sexe"), ("qpv", "Résidence")):
        shares = rule.table(g.people[key], ["people"], shares={"share": "people"})
        table, shares_kinds = _named(shares, {"categorie": (title, "text"), "people": ("Personnes distinctes", "count"),
                                               "share": ("Part", "percent")})
        people.append(Table(f"participants_{'sexe' if key == 'sex' else 'residence'}",
                            f"Participants distincts par {'sexe' if key == 'sex' else 'lieu de résidence'}",
                            table, shares_kinds))
    totals = data["totals"]
    paragraphs = []
    if totals["headcount_participations"]:
        paragraphs.append(f"Dont {rule.text(totals['headcount_participations'])} participations comptées par "
                          "effectif, sans identité : elles comptent dans les participations mais pas dans les "
                          "participants distincts.")
    return Section("participation", "Participation", paragraphs, [
        Table("participation_par_action", "Participation par action", action_table, kinds,
              note="Actions classées de la plus fréquentée à la moins fréquentée.",
              chart=_figure(participation_charts.participation_by_action_chart(by_action)) if len(by_action) else None),
        Table("participation_par_mois", "Participations par mois", month_table, month_kinds,
              chart=_figure(overview_charts.monthly_participation_chart(display)) if len(display) else None),
        *people,
    ])


def _focus_section(g: Gathered, settings: Settings, rule: CountRule) -> Section:
    data, focus = g.publics, g.publics["focus"]
    label, span = band_label(settings.focus_band), band_span(settings.focus_band)
    coverage = rule.derived(focus["young_qpv"], lambda n: n / focus["population"] if focus["population"] else None)
    figures = pd.DataFrame([
        {"Indicateur": f"Jeunes {span} distincts", "Valeur": rule.shown(focus["young_people"])},
        {"Indicateur": "Part des participants distincts",
         "Valeur": rule.share(focus["young_people"], focus["all_participants"])},
        {"Indicateur": f"Jeunes {span} habitant le QPV", "Valeur": rule.shown(focus["young_qpv"])},
        {"Indicateur": f"Population estimée des {label} du QPV", "Valeur": focus["population"]},
        {"Indicateur": f"Taux de couverture des {label} du QPV", "Valeur": coverage},
        {"Indicateur": "Parcours (2 actions ou plus)", "Valeur": rule.shown(focus["parcours"])},
    ])
    figures_table = Table("tranche_prioritaire", f"Les {label}, public prioritaire", figures, {"Indicateur": "text"},
                          row_kinds=["count", "percent", "count", "number", "percent", "count"],
                          note=f"Population estimée : {focus['population_source'] or 'source non renseignée'}.")
    bands = rule.table(participation.with_band_labels(data["bands"]),
                       ["participations", "participants", "headcount_participations"])
    band_table, band_kinds = _named(bands, {
        "band": ("Tranche d'âge", "text"), "participations": ("Participations", "count"),
        "participants": ("Participants distincts", "count")})
    tables = [figures_table,
              Table("participation_par_tranche", "Participation par tranche d'âge", band_table, band_kinds,
                    note="Participations : dans la tranche d'âge de chaque séance. Participants distincts : dans "
                         "la tranche d'âge de leur première participation sur la période.",
                    chart=_figure(participation_charts.bands_chart(bands, label)) if len(bands) else None)]
    for key, title in (("sex", "Sexe"), ("qpv", "Résidence")):
        shares = rule.table(data[key], ["people"], shares={"share": "people"})
        table, kinds = _named(shares, {"categorie": (title, "text"), "people": ("Jeunes distincts", "count"),
                                       "share": ("Part", "percent")})
        tables.append(Table(f"jeunes_{'sexe' if key == 'sex' else 'residence'}",
                            f"{'Sexe' if key == 'sex' else 'Résidence'} des {label}", table, kinds))
    counts = rule.table(data["parcours_counts"], ["people"])
    parcours_table, parcours_kinds = _named(counts, {"label": ("Nombre d'actions suivies", "text"),
                                                     "people": ("Jeunes distincts", "count")})
    tables.append(Table(
        "jeunes_par_nombre_actions", "Parcours : nombre d'actions suivies par jeune", parcours_table, parcours_kinds,
        note="Un parcours : un jeune qui a participé à deux actions ou plus sur la période.",
        chart=_figure(participation_charts.counts_chart(counts, "label", "people", "Jeunes distincts",
                                                        "Nombre d'actions suivies par jeune", horizontal=False))
        if focus["young_people"] else None))
    return Section("public_prioritaire", f"Le public prioritaire : les {label}", [], tables)


def _money_section(g: Gathered, settings: Settings, rule: CountRule) -> Section:
    money = g.money
    years = budget.years_table(g.years)
    year_kinds = {c: ("text" if c == "Année" else "percent" if c in budget.YEAR_PERCENTS else "money")
                  for c in years.columns}
    tables = [Table("budget_par_annee", "Crédits de l'État par année de convention", years, year_kinds,
                    note=f"De {g.years['annee'].min()} à l'année du rapport. Une dépense compte pour l'exercice "
                         "qu'elle consomme, quelle que soit sa date." if len(g.years) else "",
                    chart=_figure(budget_charts.years_chart(g.years)) if len(g.years) else None)]
    paragraphs = []
    proj = g.projection
    if proj.get("reference") is not None and len(g.pace):
        paragraphs.append(pace_text(proj))
        pace = budget.pace_table(g.pace)
        if pace["Projection"].isna().all():   # the convention is over: nothing left to project
            pace = pace.drop(columns="Projection")
        tables.append(Table("rythme_paiements", "Rythme des paiements de l'État sur la convention", pace,
                            {c: "month" if c == "Mois" else "money" for c in pace.columns},
                            note="Payé cumulé mois par mois, rythme linéaire de l'enveloppe et projection au "
                                 "rythme des six derniers mois.",
                            chart=_figure(budget_charts.pace_chart(g.pace))))
    actions = money["actions"]
    if len(actions):
        action_table, kinds = _named(actions, {
            "intitule": ("Action", "text"), "porteur": ("Porteur", "text"), "programme": ("Programmé", "money"),
            "engage": ("Engagé", "money"), "paye": ("Payé", "money"), "reste_a_payer": ("Reste à payer", "money"),
            "taux_execution": ("Taux d'exécution", "percent")})
        tables.append(Table("budget_par_action", "Programmé, engagé et payé par action", action_table, kinds,
                            note="Tous financeurs ; trié par reste à payer (programmé − payé), le plus grand d'abord.",
                            chart=_figure(budget_charts.amounts_chart(
                                actions.assign(libelle=unique_labels(actions["intitule"])), "libelle",
                                "Programmé, engagé et payé par action"))))
    funders = money["funders"]
    if len(funders):
        funders_table = budget.funders_table(funders)
        kinds = {c: "text" if c == "Financeur" else "percent" if c.startswith("Part") else "money"
                 for c in funders_table.columns}
        lever = money["leverage"]
        note = (f"Effet levier : {cell_text(_nan_none(lever['levier']), 'ratio')} € apportés par les autres "
                f"financeurs ({budget.co_funders_text(settings)}) pour 1 € programmé par l'État.")
        tables.append(Table("budget_financeurs", "Programmation par financeur", funders_table, kinds, note=note,
                            chart=_figure(budget_charts.funders_chart(funders))))
    if not money["has_money"]:
        paragraphs.append("Aucune programmation ni dépense pour cette sélection.")
    return Section("budget", "Budget", paragraphs, tables)


def pace_text(proj: dict) -> str:
    """Where the State's payments stand on the whole convention, and where their pace leads."""
    paid, envelope, unspent = proj["paye"], proj["enveloppe"], proj["non_depense"]
    text = (f"Sur toute la convention, l'État a payé {fmt.whole_euros(paid)} sur une enveloppe de "
            f"{fmt.whole_euros(envelope)}. ")
    if not proj.get("mois_restants"):
        share = fmt.percent(proj["part_non_depensee"])
        return text + (f"La convention est achevée : {fmt.whole_euros(unspent)} ({share} de l'enveloppe) "
                       "n'ont pas été payés." if unspent >= 0 else
                       f"La convention est achevée, avec un dépassement de {fmt.whole_euros(-unspent)}.")
    return text + (
        f"Au rythme moyen des {proj['fenetre_mois']} mois jusqu'à {fmt.month(proj['reference'])} "
        f"({fmt.whole_euros(proj['rythme_mensuel'])} par mois), le payé atteindrait "
        f"{fmt.whole_euros(proj['projection_fin'])} en fin de convention : "
        + (f"{fmt.whole_euros(unspent)} ({fmt.percent(proj['part_non_depensee'])} de l'enveloppe) resteraient "
           "non dépensés." if unspent >= 0 else
           f"un dépassement de {fmt.whole_euros(-unspent)} ({fmt.percent(-proj['part_non_depensee'])})."))


def unique_labels(titles: pd.Series, width: int = 40) -> list[str]:
    """Titles short enough for a chart's axis, shortened in the middle and never two alike (two
    actions whose titles differ only at their end keep a bar each)."""
    from impact.report_charts import short_label

    out: list[str] = []
    for title in titles.astype(str):
        label, n = short_label(title, width), 2
        while label in out:
            label, n = f"{short_label(title, width - 4)} ({n})", n + 1
        out.append(label)
    return out


def summary(key: dict, settings: Settings, rule: CountRule, label: str) -> str:
    """The key figures in two sentences, as a reader would say them."""
    focus = rule.derived_text(rule.share(key["focus_people"], key["participants"]), fmt.percent)
    prefix = f"En {label}" if label[:1].isdigit() and len(label) == 4 else f"Sur la période ({label})"
    return (f"{prefix}, {rule.text(key['participations'])} participations de {rule.text(key['participants'])} "
            f"participants distincts à {fmt.integer(key['actions'])} actions ; "
            f"{focus_text('part des {focus}', settings.focus_band)} : {focus}. L'État a programmé "
            f"{fmt.whole_euros(key['programme'])} ({fmt.percent(key['taux_programmation'])} de son enveloppe) et payé "
            f"{fmt.whole_euros(key['paye'])}.")


def _attention_section(g: Gathered, rule: CountRule) -> Section:
    points = budget.attention_table(g.money["attention"], rule)[["Point d'attention", "Action", "Détail"]]
    paragraphs = [] if len(points) else ["Aucun point d'attention pour cette sélection."]
    tables = [Table("points_attention", "Points d'attention", points.reset_index(drop=True),
                    {c: "text" for c in points.columns})] if len(points) else []
    return Section("points_attention", "Points d'attention", paragraphs, tables)


def report_title(filters: Filters, settings: Settings) -> str:
    label = period_label(filters, settings)
    if (filters.date_from, filters.date_to) == (settings.start, settings.end) or \
            (filters.date_from == settings.start and filters.date_from.year != filters.date_to.year):
        return f"Revue de projet — convention {label}" if label[:1].isdigit() else \
            f"Revue de projet de la convention, {label}"
    return f"Revue de projet {label}" if label[:1].isdigit() else f"Revue de projet — {label}"


def build(g: Gathered, settings: Settings, exact: bool = False) -> Report:
    """The report as its readers see it: the readers' small-count rule, unless `exact` (a
    coordinator's internal version, marked as such on every page)."""
    rule = CountRule.of(settings, exact)
    last = {row.kind: row.last_import for row in g.freshness.itertuples()}
    freshness = [(label, _timestamp(last.get(kind))) for kind, label in KIND_LABELS.items()]
    key = _key_table(g, settings, rule)
    key_paragraphs = [summary(g.key[0], settings, rule, g.periods[0])]
    return Report(
        title=report_title(g.filters, settings), cite=settings.name, territory=settings.territory,
        period=f"du {fmt.date(g.filters.date_from)} au {fmt.date(g.filters.date_to)}",
        date_from=g.filters.date_from, date_to=g.filters.date_to,
        filters=filters_text(g.filters, g.action_labels), produced_on=g.today, freshness=freshness,
        exact=rule.exact, rule_note=rule.note(),
        sections=[
            Section("chiffres_cles", "Chiffres clés", key_paragraphs, [key]),
            _participation_section(g, settings, rule),
            _focus_section(g, settings, rule),
            _money_section(g, settings, rule),
            _attention_section(g, rule),
        ],
        methodology=participation.methodology(settings),
    )


def _timestamp(value) -> dt.datetime | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    return pd.Timestamp(value).to_pydatetime()


# --- the workbook ------------------------------------------------------------------------------

_SHEET_KINDS = {"count": "number", "number": "number", "text": "number", "date": "number",
                "money": "money", "percent": "percent", "decimal": "decimal", "ratio": "decimal", "month": "month"}


def cover_lines(report: Report) -> list[tuple[str, object]]:
    """The cover's facts, as (label, value) pairs: the workbook's first sheet, the page's summary."""
    lines: list[tuple[str, object]] = [
        ("Cité éducative", report.cite), ("Document", report.title), ("Période", report.period),
        ("Filtres", " ; ".join(report.filters) if report.filters else "aucun"),
        ("Produit le", report.produced_on),
        ("Effectifs", EXACT_MARK if report.exact else report.rule_note or "exacts"),
    ]
    lines += [(f"Dernier import : {label}", when or "aucun import") for label, when in report.freshness]
    return lines


def workbook(report: Report) -> bytes:
    """« Exporter tout »: a first sheet with the filters and the data's freshness, then one sheet per
    table of the report (numbers as numbers, € and % formats, no cell Excel would run)."""
    cover = pd.DataFrame(cover_lines(report), columns=["Rubrique", "Valeur"])
    sheets = [spreadsheets.Sheet("Sélection", cover, lambda row, col: "number")]
    for table in report.tables:
        sheets.append(spreadsheets.Sheet(
            table.title, table.data,
            lambda row, col, t=table: _SHEET_KINDS[t.kind(row, col)]))
    return spreadsheets.workbook(sheets)
