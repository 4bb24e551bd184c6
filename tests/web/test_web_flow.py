"""The petition flow through the web pages, as citizens and officials click through it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from engine.platform.timeutil import local_today
from tests.support.web import PDF, Pages, csrf_from, file, submit_petition

TASK_LINK = r'href="(/birou/sarcini/[0-9a-f-]{{36}})">{name}<'


def task_url(pages: Pages, browser: Any, name: str) -> str:
    """Open the inbox and return the link of the first task with this name."""
    inbox = pages.get(browser, "/birou/")
    match = re.search(TASK_LINK.format(name=re.escape(name)), inbox)
    assert match, f"no task „{name}” in the inbox"
    return match.group(1)


def complete(pages: Pages, browser: Any, name: str, data: dict[str, str]) -> str:
    url = task_url(pages, browser, name)
    pages.get(browser, url)
    response = browser.submit(url, data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert response.location.endswith("/birou/")
    return url


@pytest.fixture
def pages() -> Pages:
    return Pages()


def test_petition_from_submission_to_answer(browser_for: Any, circuit: Any, pages: Pages) -> None:
    citizen = browser_for("citizen")
    catalog = pages.get(citizen, "/proceduri")
    assert "Petiție" in catalog and "30 de zile calendaristice" in catalog
    assert "OG 27/2002" in pages.get(citizen, "/proceduri/petitie/despre")  # not on the card
    form = pages.get(citizen, "/proceduri/petitie")
    assert 'type="file"' in form and "multiple" in form and "application/pdf" in form
    assert "10 MB" in form

    response = submit_petition(citizen)
    assert response.status_code == 302
    detail_url = response.location
    today = local_today()
    with circuit.db.transaction() as session:
        due = circuit.calendar(session).deadline(today, 30, "calendar")
    detail = pages.get(citizen, detail_url)
    assert re.search(rf"nr\. \d+/{today:%d\.%m\.%Y}", detail)
    assert f"Termenul legal de răspuns este {due:%d.%m.%Y}" in detail
    assert "Înregistrată" in detail and "fotografie.pdf" in detail
    doc_url = re.search(r'href="(/documente/\d+)"', detail).group(1)
    download = citizen.get(doc_url)
    assert download.status_code == 200 and download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]

    registry = browser_for("registry")
    inbox = pages.get(registry, "/birou/")
    assert "Sarcini de lucru" in inbox and "Groapă în asfalt" in inbox
    triage = task_url(pages, registry, "Repartizare petiție")
    page = pages.get(registry, triage)
    assert "Ion Popescu" in page and "Subiectul petiției" in page and "fotografie.pdf" in page
    claimed = registry.submit(triage, {}, action=f"{triage}/preluare")
    assert claimed.status_code == 302
    assert "Maria Dumitrescu" in pages.get(registry, "/birou/")
    complete(
        pages,
        registry,
        "Repartizare petiție",
        {"decizie_triere": "repartizare", "departament": "urbanism"},
    )

    urbanism = browser_for("urbanism")
    complete(
        pages,
        urbanism,
        "Redactare răspuns",
        {"actiune": "cere_completari", "mesaj_solicitant": "Precizați numărul casei, vă rog."},
    )

    detail = pages.get(citizen, detail_url)
    assert "Așteaptă completări de la dumneavoastră" in detail
    assert "Precizați numărul casei, vă rog." in detail
    assert f'action="{detail_url}/completare"' in detail
    replied = citizen.submit(
        detail_url,
        {"text": "Casa are numărul 12.", "documente": file(PDF, "act.pdf")},
        action=f"{detail_url}/completare",
        content_type="multipart/form-data",
    )
    assert replied.status_code == 302
    detail = pages.get(citizen, detail_url)
    assert "Completările au fost trimise" in detail and "act.pdf" in detail
    assert "În lucru" in detail

    complete(
        pages,
        urbanism,
        "Redactare răspuns",
        {"actiune": "propune_raspuns", "raspuns": "Groapa va fi astupată săptămâna viitoare."},
    )
    # The approval is the head's: not in the official's inbox, and refused if asked for.
    assert "Aprobare răspuns" not in pages.get(urbanism, "/birou/")
    head = browser_for("urbanism_head")
    approval = task_url(pages, head, "Aprobare răspuns")
    assert urbanism.get(approval).status_code == 403
    token = csrf_from(urbanism.get("/birou/").get_data(as_text=True))
    refused = urbanism.client.post(approval, data={"csrf_token": token, "decizie_sef": "aprobat"})
    pages.html(refused, 403)

    page = pages.get(head, approval)
    assert "Finalizez" in page
    missing = head.submit(approval, {"decizie_sef": "retrimis"})
    text = pages.html(missing, 422)
    assert "Câmpul este obligatoriu." in text and 'value="retrimis" checked' in text
    complete(
        pages,
        head,
        "Aprobare răspuns",
        {"decizie_sef": "retrimis", "comentariu_sef": "Precizați și data lucrării."},
    )
    complete(
        pages,
        urbanism,
        "Redactare răspuns",
        {"actiune": "propune_raspuns", "raspuns": "Groapa va fi astupată pe 3 decembrie."},
    )
    complete(pages, head, "Aprobare răspuns", {"decizie_sef": "aprobat"})
    assert "Nu există sarcini de lucru" in pages.get(head, "/birou/")
    # The mayor signs the approved answer: the page shows what is signed.
    mayor = browser_for("primar")
    signing = pages.get(mayor, task_url(pages, mayor, "Semnarea răspunsului"))
    assert "Răspunsul la petiția" in signing
    complete(pages, mayor, "Semnarea răspunsului", {"decizie_semnatar": "semnat"})

    detail = pages.get(citizen, detail_url)
    assert "Soluționată" in detail
    assert "Groapa va fi astupată pe 3 decembrie." in detail
    people = ("Maria Dumitrescu", "Andrei Stan", "Cristina Vlad", "Ion Popescu", "Constantin Barbu")
    for who in people:
        assert who in detail
    # Counted in the steps, before the circuit drawn (which names each step once more).
    steps, circuit = detail.split('id="circuit-titlu"')
    assert steps.count("Aprobare răspuns") == 2 and steps.count("Redactare răspuns") == 3
    assert "Aprobare răspuns — parcurs" in circuit and "Răspuns transmis — parcurs" in circuit
    listing = pages.get(citizen, "/cereri")
    assert "Soluționată" in listing and "badge-completed" in listing
    pages.get(urbanism, "/birou/cereri/" + detail_url.rsplit("/", 1)[1])
    pages.check_all()


def test_form_errors_in_romanian_and_nothing_registered(browser_for: Any, pages: Pages) -> None:
    citizen = browser_for("citizen")
    response = citizen.submit(
        "/proceduri/petitie",
        {"subiect": "  ", "continut": "Scurt", "adresa_corespondenta": "Str. Șoimilor nr. 3"},
    )
    text = pages.html(response, 422)
    assert "Formularul nu a fost trimis" in text
    assert "Câmpul este obligatoriu." in text
    assert "Textul trebuie să aibă cel puțin 10 caractere." in text
    assert 'value="Str. Șoimilor nr. 3"' in text and ">Scurt</textarea>" in text
    assert 'aria-describedby="f-subiect-hint f-subiect-error"' in text

    response = citizen.submit(
        "/proceduri/petitie",
        {
            "subiect": "Iluminat public",
            "continut": "Becul de pe stâlpul din fața blocului 4 nu funcționează.",
            "anexe": file(b"nu este un PDF, doar text", "fals.pdf"),
        },
        content_type="multipart/form-data",
    )
    text = pages.html(response, 422)
    assert "nu este de un tip acceptat (PDF, JPEG, PNG)" in text
    assert "alegeți din nou fișierul fals.pdf" in text and 'value="Iluminat public"' in text
    listing = pages.get(citizen, "/cereri")
    assert "Nu aveți încă nicio cerere" in listing and "(0)" in listing
    pages.check_all()


def _without_tokens(html: str) -> str:
    """Drop the CSRF tokens, which carry the second they were made in."""
    return re.sub(r'name="csrf_token"[^>]*value="[^"]*"', 'name="csrf_token"', html)


def test_another_citizen_sees_nothing(browser_for: Any, pages: Pages) -> None:
    owner = browser_for("citizen")
    detail_url = submit_petition(owner).location
    doc_url = re.search(r'href="(/documente/\d+)"', owner.get(detail_url).get_data(as_text=True))
    assert doc_url
    other = browser_for("citizen2")
    hidden = _without_tokens(pages.get(other, detail_url, 404))
    assert hidden == _without_tokens(pages.get(other, "/cereri/999999", 404))
    assert "Cererea nu există." in hidden
    hidden_doc = _without_tokens(pages.get(other, doc_url.group(1), 404))
    assert hidden_doc == _without_tokens(pages.get(other, "/documente/999999", 404))
    assert "Nu aveți încă nicio cerere" in pages.get(other, "/cereri")
    pages.check_all()


def test_post_without_csrf_token_changes_nothing(browser_for: Any, pages: Pages) -> None:
    citizen = browser_for("citizen")
    response = citizen.client.post(
        "/proceduri/petitie",
        data={"subiect": "Fără token", "continut": "Această cerere nu trebuie înregistrată."},
    )
    text = pages.html(response, 400)
    assert "Sesiunea formularului a expirat. Reîncărcați pagina și încercați din nou." in text
    assert "Nu aveți încă nicio cerere" in pages.get(citizen, "/cereri")

    submit_petition(citizen)
    registry = browser_for("registry")
    triage = task_url(pages, registry, "Repartizare petiție")
    pages.html(registry.client.post(f"{triage}/preluare"), 400)
    pages.html(registry.client.post(triage, data={"decizie_triere": "clasare"}), 400)
    inbox = pages.get(registry, "/birou/")
    assert "nepreluată" in inbox and "Repartizare petiție" in inbox
    pages.check_all()


def test_citizens_stay_out_of_the_office(browser_for: Any, client: Any, pages: Pages) -> None:
    citizen = browser_for("citizen")
    text = pages.get(citizen, "/birou/", 403)
    assert "Acces interzis" in text and "funcționarilor" in text
    assert client.get("/birou/").status_code == 302  # anonymous: to the login page
    assert "Cereri la primărie" in pages.html(client.get("/"))
    official_home = browser_for("registry").get("/")
    assert official_home.status_code == 302 and official_home.location.endswith("/birou/")
    signup = pages.html(client.get("/cont-nou"))
    assert "CNP" in signup and "mascat" in signup and 'inputmode="numeric"' in signup
    assert "Adresa de e-mail" in pages.html(client.get("/autentificare"))
    missing = pages.html(client.get("/nu-exista"), 404)
    assert "Pagina nu există" in missing
    pages.check_all()


def test_unknown_api_path_answers_json(client: Any) -> None:
    response = client.get("/api/v1/nu-exista")
    assert response.status_code == 404
    body = response.get_json()
    assert body["error"] and body["message"]


def test_html_forms_are_read_back_as_typed_data() -> None:
    from werkzeug.datastructures import MultiDict

    from webapp import formrender

    schema = {
        "type": "object",
        "required": ["etaje", "acord"],
        "properties": {
            "etaje": {"type": "integer", "title": "Număr de etaje"},
            "suprafata": {"type": "number", "title": "Suprafața (m²)"},
            "acord": {"type": "boolean", "title": "Sunt de acord"},
            "urgent": {"type": "boolean"},
            "nota": {"type": "string", "x-widget": "textarea"},
            "tip": {"type": "string", "oneOf": [{"const": "a", "title": "Casă"}]},
        },
    }
    form = MultiDict(
        {"etaje": " 3 ", "suprafata": "120,5", "nota": "  ", "tip": "a", "intrus": "x"}
    )
    assert formrender.parse(schema, form) == {
        "etaje": 3,
        "suprafata": 120.5,
        "urgent": False,
        "tip": "a",
    }
    assert formrender.parse(schema, MultiDict({"etaje": "trei"}))["etaje"] == "trei"
    widgets = {f.name: (f.widget, f.required) for f in formrender.fields(schema)}
    assert widgets["etaje"] == ("number", True) and widgets["acord"] == ("checkbox", True)
    assert widgets["nota"] == ("textarea", False) and widgets["tip"] == ("radio", False)
    assert formrender.summary(schema, {"tip": "a", "acord": True}) == [
        ("Sunt de acord", "Da"),
        ("tip", "Casă"),
    ]


def test_too_large_upload_gets_a_romanian_page(app: Any, browser_for: Any, pages: Pages) -> None:
    citizen = browser_for("citizen")
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
    response = citizen.submit(
        "/proceduri/petitie",
        {
            "subiect": "Prea mare",
            "continut": "Un fișier prea mare.",
            "anexe": file(PDF + b"0" * (3 * 1024 * 1024), "mare.pdf"),
        },
        content_type="multipart/form-data",
    )
    text = pages.html(response, 413)
    assert "depășesc împreună dimensiunea maximă permisă" in text and "de 2 MB" in text
    assert '<a class="button" href="/proceduri/petitie">Înapoi la formular</a>' in text
    form = pages.get(citizen, "/proceduri/petitie")
    assert "cel mult 2 MB" in form, "the total limit is stated next to the file fields"
    assert "Nu aveți încă nicio cerere" in pages.get(citizen, "/cereri")
    pages.check_all()
