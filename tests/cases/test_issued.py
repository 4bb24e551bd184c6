"""Issued documents: rendered from the procedure's template to PDF/A, signed with the
institution's key (PAdES), carrying a QR code and a verification code anyone can check."""

from __future__ import annotations

import io
import re
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    load_pem_private_key,
    pkcs12,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pypdf import PdfReader
from sqlalchemy import select

from engine.cases import issued
from engine.cases.documents import blob_path
from engine.models import AuditEvent, Document, IssuedDocument
from engine.platform import signing
from tests.support import engine as steps
from tests.support.citizens import represent
from tests.support.drive import JPEG, complete, submit, the_task
from tests.support.scenario import PDF, Scenario

SUBJECT = "Groapă în asfalt pe strada Școlii, lângă țarc"
ANSWER = "Groapa va fi astupată; șantierul începe în săptămâna următoare."


def text_of(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def lines_of(content: bytes) -> list[str]:
    return [" ".join(line.split()) for line in text_of(content).splitlines()]


def answered_petition(circuit: Any, people: dict[str, int]) -> int:
    req = steps.submit_petition(circuit, people["citizen"], subiect=SUBJECT)
    for who, data in (
        ("registry", steps.TRIAGE_TO_URBANISM),
        ("urbanism", {"actiune": "propune_raspuns", "raspuns": ANSWER}),
        ("urbanism_head", {"decizie_sef": "aprobat"}),
        ("primar", steps.SIGNED),
    ):
        steps.complete(circuit, people[who], steps.ready_task_id(circuit, req.id), data)
    return req.id


def issued_row(circuit: Any, request_id: int) -> tuple[IssuedDocument, bytes]:
    with circuit.db.session() as s:
        row = s.scalar(select(IssuedDocument).where(IssuedDocument.request_id == request_id))
        assert row is not None, "no document issued"
        s.expunge(row)
    return row, issued.stored_pdf(circuit.settings, row)


def test_petition_answer_is_a_signed_pdf_a_with_diacritics_names_and_code(
    circuit: Any, people: dict[str, int], client: Any, api_for: Any, browser_for: Any
) -> None:
    rid = answered_petition(circuit, people)
    row, pdf = issued_row(circuit, rid)
    lines = lines_of(pdf)
    flat = " ".join(lines)
    # The text comes back with ș ț (comma below), ă â î: the font is embedded.
    assert ANSWER in flat and "ș" in flat and "ț" in flat and "ş" not in flat
    assert "Răspuns la petiția nr." in flat
    assert "Primăria Municipiului Lupeni" in flat
    assert f"Nr. de ieșire nr. {row.registration}" in lines
    assert "Șeful compartimentului Urbanism și Amenajarea Teritoriului: Cristina Vlad" in lines
    assert "Primar: Constantin Barbu" in lines
    assert row.verification_code in flat and f"/verificare/{row.verification_code}" in flat
    assert "nesemnat" not in flat
    # PDF/A-3b as its metadata says, signed by the institution, valid against its root.
    reader = PdfReader(io.BytesIO(pdf))
    xmp = reader.xmp_metadata
    assert xmp is not None and xmp.get_element("", "http://www.aiim.org/pdfa/ns/id/", "part")
    who = issued.institution(circuit.settings)
    check = signing.check_pdf(pdf, who.trust_roots)
    assert check.valid and check.signer == "Primăria Municipiului Lupeni"
    assert row.signer == "Primăria Municipiului Lupeni" and row.signatory == (
        "Primar: Constantin Barbu"
    )
    # The citizen sees it with its code; answer.pdf is that very file.
    body = client.get(f"/api/v1/requests/{rid}", headers=api_for("citizen")).get_json()
    [doc] = [d for d in body["documents"] if d["kind"] == "issued"]
    assert doc["verification_code"] == row.verification_code and doc["sha256"] == row.sha256
    got = client.get(f"/api/v1/requests/{rid}/answer.pdf", headers=api_for("citizen"))
    assert got.status_code == 200 and got.data == pdf
    assert client.get(doc["url"], headers=api_for("citizen")).data == pdf
    assert client.get(doc["url"], headers=api_for("citizen2")).status_code == 404
    # The citizen's page names the code and links to its verification.
    page = browser_for("citizen").get(f"/cereri/{rid}").get_data(as_text=True)
    assert f'href="/verificare/{row.verification_code}"' in page


def test_development_keys_made_by_processes_at_once_are_one_key_and_its_certificate(
    tmp_path: Path,
) -> None:
    threads = [
        threading.Thread(target=signing.development_keys, args=(tmp_path, "Primăria Lupeni"))
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    keys = signing.development_keys(tmp_path, "Primăria Lupeni")
    key = load_pem_private_key(keys.key.read_bytes(), None)
    cert = x509.load_pem_x509_certificate(keys.cert.read_bytes())
    assert key.public_key() == cert.public_key()
    assert [p.name for p in (tmp_path / "signing").iterdir()] == ["development"]


def test_development_keys_are_made_once_and_kept_owner_only(circuit: Any) -> None:
    first = issued.institution(circuit.settings)
    keys = signing.development_keys(circuit.settings.data_dir, circuit.settings.city_hall_name)
    for path in (keys.key, keys.cert, keys.ca_cert):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = issued.institution(circuit.settings)
    assert again.signer.signing_cert.dump() == first.signer.signing_cert.dump()
    assert first.development


def test_verify_api_and_upload_comparison(
    circuit: Any, people: dict[str, int], client: Any
) -> None:
    rid = answered_petition(circuit, people)
    row, pdf = issued_row(circuit, rid)
    body = client.get(f"/api/v1/verify/{row.verification_code}").get_json()
    assert body["title"] == row.title and body["registration"] == row.registration
    assert body["issued_to"] != "Ana Ionescu" and body["issued_to"].startswith(body["issued_to"][0])
    assert "*" in body["issued_to"]
    assert body["signed_by"] == "Primar: Constantin Barbu" and body["sha256"] == row.sha256
    assert body["signature"]["valid"] is True
    assert body["signature"]["signer"] == "Primăria Municipiului Lupeni"
    assert body["issued_at"] and body["signature"]["signed_at"]
    # Typed by hand: lower case, with a hyphen, O for zero.
    typed = row.verification_code.lower()
    typed = typed[:5] + "-" + typed[5:]
    assert client.get(f"/api/v1/verify/{typed}").status_code == 200

    same = client.post(
        f"/api/v1/verify/{row.verification_code}",
        data={"file": (io.BytesIO(pdf), "raspuns.pdf")},
        content_type="multipart/form-data",
    ).get_json()
    assert same == {"identical": True, "signature_valid": True}
    # One byte changed inside the signed range: not identical, and its signature fails.
    at = len(pdf) // 3
    altered = pdf[:at] + bytes([pdf[at] ^ 1]) + pdf[at + 1 :]
    other = client.post(
        f"/api/v1/verify/{row.verification_code}",
        data={"file": (io.BytesIO(altered), "raspuns.pdf")},
        content_type="multipart/form-data",
    ).get_json()
    assert other == {"identical": False, "signature_valid": False}
    junk = client.post(
        f"/api/v1/verify/{row.verification_code}",
        data={"file": (io.BytesIO(PDF), "altceva.pdf")},
        content_type="multipart/form-data",
    ).get_json()
    assert junk == {"identical": False, "signature_valid": False}

    for code in ("ABCDEFGHJK", "nu-e-un-cod", "0000000000"):
        missing = client.get(f"/api/v1/verify/{code}")
        assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"
    assert (
        client.post(
            "/api/v1/verify/ABCDEFGHJK", data={"file": (io.BytesIO(pdf), "a.pdf")}
        ).status_code
        == 404
    )


def test_a_tampered_stored_file_no_longer_verifies(
    circuit: Any, people: dict[str, int], client: Any
) -> None:
    rid = answered_petition(circuit, people)
    row, pdf = issued_row(circuit, rid)

    path = blob_path(circuit.settings.documents_dir, row.sha256)
    at = len(pdf) // 2
    path.write_bytes(pdf[:at] + bytes([pdf[at] ^ 1]) + pdf[at + 1 :])
    body = client.get(f"/api/v1/verify/{row.verification_code}").get_json()
    assert body["signature"]["valid"] is False


def test_verification_page_in_romanian_with_csrf_upload(
    circuit: Any, people: dict[str, int], client: Any, app: Any
) -> None:
    rid = answered_petition(circuit, people)
    row, pdf = issued_row(circuit, rid)
    page = client.get(f"/verificare/{row.verification_code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Semnătura electronică este validă." in html and row.registration in html
    assert "Constantin Barbu" in html and row.sha256 in html
    assert 'name="csrf_token"' in html
    # Without the CSRF token the upload is refused; with it the file is compared.
    refused = client.post(
        f"/verificare/{row.verification_code}",
        data={"fisier": (io.BytesIO(pdf), "raspuns.pdf")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token
    same = client.post(
        f"/verificare/{row.verification_code}",
        data={"fisier": (io.BytesIO(pdf), "raspuns.pdf"), "csrf_token": token.group(1)},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "Fișierul este identic cu documentul emis." in same
    missing = client.get("/verificare/ABCDEFGHJK")
    assert missing.status_code == 404 and "Nu există niciun document emis" in missing.get_data(
        as_text=True
    )
    lookup = client.get(f"/verificare?cod={row.verification_code.lower()}")
    assert lookup.status_code == 302 and lookup.headers["Location"].endswith(row.verification_code)
    assert client.get("/verificare?cod=12").status_code == 400


URBANISM_REQUEST = {
    "scop": "construire",
    "adresa_imobil": "Lupeni, str. Parângului nr. 12",
    "inscris_cf": "da",
    "numar_carte_funciara": "60123",
    "numar_cadastral": "60123",
    "suprafata_teren": 1250,
    "descriere": "Construirea unei locuințe P+1 cu garaj.",
}
REVIEWED = {
    "regim_juridic": "Teren intravilan, proprietate privată. Nu este în zonă protejată.",
    "regim_economic": "Zonă de locuințe individuale.",
    "regim_tehnic": "POT maxim 35%, CUT maxim 0,9, P+1+M",
    "avize_necesare": "Aviz de alimentare cu apă; aviz de racordare la rețeaua electrică.",
}


def test_urbanism_certificate_has_its_sections_and_both_signatures(
    client: Any, api_for: Any, circuit: Any
) -> None:
    sc = Scenario(client, api_for, circuit, "certificat_urbanism")
    body = sc.submit(
        URBANISM_REQUEST,
        {"plan_situatie": PDF, "extras_carte_funciara": PDF, "plan_cadastral": PDF},
    )
    rid = body["id"]
    sc.step(
        "registry",
        rid,
        "Verificarea completitudinii dosarului",
        {"verificare": "complet", "zona": "urbana"},
    )
    sc.step("urbanism", rid, "Analiza tehnică și redactarea certificatului", REVIEWED)
    sc.step(
        "urbanism_head", rid, "Semnarea de către arhitectul-șef", {"decizie_arhitect": "semnat"}
    )
    sc.step("primar", rid, "Semnarea de către primar", {"decizie_primar": "semnat"})
    assert (
        sc.step(
            "urbanism",
            rid,
            "Eliberarea certificatului",
            {"plata_verificata": True, "dovada_plata": "Chitanța nr. 12/05.12.2026"},
        )
        == "completed"
    )
    row, pdf = issued_row(circuit, rid)
    lines = lines_of(pdf)
    flat = " ".join(lines)
    assert row.title == "Certificat de urbanism"
    for heading in (
        "1. Regimul juridic",
        "2. Regimul economic",
        "3. Regimul tehnic",
        "4. Avize și acorduri necesare",
    ):
        assert heading in lines
    assert "Nu este în zonă protejată." in flat and ".." not in flat
    assert "POT maxim 35%, CUT maxim 0,9, P+1+M." in flat
    assert "carte funciară nr. 60123" in flat.replace("cartea funciară", "carte funciară")
    # The chief architect and the mayor, each with the role they signed in.
    assert lines.index("Arhitect-șef: Cristina Vlad") < lines.index("Semnează")
    assert lines.index("Semnează") + 1 == lines.index("Primar: Constantin Barbu")


def test_fiscal_certificate_states_its_30_day_validity(
    client: Any, api_for: Any, circuit: Any
) -> None:

    person = {
        "tip_contribuabil": "persoana_fizica",
        "nume_contribuabil": "Ion Popescu",
        "cnp": "1900512400015",
        "scop": "instrainare",
    }
    represent(client, api_for, "citizen", person["nume_contribuabil"], cnp=person["cnp"])
    sc = Scenario(client, api_for, circuit, "atestare_fiscala")
    rid = sc.submit(person)["id"]
    sc.step("taxe", rid, "Verificarea situației fiscale", {"rezultat": "fara_datorii"})
    sc.step("taxe_head", rid, "Semnarea de către șeful serviciului", {"decizie_sef": "semnat"})
    sc.step("primar", rid, "Semnarea de către primar", {"decizie_primar": "semnat"})
    row, pdf = issued_row(circuit, rid)
    flat = " ".join(lines_of(pdf))
    assert row.title == "Certificat de atestare fiscală"
    assert "valabil 30 de zile de la data emiterii" in flat
    assert "nu are obligații de plată restante la bugetul local" in flat
    assert "Ion Popescu" in flat
    lines = lines_of(pdf)
    assert "Șeful compartimentului Impozite și Taxe Locale: " in " ".join(lines) or any(
        line.startswith("Șeful compartimentului") for line in lines
    )
    assert any(line.startswith("Primar: ") for line in lines)


def test_archive_copy_says_conform_cu_originalul(client: Any, api_for: Any, circuit: Any) -> None:

    data = {
        "pentru_cine": "mine",
        "tip_document": "vechime",
        "descriere": "State de plată ale Cooperativei Meșteșugarul.",
        "an_de_la": 1982,
        "an_pana_la": 1989,
        "scop": "dosar de pensionare",
        "numar_exemplare": 1,
    }
    archive = api_for("arhiva")
    r = submit(
        client,
        api_for("citizen"),
        "adeverinta_arhiva",
        data,
        {"act_identitate": (io.BytesIO(JPEG), "buletin.jpg")},
    )
    rid = r.get_json()["id"]
    task = the_task(client, archive, rid)
    r = complete(
        client,
        archive,
        task["id"],
        {
            "rezultat": "gasit",
            "cota_arhivistica": "Fond Cooperativa Meșteșugarul, ds. 4/1982",
            "numar_file": 12,
            "raspuns": "Vă eliberăm copia certificată.",
        },
    )
    assert r.status_code == 200, r.get_json()
    sign = the_task(client, archive, rid)
    assert complete(client, archive, sign["id"], {"decizie": "semnat"}).status_code == 200
    row, pdf = issued_row(circuit, rid)
    flat = " ".join(lines_of(pdf))
    assert "CONFORM CU ORIGINALUL" in flat
    assert "Fond Cooperativa Meșteșugarul, ds. 4/1982" in flat


@pytest.mark.parametrize("variant", ["pkcs12", "pem"])
def test_a_production_key_configured_by_path_signs(
    circuit: Any, people: dict[str, int], tmp_path: Any, monkeypatch: Any, variant: str
) -> None:
    """A city hall's own key and chain (here made like the development ones, in another
    folder, standing in for a qualified certificate) sign in place of the development key."""

    keys = signing.development_keys(tmp_path / "ca", "Primăria Orașului Uricani")
    key = load_pem_private_key(keys.key.read_bytes(), None)
    cert = x509.load_pem_x509_certificate(keys.cert.read_bytes())
    ca = x509.load_pem_x509_certificate(keys.ca_cert.read_bytes())
    env = {
        "CIRCUIT_SIGNING_PASSWORD": "parola-de-test",
        "CIRCUIT_SIGNING_TRUST_ROOT": str(keys.ca_cert),
    }
    if variant == "pkcs12":
        p12 = tmp_path / "institutie.p12"
        p12.write_bytes(
            pkcs12.serialize_key_and_certificates(
                b"institutie",
                key,
                cert,
                [ca],
                BestAvailableEncryption(b"parola-de-test"),  # type: ignore[arg-type]
            )
        )
        env["CIRCUIT_SIGNING_PKCS12"] = str(p12)
    else:
        env |= {
            "CIRCUIT_SIGNING_KEY": str(keys.key),
            "CIRCUIT_SIGNING_CERT": str(keys.cert),
            "CIRCUIT_SIGNING_CHAIN": str(keys.ca_cert),
        }
        env.pop("CIRCUIT_SIGNING_PASSWORD")
    config = signing.signing_from(env)
    monkeypatch.setattr(
        circuit,
        "settings",
        circuit.settings.__class__(**{**circuit.settings.__dict__, "signing": config}),
    )
    rid = answered_petition(circuit, people)
    row, pdf = issued_row(circuit, rid)
    assert row.signer == "Primăria Orașului Uricani" and not row.development_key
    assert signing.check_pdf(pdf, issued.institution(circuit.settings).trust_roots).valid
    dev = signing.development_keys(circuit.settings.data_dir, "x")

    assert not signing.check_pdf(pdf, [load_cert_from_pemder(str(dev.ca_cert))]).valid


def test_signing_settings_refuse_a_key_without_its_root() -> None:
    with pytest.raises(ValueError, match="CIRCUIT_SIGNING_TRUST_ROOT"):
        signing.signing_from({"CIRCUIT_SIGNING_PKCS12": "/tmp/x.p12"})
    with pytest.raises(ValueError, match="CIRCUIT_SIGNING_CERT"):
        signing.signing_from({"CIRCUIT_SIGNING_KEY": "/tmp/x.key"})


def test_codes_and_masks() -> None:
    code = issued.new_code()
    assert len(code) == 10 and set(code) <= set(issued.ALPHABET)
    assert issued.normalise_code("abcde-fghjk") == "ABCDEFGHJK"
    assert issued.normalise_code("O1ILO-00000") == "0111000000"
    assert issued.normalise_code("ABCDEFGHJU") is None  # U is not in the alphabet
    assert issued.mask_name("Ion Popescu") == "I** P******"
    assert str(issued.paragraphs("Nu este în zonă protejată.\nRegim <b>economic</b>")) == (
        "<p>Nu este în zonă protejată.</p>\n<p>Regim &lt;b&gt;economic&lt;/b&gt;.</p>"
    )


def test_a_document_row_of_kind_issued_sits_with_the_request(
    circuit: Any, people: dict[str, int]
) -> None:
    rid = answered_petition(circuit, people)
    with circuit.db.session() as s:
        kinds = [d.kind for d in s.scalars(select(Document).where(Document.request_id == rid))]
    assert kinds.count("issued") == 1


def test_officials_attach_registered_files_listed_on_the_certificate(
    client: Any, api_for: Any, circuit: Any, browser_for: Any
) -> None:
    sc = Scenario(client, api_for, circuit, "certificat_urbanism")
    plans = {"plan_situatie": PDF, "extras_carte_funciara": PDF, "plan_cadastral": PDF}
    rid = sc.submit(URBANISM_REQUEST, plans)["id"]
    sc.step(
        "registry",
        rid,
        "Verificarea completitudinii dosarului",
        {"verificare": "complet", "zona": "urbana"},
    )
    review = sc.task("urbanism", rid, "Analiza tehnică și redactarea certificatului")
    url = f"/api/v1/tasks/{review['id']}/annexes"
    # Refused by content, in Romanian, nothing stored or registered.
    bad = client.post(
        url,
        data={"files": [(io.BytesIO(PDF), "harta.pdf"), (io.BytesIO(b"nu e pdf"), "plan.pdf")]},
        headers=api_for("urbanism"),
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    assert bad.get_json()["errors"][0]["message"] == (
        "Fișierul „plan.pdf” nu este PDF, JPEG, PNG sau TIFF (după conținut)."
    )
    # Another department's official may not attach to this request's answer.
    other = client.post(
        url,
        data={"files": [(io.BytesIO(PDF), "harta.pdf")]},
        headers=api_for("taxe"),
        content_type="multipart/form-data",
    )
    assert other.status_code == 403
    ok = client.post(
        url,
        data={"files": [(io.BytesIO(PDF), "harta-zonei.pdf")]},
        headers=api_for("urbanism"),
        content_type="multipart/form-data",
    )
    assert ok.status_code == 201, ok.get_json()
    [annex] = ok.get_json()["annexes"]
    assert annex["name"] == "harta-zonei.pdf" and re.fullmatch(
        r"\d+/\d\d\.\d\d\.\d{4}", annex["registration"]
    )
    # The office page's form (CSRF token, as a browser sends it) attaches a scan too.
    office = browser_for("urbanism")
    page = office.get(f"/birou/sarcini/{review['id']}").get_data(as_text=True)
    assert "Anexe la răspuns" in page and 'enctype="multipart/form-data"' in page
    sent = office.submit(
        f"/birou/sarcini/{review['id']}",
        {"anexe": [(io.BytesIO(PDF), "copie-arhiva.pdf")]},
        action=f"/birou/sarcini/{review['id']}/anexe",
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302
    shown = office.get(f"/birou/sarcini/{review['id']}").get_data(as_text=True)
    assert "copie-arhiva.pdf" in shown and "Anexat la răspuns și înregistrat" in shown

    sc.complete("urbanism", review, REVIEWED)
    sc.step(
        "urbanism_head", rid, "Semnarea de către arhitectul-șef", {"decizie_arhitect": "semnat"}
    )
    sc.step("primar", rid, "Semnarea de către primar", {"decizie_primar": "semnat"})
    sc.step(
        "urbanism",
        rid,
        "Eliberarea certificatului",
        {"plata_verificata": True, "dovada_plata": "Chitanța nr. 12/05.12.2026"},
    )
    row, pdf = issued_row(circuit, rid)
    lines = lines_of(pdf)
    assert "Anexe" in lines
    assert f"Anexa 1: harta-zonei.pdf, înregistrată cu nr. {annex['registration']}" in lines
    assert any(line.startswith("Anexa 2: copie-arhiva.pdf, înregistrată cu nr.") for line in lines)
    assert [a["name"] for a in row.annexes or []] == ["harta-zonei.pdf", "copie-arhiva.pdf"]
    # The citizen sees the annexes beside the certificate; the register holds them.
    docs = sc.detail(rid)["documents"]
    assert [d["name"] for d in docs if d["kind"] == "annex"] == [
        "harta-zonei.pdf",
        "copie-arhiva.pdf",
    ]
    rows = client.get("/api/v1/registry/entries", headers=api_for("registry")).get_json()
    summaries = [e["summary"] for e in rows["entries"]]
    assert any(
        s.endswith(": harta-zonei.pdf") and s.startswith("Anexă la răspunsul") for s in summaries
    )


def _tsa_files(folder: Path) -> tuple[Path, Path, Path]:
    """A time-stamping authority's root, certificate (EKU timeStamping) and key, as PEM."""
    now = datetime.now(UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # pyHanko's TSA: RSA
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TSA de test — rădăcină")])
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TSA de test")]))
        .issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    paths = folder / "tsa-root.pem", folder / "tsa.pem", folder / "tsa.key"
    paths[0].write_bytes(root.public_bytes(pem))
    paths[1].write_bytes(cert.public_bytes(pem))
    paths[2].write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


@pytest.fixture
def tsa_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An RFC 3161 time-stamping server on loopback (pyHanko's own TSA logic behind a real
    HTTP server); yields its URL and its root certificate."""
    root, cert, key = _tsa_files(tmp_path)
    stamper = DummyTimeStamper(
        tsa_cert=load_cert_from_pemder(str(cert)),
        tsa_key=load_private_key_from_pemder(str(key), None),
    )

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            reply = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa", root
    finally:
        server.shutdown()
        server.server_close()


def test_signatures_are_time_stamped_when_a_server_is_configured(
    circuit: Any, people: dict[str, int], monkeypatch: Any, tsa_server: tuple[str, Path]
) -> None:
    url, root = tsa_server
    config = signing.signing_from({"CIRCUIT_TSA_URL": url, "CIRCUIT_TSA_TRUST_ROOT": str(root)})
    settings = circuit.settings.__class__(**{**circuit.settings.__dict__, "signing": config})
    monkeypatch.setattr(circuit, "settings", settings)
    rid = answered_petition(circuit, people)
    row, pdf = issued_row(circuit, rid)
    assert row.timestamped
    check = signing.check_pdf(pdf, issued.institution(settings).trust_roots)
    assert check.valid and check.signed_at is not None
    # Without the TSA's root the time stamp is not trusted, so neither is the signature.
    assert not signing.check_pdf(pdf, issued.institution(settings).trust_roots[:1]).valid


def _with_acts_dir(circuit: Any, monkeypatch: Any, folder: Path) -> None:
    settings = circuit.settings.__class__(**{**circuit.settings.__dict__, "acts_dir": folder})
    monkeypatch.setattr(circuit, "settings", settings)


def test_a_city_halls_own_template_replaces_only_what_it_holds(
    circuit: Any, people: dict[str, int], tmp_path: Path, monkeypatch: Any
) -> None:
    (tmp_path / "petitie.html").write_text(
        '{% extends "_base.html" %}{% set title = "Răspuns la petiție" %}'
        "{% block body %}<p>Textul primăriei noastre, cu ș și ț.</p>"
        "{{ answer | paragraphs }}{% endblock %}",
        encoding="utf-8",
    )
    _with_acts_dir(circuit, monkeypatch, tmp_path)
    rid = answered_petition(circuit, people)
    row, pdf = issued_row(circuit, rid)
    flat = " ".join(lines_of(pdf))
    assert row.title == "Răspuns la petiție"
    assert "Textul primăriei noastre, cu ș și ț." in flat and ANSWER in flat
    assert "Primar: Constantin Barbu" in flat  # the shipped layout, signatures included


def test_a_template_reaching_for_python_closes_the_request_unsigned_and_says_so(
    circuit: Any,
    people: dict[str, int],
    tmp_path: Path,
    monkeypatch: Any,
    client: Any,
    api_for: Any,
) -> None:
    (tmp_path / "petitie.html").write_text(
        '{% extends "_base.html" %}{% block body %}'
        "{{ answer.__class__.__mro__[1].__subclasses__() }}{% endblock %}",
        encoding="utf-8",
    )
    _with_acts_dir(circuit, monkeypatch, tmp_path)
    rid = answered_petition(circuit, people)
    body = client.get(f"/api/v1/requests/{rid}", headers=api_for("citizen")).get_json()
    assert body["status"] == "completed"
    assert [d for d in body["documents"] if d["kind"] == "issued"] == []
    with circuit.db.session() as s:
        [event] = s.scalars(
            select(AuditEvent).where(
                AuditEvent.request_id == rid, AuditEvent.action == "document_not_issued"
            )
        )
        assert "SecurityError" in event.detail["reason"]
    answer = client.get(f"/api/v1/requests/{rid}/answer.pdf", headers=api_for("citizen"))
    assert answer.status_code == 200 and "nesemnat" in text_of(answer.data)
