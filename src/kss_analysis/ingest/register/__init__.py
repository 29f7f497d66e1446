"""The programme registers: the embedded KSS register and a user's own (CSV/XLSX, EN/ID headers, YAML profiles)."""
