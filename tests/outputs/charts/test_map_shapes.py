"""The shipped country shapes (reference/map_shapes.parquet) and the TopoJSON decoder behind them."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
import shapely

from kss_analysis.acquire.registry import load_sources
from kss_analysis.core import reference
from kss_analysis.outputs.charts import map_shapes

MIRROR = Path(os.environ["KSS_MIRROR"]) if os.environ.get("KSS_MIRROR") else None


def test_decoder_joins_quantized_delta_arcs_and_reverses_negative_indexes():
    # Synthetic topology, hand-built: a 2x1 rectangle split into two squares sharing the arc x=1.
    # Quantized grid 0..2 with scale 10 and translate (100, -5): grid (1, 0) is lon 110, lat -5.
    topology = {
        "type": "Topology",
        "transform": {"scale": [10, 10], "translate": [100, -5]},
        "arcs": [
            [[1, 0], [0, 1]],  # shared edge (1,0)->(1,1), as deltas
            [[1, 1], [-1, 0], [0, -1], [1, 0]],  # left square's outer edges (1,1)->(0,1)->(0,0)->(1,0)
            [[1, 0], [1, 0], [0, 1], [-1, 0]],  # right square's outer edges (1,0)->(2,0)->(2,1)->(1,1)
        ],
        "objects": {
            "countries": {
                "type": "GeometryCollection",
                "geometries": [
                    {"type": "Polygon", "id": "360", "properties": {"name": "Left"}, "arcs": [[0, 1]]},
                    {"type": "MultiPolygon", "properties": {"name": "Right"}, "arcs": [[[2, -1]]]},
                ],
            }
        },
    }
    (left_id, left_name, left), (right_id, right_name, right) = map_shapes.decode_topojson(topology)
    assert (left_id, left_name, right_id, right_name) == ("360", "Left", None, "Right")
    assert shapely.equals(left, shapely.box(100, -5, 110, 5))
    assert shapely.equals(right, shapely.box(110, -5, 120, 5))
    assert list(right.geoms[0].exterior.coords)[-2] == (110.0, 5.0)  # arc 0 walked backwards ends at its start


def test_decoder_refuses_geometry_it_cannot_draw():
    topology = {"arcs": [], "objects": {"countries": {"geometries": [{"type": "Point", "coordinates": [0, 0]}]}}}
    with pytest.raises(ValueError, match="'Point' is not a polygon"):
        map_shapes.decode_topojson(topology)


def test_every_country_in_our_table_has_a_shape_or_a_point():
    shapes = map_shapes.load_shapes()
    assert set(reference.countries()) <= set(shapes)
    assert shapes["TUV"][0] == "point" and shapes["PLW"][0] == "shape" and shapes["IDN"][0] == "shape"
    kinds = {key: geom.geom_type for key, (_, geom) in shapes.items() if not geom.is_empty}
    assert set(kinds) == set(shapes) and set(kinds.values()) <= {"MultiPolygon", "Polygon", "Point"}


def test_shipped_file_is_compact_and_names_source_and_licence():
    assert map_shapes.SHAPES_FILE.stat().st_size <= 1_000_000
    meta = map_shapes.shapes_metadata()
    assert meta["source_sha256"] == load_sources()["world-atlas"].files["countries-50m.json"]
    assert "Natural Earth (public domain)" in meta["licence"] and "ISC" in meta["licence"]
    assert "Michael Bostock" in meta["licence"]


@pytest.mark.parametrize(
    "iso3, low_km2, high_km2",
    [("IDN", 1.8e6, 2.0e6), ("RUS", 16.3e6, 17.3e6), ("FJI", 17_000, 19_500), ("PLW", 300, 550)],
)
def test_shapes_have_the_known_land_area(iso3, low_km2, high_km2):
    # Independent facts (land areas: Indonesia ~1.9 M km2, Russia ~17.1 M, Fiji ~18,300, Palau ~460). Russia and
    # Fiji cross 180 degrees: a ring left uncut would wrap the globe and its area would be far off.
    from pyproj import Geod

    shape = map_shapes.load_shapes()[iso3][1]
    assert low_km2 < abs(Geod(ellps="WGS84").geometry_area_perimeter(shape)[0]) / 1e6 < high_km2


def test_no_ring_wraps_round_the_world_except_antarctica():
    wide = [
        k
        for k, (_, g) in map_shapes.load_shapes().items()
        for p in shapely.get_parts(g)
        if p.bounds[2] - p.bounds[0] > 180
    ]
    assert set(wide) <= {"ATA"}


def test_indonesia_is_where_it_should_be():
    west, south, east, north = map_shapes.load_shapes()["IDN"][1].bounds
    assert 94 < west < 96 and 140 < east < 142 and -12 < south < -10 and 5 < north < 7


@pytest.mark.mirror
@pytest.mark.skipif(MIRROR is None, reason="needs KSS_MIRROR (the offline mirror with world-atlas/countries-50m.json)")
def test_shipped_shapes_match_the_mirror_file_within_the_simplification_tolerance():
    raw = (MIRROR / "world-atlas" / map_shapes.SOURCE_FILE).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == map_shapes.shapes_metadata()["source_sha256"]
    original = map_shapes.shapes_by_iso3(json.loads(raw))
    shipped = {k: g for k, (kind, g) in map_shapes.load_shapes().items() if kind == "shape"}
    assert set(shipped) == set(original)
    # GEOS's topology-preserving simplifier keeps each ring's end point and never drops a ring, so a shape can
    # stray up to about twice the tolerance (measured: at most 1.7x, Antarctica); plus rounding to 0.001 degrees.
    allowed = 2 * map_shapes.TOLERANCE_DEG + 10**-map_shapes.DECIMALS
    for key, geom in original.items():
        assert shapely.hausdorff_distance(geom, shipped[key]) <= allowed, key
    assert len(original) == 240  # 236 Natural Earth ids (Australia's two joined) + Kosovo + 4 unkeyed areas


@pytest.mark.mirror
@pytest.mark.skipif(MIRROR is None, reason="needs KSS_MIRROR (the offline mirror with world-atlas/countries-50m.json)")
def test_the_script_rebuilds_exactly_the_shipped_table_from_the_mirror_file():
    import pyarrow.parquet as pq

    rebuilt = map_shapes.build_table(MIRROR / "world-atlas" / map_shapes.SOURCE_FILE)
    assert rebuilt.equals(pq.read_table(map_shapes.SHAPES_FILE), check_metadata=True)
