"""Read UNDP's South-South and triangular cooperation inventory (CSV, one engagement per row).

Headers are matched through ``HEADERS`` (case, accents and punctuation ignored), so a later
vintage with a renamed header, an English, French or Spanish header, or an extra column
reads the same; a file without the required columns is refused, naming them.
"""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import pandas as pd

from kss_analysis.core.errors import InputError
from kss_analysis.core.schema import normalise_header
from kss_analysis.ingest.register.read import decode_text

# canonical name -> headers it has been or may be written as (the first is the current one)
HEADERS: dict[str, tuple[str, ...]] = {
    "obs_id": ("Obs ID", "Observation ID", "Obs. No.", "ID", "Identifiant", "N° d'observation", "Identificador"),
    "bureau": ("Regional Bureau", "Bureau", "Bureau régional", "Buró regional", "Oficina regional"),
    "country": ("Country", "Country Office", "Pays", "País"),
    "country_iso3": ("ISO-3 Code", "ISO3 Code", "ISO-3", "ISO3", "Code ISO-3", "Código ISO-3"),
    "typology": ("Typology", "Typologie", "Tipología"),
    "engaged": (
        "Countries that are engaged in the SSC/TrC",
        "Engaged countries",
        "Pays engagés dans la CSS/CTr",
        "Países involucrados en la CSS/CTr",
    ),
    "engaged_iso3": (
        "ISO-3 of countries that are engaged in the SSC/TrC",
        "Engaged countries ISO-3",
        "ISO-3 des pays engagés",
        "ISO-3 de los países involucrados",
    ),
    "partners": ("Partners Involved", "Partners", "Partenaires impliqués", "Socios involucrados"),
    "method": ("Method", "Méthode", "Método"),
    "approach": ("Approach used by UNDP", "Approach", "Approche utilisée par le PNUD", "Enfoque utilizado por el PNUD"),
    "sdg": ("SDG", "SDGs", "ODD", "ODS"),
    "theme": ("Thematic Area", "Thematic Areas", "Domaine thématique", "Área temática"),
}
REQUIRED = ("obs_id", "country", "country_iso3", "engaged_iso3", "theme")


def header_key(text: object) -> str:
    """'Área temática' and 'area-tematica' both become 'area_tematica'."""
    plain = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode("ascii")
    return normalise_header(plain)


LOOKUP = {header_key(alias): name for name, aliases in HEADERS.items() for alias in aliases}


def read_engagements(path: str | Path) -> pd.DataFrame:
    """Every engagement as text with canonical column names and a ``row`` (record number);
    the file's own header of each canonical column is in ``frame.attrs['headers']``."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), exc.strerror or str(exc)) from None
    text = decode_text(data, str(path))  # a UTF-8 byte-order mark is dropped here
    try:
        frame = pd.read_csv(io.StringIO(text, newline=""), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(str(path), f"malformed CSV: {exc}") from None
    renames: dict[str, str] = {}
    for column in frame.columns:
        name = LOOKUP.get(header_key(column))
        if name and name not in renames.values():  # a second header of the same meaning stays as written
            renames[column] = name
    frame = frame.rename(columns=renames)
    missing = [HEADERS[c][0] for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(
            str(path), f"not the UNDP South-South and triangular cooperation inventory: missing {', '.join(missing)}"
        )
    frame.insert(0, "row", range(2, len(frame) + 2))
    frame.attrs["headers"] = {name: column for column, name in renames.items()}
    return frame
