"""Measure what issuing a document costs: rendering a template to PDF/A (WeasyPrint), signing
it (pyHanko, PAdES), and checking its signature as the verification page does.

    python -m scripts.bench_issued [--n 50] [--procedure certificat_urbanism]

No database: the request is a stand-in with the fields the templates read. Prints p50 and
p95 in milliseconds for each stage.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from engine.cases import issued
from engine.models import RequestStatus
from engine.platform import signing
from engine.platform.config import Settings

DATA = {
    "regim_juridic": "Teren intravilan, proprietate privată. Nu este în zonă protejată.",
    "regim_economic": "Zonă de locuințe individuale, conform PUG aprobat prin HCL nr. 12/2019.",
    "regim_tehnic": "POT maxim 35%, CUT maxim 0,9, regim de înălțime P+1+M.",
    "avize_necesare": "Aviz de alimentare cu apă; aviz de racordare la rețeaua electrică.",
    "adresa_imobil": "Lupeni, str. Parângului nr. 12",
    "scop": "construire",
    "descriere": "Construirea unei locuințe P+1 cu garaj.",
    "rezultat": "fara_datorii",
    "nume_contribuabil": "Ion Popescu",
}


def _percentiles(samples: list[float]) -> str:
    cuts = statistics.quantiles(samples, n=20)
    return f"p50 {statistics.median(samples):7.1f} ms   p95 {cuts[18]:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--procedure", default="certificat_urbanism")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="circuit-bench-issued-"))
    settings = Settings(data_dir=folder, database_url="sqlite://", redis_url=None, secret_key="x")
    request = SimpleNamespace(
        procedure=args.procedure,
        status=RequestStatus.COMPLETED,
        registration_display="1/05.12.2026",
        company=None,
        petitioner_name="Ion Popescu",
        summary="Certificat pentru str. Parângului nr. 12",
        created_at=datetime.now(UTC),
        answer="Certificatul a fost emis.",
    )
    people = [issued.Person("Arhitect-șef", "Cristina Vlad"), issued.Person("Primar", "C. Barbu")]
    who = issued.institution(settings)
    render, sign, check = [], [], []
    for _ in range(args.n + 1):  # the first round warms the imports and font caches
        start = time.perf_counter()
        rendered = issued.render(
            settings, request, "Certificat de urbanism", DATA, people, [],  # type: ignore[arg-type]
            issued.new_code(), "2/05.12.2026", datetime.now(UTC), who.development,
        )  # fmt: skip
        pdf = issued.to_pdf(rendered.html)
        t1 = time.perf_counter()
        signed = signing.sign_pdf(pdf, who, reason=rendered.title, location="Lupeni")
        t2 = time.perf_counter()
        assert signing.check_pdf(signed, who.trust_roots).valid
        t3 = time.perf_counter()
        render.append((t1 - start) * 1000)
        sign.append((t2 - t1) * 1000)
        check.append((t3 - t2) * 1000)
    print(f"{args.n} documents ({args.procedure}, {len(signed) // 1024} KiB each, signed)")
    print(f"render to PDF/A   {_percentiles(render[1:])}")
    print(f"sign (PAdES)      {_percentiles(sign[1:])}")
    print(f"verify signature  {_percentiles(check[1:])}")


if __name__ == "__main__":
    main()
