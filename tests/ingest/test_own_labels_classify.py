"""The package's own labels, in English and Indonesian, read back as their codes.

A chart or a table export writes "Seminar / lokakarya" or "Lintas kawasan / global"; a user
who copies those words into a register must get the same code back, not "unclassified".
"""

from __future__ import annotations

import pytest

from kss_analysis.core import reference
from kss_analysis.ingest.classify import (
    classify_implementer_type,
    classify_modality,
    classify_region_names,
    classify_sector,
)


def _labels(table: str) -> list[tuple[str, str]]:
    return [
        (code, label)
        for lang in ("en", "id")
        for code, label in reference.labels(table, lang).items()
        if code != "unclassified"
    ]


@pytest.mark.parametrize(("code", "label"), _labels("modalities"))
def test_modality_labels(code, label):
    assert classify_modality(label) == code


@pytest.mark.parametrize(("code", "label"), _labels("implementer_types"))
def test_implementer_type_labels(code, label):
    assert classify_implementer_type(label) == code


@pytest.mark.parametrize(("code", "label"), _labels("regions"))
def test_region_labels(code, label):
    assert classify_region_names(label) == ([code], [])


@pytest.mark.parametrize(("code", "label"), _labels("sector_themes"))
def test_sector_theme_labels(code, label):
    assert classify_sector(label)[0] == code
