"""Read an enterprise's figures from a JSON file, refusing bad input precisely.

Why a module of its own: every face that takes a file (the command line today, an upload
tomorrow) must fail the same way, naming the file, field, value and reason in both languages.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from observatory.eligibility.model import Enterprise


class EnterpriseFileError(ValueError):
    """An enterprise file that cannot be read or validated; the messages say where and why."""

    def __init__(self, en: str, zh: str) -> None:
        self.message_en, self.message_zh = en, zh
        super().__init__(f"{en}\n{zh}")


def read_enterprise(path: Path) -> Enterprise:
    """Read and validate an enterprise JSON file, failing with file/field/value/reason."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EnterpriseFileError(f"{path}: file not found", f"{path}：文件不存在") from None
    except json.JSONDecodeError as exc:
        raise EnterpriseFileError(
            f"{path}: line {exc.lineno} column {exc.colno}: invalid JSON ({exc.msg})",
            f"{path}：第{exc.lineno}行第{exc.colno}列：JSON格式错误（{exc.msg}）") from None
    try:
        return Enterprise.model_validate(data)
    except ValidationError as exc:
        lines_en, lines_zh = [], []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "(root)"
            shown = json.dumps(err.get("input"), ensure_ascii=False, default=str)[:60]
            lines_en.append(f"{path}: field {loc}, value {shown}: {err['msg']}")
            lines_zh.append(f"{path}：字段 {loc}，取值 {shown}：{err['msg']}")
        raise EnterpriseFileError("\n".join(lines_en), "\n".join(lines_zh)) from None
