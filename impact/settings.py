"""Convention settings, read from a TOML file (data/convention.toml by default)."""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETTINGS = ROOT / "data" / "convention.toml"
DEFAULT_DB = ROOT / "data" / "impact.duckdb"
UNKNOWN_BAND = "âge inconnu"


@dataclass(frozen=True)
class FunderGroup:
    """A group of co-funders on the money pages: its label and the funder names it gathers, as
    files write them (case, accents, spaces and punctuation aside; * stands for any text)."""
    label: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class Settings:
    name: str
    territory: str
    signature_date: dt.date
    start: dt.date
    end: dt.date
    state_envelope_per_year: float
    state_funder: str
    bands: tuple[str, ...]
    focus_band: str
    qpv_population: int
    share_under_25: float
    focus_population: int          # people of the focus band living in the QPV (an estimate)
    focus_population_source: str
    hide_small_counts: bool
    small_count_threshold: int
    rounding_base: int
    retention_years: int = 5
    # The funder groups between the State's (first) and the other funders' (last), in display order.
    funder_groups: tuple[FunderGroup, ...] = ()
    state_group_label: str = "État"
    other_funders_label: str = "Autres financeurs"
    # [acces]: a signed-in session ends after this idle time; whom to ask for an access; the single
    # sign-on's roles, by e-mail address or by domain ("@ville.fr").
    idle_hours: float = 8.0
    access_contact: str = "l'administrateur du tableau de bord"
    sso_roles: tuple[tuple[str, str], ...] = ()

    @property
    def retention_end(self) -> dt.date:
        """The last day attendance rows are kept: `retention_years` after the convention's end."""
        end = self.end
        year = end.year + self.retention_years
        return end.replace(year=year, day=28) if (end.month, end.day) == (2, 29) else end.replace(year=year)

    @property
    def years(self) -> list[int]:
        """Convention years (one per calendar year of the period)."""
        return list(range(self.start.year, self.end.year + 1))

    @property
    def state_envelope_total(self) -> float:
        return self.state_envelope_per_year * len(self.years)

    @property
    def funder_labels(self) -> list[str]:
        """Every funder group's label, by position: the State, the settings' groups, the others."""
        return [self.state_group_label, *(g.label for g in self.funder_groups), self.other_funders_label]

    @property
    def funder_group_names(self) -> list[list[str]]:
        """The names of each of the settings' groups (query parameter of funder_group)."""
        return [list(g.names) for g in self.funder_groups]

    @property
    def ordered_bands(self) -> list[str]:
        """Bands with the focus band first, then the others, then « âge inconnu »."""
        others = [b for b in self.bands if b != self.focus_band]
        return [self.focus_band, *others, UNKNOWN_BAND]


def load_settings(path: str | os.PathLike | None = None) -> Settings:
    """Read the convention settings; `path` defaults to data/convention.toml."""
    path = Path(path or DEFAULT_SETTINGS)
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    cite, conv, ages = raw["cite"], raw["convention"], raw["ages"]
    pop, privacy = raw.get("population", {}), raw.get("confidentialite", {})
    start, end = conv["debut"], conv["fin"]
    if end < start:
        raise ValueError(
            f"{path} : la période de la convention (du {start:%d/%m/%Y} au {end:%d/%m/%Y}) doit finir "
            "après son début.")
    return Settings(
        name=cite["nom"],
        territory=cite.get("territoire", ""),
        signature_date=cite["date_signature"],
        start=start,
        end=end,
        state_envelope_per_year=float(conv["enveloppe_etat_annuelle"]),
        state_funder=conv.get("financeur_etat", "État - cité éducative"),
        bands=tuple(ages["tranches"]),
        focus_band=_focus_band(ages, path),
        qpv_population=int(pop.get("habitants_qpv", 0)),
        share_under_25=float(pop.get("part_moins_25_ans", 0)),
        # estimation_16_25: the key's name before the focus band was a setting
        focus_population=int(pop.get("estimation_tranche_prioritaire", pop.get("estimation_16_25", 0))),
        focus_population_source=pop.get("source_estimation_tranche_prioritaire",
                                        pop.get("source_estimation_16_25", "")),
        hide_small_counts=bool(privacy.get("masquer_petits_effectifs", True)),
        **_small_counts(path, privacy),
        retention_years=_retention_years(path, privacy.get("conservation_annees", 5)),
        **_funders(raw.get("financeurs", {}), path),
        **_access(raw.get("acces", {}), path),
    )


def _access(section: dict, path: Path) -> dict:
    """The [acces] section: idle time, contact, and the single sign-on's [[acces.connexion_unique]]."""
    from impact.auth import ROLES

    hours = section.get("inactivite_heures", 8)
    if isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 < hours <= 24 * 30:
        raise ValueError(f"{path} : [acces] inactivite_heures doit être un nombre d'heures (plus de 0, au plus "
                         f"720), pas {hours!r}.")
    rules = []
    for i, rule in enumerate(section.get("connexion_unique", []), start=1):
        address, role = str(rule.get("adresse", "")).strip().lower(), rule.get("role")
        if "@" not in address or role not in ROLES:
            raise ValueError(f"{path} : la règle n° {i} de [[acces.connexion_unique]] doit avoir une « adresse » "
                             "(prenom.nom@exemple.fr, ou @exemple.fr pour tout un domaine) et un « role » parmi "
                             f"{', '.join(ROLES)} (lus : {address!r}, {role!r}).")
        rules.append((address, role))
    return {"idle_hours": float(hours),
            "access_contact": str(section.get("contact", "")).strip() or "l'administrateur du tableau de bord",
            "sso_roles": tuple(rules)}


def _small_counts(path: Path, privacy: dict) -> dict:
    """The threshold below which readers see « < 5 », and the base their other counts are rounded
    down to: at least 1 and at most the threshold, so that a shown count is never below it."""
    threshold, base = privacy.get("seuil", 5), privacy.get("arrondi", 5)
    if any(isinstance(v, bool) or not isinstance(v, int) for v in (threshold, base)) or not 1 <= base <= threshold:
        raise ValueError(f"{path} : [confidentialite] seuil et arrondi doivent être des nombres entiers, l'arrondi "
                         f"entre 1 et le seuil (lus : seuil = {threshold}, arrondi = {base}).")
    return {"small_count_threshold": threshold, "rounding_base": base}


def _retention_years(path: Path, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 50:
        raise ValueError(f"{path} : [confidentialite] conservation_annees doit être un nombre entier d'années "
                         f"(de 0 à 50), pas {value!r}.")
    return value


def _focus_band(ages: dict, path: Path) -> str:
    band = ages.get("tranche_prioritaire")
    if band not in ages["tranches"]:
        raise ValueError(f"{path} : la tranche prioritaire ({band or 'absente'}) doit être l'une des "
                         f"tranches de [ages] : {', '.join(ages['tranches'])}.")
    return band


def _funders(section: dict, path: Path) -> dict:
    """The [financeurs] section: the State's and the other funders' labels, and the groups."""
    groups = []
    for i, group in enumerate(section.get("groupe", []), start=1):
        if not group.get("nom") or not group.get("financeurs"):
            raise ValueError(f"{path} : le groupe de financeurs n° {i} de [financeurs] doit avoir un "
                             "« nom » et une liste « financeurs » (les noms tels qu'écrits dans les fichiers).")
        groups.append(FunderGroup(str(group["nom"]), tuple(str(n) for n in group["financeurs"])))
    return {"funder_groups": tuple(groups), "state_group_label": section.get("etat", "État"),
            "other_funders_label": section.get("autres", "Autres financeurs")}


def database_path(cli_value: str | None = None) -> Path:
    """--db, then IMPACT_DB, then data/impact.duckdb."""
    return Path(cli_value or os.environ.get("IMPACT_DB") or DEFAULT_DB)
