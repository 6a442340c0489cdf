"""Chinese names for the example district: streets, communities and compounds.

The district is fictional (青岚区, a new district south-west of a provincial capital);
the names are common ones, so the files look like a real street office's lists. Compound
names are drawn without replacement from the combinations below, so every compound name is
unique in the district and a name plus a building number is an address.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "COMMUNITY_NAMES",
    "DISTRICT_NAME",
    "STREETS",
    "compound_names",
]

DISTRICT_NAME = "青岚区"

#: (street name, number of communities, zone): old town (老城) in the west, new town (新城)
#: in the east. The counts are the published county's 9, 9, 12, 3, 3, 3.
STREETS: tuple[tuple[str, int, str], ...] = (
    ("城关街道", 9, "old"),
    ("鼓楼街道", 9, "old"),
    ("南湖街道", 12, "old"),
    ("新城街道", 3, "new"),
    ("滨湖街道", 3, "new"),
    ("科创街道", 3, "new"),
)

#: Community names per street, in the order of STREETS.
COMMUNITY_NAMES: tuple[tuple[str, ...], ...] = (
    (
        "东关社区",
        "西关社区",
        "北街社区",
        "南街社区",
        "文昌社区",
        "钟楼社区",
        "县前社区",
        "仓巷社区",
        "后街社区",
    ),
    (
        "鼓楼社区",
        "和平社区",
        "幸福社区",
        "解放社区",
        "人民社区",
        "胜利社区",
        "建设社区",
        "红旗社区",
        "光明社区",
    ),
    (
        "南湖社区",
        "湖滨社区",
        "南苑社区",
        "荷花塘社区",
        "机械厂社区",
        "纺织社区",
        "车站社区",
        "长江路社区",
        "淮河路社区",
        "桃园社区",
        "杏花社区",
        "凤凰社区",
    ),
    ("新城社区", "翡翠社区", "锦绣社区"),
    ("滨湖社区", "天鹅湖社区", "湖光社区"),
    ("科创社区", "产业园社区", "创新社区"),
)

_ROADS = (
    "人民路",
    "解放路",
    "建设路",
    "胜利街",
    "东大街",
    "西大街",
    "文化路",
    "中山路",
    "长江路",
    "淮河路",
    "健康路",
    "工农路",
    "红旗路",
    "民主路",
    "和平路",
    "幸福路",
    "府前街",
    "北门街",
    "南门街",
    "鼓楼巷",
    "仓巷",
    "书院街",
)

_WORK_UNITS = (
    "纺织厂",
    "棉纺厂",
    "机械厂",
    "化肥厂",
    "粮食局",
    "供销社",
    "电业局",
    "邮电局",
    "交通局",
    "水利局",
    "卫生局",
    "人民医院",
    "第一中学",
    "实验小学",
    "税务局",
    "财政局",
    "农业银行",
    "建设银行",
    "工商银行",
    "烟草公司",
    "自来水公司",
    "汽车站",
    "啤酒厂",
    "酿酒厂",
    "水泥厂",
    "印刷厂",
    "食品公司",
    "百货公司",
    "五金公司",
    "农机厂",
    "轴承厂",
    "林业局",
    "气象局",
    "公安局",
    "法院",
    "检察院",
    "人武部",
    "广电局",
    "文化局",
    "教育局",
    "城建局",
    "房管局",
    "物资局",
    "商业局",
    "二轻局",
    "中医院",
    "第二中学",
    "师范学校",
    "电厂",
    "制药厂",
)
_WORK_SUFFIXES = ("宿舍", "家属院", "生活区", "职工宿舍")

_ESTATE_PREFIXES = (
    "金桂",
    "翠苑",
    "阳光",
    "锦绣",
    "御景",
    "学府",
    "湖畔",
    "星河",
    "云栖",
    "枫林",
    "紫薇",
    "银杏",
    "香樟",
    "丽景",
    "和煦",
    "春晓",
    "澜湾",
    "悦府",
    "天玺",
    "盛世",
    "华庭",
    "东方",
    "明珠",
    "翰林",
    "书香",
    "君临",
    "瑞景",
    "嘉和",
    "恒泰",
    "福润",
    "绿洲",
    "梧桐",
    "岚山",
    "青溪",
    "望湖",
    "观澜",
    "雅居",
    "颐和",
    "馨园",
    "晨光",
)
_ESTATE_SUFFIXES = (
    "花园",
    "苑",
    "小区",
    "家园",
    "公寓",
    "府",
    "名城",
    "湾",
    "雅苑",
    "佳园",
    "华府",
    "新村",
)


def compound_names(kinds: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return one unique Chinese name per compound, by its kind.

    ``kinds`` holds 商业小区, 无物业楼院 or 单位小区 per compound. Commercial estates are
    named "<prefix><suffix>", courtyards "<road><n>号院", work-unit compounds
    "<work unit><suffix>"; each list is drawn without replacement.
    """
    names = np.empty(len(kinds), dtype=object)
    pools = {
        "商业小区": [p + s for p in _ESTATE_PREFIXES for s in _ESTATE_SUFFIXES],
        "无物业楼院": [f"{r}{n}号院" for r in _ROADS for n in range(1, 60)],
        "单位小区": [u + s for u in _WORK_UNITS for s in _WORK_SUFFIXES],
    }
    for kind, pool in pools.items():
        where = np.flatnonzero(kinds == kind)
        if len(where) > len(pool):  # pragma: no cover - the pools are sized for the district
            raise ValueError(f"not enough {kind} names for {len(where)} compounds")
        pick = rng.choice(len(pool), size=len(where), replace=False)
        names[where] = [pool[i] for i in pick]
    return names
