"""The demo city hall: departments, people with printed passwords, petitions in flight."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases import operations, queries
from engine.circuit import Circuit
from engine.demo import inflight
from engine.models import User
from engine.people import accounts, organisation
from engine.workflow.spifftasks import department_code

DEPARTMENTS = {
    "registratura": "Registratură și Relații cu Publicul",
    "urbanism": "Urbanism și Amenajarea Teritoriului",
    "taxe": "Taxe și Impozite Locale",
    "stare_civila": "Stare Civilă",
    "asistenta_sociala": "Asistență Socială",
    "juridic": "Juridic",
    "secretar": "Secretar General",
    "primar": "Primar",
    "politia_locala": "Poliția Locală",
    "gospodarie": "Gospodărie Comunală",
    "arhiva": "Arhivă",
    "proiecte": "Proiecte și Programe",
}

PEOPLE = [
    # email, name, departments, heads, admin
    ("admin@primaria-demo.ro", "Administrator Circuit", [], [], True),
    ("registratura@primaria-demo.ro", "Maria Dumitrescu", ["registratura"], [], False),
    ("urbanism@primaria-demo.ro", "Andrei Stan", ["urbanism"], [], False),
    ("sef.urbanism@primaria-demo.ro", "Cristina Vlad", ["urbanism"], ["urbanism"], False),
    ("taxe@primaria-demo.ro", "Radu Marin", ["taxe"], [], False),
    ("sef.taxe@primaria-demo.ro", "Ioana Șerban", ["taxe"], ["taxe"], False),
    ("gospodarie@primaria-demo.ro", "Mihai Țurcanu", ["gospodarie"], ["gospodarie"], False),
    ("juridic@primaria-demo.ro", "Elena Georgescu", ["juridic"], ["juridic"], False),
    ("ion.popescu@example.ro", "Ion Popescu", [], [], False),
    ("ana.munteanu@example.ro", "Ana Munteanu", [], [], False),
]

# Names for the people the demo adds to each department its procedures need; a department
# with no name here (a new diagram's lane) gets one from SPARE_NAMES.
STAFF_NAMES = {
    "primar": "Constantin Barbu",
    "secretar": "Gabriela Toma",
    "arhiva": "Ileana Coman",
    "politia_locala": "Vasile Neagu",
    "registratura": "Doina Preda",
    "urbanism": "Cristina Vlad",
    "taxe": "Ioana Șerban",
    "gospodarie": "Sorin Lungu",
    "juridic": "Elena Georgescu",
    "stare_civila": "Florin Dobre",
    "asistenta_sociala": "Carmen Stoica",
    "proiecte": "Bogdan Nistor",
}
SPARE_NAMES = ["Adrian Matei", "Simona Ene", "Lucian Oprea", "Irina Pavel", "Dan Voicu"]
# Ana asks for her own fiscal certificate (demo/inflight.py): her CNP is her account's, so
# no împuternicire is needed.
CNPS = {"ana.munteanu@example.ro": "2851103123451"}

PETITIONS = [
    (
        "ion.popescu@example.ro",
        "Groapă periculoasă pe strada Tudor Vladimirescu",
        "În dreptul blocului 7 de pe strada Tudor Vladimirescu s-a format o groapă adâncă în "
        "carosabil, care a avariat deja două autoturisme. Vă rog să dispuneți remedierea.",
    ),
    (
        "ana.munteanu@example.ro",
        "Iluminat public nefuncțional în cartierul Braia",
        "De trei săptămâni nu funcționează iluminatul public pe strada Brazilor. Seara copiii "
        "merg pe întuneric spre casă.",
    ),
    (
        "ion.popescu@example.ro",
        "Program de lucru la ghișeul de taxe",
        "Solicit prelungirea programului de lucru cu publicul la ghișeul de taxe locale în "
        "zilele de joi, pentru persoanele care lucrează în schimburi.",
    ),
    (
        "ana.munteanu@example.ro",
        "Autorizație pentru împrejmuire",
        "Doresc să aflu ce documente trebuie să depun pentru autorizarea unui gard la "
        "proprietatea din strada Zorilor nr. 12.",
    ),
    (
        "ion.popescu@example.ro",
        "Construcție fără autorizație lângă parc",
        "Pe terenul de lângă parcul central se ridică de două săptămâni o clădire, fără panou "
        "de identificare a lucrării. Vă rog să verificați dacă există autorizație de construire.",
    ),
]


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    role: str
    password: str | None


def _role(depts: list[str], heads: list[str], admin: bool) -> str:
    if admin:
        return "administrator"
    if heads:
        return "șef de compartiment: " + ", ".join(heads)
    if depts:
        return "funcționar în compartimentul " + ", ".join(depts)
    return "cetățean"


def _advance(
    session: Session, circuit: Circuit, email: str, data: Mapping[str, object], request_id: int
) -> None:
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None
    row = next(r for r in queries.steps(session, request_id) if r.state.value == "ready")
    operations.complete_task(session, circuit, user, row.id, data, inflight.DEMO_REASON)


def needed_departments(session: Session, circuit: Circuit) -> set[str]:
    """Return the departments the deployed procedures send work to: those their diagrams'
    lanes and `department` properties name, and those their catalog routing tables name."""
    codes = set().union(*organisation.departments_by_procedure(session, circuit).values())
    known = {code for code, _ in circuit.departments(session)} | set(DEPARTMENTS)
    for proc in circuit.procedures(session).all():
        for value in proc.variables.values():
            if isinstance(value, dict):
                codes |= {v for v in value.values() if isinstance(v, str) and v in known}
    return codes


def demo_people(needed: set[str]) -> list[tuple[str, str, list[str], list[str], bool]]:
    """Return PEOPLE and, for each needed department without a head among them, a head."""
    headed = {code for _, _, _, heads, _ in PEOPLE for code in heads}
    spare = iter(SPARE_NAMES * (1 + len(needed)))
    extra = []
    for code in sorted(needed - headed):
        email = f"{'sef.' if code in _members() else ''}{code.replace('_', '.')}@primaria-demo.ro"
        name = STAFF_NAMES.get(code) or next(spare)
        extra.append((email, name, [code], [code], False))
    return [*PEOPLE, *extra]


def _members() -> set[str]:
    return {code for _, _, depts, _, _ in PEOPLE for code in depts}


def load_demo(circuit: Circuit) -> list[DemoAccount]:
    """Create the demo city hall, with someone in every department its procedures need;
    return the accounts (passwords only for those created now)."""
    out: list[DemoAccount] = []
    registry = circuit.settings.registry_department

    def codes(names: list[str]) -> list[str]:
        return [department_code(c, registry) or c for c in names]

    with circuit.db.transaction() as session:
        for code, name in DEPARTMENTS.items():
            organisation.ensure_department(session, department_code(code, registry) or code, name)
        fresh = session.scalar(select(User.id).where(User.email == PEOPLE[0][0])) is None
    circuit.deploy_all()  # the diagrams say which departments need people
    with circuit.db.transaction() as session:
        needed = needed_departments(session, circuit)
        for code in sorted(needed - set(DEPARTMENTS)):  # a lane no demo department has
            organisation.ensure_department(session, code, code.replace("_", " ").capitalize())
        for email, name, depts, heads, admin in demo_people(needed):
            password = None
            if session.scalar(select(User.id).where(User.email == email)) is None:
                password = secrets.token_urlsafe(9)
                accounts.create_user(
                    session,
                    email,
                    name,
                    password,
                    departments=codes(depts),
                    heads=codes(heads),
                    is_admin=admin,
                    cnp=CNPS.get(email),
                )
            out.append(DemoAccount(email, name, _role(codes(depts), codes(heads), admin), password))
    if not fresh:
        return out
    ids = []
    for email, subject, text in PETITIONS:
        with circuit.db.transaction() as session:
            user = session.scalar(select(User).where(User.email == email))
            assert user is not None
            req, _ = operations.start_request(
                session, circuit, user, "petitie", {"subiect": subject, "continut": text}
            )
            ids.append(req.id)
    steps = [
        (
            ids[1],
            "registratura@primaria-demo.ro",
            {"decizie_triere": "repartizare", "departament": "gospodarie"},
        ),
        (
            ids[2],
            "registratura@primaria-demo.ro",
            {"decizie_triere": "repartizare", "departament": "taxe"},
        ),
        (
            ids[2],
            "taxe@primaria-demo.ro",
            {
                "actiune": "propune_raspuns",
                "raspuns": "Începând cu luna viitoare, ghișeul de taxe "
                "va fi deschis joia până la ora 18:00.",
            },
        ),
        (
            ids[3],
            "registratura@primaria-demo.ro",
            {"decizie_triere": "repartizare", "departament": "urbanism"},
        ),
        (
            ids[3],
            "urbanism@primaria-demo.ro",
            {
                "actiune": "cere_completari",
                "mesaj_solicitant": "Vă rugăm să precizați numărul cadastral al terenului.",
            },
        ),
        (
            ids[4],
            "registratura@primaria-demo.ro",
            {"decizie_triere": "repartizare", "departament": "urbanism"},
        ),
    ]
    for request_id, email, data in steps:
        with circuit.db.transaction() as session:
            _advance(session, circuit, email, data, request_id)
    inflight.load(circuit)
    return out
