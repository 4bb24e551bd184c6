"""Versions that behave: a request runs to its end on the version (diagram, forms, catalog
entry) it started on; deploying any content makes it current; a file may hold several
processes; call activities reach processes in other files; running servers see deployments."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from engine.models import Instance
from engine.platform.config import PROJECT_ROOT as ROOT
from tests.support.api import complete, task_of
from tests.support.api import submit_procedure as submit
from tests.support.designer import Folders, Step, diagram, process, text_form
from tests.support.engine import TRIAGE_TO_URBANISM


@pytest.fixture
def folders(circuit, tmp_path):
    return Folders(tmp_path / "designer", circuit)


def titles(client):
    return {p["id"]: p["title"] for p in client.get("/api/v1/procedures").get_json()["procedures"]}


def version_of(circuit, request_id):
    with circuit.db.session() as s:
        return s.scalar(
            select(Instance.process_version_id).where(Instance.request_id == request_id)
        )


def with_triage_note(folders, field):
    """Rename the triage form's optional note field (what a designer does in a form)."""
    schema = folders.read_form("petitie_triere.json")
    props = schema["properties"]
    note = next(k for k in props if k.startswith(("observatii", "nota")))
    schema["properties"] = {(field if k == note else k): v for k, v in props.items()}
    folders.write_form("petitie_triere.json", schema)


def test_deploying_earlier_content_makes_it_current_and_running_requests_stay(
    client, api_for, circuit, folders
):
    citizen, registry = api_for("citizen"), api_for("registry")
    folders.deploy()  # content A: the repository's petition
    a_request = submit(client, citizen)
    version_a = version_of(circuit, a_request)

    entry = folders.read_entry("petitie")
    folders.write_entry({**entry, "title": "Petiție (formular nou)"})
    with_triage_note(folders, "nota_triere")
    folders.deploy()  # content B: another title and a renamed triage field
    assert titles(client)["petitie"] == "Petiție (formular nou)"
    b_request = submit(client, citizen)
    version_b = version_of(circuit, b_request)
    assert version_b != version_a

    folders.write_entry(entry)
    with_triage_note(folders, "observatii_triere")
    folders.deploy()  # content A again: A is current, with no new version
    assert titles(client)["petitie"] == "Petiție"
    again = submit(client, citizen)
    assert version_of(circuit, again) == version_a

    # The request started on B keeps B's form; new requests use A's.
    b_task = task_of(client, registry, b_request)
    assert "nota_triere" in b_task["form"]["properties"]
    skip = "Verificăm întâi formularele versiunilor noi."  # the first request still waits
    b_data = {**TRIAGE_TO_URBANISM, "nota_triere": "B"}
    r = complete(client, registry, b_task["id"], b_data, reason=skip)
    assert r.status_code == 200, r.get_json()
    a_task = task_of(client, registry, again)
    assert "observatii_triere" in a_task["form"]["properties"]
    a_data = {**TRIAGE_TO_URBANISM, "nota_triere": "A"}
    r = complete(client, registry, a_task["id"], a_data, reason=skip)
    assert r.status_code == 422
    assert r.get_json()["errors"][0]["field"] == "/nota_triere"


def test_a_running_request_keeps_its_forms_after_a_field_is_renamed(
    client, api_for, circuit, folders, browser_for
):
    citizen, registry = api_for("citizen"), api_for("registry")
    folders.deploy()
    old = submit(client, citizen)
    with_triage_note(folders, "nota_triere")
    folders.deploy()
    new = submit(client, citizen)

    # The office page of the old request's task shows the old field, the new one the new.
    office = browser_for("registry")
    old_task, new_task = task_of(client, registry, old), task_of(client, registry, new)
    page = office.get(f"/birou/sarcini/{old_task['id']}").get_data(as_text=True)
    assert 'name="observatii_triere"' in page and 'name="nota_triere"' not in page
    page = office.get(f"/birou/sarcini/{new_task['id']}").get_data(as_text=True)
    assert 'name="nota_triere"' in page and 'name="observatii_triere"' not in page

    r = complete(client, registry, old_task["id"], {**TRIAGE_TO_URBANISM, "observatii_triere": "x"})
    assert r.status_code == 200, r.get_json()
    r = complete(client, registry, new_task["id"], {**TRIAGE_TO_URBANISM, "observatii_triere": "x"})
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "/observatii_triere"
    r = complete(client, registry, new_task["id"], {**TRIAGE_TO_URBANISM, "nota_triere": "x"})
    assert r.status_code == 200, r.get_json()


def test_two_processes_in_one_file_are_two_procedures(client, api_for, circuit, folders):
    folders.write_form("simplu_start.json", text_form("Cerere", "text", required=("text",)))
    folders.write_form("simplu_pas.json", text_form("Pas", "nota"))
    folders.write_diagram(
        "doua.bpmn",
        diagram(
            "doua",
            process("proc_unu", [Step("unu_pas", "Pasul procedurii unu", form="simplu_pas.json")]),
            process("proc_doi", [Step("doi_pas", "Pasul procedurii doi", form="simplu_pas.json")]),
        ),
    )
    folders.entry("unu", "doua.bpmn", "simplu_start.json", process_id="proc_unu")
    folders.entry("doi", "doua.bpmn", "simplu_start.json", process_id="proc_doi")
    folders.deploy()
    assert {"unu", "doi", "petitie"} <= set(titles(client))

    citizen, registry = api_for("citizen"), api_for("registry")
    first = submit(client, citizen, "unu", {"text": "prima"})
    second = submit(client, citizen, "doi", {"text": "a doua"})
    assert task_of(client, registry, first)["name"] == "Pasul procedurii unu"
    assert task_of(client, registry, second)["name"] == "Pasul procedurii doi"


def test_a_call_activity_runs_a_process_of_another_file(client, api_for, circuit, folders):
    folders.write_form("simplu_start.json", text_form("Cerere", "text", required=("text",)))
    folders.write_form("semnatura.json", text_form("Semnătura", "decizie", required=("decizie",)))
    folders.write_diagram(
        "semnare.bpmn",
        diagram(
            "semnare",
            process(
                "semnare_primar",
                [Step("semnare", "Semnarea de către primar", lane="primar", form="semnatura.json")],
            ),
        ),
    )
    folders.write_diagram(
        "apelant.bpmn",
        diagram("apelant", process("apelant", [Step("apel", "Semnare", call="semnare_primar")])),
    )
    folders.entry("apelant", "apelant.bpmn", "simplu_start.json")
    folders.deploy()

    rid = submit(client, api_for("citizen"), "apelant", {"text": "de semnat"})
    mayor = api_for("primar")
    task = task_of(client, mayor, rid)
    assert task["name"] == "Semnarea de către primar" and task["department"] == "primar"
    assert task["form"]["required"] == ["decizie"]  # the called process's form came along
    r = complete(client, mayor, task["id"], {"decizie": "semnat"})
    assert r.status_code == 200 and r.get_json()["request"]["status"] == "completed"

    # The called file is part of the version: changing it deploys a new one.
    before = version_of(circuit, rid)
    text = (folders.bpmn / "semnare.bpmn").read_text("utf-8")
    folders.write_diagram("semnare.bpmn", text.replace("Semnarea de către", "Semnătura"))
    folders.deploy()
    again = submit(client, api_for("citizen"), "apelant", {"text": "iar"})
    assert version_of(circuit, again) != before
    assert task_of(client, mayor, again)["name"] == "Semnătura primar"


def upgrade(folders, circuit):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(folders.env, DATABASE_URL=circuit.settings.database_url)
    env["CIRCUIT_DATA_DIR"] = str(circuit.settings.data_dir)
    return subprocess.run(
        [sys.executable, "-m", "scripts.cli", "db", "upgrade"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


@pytest.mark.slow  # `circuit db upgrade` in another process
def test_a_running_app_serves_a_procedure_deployed_by_another_process(
    client, api_for, circuit, folders, browser_for
):
    assert "adeverinta" not in titles(client)  # the app is running, on the repository's catalog
    folders.write_form("adeverinta_start.json", text_form("Adeverință", "scop", required=("scop",)))
    folders.write_form("adeverinta_emitere.json", text_form("Emitere", "raspuns"))
    folders.write_diagram(
        "adeverinta.bpmn",
        diagram(
            "adeverinta",
            process(
                "adeverinta",
                [
                    Step(
                        "emitere",
                        "Emitere adeverință",
                        lane="arhiva",
                        form="adeverinta_emitere.json",
                    )
                ],
            ),
        ),
    )
    folders.entry(
        "adeverinta", "adeverinta.bpmn", "adeverinta_start.json", title="Adeverință din arhivă"
    )
    r = upgrade(folders, circuit)
    assert r.returncode == 0, r.stderr

    assert titles(client)["adeverinta"] == "Adeverință din arhivă"
    page = browser_for("citizen").get("/proceduri").get_data(as_text=True)
    assert "Adeverință din arhivă" in page
    rid = submit(client, api_for("citizen"), "adeverinta", {"scop": "pensie"})
    archive = api_for("arhiva")
    task = task_of(client, archive, rid)
    r = complete(client, archive, task["id"], {"raspuns": "Adeverința nr. 5"})
    assert r.status_code == 200 and r.get_json()["request"]["status"] == "completed"


@pytest.mark.parametrize(
    ("break_it", "expected"),
    [
        (lambda f: (f.processes / "rau.json").write_text("{nu e json", "utf-8"), "„rau.json”"),
        (
            lambda f: f.write_entry({**f.read_entry("petitie"), "start_form": "lipsa.json"}),
            "Formularul „lipsa.json”",
        ),
        (
            lambda f: f.write_entry({**f.read_entry("petitie"), "bpmn": "lipsa.bpmn"}),
            "Diagrama „lipsa.bpmn”",
        ),
        (lambda f: (f.forms / "petitie_aprobare.json").unlink(), "„petitie_aprobare.json”"),
    ],
    ids=["bad-entry", "missing-start-form", "missing-diagram", "missing-task-form"],
)
@pytest.mark.slow  # `circuit db upgrade` in another process
def test_db_upgrade_names_the_broken_file(circuit, folders, break_it, expected):
    break_it(folders)
    r = upgrade(folders, circuit)
    assert r.returncode == 1
    assert expected in r.stderr and "Traceback" not in r.stderr


def test_two_nodes_deploying_the_same_change_at_once_store_one_version(circuit, folders):
    """Two nodes started together both deploy the folders: the second waits for the first
    and finds its version; one new version, no error."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from engine.models import ProcessVersion
    from engine.workflow import versions

    for other in folders.processes.glob("*.json"):
        if other.stem != "petitie":
            other.unlink()  # one procedure: nothing else for the second node to wait on
    folders.deploy()
    entry = folders.read_entry("petitie")
    folders.write_entry({**entry, "title": "Petiție (pornire simultană)"})
    settings = folders.circuit.settings
    first_deployed = threading.Event()

    def first_node():
        with circuit.db.transaction() as session:
            report = versions.deploy_folders(session, settings)
            first_deployed.set()
            time.sleep(1)  # the second node starts deploying before this one commits
        return report

    def second_node():
        first_deployed.wait(60)
        with circuit.db.transaction() as session:
            return versions.deploy_folders(session, settings)

    with ThreadPoolExecutor(2) as pool:
        reports = [f.result() for f in [pool.submit(first_node), pool.submit(second_node)]]
    states = [d.state for r in reports for d in r.deployed if d.procedure == "petitie"]
    assert states == ["new", "same"]
    with circuit.db.session() as s:
        rows = s.scalars(select(ProcessVersion).where(ProcessVersion.procedure == "petitie"))
        titles_stored = [v.catalog_entry["title"] for v in rows]
    assert titles_stored.count("Petiție (pornire simultană)") == 1


def test_messages_name_the_procedure_as_the_requests_own_version_does(
    client, api_for, circuit, folders
):
    """A newer version's title does not leak into the e-mails of requests on another."""
    from email.header import decode_header, make_header

    from tests.support.citizens import outbox

    citizen = api_for("citizen")
    folders.deploy()
    entry = folders.read_entry("petitie")
    folders.write_entry({**entry, "title": "Petiție (versiune de probă)"})
    folders.deploy()
    on_trial = submit(client, citizen)
    folders.write_entry(entry)
    folders.deploy()  # the first content is current again; the trial version is the newest
    on_first = submit(client, citizen)
    subjects = [
        str(make_header(decode_header(m["Subject"]))) for m in outbox(circuit.settings.data_dir)
    ]
    numbers = {}
    for rid in (on_trial, on_first):
        body = client.get(f"/api/v1/requests/{rid}", headers=citizen).get_json()
        numbers[rid] = body["registration"]["display"]
    assert (
        f"Cererea nr. {numbers[on_trial]} (Petiție (versiune de probă)): a fost înregistrată"
        in subjects
    )
    assert f"Cererea nr. {numbers[on_first]} (Petiție): a fost înregistrată" in subjects
