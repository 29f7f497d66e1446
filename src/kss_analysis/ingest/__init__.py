"""Ingest: one unit per source turns its raw files into canonical rows.

Enters: admitted raw files (``acquire.inputs``).
Leaves: ``core.model.SourceTables`` (activities, activity_recipients, quarantine, ledger,
activity_transactions) for each file. Each source is a module or folder here (``register/``,
``aiddata/``, ``undp/``, ``iati/``, ``tossd/``, ``crs/``: ``read`` for the file format,
``place`` for the rules that place its rows) and declares its reader entry in ``readers``,
the registry ``kss ingest --as`` lists. Shared by all: cell cleaning (``clean``,
``text_hygiene``), classification into our vocabularies (``classify``), typed rows
(``placing``), values outside our tables (``unmapped``).
"""
