"""UNDP's South-South project list: read the export, place its projects."""
