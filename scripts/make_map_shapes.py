"""Rebuild src/kss_analysis/reference/map_shapes.parquet from the fetched world-atlas file.

kss fetch world-atlas --mirror ../shared/mirror   # or from the network
python scripts/make_map_shapes.py [path/to/countries-50m.json]
"""

from __future__ import annotations

import sys
from pathlib import Path

from kss_analysis.outputs.charts import map_shapes
from kss_analysis.core.config import raw_dir


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else raw_dir() / map_shapes.SOURCE_ID / map_shapes.SOURCE_FILE
    if not source.is_file():
        print(f"{source}: not found; run `kss fetch {map_shapes.SOURCE_ID}` first", file=sys.stderr)
        return 2
    table = map_shapes.build_table(source)
    map_shapes.write_table(table)
    kinds = table.column("kind").to_pylist()
    print(
        f"{map_shapes.SHAPES_FILE}: {kinds.count('shape')} shapes, {kinds.count('point')} points, "
        f"{map_shapes.SHAPES_FILE.stat().st_size:,} bytes"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
