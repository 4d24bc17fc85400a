"""The bundled example city: published figures and a seeded synthetic generator."""

from __future__ import annotations

from typing import Any

#: The deployment settings ``generate`` and ``demo`` write for the example city (Qingdao,
#: GB/T 2260 370200): the years the generator fills, the seed's year, and the plan it leads with.
EXAMPLE_CITY_SETTINGS: dict[str, Any] = {
    "region": "370200",
    "first_year": 2019,
    "last_year": 2025,
    "default_period": 2024,
    "key_plan": "DOUBLE5-2028",
    "languages": ["zh", "en"],
    # the national and provincial packs and the municipal placeholder; not the gazelle or
    # unicorn packs, which encode Guangzhou Huangpu's local rules
    "eligibility_packs": ["hte", "tsme", "innovative_sme", "zjtx_sme", "little_giant",
                          "hidden_champion"],
    "default_pack": "hte",
    # The generator fills whole years up to last_year: its data runs to that year's end.
    "data_as_of": "2025-12-31",
}
