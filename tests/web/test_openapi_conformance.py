"""The API answers what its OpenAPI document says: Schemathesis generates requests from
/api/v1/openapi.json (valid ones and invalid ones) for every operation, signed in as a
citizen, an official, the registry and an administrator, and runs all its checks on every
answer: no server error, a documented status, the documented content type and headers, a
body matching the documented schema, invalid input refused, and authentication not ignored.

The run is bounded and repeatable: a fixed number of examples per operation, derandomized,
without Hypothesis' example database; it runs on every configured backend (about a minute
on SQLite). Whatever it finds is fixed in the code (a 5xx is a bug) or in the document (an
undocumented status), never by turning a check off."""

from __future__ import annotations

import io
import json
import traceback
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from engine.models import User
from engine.people import accounts, sessions
from tests.support.drive import PDF
from tests.support.engine import PETITION
from tests.support.security import app_with
from tests.support.seed import PASSWORD

EXAMPLES = 6  # per operation, generation mode and way of choosing ids
ROLES = {
    # key: (departments, heads, administrator); "anonymous" calls the operations open to anyone
    "anonymous": None,
    "citizen": ([], [], False),
    "official": (["urbanism"], ["urbanism"], False),
    "registry": (["registratura"], [], False),
    "admin": ([], [], True),
}


# Text with a NUL is refused with 400 by every operation (the document says so in its
# description; PostgreSQL cannot store it): generating it would only test that one rule.
# A schema-valid request may still break a rule the document cannot state, because it lives in
# the data: the catalog's procedure ids, each procedure's form, a CNP's or CUI's check digit, a
# link's token, a task's state. Those answers are 400 or 422 with the documented error bodies,
# so for valid data they count as accepted; any other refusal (405, 413, 415, 500...) fails.
def _config(token: str | None) -> Any:
    """Schemathesis' settings, signed in with the bearer token when there is one."""
    values: dict[str, Any] = {
        "generation": {"allow-x00": False},
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "422", "429"]
            }
        },
    }
    if token:
        values["auth"] = {"openapi": {"bearer": {"bearer": token}}}
    return schemathesis.Config.from_dict(values)


HIGH = "100000 per hour"  # the throttles are tested elsewhere; here they would only get in the way


def _people(circuit: Any) -> dict[str, int]:
    """Add the callers (deleted with the test's data, unlike the seeded people, whose names
    and addresses PATCH /me would change)."""
    ids = {}
    with circuit.db.transaction() as session:
        for role, values in ROLES.items():
            if values is None:
                continue
            departments, heads, admin = values
            ids[role] = accounts.create_user(
                session,
                f"{role}.openapi@example.ro",
                f"Persoana {role.capitalize()}",
                PASSWORD,
                departments=departments,
                heads=heads,
                is_admin=admin,
            ).id
    return ids


def _token(circuit: Any, user_id: int) -> str:
    """Issue a token straight from the engine (POST /auth/token is fuzzed on its own)."""
    with circuit.db.transaction() as session:
        value, _ = sessions.issue_token(session, session.get(User, user_id), timedelta(hours=1))
    return value


def _real_ids(client: Any, citizen_token: str, registry_token: str) -> dict[str, Any]:
    """Register a petition with a document, so that some generated ids exist."""
    citizen = {"Authorization": f"Bearer {citizen_token}"}
    registry = {"Authorization": f"Bearer {registry_token}"}
    r = client.post(
        "/api/v1/requests",
        headers=citizen,
        data={
            "procedure": "petitie",
            "data": json.dumps(PETITION),
            "anexe": (io.BytesIO(PDF), "plan.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.get_json()
    rid = r.get_json()["id"]
    detail = client.get(f"/api/v1/requests/{rid}", headers=citizen).get_json()
    tasks = client.get("/api/v1/tasks", headers=registry).get_json()["tasks"]
    return {
        "/requests/": rid,
        "/documents/": detail["documents"][0]["id"],
        "/tasks/": tasks[0]["id"],
        "/companies/": 1,  # no claim is made here: an id that does not exist
        "/procedures/": "petitie",
        "/registry/dispatches/": rid,  # answered in the portal: nothing for the registry to send
        "/archive/documents/": 1,  # the archive's indexing job does not run here: a missing id
    }


def _strategies(operation: Any, ids: dict[str, Any]) -> list[Any]:
    """Generated ids and bodies, valid and invalid; and valid bodies on ids that exist."""
    out = [operation.as_strategy(mode) for mode in GenerationMode]
    if "{id}" in operation.path:
        real = next(v for prefix, v in ids.items() if operation.path.startswith(prefix))
        out.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters={"id": real}))
    return out


def _run(strategy: Any, call: Callable[[Any], None]) -> None:
    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def test(case: Any) -> None:
        call(case)

    try:
        test()
    except Unsatisfiable:
        pass  # nothing invalid can be sent to an operation that takes no input


@pytest.mark.parametrize("role", list(ROLES))
def test_every_answer_of_the_api_matches_its_openapi_document(circuit, role):
    app = app_with(circuit, login_limit=HIGH, login_ip_limit=HIGH, submission_limit=HIGH)
    client = app.test_client()
    people = _people(circuit)
    tokens = {r: _token(circuit, i) for r, i in people.items()}
    ids = _real_ids(client, tokens["citizen"], tokens["registry"])
    config = _config(tokens.get(role))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)
    failures: dict[str, str] = {}
    operations = 0
    # DELETE /auth/token revokes the token it is called with: it goes last.
    found = sorted(
        (r.ok() for r in schema.get_all_operations()),
        key=lambda op: (op.method, op.path) == ("delete", "/auth/token"),
    )
    for operation in found:
        operations += 1
        label = f"{operation.method.upper()} {operation.path}"
        if (operation.definition.raw.get("security") == []) != (role == "anonymous"):
            continue  # open operations are called once, without a token

        def call(case: Any, label: str = label) -> None:
            if label in failures:
                return  # one failure per operation is enough to read
            try:
                case.call_and_validate()
            except (Exception, BaseExceptionGroup) as exc:  # every check's failure, collected
                where = "".join(traceback.format_exception(exc))[-1500:]
                failures[label] = f"{str(exc)[:3000]}\n{where}"

        for strategy in _strategies(operation, ids):
            try:
                _run(strategy, call)
            except (Exception, BaseExceptionGroup) as exc:
                failures.setdefault(label, str(exc)[:3000])
    assert operations >= 38, operations
    assert not failures, "\n\n".join(f"== {k}\n{v}" for k, v in sorted(failures.items()))


# What Schemathesis found, kept as plain tests.


def test_a_multipart_field_whose_name_is_not_utf8_is_no_server_error(client, api_for):
    body = b'--b\r\nContent-Disposition: form-data; name="\xff\xfe"\r\n\r\nx\r\n--b--\r\n'
    r = client.post(
        "/api/v1/requests",
        headers=api_for("citizen"),
        data=body,
        content_type="multipart/form-data; boundary=b",
    )
    assert r.status_code in (400, 422), r.get_data(as_text=True)


def test_an_absence_for_a_user_id_beyond_the_database_is_refused(client, api_for):
    r = client.post(
        "/api/v1/absences",
        headers=api_for("urbanism_head"),
        json={"user_id": -851222774157, "from": "2026-01-05", "to": "2026-01-06", "reason": "x"},
    )
    assert r.status_code == 422, r.get_json()  # PostgreSQL answered 500


def test_notification_times_carry_their_offset(client, api_for):
    _real_ids(
        client, api_for("citizen")["Authorization"][7:], api_for("registry")["Authorization"][7:]
    )
    notes = client.get("/api/v1/me/notifications", headers=api_for("citizen")).get_json()
    assert notes["notifications"]
    assert all(n["at"][-6] in "+-" for n in notes["notifications"]), notes


def test_account_fields_of_another_json_type_are_refused(client, api_for):
    r = client.patch("/api/v1/me", headers=api_for("citizen"), json={"current_password": 5})
    assert r.status_code == 422
    assert r.get_json()["errors"][0]["field"] == "/current_password"
