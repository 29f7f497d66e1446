"""Build: canonical tables from every admitted input, checked, converted and published whole.

Enters: the admitted inputs (``acquire``), the placed tables of each source (``ingest``) and
the rules (``rules``).
Leaves: ``data/processed/`` (activities, recipients, transactions, quarantine, ledger,
aggregates, reports) written as one transaction (``publish``) by ``pipeline.build_all``,
after duplicates are marked (``dedupe``), money equivalents added (``money``), invariants
checked (``core.validate``) and aggregates computed (``aggregate``).
"""
