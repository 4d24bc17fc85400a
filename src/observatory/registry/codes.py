"""Identifier checks: USCC (GB 32100-2015), region codes (GB/T 2260), industry codes (GB/T 4754).

>>> uscc_is_valid("91110000802100433B")  # a published USCC
True
>>> make_uscc("91370212", "MA3C5E0X")
'91370212MA3C5E0X9M'
"""

from __future__ import annotations

# GB 32100-2015: 31 characters, no I, O, Z, S, V.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB 11714-1997 organisation code (positions 9-17 of a USCC).
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _org_code_value(char: str) -> int:
    if char.isdigit():
        return int(char)
    return ord(char) - ord("A") + 10


def org_code_check(body: str) -> str:
    """The check character of a GB 11714 organisation code's first eight characters."""
    total = sum(_org_code_value(c) * w for c, w in zip(body, ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def uscc_check(first17: str) -> str:
    """The 18th (check) character of a USCC from its first 17 characters."""
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def uscc_problem(value: str) -> str | None:
    """Why ``value`` is not a valid USCC, or None when it is.

    >>> uscc_problem("91110000802100433C")
    'check character is C, expected B'
    """
    if len(value) != 18:
        return f"must have 18 characters, has {len(value)}"
    bad = sorted({c for c in value if c not in USCC_CHARSET})
    if bad:
        return f"characters not allowed in a USCC: {''.join(bad)}"
    if not value[2:8].isdigit():
        return "characters 3-8 must be a 6-digit region code"
    expected = uscc_check(value[:17])
    if value[17] != expected:
        return f"check character is {value[17]}, expected {expected}"
    return None


def uscc_is_valid(value: str) -> bool:
    return uscc_problem(value) is None


def make_uscc(prefix8: str, org_body8: str) -> str:
    """Build a valid USCC from 'authority+category+region' (8 chars) and an 8-char org body.

    The organisation-code check (position 17) and the USCC check (position 18) are computed.
    """
    body = prefix8 + org_body8
    body += org_code_check(org_body8)
    return body + uscc_check(body)


# GB/T 4754-2017: sections and the ranges of their two-digit divisions.
INDUSTRY_SECTIONS: dict[str, tuple[int, int, str, str]] = {
    "A": (1, 5, "Agriculture, forestry, animal husbandry and fishery", "农、林、牧、渔业"),
    "B": (6, 12, "Mining", "采矿业"),
    "C": (13, 43, "Manufacturing", "制造业"),
    "D": (44, 46, "Electricity, heat, gas and water supply", "电力、热力、燃气及水生产和供应业"),
    "E": (47, 50, "Construction", "建筑业"),
    "F": (51, 52, "Wholesale and retail trade", "批发和零售业"),
    "G": (53, 60, "Transport, storage and post", "交通运输、仓储和邮政业"),
    "H": (61, 62, "Accommodation and catering", "住宿和餐饮业"),
    "I": (63, 65, "Information transmission, software and IT services",
          "信息传输、软件和信息技术服务业"),
    "J": (66, 69, "Finance", "金融业"),
    "K": (70, 70, "Real estate", "房地产业"),
    "L": (71, 72, "Leasing and business services", "租赁和商务服务业"),
    "M": (73, 75, "Scientific research and technical services", "科学研究和技术服务业"),
    "N": (76, 79, "Water conservancy, environment and public facilities",
          "水利、环境和公共设施管理业"),
    "O": (80, 82, "Residential and other services", "居民服务、修理和其他服务业"),
    "P": (83, 83, "Education", "教育"),
    "Q": (84, 85, "Health and social work", "卫生和社会工作"),
    "R": (86, 90, "Culture, sports and entertainment", "文化、体育和娱乐业"),
    "S": (91, 96, "Public administration and social organisations", "公共管理、社会保障和社会组织"),
    "T": (97, 97, "International organisations", "国际组织"),
}


def industry_section(code: str) -> str | None:
    """The GB/T 4754 section letter of a 2-4 digit industry code, or None if invalid."""
    if not (code.isdigit() and 2 <= len(code) <= 4):
        return None
    division = int(code[:2])
    for letter, (low, high, _en, _zh) in INDUSTRY_SECTIONS.items():
        if low <= division <= high:
            return letter
    return None


def industry_problem(code: str) -> str | None:
    """Why ``code`` is not a GB/T 4754-2017 division/group/class code, or None."""
    if not code.isdigit() or not 2 <= len(code) <= 4:
        return "must be 2 to 4 digits (division, group or class)"
    if industry_section(code) is None:
        return f"division {code[:2]} does not exist (01-97)"
    return None


def region_code_problem(code: str) -> str | None:
    """Format check of a GB/T 2260 code; existence is checked against the regions table."""
    if len(code) != 6 or not code.isdigit():
        return "must be 6 digits"
    return None
