"""`circuit archive import`: bad files refused by name, the rest imported, once; OCR in a
real RQ worker; search without case or diacritics."""

from __future__ import annotations

import pytest
from fpdf import FPDF
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from engine import jobs
from engine.circuit import current, install
from engine.models import ArchiveDocument
from engine.platform.rqueue import QUEUE_NAME
from scripts import cli
from tests.support.archive import (
    HEADER,
    bomb_png,
    corrupt_pdf,
    encrypted_pdf,
    text_pdf,
    text_png,
    write_files,
)

BUILDING = "Autorizație de construire pentru clădirea din strada Ștefan cel Mare nr. 12, Iași."


@pytest.fixture
def run_cli(circuit, backend, redis_url, monkeypatch, capsys):
    """Run `circuit …` in this process against the test's database, data folder and Redis."""
    monkeypatch.setenv("CIRCUIT_DATA_DIR", str(circuit.settings.data_dir))
    monkeypatch.setenv("DATABASE_URL", backend.url)
    monkeypatch.setenv("REDIS_URL", redis_url)
    Queue(QUEUE_NAME, connection=circuit.redis()).empty()  # no job of an earlier test

    def run(*args: str) -> tuple[int, str, str]:
        code = cli.main(list(args))
        built = current()
        if built is not circuit:
            built.db.dispose()
        install(circuit)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def scans_folder(tmp_path):
    folder = tmp_path / "scanari"
    write_files(
        folder,
        {
            "autorizatie.pdf": text_pdf(BUILDING),
            "scrisoare.png": text_png(
                ["Clădirea de pe strada Ștefan cel Mare", "recepționată 1987"]
            ),
            "criptat.pdf": encrypted_pdf("Document confidențial al primăriei, cu parolă."),
            "corupt.pdf": corrupt_pdf(),
            "gol.pdf": b"",
            "bomba.png": bomb_png(),
            "nota.pdf": b"Nu sunt PDF, sunt text simplu.",
        },
    )
    rows = (
        HEADER
        + "autorizatie.pdf,1998-03-14,1234/14.03.1998,Ion Popa,"
        + "Autorizație de construire,V-1,Ion Popa\n"
        + "scrisoare.png,1987-06-02,77/02.06.1987,ICRAL,Corespondență,VIII-4,\n"
        + "criptat.pdf,2001-01-05,5/05.01.2001,,Contract,VII-1,\n"
        + "corupt.pdf,2001-01-06,6/06.01.2001,,Contract,VII-1,\n"
        + "gol.pdf,2001-01-07,7/07.01.2001,,Contract,VII-1,\n"
        + "bomba.png,2001-01-08,8/08.01.2001,,Plan,V-1,\n"
        + "nota.pdf,2001-01-09,9/09.01.2001,,Notă,VIII-4,\n"
        + "lipsa.pdf,2001-01-10,10/10.01.2001,,Notă,VIII-4,\n"
        + "autorizatie.pdf,2001-02-30,11/10.01.2001,,Notă,VIII-4,\n"
    ).encode()
    # A row written by a program that saved it in Windows-1250, not UTF-8.
    rows += "nota.pdf,2001-01-09,12/09.01.2001,Primăria,Notă,VIII-4,Şerban\n".encode("cp1250")
    (tmp_path / "metadate.csv").write_bytes(rows)
    return folder, tmp_path / "metadate.csv"


def count(circuit) -> int:
    with circuit.db.session() as s:
        return s.scalar(select(func.count()).select_from(ArchiveDocument))


def test_bad_files_are_refused_by_name_and_the_rest_imported_once(circuit, run_cli, tmp_path):
    folder, csv = scans_folder(tmp_path)
    code, out, err = run_cli("archive", "import", str(folder), "--metadata", str(csv))
    assert code == 1  # something was refused
    assert "criptat.pdf: PDF criptat" in out
    assert "corupt.pdf: PDF corupt" in out
    assert "gol.pdf: fișierul este gol (0 octeți)" in out
    assert "bomba.png: imagine prea mare" in out and "bombă de decompresie" in out
    assert "nota.pdf: nu este un PDF sau o imagine" in out
    assert "lipsa.pdf: fișierul numit în CSV nu există în dosar" in out
    assert "data „2001-02-30” nu este o dată validă" in out
    assert "nu este în codificarea UTF-8" in out
    assert "Importate: 2;" in out and "refuzate: 8." in out
    assert "Așteaptă recunoașterea textului (OCR): 1." in out
    assert "10/10 documente" in err  # the progress bar, on standard error
    assert count(circuit) == 2
    # Nothing of a refused file was stored: the data folder holds the two imported ones.
    stored = [p for p in circuit.settings.documents_dir.rglob("*") if p.is_file()]
    assert len(stored) == 2

    code, out, _ = run_cli("archive", "import", str(folder), "--metadata", str(csv))
    assert "Importate: 0; importate deja (neschimbate): 2;" in out
    assert count(circuit) == 2


def test_a_scan_is_read_by_ocr_in_a_worker_and_found_without_diacritics(
    circuit, run_cli, tmp_path, api_for, client
):
    folder, csv = scans_folder(tmp_path)
    run_cli("archive", "import", str(folder), "--metadata", str(csv))
    with circuit.db.session() as s:
        scan = s.scalar(select(ArchiveDocument).where(ArchiveDocument.mime == "image/png"))
        assert scan.ocr_status == "pending" and scan.text is None
    redis = circuit.redis()
    SimpleWorker([Queue(QUEUE_NAME, connection=redis)], connection=redis).work(burst=True)
    with circuit.db.session() as s:
        scan = s.get(ArchiveDocument, scan.id)
        assert scan.ocr_status == "done"
        assert "Ștefan cel Mare" in scan.text or "Stefan cel Mare" in scan.text

    r = client.get(
        "/api/v1/archive/search",
        query_string={"q": "cladirea stefan cel mare"},
        headers=api_for("arhiva"),
    )
    assert r.status_code == 200
    found = r.get_json()
    titles = {hit["title"] for hit in found["results"]}
    assert found["total"] == 2  # the PDF's text layer and the scan read by OCR
    assert "Corespondență nr. 77/02.06.1987" in titles
    pdf_hit = next(h for h in found["results"] if h["type"] == "Autorizație de construire")
    assert "clădirea din strada Ștefan cel Mare" in pdf_hit["snippet"]
    assert pdf_hit["registration"] == "1234/14.03.1998" and pdf_hit["date"] == "1998-03-14"


def test_without_tesseract_the_import_goes_on_and_names_what_awaits_ocr(
    circuit, run_cli, tmp_path, monkeypatch
):
    folder, csv = scans_folder(tmp_path)
    empty = tmp_path / "fara-tesseract"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # this machine has Tesseract; here it is not found
    code, out, _ = run_cli("archive", "import", str(folder), "--metadata", str(csv))
    assert "Importate: 2;" in out
    assert "Așteaptă recunoașterea textului (OCR) (Tesseract nu este instalat aici): 1." in out
    assert "  scrisoare.png" in out


def test_a_csv_without_the_columns_is_refused_whole(circuit, run_cli, tmp_path):
    (tmp_path / "m.csv").write_text("fisier,data\na.pdf,2001-01-01\n", encoding="utf-8")
    code, _, err = run_cli(
        "archive", "import", str(tmp_path), "--metadata", str(tmp_path / "m.csv")
    )
    assert code == 2
    assert "Fișierului CSV îi lipsesc coloanele: file, date" in err
    assert count(circuit) == 0


def test_a_scanned_pdf_without_text_is_read_by_the_ocr_job(circuit, run_cli, tmp_path, job_log):
    image = tmp_path / "pagina.png"
    image.write_bytes(text_png(["Hotărârea privind strada Țesătorilor", "și podul de la Bucium"]))
    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(image), x=10, y=10, w=190)
    folder = tmp_path / "pdf"
    write_files(folder, {"hotarare.pdf": bytes(pdf.output())})
    csv = tmp_path / "m.csv"
    csv.write_text(HEADER + "hotarare.pdf,1979-04-02,12/02.04.1979,,Hotărâre,I-1,\n", "utf-8")
    code, out, _ = run_cli("archive", "import", str(folder), "--metadata", str(csv))
    assert code == 0 and "Așteaptă recunoașterea textului (OCR): 1." in out
    with circuit.db.session() as s:
        doc_id = s.scalar(select(ArchiveDocument.id))
    assert jobs.archive_ocr(doc_id) is True  # the worker's job, run here in-process
    with circuit.db.session() as s:
        doc = s.get(ArchiveDocument, doc_id)
        assert doc.ocr_status == "done"
        assert "Bucium" in doc.text and "es" in doc.text


def test_the_sweep_resends_an_ocr_job_redis_lost(circuit, run_cli, tmp_path):
    folder, csv = scans_folder(tmp_path)
    run_cli("archive", "import", str(folder), "--metadata", str(csv))
    redis = circuit.redis()
    Queue(QUEUE_NAME, connection=redis).empty()  # Redis lost the OCR job
    assert jobs.sweep(jobs.rq_dispatcher(redis)) == 1
    SimpleWorker([Queue(QUEUE_NAME, connection=redis)], connection=redis).work(burst=True)
    with circuit.db.session() as s:
        assert s.scalar(select(ArchiveDocument).where(ArchiveDocument.mime == "image/png")).text
    assert jobs.sweep(jobs.rq_dispatcher(redis)) == 0


def test_an_interrupted_batched_import_keeps_its_batches_and_resumes(
    circuit, run_cli, tmp_path, monkeypatch
):
    from engine.archive import importer
    from scripts import archive_cli

    files = {f"act-{i}.pdf": text_pdf(f"{BUILDING} Actul numărul {i}.") for i in range(7)}
    files["gol.pdf"] = b""
    folder = tmp_path / "scanari"
    write_files(folder, files)
    rows = [
        f"act-{i}.pdf,1998-03-{i + 1:02},{i + 1}/14.03.1998,Primăria,Autorizație,V-1,"
        for i in range(4)
    ]
    rows.insert(1, "gol.pdf,1998-03-09,9/14.03.1998,,Autorizație,V-1,")  # refused mid-batch
    rows.insert(2, "act-0.pdf,1998-03-10,10/14.03.1998,,Autorizație,V-1,")  # the same bytes
    rows.append("act-4.pdf,1998-03-11,11/14.03.1998,,Autorizație" + "e" * 100 + ",V-1,")
    rows.append("act-5.pdf,1998-03-12,12/14.03.1998,,Autorizație,V-1,1800101226693")
    rows.append("act-6.pdf,1998-03-13,13/14.03.1998,,Autorizație,V-1,")
    csv = tmp_path / "metadate.csv"
    csv.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.setattr(archive_cli, "BATCH", 4)

    real = importer.store_batch
    batches = []

    def interrupted(session, settings, batch):
        batches.append(batch)
        if len(batches) == 2:
            raise KeyboardInterrupt  # the operator's Ctrl-C, inside the second batch
        return real(session, settings, batch)

    monkeypatch.setattr(importer, "store_batch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_cli("archive", "import", str(folder), "--metadata", str(csv))
    assert count(circuit) == 2  # the first batch (act-0, act-1) committed, nothing of the second

    monkeypatch.setattr(importer, "store_batch", real)
    code, out, _ = run_cli("archive", "import", str(folder), "--metadata", str(csv))
    assert code == 1
    assert "gol.pdf: fișierul este gol (0 octeți)" in out
    assert "act-4.pdf: tipul documentului are peste 100 de caractere" in out
    assert "Importate: 4; importate deja (neschimbate): 3; refuzate: 2." in out
    with circuit.db.session() as s:
        docs = s.scalars(select(ArchiveDocument).order_by(ArchiveDocument.id)).all()
    assert [d.original_name for d in docs] == [f"act-{i}.pdf" for i in (0, 1, 2, 3, 5, 6)]
    with_cnp = docs[4]
    assert with_cnp.person_cnp_hash and "1800101226693" not in (with_cnp.person_cnp_encrypted)
    assert all(d.ocr_status == "none" and "Ștefan cel Mare" in d.text for d in docs)
