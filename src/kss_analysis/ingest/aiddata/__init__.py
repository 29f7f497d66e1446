"""AidData research releases (GCOF China, TUFF Qatar): read the release, place its projects."""
