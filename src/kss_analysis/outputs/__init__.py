"""Outputs: what people read, drawn only from the processed tables.

Enters: ``data/processed/`` (a published build).
Leaves: the query API (``query``: ``kss_analysis.programmes`` / ``partners``), charts
(``charts``: specs, style, maps, export with CSV and JSON sidecars), spreadsheet tables
(``tables``), notebook helpers and runner (``notebooks``), and cross-source comparisons.
"""
