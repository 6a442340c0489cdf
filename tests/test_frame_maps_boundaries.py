"""One reading of the boundaries for frame, maps and draw: a GCJ-02 boundary drawn where its
dwellings are (read back from the PDF), a stray point that must not set a map's scale, and
a community with a boundary but no listing in a one-shot draw (issue 15)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pypdf import PdfReader
from pypdf.generic import ContentStream

from fieldsurvey.cli.main import main
from fieldsurvey.frame.files import read_frame
from fieldsurvey.io.coords import wgs84_to_gcj02
from fieldsurvey.reports.maps import draw_field_maps
from fieldsurvey.sampling.output import read_sample, write_sample
from fieldsurvey.sampling.stages import draw_sample

LON, LAT, SIDE = 114.06, 22.54, 0.003  # Shenzhen; ~300 m communities, as in a city
IDS = ["440304001", "440304002", "440304003", "440304004"]
NAMES = ["福田社区", "岗厦社区", "皇岗社区", "水围社区"]

DESIGN = """\
seed = 11
[stage1]
method = "take_all"
[stage2]
method = "systematic"
eligible = "status == 'occupied'"
m = 5
reserve = 2
"""


def _squares() -> list[shapely.Polygon]:
    return [shapely.box(LON + k * 2 * SIDE, LAT, LON + k * 2 * SIDE + SIDE, LAT + SIDE)
            for k in range(4)]


def _gcj02(poly: shapely.Polygon) -> shapely.Polygon:
    xy = shapely.get_coordinates(poly)
    gx, gy = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
    return shapely.Polygon(np.column_stack([gx, gy]))


def _inputs(tmp_path: Path, stray: bool = False) -> tuple[Path, Path]:
    """A .prj-less GBK shapefile of GCJ-02 polygons with Chinese fields (the 4th community
    has 80 registered households and no listing), and a WGS 84 listing."""
    from _framekit import write_shapefile

    gdf = gpd.GeoDataFrame(geometry=[_gcj02(p) for p in _squares()], crs="EPSG:4326")
    rows = [[cid, name, "福田街道", "示范类", str(n)]
            for cid, name, n in zip(IDS, NAMES, (60, 60, 60, 80), strict=True)]
    shp = write_shapefile(gdf, tmp_path / "社区.shp", ["社区编码", "社区名称", "街道", "类型", "户数"],
                          rows, "gbk", prj=False)
    rng = np.random.default_rng(3)
    recs = []
    for k, cid in enumerate(IDS[:3]):
        x0, y0 = LON + k * 2 * SIDE, LAT
        for d in range(60):
            recs.append({"社区编码": cid, "经度": x0 + SIDE * (0.1 + 0.8 * rng.random()),
                         "纬度": y0 + SIDE * (0.1 + 0.8 * rng.random()),
                         "地址": f"{d // 12 + 1}栋1单元{d % 12 + 1}01室", "状态": "在住"})
    if stray:  # listed in the first community, 5 km away (a mistyped coordinate)
        recs[0].update({"经度": LON + 0.05, "纬度": LAT})
    listing = tmp_path / "listing.csv"
    pd.DataFrame(recs).to_csv(listing, index=False, encoding="gbk")
    return shp, listing


def _build(tmp_path: Path, stray: bool = False) -> Path:
    shp, listing = _inputs(tmp_path, stray)
    out = tmp_path / "frame.parquet"
    assert main(["frame", "build", "--boundaries", str(shp), "--crs", "EPSG:4326",
                 "--boundary-coords", "gcj02", "--dwellings", str(listing), "--out", str(out)]) == 0
    return out


def _boundary_paths(pdf: Path, page: int) -> list[np.ndarray]:
    """Vertices of the paths stroked with the boundary's dash pattern on a page."""
    reader = PdfReader(str(pdf))
    ops = ContentStream(reader.pages[page - 1].get_contents(), reader).operations
    paths, current, dash = [], [], None
    for args, op in ops:
        if op == b"d":
            dash = [float(v) for v in args[0]]
        elif op in (b"m", b"l"):
            current.append((float(args[0]), float(args[1])))
        elif op in (b"S", b"s", b"B", b"b", b"f", b"n"):
            if dash == [8.0, 2.0, 1.5, 2.0] and current:
                paths.append(np.array(current))
            current = []
        elif op == b"Q":
            dash = None
    return paths


def test_gcj02_boundaries_are_drawn_where_the_frame_put_them(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    frame_path = _build(tmp_path)
    built = read_frame(frame_path)
    assert built.qa["outside_boundaries"].count == 0  # corrected at build time
    sample = draw_sample(built.frame, DESIGN_DICT)
    write_sample(sample, tmp_path / "smp")
    out = tmp_path / "maps.pdf"
    capsys.readouterr()
    # no --boundaries: maps uses the polygons the frame was built on, as corrected
    assert main(["maps", "--frame", str(frame_path), "--sample", str(tmp_path / "smp.csv"),
                 "--out", str(out), "--date", "2026-11-21", "--no-sheets"]) == 0
    assert "no boundary given" not in capsys.readouterr().err
    res = draw_field_maps(frame_path, tmp_path / "smp.csv", tmp_path / "again.pdf",
                          date="2026-11-21", sheets=False)
    texts = [p.extract_text() for p in PdfReader(str(out)).pages]
    for page in res.pages:
        k = IDS.index(page.community_id)
        assert NAMES[k] in texts[page.page - 1] and "福田街道" in texts[page.page - 1]
        assert "示范类" in texts[page.page - 1]
        # the drawn outline lies on the true (WGS 84) square, not 300-700 m off
        true = shapely.get_coordinates(_squares()[k])
        px, py = page.to_page(true[:, 0], true[:, 1])
        drawn = max(_boundary_paths(out, page.page), key=len)
        for x, y in zip(px[:-1], py[:-1], strict=True):
            assert np.min(np.hypot(drawn[:, 0] - x, drawn[:, 1] - y)) < 1.0  # < 1 pt


DESIGN_DICT = {"seed": 11, "stage1": {"method": "take_all"},
               "stage2": {"method": "systematic", "eligible": "status == 'occupied'", "m": 5,
                          "reserve": 2}}


def test_a_stray_point_does_not_set_the_scale_or_make_empty_detail_maps(tmp_path: Path) -> None:
    frame_path = _build(tmp_path, stray=True)
    built = read_frame(frame_path)
    assert built.qa["outside_boundaries"].count == 1
    frame = built.frame
    sample = draw_sample(frame, DESIGN_DICT)
    # make sure the stray dwelling is among the sampled lines of its community
    stray_id = frame.loc[frame["qa_outside"], "dwelling_id"].iloc[0]
    first = sample.index[(sample["community_id"] == IDS[0]) & sample["released"]][0]
    sample.loc[first, "dwelling_id"] = stray_id
    res = draw_field_maps(frame, sample, tmp_path / "m.pdf", sheets=False, date="2026-11-21")
    scales = {p.community_id: p.frame.scale for p in res.pages if p.kind == "overview"}
    assert scales[IDS[0]] <= 1.5 * scales[IDS[1]]  # not 1:25,000 because of one point
    assert all(p.kind == "overview" for p in res.pages)  # no detail page for the stray point
    texts = "".join(p.extract_text() for p in PdfReader(str(res.path)).pages)
    assert "无样本" not in texts
    line = int(sample.loc[first, "line"])
    assert any(f"line(s) {line} lie outside" in n for n in res.notes)


def test_one_shot_draw_names_communities_without_a_listing(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    frame_path = _build(tmp_path)
    (tmp_path / "d.toml").write_text(DESIGN, encoding="utf-8")
    capsys.readouterr()
    assert main(["sample", "draw", "--frame", str(frame_path), "--design",
                 str(tmp_path / "d.toml"), "--out", str(tmp_path / "smp")]) == 0
    cap = capsys.readouterr()
    assert "440304004 水围社区 (80)" in cap.err and "two phases" in cap.err
    assert "WARNING: 1 communities with a boundary" in cap.out
    summary = json.loads((tmp_path / "smp.summary.json").read_text(encoding="utf-8"))
    assert summary["unlisted_communities"] == [
        {"community_id": "440304004", "name": "水围社区", "registered": 80}]
    assert summary["unlisted_registered_households"] == 80
    assert read_sample(tmp_path / "smp.csv").attrs["unlisted"][0]["community_id"] == "440304004"
    # a two-phase draw keeps it: stage 1 from the boundaries the frame kept (as read and
    # corrected, no reading options needed again), or from the original file
    for communities, extra in ((frame_path.with_name("frame.boundaries.parquet"), []),
                               (next(tmp_path.glob("*.shp")), ["--crs", "EPSG:4326"])):
        assert main(["sample", "draw", "--stage", "1", "--communities", str(communities),
                     *extra, "--design", str(tmp_path / "d.toml"),
                     "--out", str(tmp_path / "s1")]) == 0
        s1 = pd.read_csv(tmp_path / "s1.csv", dtype=str)
        assert "440304004" in set(s1["community_id"])


def test_no_detail_map_without_a_sampled_dwelling(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from _reports_data import make

    frame, sample, bnd = make(n_comm=1, per=600, size_m=1500, sample_n=3, reserve=0)
    res = draw_field_maps(frame, sample, tmp_path / "big.pdf", boundaries=bnd, sheets=False,
                          date="2026-11-21", max_scale=2000)
    details = [p for p in res.pages if p.kind == "detail"]
    assert details  # 1.5 km at 1:2,000 needs detail maps ...
    texts = "".join(p.extract_text() for p in PdfReader(str(res.path)).pages)
    assert "无样本" not in texts  # ... but only where someone is to be visited
    lines = sample.loc[sample["released"], ["line"]]
    assert len(details) <= len(lines)


def test_maps_accepts_the_name_field_the_frame_was_built_with(tmp_path: Path) -> None:
    from _framekit import communities, listing, write_geojson

    b = communities().rename(columns={"name": "VNAME"})
    bpath = write_geojson(b, tmp_path / "b.geojson")
    out = tmp_path / "frame.parquet"
    from fieldsurvey.frame import build_frame

    built = build_frame(bpath, listing(), name_field="VNAME", out=out)
    sample = draw_sample(built.frame, DESIGN_DICT)
    write_sample(sample, tmp_path / "smp")
    for extra in ([], ["--boundaries", str(bpath)]):
        pdf = tmp_path / "m.pdf"
        assert main(["maps", "--frame", str(out), "--sample", str(tmp_path / "smp.csv"),
                     "--out", str(pdf), "--name-field", "VNAME", "--no-sheets", *extra]) == 0
        assert "东风社区" in PdfReader(str(pdf)).pages[0].extract_text()
    assert main(["maps", "--frame", str(out), "--sample", str(tmp_path / "smp.csv"),
                 "--out", str(tmp_path / "x.pdf"), "--name-field", "VNAMEX"]) == 2
