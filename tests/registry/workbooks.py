"""Workbooks as a bureau keeps them: title rows, merged two-row headers, totals and notes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from tests.registry.builders import uscc

DISTRICTS = ["市南区", "崂山区", "黄岛区（西海岸新区）", "市北区"]


def bureau_orgs(n: int) -> list[dict[str, Any]]:
    """Organisations as a bureau lists them: names, district names, dates in several forms."""
    founded: list[Any] = [dt.datetime(2015, 3, 1), "2016/5/1", "2017年6月8日", "2018.7.9",
                          43831]  # 43831 = 2020-01-01 as an Excel serial
    return [{"uscc": uscc(i), "name": f"青岛测试科技有限公司{i}",
             "district": DISTRICTS[i % len(DISTRICTS)], "industry": "3921",
             "founded": founded[i % len(founded)], "employees": 10 + i} for i in range(n)]


def title_merged_sheet(sheet: Worksheet, rows: list[dict[str, Any]]) -> None:
    """Two title rows, a two-row header with merged cells, data, a totals and a notes row."""
    sheet.append(["2024年度高新技术企业名单"])
    sheet.merge_cells("A1:G1")
    sheet.append(["填报单位：某区科技局", None, None, None, None, None, "单位：人"])
    sheet.append(["序号", "企业名称", "统一社会信用代码", "所属区县", "基本情况", None, None])
    sheet.append([None, None, None, None, "行业代码", "成立日期", "从业人员"])
    for column in "ABCD":
        sheet.merge_cells(f"{column}3:{column}4")
    sheet.merge_cells("E3:G3")
    for i, row in enumerate(rows, start=1):
        sheet.append([i, row["name"], row["uscc"], row["district"], row["industry"],
                      row["founded"], row["employees"]])
    sheet.append(["合计", None, None, None, None, None, sum(r["employees"] for r in rows)])
    sheet.append(["注：本表由区科技局汇总。"])


def write_bureau_workbook(path: Path, n: int = 5) -> list[dict[str, Any]]:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "名单"
    rows = bureau_orgs(n)
    title_merged_sheet(sheet, rows)
    workbook.save(path)
    return rows


def plain_workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """A workbook with one sheet per entry, each a list of rows."""
    workbook = Workbook()
    first = True
    for title, rows in sheets.items():
        sheet = workbook.active if first else workbook.create_sheet()
        assert sheet is not None
        sheet.title = title
        first = False
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path
