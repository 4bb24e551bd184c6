"""Driving procedures through the HTTP API: sample files, form data from JSON Schema,
the officials who hold a task, and the steps of a request."""

from __future__ import annotations

import base64
import io
import json
from datetime import date, datetime, timedelta
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy import select

from engine import jobs
from engine.models import Notification, Timer, TimerStatus
from engine.platform.timeutil import BUCHAREST, local_today
from tests.support.seed import PEOPLE

# Real files, small: an 8x8 JPEG and PNG, and a one-page PDF.
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERX"
    "RTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2Nj"
    "Y2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAAIAAgDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAA"
    "AAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAk"
    "M2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKT"
    "lJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QA"
    "HwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdh"
    "cRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hp"
    "anN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk"
    "5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwCSiiivGPWP/9k="
)
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAFElEQVR4nGM8UaHBgA0wYRUdtBIAHicBeAYWg8oA"
    "AAAASUVORK5CYII="
)
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
SAMPLE_FILES = {
    "image/jpeg": ("fotografie.jpg", JPEG),
    "image/png": ("imagine.png", PNG),
    "application/pdf": ("document.pdf", PDF),
}
FINAL = {"completed", "rejected", "withdrawn"}
TEXT = "Text completat automat pentru verificarea procedurii, cu diacritice: ăâîșț."


def officials_of(department: str) -> list[str]:
    """Return the seeded people of a department, heads first."""
    members = [k for k, (_, _, depts, _) in PEOPLE.items() if department in depts]
    return sorted(members, key=lambda k: department not in PEOPLE[k][3])


# ---------------------------------------------------------------- data from a JSON Schema


def _choices(prop: dict[str, Any]) -> list[Any]:
    for key in ("oneOf", "anyOf"):
        options = [o["const"] for o in prop.get(key, []) if isinstance(o, dict) and "const" in o]
        if options:
            return options
    return list(prop.get("enum", []))


def _text(prop: dict[str, Any]) -> str:
    fmt = prop.get("format")
    today = local_today()
    if fmt == "date":
        return today.isoformat()
    if fmt == "date-time":
        return datetime.now(BUCHAREST).isoformat(timespec="seconds")
    if fmt == "time":
        return "10:00:00+02:00"
    if fmt == "email":
        return "ion.popescu@example.ro"
    if fmt in ("uri", "url"):
        return "https://www.example.ro/"
    low, high = int(prop.get("minLength", 0)), prop.get("maxLength")
    text = TEXT
    while len(text) < low:
        text += " " + TEXT
    return text[: int(high)] if high is not None else text


def _number(prop: dict[str, Any], integer: bool) -> int | float:
    low = prop.get("minimum", prop.get("exclusiveMinimum", 0))
    if "exclusiveMinimum" in prop and "minimum" not in prop:
        low = low + (1 if integer else 0.5)
    value: int | float = max(low, 1)
    if "maximum" in prop:
        value = min(value, prop["maximum"])
    if "exclusiveMaximum" in prop and value >= prop["exclusiveMaximum"]:
        value = prop["exclusiveMaximum"] - 1 if integer else (low + prop["exclusiveMaximum"]) / 2
    step = prop.get("multipleOf")
    if step:
        value = step * -(-value // step)
    return int(value) if integer else value


def sample_value(prop: dict[str, Any], choice: int = 0) -> Any:
    """Return a valid value for one property: its const, example, choice, default, or one made
    from its type and limits (the `choice`-th option where it is a choice)."""
    if "const" in prop:
        return prop["const"]
    options = _choices(prop)
    if options:
        return options[choice % len(options)]
    if prop.get("examples"):
        return prop["examples"][0]
    if "default" in prop:
        return prop["default"]
    kind = prop.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "string":
        return _text(prop)
    if kind in ("integer", "number"):
        return _number(prop, kind == "integer")
    if kind == "boolean":
        return True
    if kind == "array":
        item = prop.get("items", {})
        return [sample_value(item, choice) for _ in range(max(1, int(prop.get("minItems", 1))))]
    if kind == "object":
        return sample_form(prop, choice)
    return None


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _repair(schema: dict[str, Any], data: dict[str, Any], choice: int) -> bool:
    """Fix what the validator says is missing or too short; False when nothing could be."""
    changed = False
    props = schema.get("properties", {})
    for error in _validator(schema).iter_errors(data):
        path = list(error.absolute_path)
        if error.validator == "required" and not path:
            for name in error.validator_value:
                if name not in data:
                    data[name] = sample_value(props.get(name, {}), choice)
                    changed = True
        elif len(path) == 1 and isinstance(data.get(path[0]), str):
            name = path[0]
            if error.validator == "minLength":
                while len(data[name]) < error.validator_value:
                    data[name] += " " + TEXT
                changed = True
            elif error.validator == "maxLength":
                data[name] = data[name][: error.validator_value]
                changed = True
    return changed


def sample_form(schema: dict[str, Any], choice: int = 0) -> dict[str, Any]:
    """Return data that satisfies a form: every field filled, then whatever its rules
    (if/then, anyOf, minLength) still ask for; raise if the schema cannot be met."""
    data = {
        name: value
        for name, prop in schema.get("properties", {}).items()
        if (value := sample_value(prop, choice)) is not None
    }
    for _ in range(5):
        if not list(_validator(schema).iter_errors(data)) or not _repair(schema, data, choice):
            break
    errors = [e.message for e in _validator(schema).iter_errors(data)]
    assert not errors, f"no valid data could be made for {schema.get('title')}: {errors}"
    return data


def sample_files(specs: list[dict[str, Any]]) -> dict[str, tuple[io.BytesIO, str]]:
    """Return one file of an accepted type for each attachment a form lists."""
    files = {}
    for spec in specs:
        sample = next((SAMPLE_FILES[t] for t in spec["types"] if t in SAMPLE_FILES), None)
        if sample is None:
            assert not spec.get("required"), f"no sample file of types {spec['types']}"
            continue
        name, content = sample
        files[spec["name"]] = (io.BytesIO(content), name)
    return files


# ---------------------------------------------------------------- HTTP steps


def checked(response: Any) -> Any:
    """Refuse any server error: an answer is a 2xx or 4xx with a JSON body."""
    assert response.status_code < 500, (response.status_code, response.get_data(as_text=True))
    return response


def submit(
    client: Any,
    headers: dict[str, str],
    procedure: str,
    data: dict[str, Any],
    files: dict[str, Any] | None = None,
) -> Any:
    """POST /requests as multipart (data as a JSON string, files under their names)."""
    form: dict[str, Any] = {"procedure": procedure, "data": json.dumps(data)}
    form.update(files or {})
    return checked(
        client.post(
            "/api/v1/requests", data=form, headers=headers, content_type="multipart/form-data"
        )
    )


def reply(
    client: Any,
    headers: dict[str, str],
    request_id: int,
    data: dict[str, Any],
    files: dict[str, Any] | None = None,
) -> Any:
    """POST /requests/{id}/reply with the waiting form's data and files."""
    form: dict[str, Any] = {"data": json.dumps(data)}
    form.update(files or {})
    return checked(
        client.post(
            f"/api/v1/requests/{request_id}/reply",
            data=form,
            headers=headers,
            content_type="multipart/form-data",
        )
    )


def detail(client: Any, headers: dict[str, str], request_id: int) -> dict[str, Any]:
    r = checked(client.get(f"/api/v1/requests/{request_id}", headers=headers))
    assert r.status_code == 200, r.get_json()
    return r.get_json()  # type: ignore[no-any-return]


def tasks_of(client: Any, headers: dict[str, str], request_id: int) -> list[dict[str, Any]]:
    """Return the READY tasks of one request in the caller's inbox."""
    r = checked(client.get("/api/v1/tasks?per_page=100", headers=headers))
    assert r.status_code == 200, r.get_json()
    return [t for t in r.get_json()["tasks"] if t["request_id"] == request_id]


def the_task(client: Any, headers: dict[str, str], request_id: int) -> dict[str, Any]:
    """Return the one READY task of a request in the caller's inbox."""
    found = tasks_of(client, headers, request_id)
    assert len(found) == 1, found
    return found[0]


def complete(client: Any, headers: dict[str, str], task_id: str, data: dict[str, Any]) -> Any:
    return checked(
        client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data}, headers=headers)
    )


def notifications(circuit: Any, *, user_id: int | None = None, department: str | None = None):
    """Return the texts sent to a person or to a department, oldest first."""
    with circuit.db.session() as s:
        query = select(Notification.message).order_by(Notification.id)
        if user_id is not None:
            query = query.where(Notification.user_id == user_id)
        if department is not None:
            query = query.where(Notification.department == department)
        return list(s.scalars(query))


def waiting_timers(circuit: Any, request_id: int) -> list[Timer]:
    with circuit.db.session() as s:
        return list(
            s.scalars(
                select(Timer).where(
                    Timer.request_id == request_id, Timer.status == TimerStatus.WAITING
                )
            )
        )


def in_days(days: int) -> str:
    return (local_today() + timedelta(days=days)).isoformat()


def date_ro(iso_day: str) -> str:
    return f"{date.fromisoformat(iso_day):%d.%m.%Y}"


def move_timers_clock(monkeypatch: Any, days: int) -> None:
    """Let SpiffWorkflow's timers believe `days` have passed (days cannot pass in a test)."""
    import SpiffWorkflow.bpmn.specs.event_definitions.timer as spiff_timer

    real = spiff_timer.datetime

    class Later(real):  # type: ignore[misc, valid-type]
        @classmethod
        def now(cls, tz=None):  # noqa: ANN001, ANN206
            return real.now(tz) + timedelta(days=days)

    monkeypatch.setattr(spiff_timer, "datetime", Later)


def fire_waiting_timers(circuit, request_id: int) -> int:
    """Run the worker's job for each waiting timer of a request; return how many fired."""
    return sum(jobs.fire_timer(t.task_id) for t in waiting_timers(circuit, request_id))
