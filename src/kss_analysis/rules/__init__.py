"""Rules: the definitions every total uses, each written once.

Enters: canonical tables (pandas frames with the schema's columns).
Leaves: boolean masks and small frames: which rows are Indonesia's KSS programmes
(``scope``), which count in programme, participant and money totals (``counting``).
"""
