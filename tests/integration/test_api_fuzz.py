"""Schemathesis against the real server: generated requests of every role, bounded.

Every operation of ``/openapi.json`` gets ``CASES_PER_OPERATION`` generated requests
(valid and invalid), each sent with the token of every role (admin, party_admin,
analyst, auditor); a path's collaboration is set to a real one so requests get past the
404. No answer may be a 5xx, and every answer must match the document: status, content
type, headers and body schema (schemathesis's own checks, ``call_and_validate``).

One of its checks is left out: ``positive_data_acceptance`` expects every schema-valid body to
be accepted, but the server refuses some with 422 for reasons no schema can say (a key
that does not verify, a recipient who is not a member); those are precise refusals.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi import checks

from tests.integration.server import ServerProcess
from tests.integration.world import ROLES, Collab, api, make_collaboration

CASES_PER_OPERATION = 4
CHECKS = [
    not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
    checks.allow_header_conformance,
]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Collab]]:
    server = ServerProcess(tmp_path_factory.mktemp("fuzz") / "data").start()
    with api(server.url, server.admin_token) as admin:
        collab = make_collaboration(admin, "fuzz", ROLES)
    yield server, collab
    server.stop()


def fuzz_operation(
    operation: schemathesis.APIOperation, server: ServerProcess, collab: Collab
) -> None:
    tokens = [server.admin_token] + [m.token for m in collab.members.values()]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=CASES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case: schemathesis.Case) -> None:
        if case.path_parameters and "collaboration_id" in case.path_parameters:
            case.path_parameters["collaboration_id"] = collab.id
        for token in tokens:
            headers = {"Authorization": f"Bearer {token}"}
            case.call_and_validate(base_url=server.url, headers=headers, checks=CHECKS)

    check()


def test_no_5xx_and_no_schema_violation(fuzzed: tuple[ServerProcess, Collab]) -> None:
    server, collab = fuzzed
    schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30
    for operation in operations:
        fuzz_operation(operation, server, collab)
    assert "unhandled error (a bug)" not in server.log()
