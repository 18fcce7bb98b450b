"""The one spectree instance: it reads the pydantic models off each decorated view to build the
OpenAPI 3.1 document and validates queries and responses. ``strict`` mode: only routes
decorated with ``api.validate`` appear in the document (never the HTML site's)."""

from __future__ import annotations

from typing import Any

from spectree import SecurityScheme, SpecTree
from spectree.models import SecureType, SecuritySchemeData

from matchmaker.api.schemas import Problem

API_VERSION = "1"
PROBLEM_STATUSES = (400, 401, 403, 404, 422, 429)


def _name(model: Any) -> str:
    return str(model.__name__)


def _raise_validation_problem(
    request: Any, response: Any, error: Exception | None, instance: Any, adapter: Any
) -> None:
    """spectree found a bad query: answer with our problem details, not its default list."""
    if error is not None:
        from matchmaker.api.problems import InvalidQuery

        raise InvalidQuery(adapter.validation_errors(error))


api = SpecTree(
    "flask",
    mode="strict",
    title="Matchmaker open data API",
    version=API_VERSION,
    description=(
        "Statistics, public directories, policies, disclosures, the service-event feed and a "
        "user's own data, read-only. Authenticate with an operator-issued token: "
        "`Authorization: Bearer <token>`. Errors are RFC 9457 problem details in the language "
        "of Accept-Language (zh-CN or en)."
    ),
    openapi_version="3.1.0",
    page_templates={},
    naming_strategy=_name,
    nested_naming_strategy=lambda parent, child: child,
    security_schemes=[
        SecurityScheme(
            name="bearerToken", data=SecuritySchemeData(type=SecureType.HTTP, scheme="bearer")
        )
    ],
    security={"bearerToken": []},
    before=_raise_validation_problem,
)


def problem_responses(*statuses: int) -> dict[str, Any]:
    return {f"HTTP_{s}": Problem for s in statuses}


def document() -> dict[str, Any]:
    """spectree's document, with error responses typed as ``application/problem+json``."""
    spec = api.spec
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status.startswith("4") and "application/json" in content:
                    response["content"] = {"application/problem+json": content["application/json"]}
    return spec
