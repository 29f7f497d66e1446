"""Acquire: the public sources, fetched and verified, and the files a build may read.

Enters: ``sources.yml`` (every source: URL, sha256 pin, licence, citation, reader), the
network or a mirror folder (``KSS_MIRROR``), and ``data/raw/``.
Leaves: verified files in ``data/raw/<source id>/`` with their manifest (``fetch``,
archives checked by ``safe_archive``), and the admitted inputs of one build
(``inputs.admit_inputs``): the files listed and matching their checksum, computed once per
build and passed down; everything else named in a notice.
"""
