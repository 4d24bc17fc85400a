"""Deployment settings: ``observatory.toml`` in the home, overridden by ``OBSERVATORY_*`` variables.

Why settings and not constants: the same code serves any city, province or the nation. The
deployment's home region, year span, default period, key plan and languages are written once,
by the operator or by ``observatory generate``/``demo`` for the example city, and validated
when read, so a typo stops the program instead of silently showing another region.

Precedence: explicit arguments > environment variables > ``<home>/observatory.toml`` > defaults.

>>> import tempfile
>>> home = Path(tempfile.mkdtemp())
>>> write_settings(home, {"region": "440300", "first_year": 2020, "last_year": 2024})
PosixPath('...observatory.toml')
>>> s = Settings(home=home)
>>> s.region, list(s.years), s.period
('440300', [2020, 2021, 2022, 2023, 2024], 2024)
>>> s.sqlite_path.name
'observatory.db'
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

SETTINGS_FILE = "observatory.toml"
LANGUAGES = ("zh", "en")
#: Keys a deployment writes in ``observatory.toml`` (the connection keys may be there too).
DEPLOYMENT_KEYS = ("region", "first_year", "last_year", "default_period", "key_plan", "languages",
                   "data_as_of", "eligibility_packs", "default_pack")


class SettingsError(ValueError):
    """A settings file or variable that cannot be used; the message is bilingual."""


def _home_of(init_kwargs: dict[str, Any]) -> Path:
    home = init_kwargs.get("home") or os.environ.get("OBSERVATORY_HOME") or ".observatory"
    return Path(home)


class Settings(BaseSettings):
    """Where the data lives, how to reach it, and what the deployment covers."""

    model_config = SettingsConfigDict(env_prefix="OBSERVATORY_", extra="ignore")

    home: Path = Path(".observatory")
    database_url: str | None = None
    secret_key: str | None = None
    #: GB/T 2260 code of the deployment's home region (a city, a province, or 100000 for China).
    region: str = "100000"
    first_year: int = 2019
    last_year: int = 2025
    #: The period pages, reports and commands show when none is asked for (default: last_year).
    default_period: int | None = None
    #: Code of the plan the overview leads with; none shows every plan alike.
    key_plan: str | None = None
    #: The day the registry's data runs to. None: the newest event it records (contracts
    #: registered, certificates granted, listings published...), at most today. Periods after
    #: it are refused; a period it cuts through is provisional.
    data_as_of: dt.date | None = None
    languages: Annotated[tuple[str, ...], NoDecode] = LANGUAGES
    #: The designation rule packs this deployment offers (bundled pack codes), in the order
    #: forms list them; none: every bundled pack. A city leaves out other places' local packs.
    eligibility_packs: Annotated[tuple[str, ...], NoDecode] = ()
    #: The pack the self-assessment form and the cultivation pipeline start with; none: the
    #: first of ``eligibility_packs``, else the first bundled national pack.
    default_pack: str | None = None
    #: Addresses of the reverse proxies whose ``X-Forwarded-For`` names the real client (the
    #: login limiter counts per client); none by default, so no peer can claim another address.
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ()
    #: Import limits, checked while a file is read (``registry.readers.Limits``): file size,
    #: unpacked size and member count of a ZIP or XLSX, rows, columns and characters per cell,
    #: and how many errors a web import run stores.
    import_max_file_bytes: Annotated[int, Field(ge=1)] = 100 * 2**20
    import_max_unzipped_bytes: Annotated[int, Field(ge=1)] = 512 * 2**20
    import_max_zip_members: Annotated[int, Field(ge=1)] = 1_000
    import_max_rows: Annotated[int, Field(ge=1)] = 1_000_000
    import_max_columns: Annotated[int, Field(ge=1)] = 1_000
    import_max_cell_chars: Annotated[int, Field(ge=1)] = 32_767
    import_max_stored_errors: Annotated[int, Field(ge=1)] = 200

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        kwargs = getattr(init_settings, "init_kwargs", {})
        path = _home_of(kwargs) / SETTINGS_FILE
        _read_settings_file(path)  # refuse a broken file before any source reads it
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, path))

    @field_validator("region")
    @classmethod
    def _region_code(cls, value: str) -> str:
        if not (len(value) == 6 and value.isdigit()):
            raise ValueError(
                f"region must be a 6-digit GB/T 2260 code, got {value!r} / "
                f"region 须为 6 位 GB/T 2260 行政区划代码，实为 {value!r}"
            )
        return value

    @field_validator("languages", mode="before")
    @classmethod
    def _languages(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        bad = [v for v in value if v not in LANGUAGES]
        if bad or not value:
            raise ValueError(
                f"languages must be chosen from {', '.join(LANGUAGES)}, got {value!r} / "
                f"languages 只能取 {'、'.join(LANGUAGES)}，实为 {value!r}"
            )
        return tuple(value)

    @field_validator("eligibility_packs", mode="before")
    @classmethod
    def _packs(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        value = tuple(value)
        _check_packs(value, "eligibility_packs")
        return value

    @field_validator("default_pack")
    @classmethod
    def _default_pack(cls, value: str | None) -> str | None:
        if value is not None:
            _check_packs((value,), "default_pack")
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        return tuple(value)

    @model_validator(mode="after")
    def _years(self) -> Settings:
        if self.first_year > self.last_year:
            raise ValueError(
                f"first_year {self.first_year} is after last_year {self.last_year} / "
                f"起始年 {self.first_year} 晚于结束年 {self.last_year}"
            )
        if self.default_period is not None and not (
            self.first_year <= self.default_period <= self.last_year
        ):
            raise ValueError(
                f"default_period {self.default_period} is outside {self.first_year}-"
                f"{self.last_year} / 默认期 {self.default_period} 不在 {self.first_year}-"
                f"{self.last_year} 之内"
            )
        if (self.default_pack and self.eligibility_packs
                and self.default_pack not in self.eligibility_packs):
            raise ValueError(
                f"default_pack {self.default_pack!r} is not in eligibility_packs "
                f"{list(self.eligibility_packs)} / 默认规则包 {self.default_pack!r} 不在 "
                f"eligibility_packs 之中"
            )
        return self

    @property
    def years(self) -> range:
        """Every year the deployment covers, first to last inclusive."""
        return range(self.first_year, self.last_year + 1)

    @property
    def period(self) -> int:
        """The period shown when none is asked for."""
        return self.default_period if self.default_period is not None else self.last_year

    @property
    def language(self) -> str:
        """The first language: what a page shows before the user picks one."""
        return self.languages[0]

    @property
    def sqlite_path(self) -> Path:
        return Path(self.home) / "observatory.db"

    @property
    def settings_path(self) -> Path:
        return Path(self.home) / SETTINGS_FILE

    @property
    def url(self) -> str:
        """The database URL: the explicit one, else the SQLite file under ``home``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.sqlite_path}"


def _check_packs(codes: tuple[str, ...], key: str) -> None:
    """Refuse pack codes that are not bundled rule packs (a typo would offer nothing)."""
    folder = Path(__file__).resolve().parent / "eligibility" / "rulepacks"  # no engine import
    known = sorted(p.stem for p in folder.glob("*.yaml") if not p.name.startswith("_"))
    bad = [c for c in codes if c not in known]
    if bad:
        raise ValueError(
            f"{key}: no bundled rule pack {', '.join(map(repr, bad))}; known: "
            f"{', '.join(known)} / {key}：没有规则包 {'、'.join(bad)}"
        )


def _read_settings_file(path: Path) -> dict[str, Any]:
    """The file's values ({} when there is none); refuse one that does not parse or names a
    key nobody reads (a typo)."""
    if not path.exists():
        return {}
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(
            f"{path}: not valid TOML ({exc}) / {path}：不是有效的 TOML（{exc}）"
        ) from exc
    unknown = sorted(set(values) - set(Settings.model_fields))
    if unknown:
        raise SettingsError(
            f"{path}: unknown setting(s) {', '.join(unknown)}; known: "
            f"{', '.join(Settings.model_fields)} / {path}：未知的设置项 {'、'.join(unknown)}"
        )
    return values


def write_settings(home: Path, values: dict[str, Any]) -> Path:
    """Write the deployment keys given into ``observatory.toml`` in ``home`` (validated first);
    other keys already in the file (an operator's ``database_url``, ``secret_key``) are kept."""
    unknown = sorted(set(values) - set(DEPLOYMENT_KEYS))
    if unknown:
        raise SettingsError(f"unknown deployment setting(s) {', '.join(unknown)} / "
                            f"未知的部署设置项 {'、'.join(unknown)}")
    path = Path(home) / SETTINGS_FILE
    kept = _read_settings_file(path)
    merged = {k: v for k, v in kept.items() if k not in DEPLOYMENT_KEYS}
    merged.update({k: v for k, v in values.items() if v is not None})
    Settings.model_validate({"home": home, **merged})
    lines = ["# Deployment settings of the Innovation Observatory (see docs/architecture.md)."]
    for key in [*DEPLOYMENT_KEYS, *(k for k in merged if k not in DEPLOYMENT_KEYS)]:
        if merged.get(key) is not None:
            value = merged[key]
            if isinstance(value, list | tuple):
                value = list(value)
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def get_settings() -> Settings:
    """The settings in force for this process (read anew: a CLI call may change the home).

    A value that fails validation (a variable or the file) is a :class:`SettingsError` naming
    each field and why, in both languages, as a broken file is."""
    try:
        return Settings()
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(str(x) for x in err['loc']) or 'settings'}: "
            f"{str(err['msg']).removeprefix('Value error, ')}"
            for err in exc.errors())
        raise SettingsError(reasons) from None
