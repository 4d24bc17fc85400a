"""Write computed indicators as CSV with metadata or as SDMX-CSV (sdmx1).

CSV with metadata: the tidy result plus each indicator's bilingual name, direction and source,
preceded by ``#`` comment lines saying what was computed, when and by which method file.
SDMX-CSV (version 2): dataflow ``OBSERVATORY:INDICATORS(1.0)`` with dimensions INDICATOR,
REF_AREA (GB/T 2260), any breakdowns (upper-cased; ``_T`` = total, the SDMX convention),
TIME_PERIOD, measure OBS_VALUE and the observation attribute UNIT_MEASURE.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import cast

import pandas as pd
import sdmx
from sdmx.model import common
from sdmx.model import v21 as model

from observatory.indicators.catalogue import Catalogue, load_catalogue
from observatory.registry.cells import neutralise

META_COLUMNS = ["name_en", "name_zh", "direction", "nature", "source"]
FIXED = {"indicator", "region", "period", "value", "unit", "n_records", "method"}


def with_metadata(frame: pd.DataFrame, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """The result with each indicator's metadata columns."""
    cat = catalogue or load_catalogue()
    meta = pd.DataFrame([{"indicator": c, **{k: getattr(cat[c], k) for k in META_COLUMNS}}
                         for c in frame["indicator"].unique()],
                        columns=["indicator", *META_COLUMNS])
    return frame.merge(meta, on="indicator", how="left")


def to_csv_with_metadata(frame: pd.DataFrame, catalogue: Catalogue | None = None) -> str:
    buffer = io.StringIO()
    buffer.write("# Innovation Observatory indicators / 创新观测指标\n")
    buffer.write(f"# generated: {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}\n")
    buffer.write("# method: docs/methodology/indicators.md; n_records = contributing records\n")
    table = with_metadata(frame, catalogue).map(neutralise)  # no formula reaches a spreadsheet
    table.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def breakdowns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in FIXED and c not in META_COLUMNS]


def to_sdmx_dataset(frame: pd.DataFrame) -> model.StructureSpecificDataSet:
    """The result as an SDMX data set with its structure and dataflow."""
    agency = common.Agency(id="OBSERVATORY")
    dsd = model.DataStructureDefinition(id="OBS_INDICATORS", maintainer=agency, version="1.0")
    dims = ["INDICATOR", "REF_AREA", *(b.upper() for b in breakdowns(frame))]
    for order, name in enumerate(dims):
        dsd.dimensions.getdefault(name, order=order)
    dsd.dimensions.getdefault("TIME_PERIOD", cls=model.TimeDimension, order=len(dims))
    dsd.measures.getdefault("OBS_VALUE", cls=model.PrimaryMeasure)
    unit_attr = dsd.attributes.getdefault("UNIT_MEASURE",
                                          related_to=model.PrimaryMeasureRelationship())
    flow = model.DataflowDefinition(id="INDICATORS", maintainer=agency, version="1.0",
                                    structure=dsd)
    ds = model.StructureSpecificDataSet(structured_by=dsd)
    observations = []
    for row in frame.itertuples(index=False):
        values = row._asdict()
        key = {"INDICATOR": values["indicator"], "REF_AREA": values["region"],
               "TIME_PERIOD": str(values["period"])}
        for b in breakdowns(frame):
            v = values[b]
            key[b.upper()] = "_T" if v is None or (isinstance(v, float) and pd.isna(v)) else v
        observations.append(model.Observation(
            dimension=dsd.make_key(model.Key, key), value=float(values["value"]),
            attached_attribute={"UNIT_MEASURE": model.AttributeValue(value=values["unit"],
                                                                     value_for=unit_attr)}))
    ds.add_obs(observations)
    ds.described_by = flow
    return ds


def to_sdmx_csv(frame: pd.DataFrame) -> str:
    """SDMX-CSV text of the result (sdmx1's writer, observation attributes included)."""
    # sdmx1 annotates every rtype's result as one union; rtype=DataFrame without a path gives a
    # DataFrame.
    table = cast(pd.DataFrame,
                 sdmx.to_csv(to_sdmx_dataset(frame), rtype=pd.DataFrame, attributes="o"))
    return table.to_csv(index=False, lineterminator="\n")
