"""Copy the CSL rows the example city uses into the package (run once; the output is committed).

``python scripts/build_csl_subset.py`` reads ``tests/data/matching_eval/csl`` (titles, keywords
and disciplines of 2,000 real Chinese paper abstracts, Apache-2.0) and writes
``src/observatory/examples/data/csl_listings.json``: the rows whose discipline maps onto one of
the example city's fields, with the title, the keywords and the abstract cut at a sentence end.
The package reads only that file, never ``tests/``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CSL = ROOT / "tests" / "data" / "matching_eval" / "csl"
OUT = ROOT / "src" / "observatory" / "examples" / "data" / "csl_listings.json"

# CSL discipline -> (city field, words a title must contain to fit the field; empty = any).
DISCIPLINES: dict[str, tuple[str, str]] = {
    "船舶与海洋工程": ("marine_equipment", ""),
    "机械工程": ("marine_equipment", "船|海|水下|港"),
    "海洋科学": ("marine_bio", ""),
    "食品科学与工程": ("marine_bio", "海|鱼|虾|贝|藻|参|蟹|鱿|牡蛎|鲍|水产"),
    "水产": ("fisheries", ""),
    "水利工程": ("desalination", "膜|淡化|脱盐|净化|处理|水质"),
    "交通运输工程": ("rail_transit", "铁|轨|列车|地铁|动车|机车|车辆|车体|转向架"),
    "光学工程": ("vr", ""),
    "计算机科学与技术": ("ai", ""),
    "控制科学与工程": ("ai", ""),
    "生物学/生物科学与工程": ("synthetic_bio", ""),
    "药学": ("biomedicine", ""),
    "电气工程": ("new_energy", ""),
    "动力工程及工程热物理": ("new_energy", ""),
    "材料科学与工程": ("new_materials", ""),
    "化学/化学工程与技术": ("chemicals", ""),
    "信息与通信工程": ("ict", ""),
    "电子科学与技术": ("ict", ""),
    "环境科学与工程": ("green_tech", ""),
}
MAX_ABSTRACT = 220
# A title that names something one could license or develop further, not a survey or a report.
OFFER = re.compile("方法|技术|系统|装置|设计|制备|合成|算法|工艺|材料|器件|催化|传感|检测|控制|"
                   "模型|优化|性能|结构|电路|芯片|天线|涂层|膜|剂|仪|机")
SURVEY = re.compile("现状|进展|综述|探索|探讨|管理|调查|展望|思考|对策|意义|浅|论|"
                    "小结|总结|体会|经验")
WATER = re.compile("废水|污水|水处理|膜|淡化|脱盐|水质")


def _rows(split: str, task: str) -> list[list[str]]:
    path = CSL / task / f"{split}.tsv"
    return [line.rstrip("\n").split("\t") for line in path.open(encoding="utf-8")]


def _cut(abstract: str) -> str:
    """The abstract up to the last sentence end within MAX_ABSTRACT characters."""
    text = abstract.replace(",", "，").replace(";", "；").replace("．", "。")
    text = re.sub(r"(?<![0-9])\.(?![0-9])", "。", text)
    if len(text) <= MAX_ABSTRACT:
        return text
    head = text[:MAX_ABSTRACT]
    end = head.rfind("。")
    return head[: end + 1] if end > 40 else head.rstrip("，；") + "。"


def build() -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for split in ("dev", "test"):
        zipped = zip(_rows(split, "cls_dcp"), _rows(split, "ts"), _rows(split, "kg"), strict=True)
        for dcp, ts, kg in zipped:
            discipline, title, keywords = dcp[2], ts[2].strip(" *"), kg[2].strip()
            if discipline not in DISCIPLINES or title in seen:
                continue
            field, must = DISCIPLINES[discipline]
            if must and not re.search(must, title):
                continue
            if not OFFER.search(title) or SURVEY.search(title) or len(title) > 40:
                continue  # surveys, essays and long titles do not read as offers
            if field == "green_tech" and WATER.search(title):
                field = "desalination"
            seen.add(title)
            out.append({"field": field, "discipline": discipline, "title": title,
                        "keywords": ";".join(k for k in keywords.split("_") if k),
                        "abstract": _cut(dcp[1])})
    return out


def main() -> None:
    doc = {
        "source": "CSL: Chinese Scientific Literature benchmark, github.com/ydli-ai/CSL, commit "
                  "0f1ac0626d584cd3c72f8be26d329eb4f967cfd0, benchmark/ (ts, kg, cls_dcp)",
        "licence": "Apache-2.0 (see CSL-LICENSE.txt beside this file)",
        "cite": "Li, Y., Zhang, Y., Zhao, Z., et al. (2022). CSL: A Large-scale Chinese "
                "Scientific Literature Dataset. COLING 2022.",
        "note": "Real paper titles, keywords and shortened abstracts, used as the texts of "
                "synthetic achievements of the example city's universities and institutes.",
        "rows": build(),
    }
    OUT.write_text(json.dumps(doc, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({len(doc['rows'])} rows, {OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
