"""The API against its own OpenAPI document (schemathesis, in process): no server errors, answers as documented."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

EXAMPLES = 2


@pytest.fixture
def api_token(crm, make_user):
    user = make_user("admin")
    secret, _record = crm.services.users.create_token(user.id, "schemathesis")
    crm.services.customers.create({"name": "Acme", "email": "info@acme.example"})
    return {"Authorization": f"Bearer {secret}"}


def test_every_endpoint_answers_without_server_errors_and_as_documented(app, api_token):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, headers=api_token)
    failures: dict[str, str] = {}
    tried = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        tried += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            response = case.call(headers=api_token)
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance],
                                   headers=api_token)

        try:
            check()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then report them all
            failures[operation.label] = str(exc)[:1500]
    assert tried > 20
    assert not failures, "\n\n".join(f"{label}:\n{reason}" for label, reason in failures.items())
