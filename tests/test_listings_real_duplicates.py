"""Real listings put many dwellings on one point: the self-check must not call them duplicates.

Found on real files: an address registry of Taipei (one point per building, the floors told
apart only by the address text, 桂林路52號3樓 / 4樓 / 5樓) had 14 of 58 rows flagged
``duplicate_point``; a listing geocoded per compound (every dwelling at the compound's gate,
told apart by 栋 / 单元 / 室) flags every 101 of every building. Only true repeats count.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from fieldsurvey.frame.build import build_frame

GATE = (121.5044, 25.0378)


def _boundaries() -> gpd.GeoDataFrame:
    box = shapely.box(GATE[0] - 0.01, GATE[1] - 0.01, GATE[0] + 0.01, GATE[1] + 0.01)
    return gpd.GeoDataFrame({"community_id": ["6300700009"], "households": [40]},
                            geometry=[box], crs="EPSG:4326")


def test_compound_geocoded_listing_flags_only_the_true_repeat() -> None:
    rows = [{"小区": "幸福小区", "楼栋": str(b), "单元": "1", "楼层": str(f), "房号": f"{f}01",
             "经度": GATE[0], "纬度": GATE[1]} for b in (1, 2, 3) for f in (1, 2, 3, 4)]
    rows.append(dict(rows[5]))  # 2栋 2层 201 listed twice
    res = build_frame(_boundaries(), pd.DataFrame(rows))
    check = res.qa["duplicate_point"]
    assert check.count == 2
    assert sorted(e["row"] for e in check.examples) == [6, 13]
    assert res.frame["qa_duplicate_point"].sum() == 2


def test_registry_floors_in_the_address_text_are_different_dwellings() -> None:
    addresses = ["桂林路52號3樓", "桂林路52號4樓", "桂林路52號5樓", "林森北路487號5樓之6",
                 "林森北路487號4樓之10", "桂林路 52 號 4 樓"]  # the last repeats row 2
    df = pd.DataFrame({"門牌": addresses, "經度": GATE[0], "緯度": GATE[1]})
    res = build_frame(_boundaries(), df)
    assert res.frame["address"].notna().all()  # 門牌 is the address column
    check = res.qa["duplicate_point"]
    assert check.count == 2
    assert sorted(e["row"] for e in check.examples) == [2, 6]


def test_listed_unit_floor_door_decide_over_the_address_text() -> None:
    df = pd.DataFrame({"address": ["A路1号", "A路1号之一"], "unit": "1", "floor": "3",
                       "door": "301", "lon": GATE[0], "lat": GATE[1]})
    res = build_frame(_boundaries(), df)
    assert res.qa["duplicate_point"].count == 2


def test_an_address_without_the_unit_is_told_apart_by_the_unit_column() -> None:
    # 小区01号楼101 in unit 1 and in unit 2: the address text leaves the unit out
    rows = [{"小区": "小区0", "楼栋": "1", "单元": str(u), "房号": "101",
             "地址": "小区01号楼101", "经度": GATE[0] + 0.0001 * u, "纬度": GATE[1]}
            for u in (1, 2)]
    rows.append({**rows[0], "经度": GATE[0] + 0.0005})  # unit 1's 101 listed again
    res = build_frame(_boundaries(), pd.DataFrame(rows))
    check = res.qa["duplicate_address"]
    assert check.count == 2 and sorted(e["row"] for e in check.examples) == [1, 3]
