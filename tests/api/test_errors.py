"""The API's error handler and its OpenAPI schema."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from minzheng.core.api import INTERNAL_ERROR
from minzheng.registry import services
from minzheng.registry.api import views


@pytest.fixture
def tianhe(make_user, client_for):
    return client_for(make_user("cw106", "caseworker", "440106"))


def test_an_unexpected_error_is_a_500_without_a_trace(registry, tianhe, monkeypatch):
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret detail from deep inside")

    monkeypatch.setattr(views, "households_search", broken)
    response = tianhe.get("/api/v1/households/")
    assert response.status_code == 500
    assert response.json() == {"detail": INTERNAL_ERROR, "code": "error"}
    assert b"secret" not in response.content and b"Traceback" not in response.content


def test_a_service_validation_error_is_a_400(registry, tianhe, monkeypatch):
    def invalid(**kwargs: object) -> None:
        raise ValidationError({"address": ["地址无效"]})

    monkeypatch.setattr(services, "household_update", invalid)
    response = tianhe.patch(
        f"/api/v1/households/{registry.wushan.uid}/", {"address": "x"}, format="json"
    )
    assert (response.status_code, response.json()) == (400, {"address": ["地址无效"]})


def test_the_schema_is_valid_and_complete():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    assert not GENERATOR_STATS, "drf-spectacular emitted warnings"
    paths = schema["paths"]
    assert set(paths) >= {
        "/api/v1/auth/token/",
        "/api/v1/households/",
        "/api/v1/households/{uid}/",
        "/api/v1/persons/",
        "/api/v1/persons/{uid}/",
        "/api/v1/persons/search/",
    }
    search = paths["/api/v1/persons/search/"]["post"]
    assert search["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "PaginatedPersonSummaryList"
    )
    assert all(p["name"] != "id_number" for p in search.get("parameters", []))
    token = paths["/api/v1/auth/token/"]["post"]
    assert token["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "TokenRequestRequest"
    )


def test_the_schema_and_docs_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


def test_the_browsable_api_renders(registry, tianhe):
    for url in (
        "/api/v1/households/",
        f"/api/v1/households/{registry.wushan.uid}/",
        "/api/v1/persons/",
        f"/api/v1/persons/{registry.chen1.uid}/",
    ):
        response = tianhe.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("text/html")
