"""TOSSD (Total Official Support for Sustainable Development) year files: read, then place by provider."""
