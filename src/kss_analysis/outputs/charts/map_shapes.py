"""Country shapes for maps: decode world-atlas TopoJSON, simplify, ship, read back.

The package carries one compact file, ``reference/map_shapes.parquet`` (one row per ISO3:
the simplified Natural Earth 1:50m shape in lon/lat as WKB, or a point for a country
that has no shape), so maps draw offline. It is a GeoParquet 1.0 file (``geo`` metadata:
WKB column ``wkb``, its geometry types, CRS OGC:CRS84 as PROJJSON, bounding box), so
geospatial tools read it as a layer. ``scripts/make_map_shapes.py`` rebuilds it
from the fetched world-atlas file. TopoJSON is decoded here (about 30 lines, the format
is small and frozen) rather than through GDAL/pyogrio, a large binary dependency that
would be used only by this build script.
"""

from __future__ import annotations

import csv
import hashlib
import json
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
import shapely.affinity

from kss_analysis.core import reference
from kss_analysis.core.config import PACKAGE_DIR

SHAPES_FILE = PACKAGE_DIR / "reference" / "map_shapes.parquet"
POINTS_FILE = PACKAGE_DIR / "reference" / "map_points.csv"
SOURCE_ID = "world-atlas"
SOURCE_FILE = "countries-50m.json"
TOLERANCE_DEG = 0.02  # simplification tolerance; about a tenth of a pixel on a 1,600-px-wide world map
DECIMALS = 3  # stored coordinates are rounded to 0.001 degrees (about 110 m)
# Natural Earth shapes that carry no ISO numeric id: matched to our table by name where it has the territory;
# the others (Somaliland, N. Cyprus, Indian Ocean Ter., Siachen Glacier) are kept as unkeyed land (iso3 empty).
UNKEYED_NAMES = {"Kosovo": "XKX"}
ISC_NOTICE = (
    "Shapes: Natural Earth (public domain), packaged by world-atlas 2.0.2, Copyright 2013-2019 Michael Bostock, "
    "ISC licence: Permission to use, copy, modify, and/or distribute this software for any purpose with or without "
    "fee is hereby granted, provided that the above copyright notice and this permission notice appear in all copies."
)


def decode_topojson(
    topology: dict, object_name: str = "countries"
) -> list[tuple[str | None, str, shapely.MultiPolygon]]:
    """[(id, name, shapely geometry in lon/lat)] for every geometry of a (quantized) TopoJSON object."""
    transform = topology.get("transform")
    arcs = []
    for arc in topology["arcs"]:
        points = np.asarray(arc, dtype=float)
        if transform:  # quantized arcs are delta-encoded integers
            points = np.cumsum(points, axis=0) * transform["scale"] + transform["translate"]
        arcs.append(points)

    def ring(indexes: list[int]) -> np.ndarray:
        parts = [arcs[i] if i >= 0 else arcs[~i][::-1] for i in indexes]
        return np.concatenate([parts[0]] + [p[1:] for p in parts[1:]])  # consecutive arcs share their end point

    def polygon(rings: list[list[int]]) -> shapely.Polygon:
        return shapely.Polygon(ring(rings[0]), [ring(r) for r in rings[1:]])

    decoded = []
    for geometry in topology["objects"][object_name]["geometries"]:
        kind = geometry.get("type")
        if kind == "Polygon":
            shape = shapely.MultiPolygon([polygon(geometry["arcs"])])
        elif kind == "MultiPolygon":
            shape = shapely.MultiPolygon([polygon(p) for p in geometry["arcs"]])
        else:
            raise ValueError(f"TopoJSON {object_name}: geometry type {kind!r} is not a polygon")
        decoded.append((geometry.get("id"), geometry.get("properties", {}).get("name", ""), shape))
    return decoded


def cut_at_antimeridian(polygon: shapely.Polygon) -> list[shapely.Polygon]:
    """world-atlas leaves islands that cross 180 degrees whole (d3 cuts them when drawing): a ring jumps from 180
    to -180 and would draw as a band round the world. Such a ring (Fiji's Vanua Levu, Russia's Chukotka, Wrangel)
    is unrolled to 0..360 and cut there. Antarctica's ring runs along the pole and is left as it is."""
    west, south, east, north = polygon.bounds
    if east - west <= 180 or south <= -89.9 or north >= 89.9:
        return [polygon]
    unrolled = shapely.transform(
        polygon, lambda xy: np.column_stack([np.where(xy[:, 0] < 0, xy[:, 0] + 360, xy[:, 0]), xy[:, 1]])
    )
    unrolled = shapely.make_valid(unrolled)
    east_half = shapely.intersection(unrolled, shapely.box(0, -90, 180, 90))
    west_half = shapely.affinity.translate(shapely.intersection(unrolled, shapely.box(180, -90, 360, 90)), -360)
    return [p for p in shapely.get_parts([east_half, west_half]) if p.geom_type == "Polygon" and not p.is_empty]


def shapes_by_iso3(topology: dict) -> dict[str, shapely.MultiPolygon]:
    """Decoded shapes keyed by ISO3 (parts with the same code joined); '' keys unkeyed land by its name."""
    by_m49 = {int(row["un_m49_code"]): iso3 for iso3, row in reference.countries().items() if row["un_m49_code"]}
    parts: dict[str, list[shapely.Polygon]] = {}
    for code, name, shape in decode_topojson(topology):
        if code is not None:
            if int(code) not in by_m49:
                raise ValueError(f"world-atlas: id {code} ({name}) is not in reference/countries.csv")
            key = by_m49[int(code)]
        else:
            key = UNKEYED_NAMES.get(name, f"~{name}")
        for polygon in shape.geoms:
            parts.setdefault(key, []).extend(cut_at_antimeridian(polygon))
    return {key: shapely.MultiPolygon(polys) for key, polys in sorted(parts.items())}


def read_points() -> dict[str, tuple[float, float]]:
    """ISO3 -> (lon, lat) of a capital or main island, for countries with no Natural Earth shape."""
    with open(POINTS_FILE, encoding="utf-8", newline="") as handle:
        return {row["iso3"]: (float(row["lon"]), float(row["lat"])) for row in csv.DictReader(handle)}


def simplify(shape: shapely.Geometry) -> shapely.Geometry:
    """Simplified to TOLERANCE_DEG and rounded to DECIMALS. Not repaired: Natural Earth's Antarctica, Fiji and
    Russia have rings touching at the antimeridian, which draw correctly, and GEOS's repair drops part of Antarctica."""
    simplified = shapely.simplify(shape, TOLERANCE_DEG, preserve_topology=True)
    return shapely.set_precision(simplified, 10**-DECIMALS, mode="pointwise")


def build_table(source_path: Path) -> pa.Table:
    """The shipped table: one row per ISO3 (shape or point) plus unkeyed land; provenance in the schema metadata."""
    raw = source_path.read_bytes()
    shapes = shapes_by_iso3(json.loads(raw))
    points = read_points()
    overlap = sorted(set(points) & set(shapes))
    if overlap:
        raise ValueError(f"{POINTS_FILE.name}: {overlap} already have a shape in {source_path.name}")
    rows = [(key, "shape", simplify(shape)) for key, shape in shapes.items()]
    rows += [(iso3, "point", shapely.Point(lon, lat)) for iso3, (lon, lat) in sorted(points.items())]
    rows.sort(key=lambda row: row[0])
    metadata = {
        "source": f"{SOURCE_ID}/{SOURCE_FILE} (Natural Earth 1:50m via world-atlas 2.0.2)",
        "vintage": "world-atlas 2.0.2 (2019), Natural Earth 1:50m admin-0 countries",
        "source_sha256": hashlib.sha256(raw).hexdigest(),
        "simplification": f"shapely.simplify tolerance {TOLERANCE_DEG} degrees, preserve_topology; "
        f"coordinates rounded to {10**-DECIMALS} degrees",
        "points": f"{POINTS_FILE.name}: countries with no shape (capital or main island; GeoNames, CC BY 4.0)",
        "licence": ISC_NOTICE,
        "keys": "iso3 = ISO 3166-1 alpha-3 via reference/countries.csv; '~Name' = Natural Earth land with no ISO code",
    }
    schema = pa.schema(
        [("iso3", pa.string()), ("kind", pa.string()), (GEOMETRY_COLUMN, pa.binary())],
        metadata={k: v.encode() for k, v in metadata.items()},
    )
    table = pa.table(
        {
            "iso3": [r[0] for r in rows],
            "kind": [r[1] for r in rows],
            GEOMETRY_COLUMN: [shapely.to_wkb(r[2], output_dimension=2) for r in rows],
        },
        schema=schema,
    )
    return with_geo_metadata(table)


GEOMETRY_COLUMN = "wkb"
GEOPARQUET_VERSION = "1.0.0"


def crs84_projjson() -> dict:
    """OGC:CRS84 (WGS 84, longitude first: the shapes' coordinates) as PROJJSON, as GeoParquet asks."""
    import pyproj

    return pyproj.CRS("OGC:CRS84").to_json_dict()


def geo_metadata(table: pa.Table) -> dict:
    """The GeoParquet 1.0 ``geo`` metadata of the table: its WKB column, geometry types, CRS, bounds."""
    geometries = shapely.from_wkb(table.column(GEOMETRY_COLUMN).to_pylist())
    types = sorted({g.geom_type for g in geometries if g is not None and not g.is_empty})
    bounds = shapely.total_bounds(geometries)
    return {
        "version": GEOPARQUET_VERSION,
        "primary_column": GEOMETRY_COLUMN,
        "columns": {
            GEOMETRY_COLUMN: {
                "encoding": "WKB",
                "geometry_types": types,
                "crs": crs84_projjson(),
                "edges": "planar",
                "bbox": [round(float(x), DECIMALS) for x in bounds],
            }
        },
    }


def with_geo_metadata(table: pa.Table) -> pa.Table:
    """The table with its ``geo`` key set (the other schema metadata kept, in their order)."""
    metadata = {k: v for k, v in (table.schema.metadata or {}).items() if k != b"geo"}
    metadata[b"geo"] = json.dumps(geo_metadata(table), separators=(",", ":")).encode()
    return table.replace_schema_metadata(metadata)


def write_table(table: pa.Table, path: Path = SHAPES_FILE) -> None:
    pq.write_table(table, path, compression="zstd", compression_level=19, use_dictionary=["kind"])


@cache
def load_shapes() -> dict[str, tuple[str, shapely.Geometry]]:
    """ISO3 (or '~Name' for unkeyed land) -> (kind, geometry in lon/lat) from the shipped file."""
    table = pq.read_table(SHAPES_FILE)
    geoms = shapely.from_wkb(table.column("wkb").to_pylist())
    return {
        key: (kind, geom)
        for key, kind, geom in zip(
            table.column("iso3").to_pylist(), table.column("kind").to_pylist(), geoms, strict=True
        )
    }


def shapes_metadata() -> dict[str, str]:
    """The file's schema metadata: provenance keys, and ``geo`` (GeoParquet, JSON text)."""
    return {k.decode(): v.decode() for k, v in (pq.read_schema(SHAPES_FILE).metadata or {}).items()}
