"""Fill the name_id column of reference/countries.csv from CLDR's Indonesian territory names.

Run by hand when CLDR (the babel package) updates: python tools/add_country_names_id.py
CLDR is the Unicode consortium's maintained locale data; babel ships it.
"""

from __future__ import annotations

import csv
from pathlib import Path

from babel import Locale

PATH = Path(__file__).resolve().parents[1] / "src" / "kss_analysis" / "reference" / "countries.csv"


def main() -> None:
    names = Locale("id").territories
    with open(PATH, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    if "name_id" not in fields:
        fields.insert(fields.index("name_en") + 1, "name_id")
    for row in rows:
        row["name_id"] = names[row["iso2"]]  # every row has an ISO2 code CLDR knows
    with open(PATH, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
