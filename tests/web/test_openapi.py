"""/openapi.json documents a response schema for every JSON route."""

from __future__ import annotations

from fastapi.testclient import TestClient

DOWNLOADS = (".csv", ".xlsx", "/report/")


def test_every_json_route_declares_its_response_schema(shared_client: TestClient) -> None:
    spec = shared_client.get("/openapi.json").json()
    checked = 0
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/") or path.endswith(DOWNLOADS):
            continue
        for method, op in operations.items():
            ok = next(op["responses"][c] for c in ("200", "201") if c in op["responses"])
            schema = ok["content"]["application/json"]["schema"]
            assert "$ref" in schema, (method, path, schema)
            checked += 1
    assert checked >= 25
    schemas = spec["components"]["schemas"]
    assert {"Overview", "PlansTree", "TargetView", "IndicatorValues", "Board", "MatchRecord",
            "FundsPage", "EnterpriseProfile", "RegistryAssessment", "ImportRunView",
            "AuditLog", "Account", "IndexPage"} <= set(schemas)
    target = schemas["TargetView"]["properties"]
    assert {"status", "method", "history", "fan", "probability"} <= set(target)


def test_a_body_that_is_not_a_json_object_is_refused_in_both_languages(
        shared_client: TestClient, tokens: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {tokens['admin']}",
               "Content-Type": "application/json"}
    for body, why in (("{not json", "不是有效的 JSON"), ("[1, 2]", "应为 JSON 对象")):
        answer = shared_client.post("/api/market/matches", content=body, headers=headers)
        assert answer.status_code == 422, answer.text
        assert why in answer.json()["detail"] and "JSON" in answer.json()["detail"]
