"""Import/export specs follow the models: the schema is written once, in ``registry.models``."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import String

from observatory.registry.entities import SPECS, EntitySpec, Field
from observatory.registry.errors import ImportFailed
from observatory.registry.importer import import_path
from observatory.registry.schema import insert_order, ordered_columns, table_columns
from tests.registry.builders import to_csv


def _column(spec: EntitySpec, spec_field: Field):
    return spec.model.__table__.columns[spec_field.model_attr]


@pytest.mark.parametrize("name", sorted(SPECS))
def test_spec_lengths_and_nullability_equal_the_model(name: str) -> None:
    spec = SPECS[name]
    for spec_field in spec.fields:
        column = _column(spec, spec_field)
        if spec_field.ref is None:
            length = column.type.length if isinstance(column.type, String) else None
            assert spec_field.max_len == length, spec_field.name
        required = not column.nullable or spec_field.name in spec.key
        if spec_field.required != required:
            # Only a NOT NULL column with a default may be left empty in a file.
            assert not spec_field.required and column.default is not None, spec_field.name


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_model_column_but_the_surrogate_id_is_a_file_column(name: str) -> None:
    spec = SPECS[name]
    attrs = [f.model_attr for f in spec.fields]
    expected = [c.key for c in ordered_columns(spec.model)
                if not (c.primary_key and c.key == "id")]
    assert attrs == expected
    for spec_field in spec.fields:
        column = _column(spec, spec_field)
        targets = {fk.column.table.name for fk in column.foreign_keys}
        assert targets == ({spec_field.ref.entity} if spec_field.ref else set()), spec_field.name


def test_references_are_named_by_the_referenced_natural_key() -> None:
    contracts = SPECS["technology_contracts"]
    assert contracts.columns[:7] == ["registration_no", "contract_type", "seller_uscc",
                                     "buyer_uscc", "broker", "seller_region_code",
                                     "buyer_region_code"]
    assert contracts.columns[-2:] == ["source", "source_ref"]
    assert SPECS["vocab_terms"].columns[0] == "scheme"
    assert SPECS["achievements"].columns[-3:] == ["asking_price_yuan", "source", "source_ref"]


def test_generator_columns_and_insert_order_come_from_the_metadata() -> None:
    assert table_columns("demands")[:2] == ["id", "code"]
    assert table_columns("demands")[-3:] == ["budget_yuan", "source_id", "source_ref"]
    order = insert_order(["fund_investments", "projects", "funds", "organisations"])
    assert order.index("organisations") < order.index("funds") < order.index("fund_investments")
    assert order.index("projects") < order.index("fund_investments")


def test_a_value_longer_than_its_column_is_refused_in_both_languages(engine,
                                                                     tmp_path: Path) -> None:
    row = {"code": "ACH-1", "title_zh": "题" * 301, "field_code": "marine_equipment",
           "visibility": "public", "status": "published"}
    path = tmp_path / "achievements.csv"
    path.write_text(to_csv([row]), encoding="utf-8")
    with pytest.raises(ImportFailed) as info:
        import_path(engine, path, "achievements")
    [error] = info.value.errors
    assert (error.row, error.column) == (2, "title_zh")
    assert (error.reason_en, error.reason_zh) == ("longer than 300 characters", "超过 300 个字符")


def test_a_format_check_speaks_before_the_length(engine, tmp_path: Path) -> None:
    path = tmp_path / "regions.csv"
    path.write_text(to_csv([{"code": "3702121", "name_en": "X", "name_zh": "叉",
                             "level": "district"}]), encoding="utf-8")
    with pytest.raises(ImportFailed) as info:
        import_path(engine, path, "regions")
    [error] = info.value.errors
    assert error.column == "code" and error.reason_en == "must be 6 digits"
