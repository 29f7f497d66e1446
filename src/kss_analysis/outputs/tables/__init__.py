"""Spreadsheet tables (CSV, XLSX) of the aggregates and programmes, with a Sources sheet."""
