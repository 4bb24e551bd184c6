"""Demo requests of the information, urbanism and fiscal procedures, each left mid-way."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases import documents, operations, queries
from engine.circuit import Circuit
from engine.models import TaskState, User

# The demo brings requests to different steps, not in the order they came: the history
# says so where a step skips an older one (operations.complete_task asks for a reason).
DEMO_REASON = "Date demonstrative: cererile sunt aduse la pași diferiți."

PLAN = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

# (applicant, procedure, start form data, files, then steps: (official, task data))
REQUESTS: list[tuple[str, str, dict[str, Any], list[str], list[tuple[str, dict[str, Any]]]]] = [
    (
        "ana.munteanu@example.ro",
        "informatii_publice",
        {
            "subiect": "Cheltuielile cu iluminatul public în 2025",
            "informatii_solicitate": "Vă rog să îmi comunicați sumele plătite în 2025 pentru "
            "întreținerea iluminatului public și contractele în baza cărora s-au plătit.",
            "modalitate_comunicare": "electronic",
        },
        [],
        [("registratura@primaria-demo.ro", {"departament": "juridic"})],
    ),
    (
        "ion.popescu@example.ro",
        "certificat_urbanism",
        {
            "scop": "construire",
            "adresa_imobil": "Lupeni, str. Zorilor nr. 12",
            "inscris_cf": "da",
            "numar_carte_funciara": "60123",
            "numar_cadastral": "60123",
            "suprafata_teren": 640,
            "descriere": "Construirea unei locuințe parter și a unui garaj.",
        },
        ["plan_situatie", "extras_carte_funciara", "plan_cadastral"],
        [
            (
                "registratura@primaria-demo.ro",
                {
                    "verificare": "cere_completari",
                    "mesaj_solicitant": "Vă rugăm să anexați extrasul de carte funciară.",
                },
            )
        ],
    ),
    (
        "ana.munteanu@example.ro",
        "atestare_fiscala",
        {
            "tip_contribuabil": "persoana_fizica",
            "nume_contribuabil": "Ana Munteanu",
            "cnp": "2851103123451",
            "scop": "instrainare",
        },
        [],
        [("taxe@primaria-demo.ro", {"rezultat": "fara_datorii"})],
    ),
]


def _user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None, email
    return user


def load(circuit: Circuit) -> None:
    """Register each demo request and take it through its first steps, one commit each."""
    for email, procedure, data, files, steps in REQUESTS:
        if circuit.catalog.get(procedure) is None:
            continue  # a city hall without this procedure in its folders
        uploads = [documents.Upload(name, f"{name}.pdf", PLAN) for name in files]
        with circuit.db.transaction() as session:
            req, _ = operations.start_request(
                session, circuit, _user(session, email), procedure, data, uploads
            )
            request_id = req.id
        for official, task_data in steps:
            with circuit.db.transaction() as session:
                row = next(
                    r for r in queries.steps(session, request_id) if r.state == TaskState.READY
                )
                operations.complete_task(
                    session, circuit, _user(session, official), row.id, task_data, DEMO_REASON
                )
