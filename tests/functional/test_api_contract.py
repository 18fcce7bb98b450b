"""Contract tests generated from the API's own OpenAPI document (schemathesis, in-process WSGI):
every operation, a bounded number of generated requests each (valid and invalid queries), and
schemathesis's checks on every answer: no 5xx, status codes, content types and bodies as
documented, and no answer without the bearer token."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy.orm import Session

from matchmaker import create_app
from matchmaker.database import make_engine
from matchmaker.extensions import db
from tests.conftest import _empty_all_tables, app_settings
from tests.functional.test_api_scopes import build_world

EXAMPLES_PER_OPERATION = 10


@dataclass
class ApiWorld:
    app: Flask
    token: str  # every scope


@pytest.fixture(scope="module")
def api_world(database_url: str) -> Iterator[ApiWorld]:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                **app_settings(database_url, Path(tmp)),
                "EMBEDDING_MODEL": "hashing",
                "API_RATE_LIMIT_PER_MINUTE": 1_000_000,
            }
        )
        engine = make_engine(database_url)
        if engine.dialect.name == "sqlite":
            engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        with Session(engine) as session:
            world = build_world(session)
        try:
            yield ApiWorld(app, world.tokens["all"])
        finally:
            with app.app_context():
                for bound in db.engines.values():
                    bound.dispose()
            engine.dispose()
            _empty_all_tables(database_url)


@pytest.fixture(scope="module")
def api_schema(api_world: ApiWorld) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_world.app)


def excluded(case: schemathesis.Case) -> list[Any]:
    """The statistics period has a rule the schema cannot state (start before end, at most ten
    years): a schema-valid period can be refused with 422. That refusal is tested directly in
    test_api_scopes.py; every other check still runs on /statistics."""
    return [positive_data_acceptance] if case.operation.path == "/api/v1/statistics" else []


def _operations(api_schema: schemathesis.BaseSchema) -> list[schemathesis.APIOperation]:
    return [result.ok() for result in api_schema.get_all_operations()]


@pytest.mark.parametrize("mode", [schemathesis.GenerationMode.POSITIVE,
                                  schemathesis.GenerationMode.NEGATIVE])  # fmt: skip
def test_every_operation_keeps_its_contract(
    api_world: ApiWorld, api_schema: schemathesis.BaseSchema, mode: schemathesis.GenerationMode
) -> None:
    """Generated queries (valid ones, then invalid ones) against each operation; schemathesis's
    checks run on each answer (``call_and_validate``) and raise on the first broken contract."""
    headers = {"Authorization": f"Bearer {api_world.token}"}
    calls = 0
    for operation in _operations(api_schema):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case: schemathesis.Case) -> None:
            nonlocal calls
            case.call_and_validate(headers=headers, excluded_checks=excluded(case))
            calls += 1

        exercise()
    assert calls >= len(_operations(api_schema))


def test_the_document_is_openapi_3_1_and_covers_every_api_route(
    api_world: ApiWorld, api_schema: schemathesis.BaseSchema
) -> None:
    spec = api_world.app.test_client().get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    documented = {path for path in spec["paths"]}
    routes = {
        rule.rule
        for rule in api_world.app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and rule.endpoint not in ("api.openapi", "api.docs")
    }
    assert documented == routes
    assert len(list(api_schema.get_all_operations())) == len(routes)
