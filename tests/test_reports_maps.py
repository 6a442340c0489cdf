"""Field maps PDF: text, pages, scale bar, detail maps, fallbacks, errors and the CLI."""

from __future__ import annotations

import math
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from _reports_data import NAMES, make
from pypdf import PdfReader
from pyproj import Geod

from fieldsurvey.cli.main import main
from fieldsurvey.io.errors import ColumnError, InputError
from fieldsurvey.reports._layout import PT_M
from fieldsurvey.reports.maps import draw_field_maps
from fieldsurvey.reports.sheets import sheet_page_count


def _texts(path) -> list[str]:
    return [p.extract_text() or "" for p in PdfReader(str(path)).pages]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """Three small communities (one page of map each), with boundaries."""
    frame, sample, bnd = make(n_comm=3, per=120, size_m=300, sample_n=6, reserve=4,
                              released_reserve=2)
    out = tmp_path_factory.mktemp("maps") / "maps.pdf"
    calls = []
    res = draw_field_maps(frame, sample, out, boundaries=bnd, team="第一调查队",
                          date="2026-11-21", progress=lambda *a: calls.append(a))
    return frame, sample, bnd, res, calls


def test_page_count_follows_communities(small):
    frame, sample, _, res, _ = small
    released = sample[sample["released"]].groupby("community_id").size()
    expected = sum(1 + sheet_page_count(n) for n in released)
    assert res.page_count == expected == len(PdfReader(str(res.path)).pages)
    assert res.communities == ("420101", "420102", "420103")
    kinds = [p.kind for p in res.pages]
    assert kinds == ["overview", "sheet"] * 3


def test_text_has_names_addresses_and_lines(small):
    frame, sample, _, res, _ = small
    texts = _texts(res.path)
    for page in res.pages:
        k = int(page.community_id[-2:]) - 1
        assert NAMES[k] in texts[page.page - 1]
    released = sample[sample["released"]]
    sheets = {p.community_id: texts[p.page - 1] for p in res.pages if p.kind == "sheet"}
    for _, row in released.iterrows():
        assert row["address"] in sheets[row["community_id"]].replace("\n", "")
    # line numbers on the sheet, in order
    for cid, txt in sheets.items():
        lines = released.loc[released["community_id"] == cid, "line"].tolist()
        assert lines == sorted(lines)
        for ln in lines:
            assert str(ln) in txt
    assert "第一调查队" in texts[0] and "2026-11-21" in texts[0]
    assert "总图" in texts[0] and "入户接触记录表" in texts[1]


def test_unreleased_reserve_is_hidden(small):
    _, sample, _, res, _ = small
    text = "".join(_texts(res.path)).replace("\n", "")
    hidden = sample[~sample["released"]]
    assert len(hidden)
    for addr in hidden["address"]:
        assert addr not in text
    shown = sample[(sample["replicate"] > 0) & sample["released"]]
    for addr in shown["address"]:
        assert addr in text
    assert "备用批1" in text


def test_scale_bar_matches_map_scale_within_2_percent(small):
    frame, sample, _, res, _ = small
    geod = Geod(ellps="WGS84")
    for page in res.pages:
        if page.frame is None:
            continue
        # the bar: drawn points x metres per point at the printed scale
        mpp_printed = page.frame.scale * PT_M
        assert page.bar.points * mpp_printed == pytest.approx(page.bar.metres, rel=1e-9)
        # ground truth: geodesic distance between two far-apart dwellings vs. their
        # distance on the page
        d = frame[frame["community_id"] == page.community_id]
        a = d.loc[d["lon"].idxmin()]
        b = d.loc[d["lon"].idxmax()]
        _, _, metres = geod.inv(a["lon"], a["lat"], b["lon"], b["lat"])
        px, py = page.to_page([a["lon"], b["lon"]], [a["lat"], b["lat"]])
        points = math.hypot(px[1] - px[0], py[1] - py[0])
        bar_mpp = page.bar.metres / page.bar.points
        assert metres / points == pytest.approx(bar_mpp, rel=0.02)
        assert 10 <= page.bar.points <= 45 / 0.3528 + 1  # a readable bar, at most 45 mm


def test_scale_text_is_printed(small):
    _, _, _, res, _ = small
    texts = _texts(res.path)
    for page in res.pages:
        if page.frame is not None:
            assert f"1:{page.frame.scale:,}" in texts[page.page - 1]


def test_progress_and_metadata(small):
    _, _, _, res, calls = small
    assert calls[0] == ("maps", 0, 3) and calls[-1] == ("maps", 3, 3)
    meta = PdfReader(str(res.path)).metadata
    assert res.font.description in meta.subject
    assert not res.notes  # boundaries were given


def test_large_community_gets_indexed_detail_maps(tmp_path):
    frame, sample, bnd = make(n_comm=1, per=400, size_m=1600, sample_n=12, reserve=0)
    out = tmp_path / "big.pdf"
    res = draw_field_maps(frame, sample, out, boundaries=bnd, date="2026-11-21")
    details = [p for p in res.pages if p.kind == "detail"]
    assert len(details) >= 2
    overview = res.pages[0]
    assert overview.kind == "overview" and overview.frame.scale > 4000
    assert all(p.frame.scale <= 4000 for p in details)
    texts = _texts(out)
    assert "分图索引" in texts[0]
    for p in details:
        assert f"分图 {p.tile}/{len(details)}" in texts[p.page - 1]
    # every sampled dwelling is drawn inside the map box of the detail map the index names
    idx = texts[0].replace("\n", "")
    entries = {}
    for part in idx.split("分图")[2:]:
        if "：样本" in part:
            n, lines = part.split("：样本", 1)
            entries[int(n)] = [int(v) for v in lines.split("；")[0].replace(" ", "").split(",")]
    assert sorted(v for vs in entries.values() for v in vs) == sorted(sample["line"])
    for p in details:
        x0, y0, w, h = p.frame.box
        rows = sample[sample["line"].isin(entries.get(p.tile, []))]
        coords = frame.set_index("dwelling_id").loc[rows["dwelling_id"], ["lon", "lat"]]
        px, py = p.to_page(coords["lon"].to_numpy(), coords["lat"].to_numpy())
        assert ((px >= x0) & (px <= x0 + w) & (py >= y0) & (py <= y0 + h)).all()
    n_sheets = sheet_page_count(len(sample))
    assert res.page_count == 1 + len(details) + n_sheets


def test_hull_fallback_is_said_on_the_map(tmp_path):
    frame, sample, _ = make(n_comm=1)
    res = draw_field_maps(frame, sample, tmp_path / "hull.pdf", date="2026-11-21")
    assert "凸包" in _texts(res.path)[0]
    assert res.notes and "convex hull" in res.notes[0]


def test_english_labels(tmp_path):
    frame, sample, bnd = make(n_comm=1)
    res = draw_field_maps(frame, sample, tmp_path / "en.pdf", boundaries=bnd, lang="en",
                          date="2026-11-21")
    texts = _texts(res.path)
    assert "Overview map" in texts[0] and "Scale" in texts[0]
    assert "Assignment and visit record sheet" in texts[1]
    assert NAMES[0] in texts[0]


def test_footprints_roads_and_segment(tmp_path):
    import geopandas as gpd
    import shapely

    frame, sample, bnd = make(n_comm=1, segments=True)
    pts = frame.groupby("building")[["lon", "lat"]].first()
    fp = gpd.GeoDataFrame({"building": [f"F{b}" for b in pts.index]},
                          geometry=gpd.points_from_xy(pts["lon"], pts["lat"]).buffer(0.0001),
                          crs="EPSG:4326")
    minx, miny, maxx, maxy = bnd.total_bounds
    road = shapely.LineString([(minx, (miny + maxy) / 2), (maxx, (miny + maxy) / 2)])
    roads = gpd.GeoDataFrame({"name": ["建设路"]}, geometry=[road], crs="EPSG:4326")
    res = draw_field_maps(frame, sample, tmp_path / "fp.pdf", boundaries=bnd, footprints=fp,
                          roads=roads, date="2026-11-21")
    text = _texts(res.path)[0]
    assert "建设路" in text and "F1栋" in text
    assert "建筑（轮廓）" in text and "道路" in text
    assert "分段：2" in text and "其他分段住户" in text


def test_no_font_installed_falls_back_to_cid(tmp_path):
    from fieldsurvey.reports.fonts import find_cjk_font

    frame, sample, bnd = make(n_comm=1)
    font = find_cjk_font(search_dirs=[tmp_path])  # nothing there: as on a bare machine
    res = draw_field_maps(frame, sample, tmp_path / "bare.pdf", boundaries=bnd, font=font,
                          date="2026-11-21")
    assert res.font.name == "STSong-Light" and not res.font.embedded
    assert "not embedded" in PdfReader(str(res.path)).metadata.subject


def test_forced_cid_fallback_font(tmp_path):
    frame, sample, bnd = make(n_comm=2)
    res = draw_field_maps(frame, sample, tmp_path / "cid.pdf", boundaries=bnd,
                          font="STSong-Light", date="2026-11-21")
    assert not res.font.embedded and res.font.name == "STSong-Light"
    reader = PdfReader(str(res.path))
    assert "STSong-Light" in reader.metadata.subject
    assert "not embedded" in reader.metadata.subject
    assert len(reader.pages) == res.page_count == 2 * (1 + sheet_page_count(8))
    fonts = set()
    for page in reader.pages:
        for f in page["/Resources"]["/Font"].values():
            fonts.add(str(f.get_object()["/BaseFont"]))
    assert any("STSong-Light" in f for f in fonts)
    assert "fonts-wqy-microhei" in res.font.message


def test_bad_inputs_raise_and_leave_no_file(tmp_path):
    frame, sample, bnd = make(n_comm=1)
    out = tmp_path / "bad.pdf"
    with pytest.raises(ColumnError, match="line"):
        draw_field_maps(frame, sample.drop(columns="line"), out)
    bad = sample.copy()
    bad.loc[0, "dwelling_id"] = "nope-1"
    with pytest.raises(InputError, match="not in the frame"):
        draw_field_maps(frame, bad, out)
    other = sample.copy()
    other["community_id"] = "999999"
    with pytest.raises(InputError, match="no dwellings in the frame"):
        draw_field_maps(frame, other, out)
    with pytest.raises(InputError, match="paper"):
        draw_field_maps(frame, sample, out, paper="B5")
    with pytest.raises(InputError, match="language"):
        draw_field_maps(frame, sample, out, lang="fr")
    with pytest.raises(InputError, match="scale"):
        draw_field_maps(frame, sample, out, max_scale=0)
    nb = bnd.rename(columns={"community_id": "code"})
    with pytest.raises(ColumnError):
        draw_field_maps(frame, sample, out, boundaries=nb)
    assert not out.exists()
    assert not list(tmp_path.iterdir())


def test_a3_landscape_choice(tmp_path):
    frame, sample, bnd = make(n_comm=1, per=200, size_m=500)
    # stretch the community east-west: landscape should win
    frame = frame.copy()
    frame["lon"] = 114.30 + (frame["lon"] - 114.30) * 3
    res = draw_field_maps(frame, sample, tmp_path / "a3.pdf", paper="A3", date="2026-11-21")
    page = PdfReader(str(res.path)).pages[0]
    w, h = float(page.mediabox.width), float(page.mediabox.height)
    assert w > h and round(w) == 1191  # A3 landscape
    sheet = PdfReader(str(res.path)).pages[-1]
    assert round(float(sheet.mediabox.width)) == 595  # sheets stay A4 portrait


def test_cli_writes_pdf_and_reports_font(tmp_path, capsys):
    frame, sample, bnd = make(n_comm=2)
    fpath, spath = tmp_path / "frame.parquet", tmp_path / "sample.csv"
    bpath = tmp_path / "b.geojson"
    frame.to_parquet(fpath)
    sample.to_csv(spath, index=False, encoding="utf-8-sig")
    bnd.to_file(bpath)
    out = tmp_path / "maps.pdf"
    code = main(["maps", "--frame", str(fpath), "--sample", str(spath), "--out", str(out),
                 "--boundaries", str(bpath), "--team", "二组", "--font", "STSong-Light"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "STSong-Light" in err and "2 communities" in err
    assert len(PdfReader(str(out)).pages) == 2 * (1 + sheet_page_count(8))


def test_cli_user_errors_exit_2(tmp_path, capsys):
    frame, sample, _ = make(n_comm=1)
    fpath = tmp_path / "frame.parquet"
    frame.to_parquet(fpath)
    code = main(["maps", "--frame", str(fpath), "--sample", str(tmp_path / "none.csv"),
                 "--out", str(tmp_path / "x.pdf")])
    assert code == 2
    assert "sample file does not exist" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("community_id,dwelling_id\n420101,420101-0001\n", encoding="utf-8")
    code = main(["maps", "--frame", str(fpath), "--sample", str(bad), "--out",
                 str(tmp_path / "x.pdf"), "--font", str(tmp_path / "nofont.ttf")])
    assert code == 2
    assert "font file does not exist" in capsys.readouterr().err
    code = main(["maps", "--frame", str(fpath), "--sample", str(bad), "--out",
                 str(tmp_path / "x.pdf"), "--font", "STSong-Light"])
    assert code == 2
    assert "line" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.optional
def test_render_page_to_png(small, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm is not installed")
    from PIL import Image

    _, _, _, res, _ = small
    prefix = tmp_path / "page"
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(res.path),
                    str(prefix)], check=True, capture_output=True)
    png = next(tmp_path.glob("page*.png"))
    img = np.asarray(Image.open(png).convert("RGB")).astype(int)
    assert img.shape[0] > img.shape[1]  # A4 portrait
    red = (img[:, :, 0] > 170) & (img[:, :, 1] < 90) & (img[:, :, 2] < 90)
    dark = img.sum(axis=2) < 200
    assert red.sum() > 50  # main-sample markers
    assert dark.sum() > 500  # text, frame, scale bar


def test_sample_columns_are_optional_where_the_contract_allows(tmp_path):
    frame, sample, bnd = make(n_comm=1)
    minimal = sample[sample["replicate"] == 0][["community_id", "dwelling_id", "line"]]
    res = draw_field_maps(frame, minimal, tmp_path / "min.pdf", boundaries=bnd,
                          date="2026-11-21")
    text = "".join(_texts(res.path))
    assert "主样本" in text


def test_segment_from_geographic_order(tmp_path):
    """Without a segment column the segment is the run of ``order`` around the sample."""
    from fieldsurvey.reports._inputs import communities

    frame, _, bnd = make(n_comm=1, per=200)
    frame = frame.copy()
    frame["order"] = frame["lon"].rank(method="first").astype(int) - 1  # west -> east
    east = frame[frame["order"] >= 100].sort_values("order")
    picked = east.iloc[5:100:10]  # systematic, interval 10, start 5, in the eastern half
    sample = pd.DataFrame({
        "community_id": picked["community_id"], "dwelling_id": picked["dwelling_id"],
        "line": range(1, len(picked) + 1), "segment": "2", "segment_n": 100,
    })
    _, gen = communities(frame, sample, boundaries=bnd)
    comm = next(gen)
    focus = comm.dwellings.set_index("dwelling_id")["in_focus"]
    in_east = focus.reindex(east["dwelling_id"]).to_numpy()
    assert focus.sum() == 100 and in_east.all()
    assert comm.segment == "2"
    res = draw_field_maps(frame, sample, tmp_path / "seg.pdf", boundaries=bnd, date="2026-11-21")
    text = _texts(res.path)[0]
    assert "分段：2" in text and "其他分段住户" in text


def test_maps_from_the_library_frame_and_sample(tmp_path):
    """build_frame -> draw_sample (with segments) -> maps: the real contracts fit together."""
    from fieldsurvey.frame import build_frame
    from fieldsurvey.sampling.output import write_sample
    from fieldsurvey.sampling.stages import draw_sample

    frame, _, bnd = make(n_comm=2, per=300, size_m=500)
    listing = pd.DataFrame(frame.drop(columns=["geometry", "name", "street", "type",
                                               "households"]))
    bnd = bnd.assign(street="中山街道", type="示范类", households=300)
    fpath = tmp_path / "frame.parquet"
    built = build_frame(bnd, listing, out=fpath)
    design = {
        "seed": 7,
        "stage1": {"method": "take_all"},
        "stage2": {"method": "systematic", "eligible": "status == 'occupied'", "m": 10,
                   "reserve": 4, "segment_size": 100},
    }
    sample = draw_sample(built.frame, design)
    assert sample["segment"].notna().all()
    write_sample(sample, tmp_path / "smp")
    out = tmp_path / "maps.pdf"
    code = main(["maps", "--frame", str(fpath), "--sample", str(tmp_path / "smp.csv"),
                 "--out", str(out), "--boundaries", str(_write(bnd, tmp_path / "b.geojson")),
                 "--date", "2026-11-21"])
    assert code == 0
    texts = _texts(out)
    assert built.fingerprint[:16] in texts[0]
    released = sample[sample["released"].astype(bool)]
    whole = "".join(texts).replace("\n", "")
    for addr in released["address"]:
        assert addr in whole
    seg = str(released["segment"].iloc[0])
    assert f"分段：{seg}" in texts[0] and "其他分段住户" in texts[0]


def _write(gdf, path):
    gdf.to_file(path)
    return path


def test_dwellings_without_coordinates_are_said(tmp_path):
    frame, sample, bnd = make(n_comm=1)
    frame = frame.copy()
    lost = sample["dwelling_id"].iloc[:2].tolist()
    frame.loc[frame["dwelling_id"].isin(lost), ["lon", "lat"]] = np.nan
    res = draw_field_maps(frame, sample, tmp_path / "nan.pdf", boundaries=bnd,
                          date="2026-11-21")
    text = _texts(res.path)[0]
    assert "样本 1, 2 的住户没有坐标" in text
    assert any("1, 2 have no coordinates" in n for n in res.notes)
    sheet = _texts(res.path)[1].replace("\n", "")
    for addr in sample["address"].iloc[:2]:
        assert addr in sheet


def test_scale_bar_as_drawn_in_the_pdf_matches_the_ground(small):
    """Read the bar's rectangles from the page's content stream, not from our layout."""
    from pypdf.generic import ContentStream

    frame, _, _, res, _ = small
    reader = PdfReader(str(res.path))
    geod = Geod(ellps="WGS84")
    for page in (p for p in res.pages if p.frame is not None):
        pdf_page = reader.pages[page.page - 1]
        ops = ContentStream(pdf_page.get_contents(), reader).operations
        rects = [tuple(float(v) for v in args) for args, op in ops if op == b"re"]
        bar = [r for r in rects if abs(r[3] - 1.6 / 25.4 * 72) < 0.01]
        assert len(bar) == page.bar.parts
        drawn = max(r[0] + r[2] for r in bar) - min(r[0] for r in bar)
        text = pdf_page.extract_text()
        assert f"{page.bar.metres:g}" in text and "m" in text
        d = frame[frame["community_id"] == page.community_id]
        a, b = d.loc[d["lat"].idxmin()], d.loc[d["lat"].idxmax()]
        _, _, metres = geod.inv(a["lon"], a["lat"], b["lon"], b["lat"])
        px, py = page.to_page([a["lon"], b["lon"]], [a["lat"], b["lat"]])
        on_page = math.hypot(px[1] - px[0], py[1] - py[0])
        assert (page.bar.metres / drawn) == pytest.approx(metres / on_page, rel=0.02)


def test_a_far_duplicate_does_not_stretch_its_building():
    """One dwelling of 1栋 listed again 305 m away must not draw a 305 m building."""
    import shapely

    from fieldsurvey.reports._geom import group_polygons

    x = np.array([0.0, 1.0, 2.0, 3.0, 305.0, 0.0, 1.0])
    y = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 50.0, 51.0])
    polys, labels = group_polygons(x, y, pd.Series(["1栋"] * 5 + ["2栋"] * 2), 2.0)
    assert list(labels) == ["1栋", "2栋"]
    assert shapely.bounds(polys[0])[2] < 10  # ends near x = 3, not at 305
