"""The institution's electronic signature on the PDFs Circuit issues (PAdES, with pyHanko).

Production configures a key and its chain by path: a PKCS#12 file (CIRCUIT_SIGNING_PKCS12) or
PEM files (CIRCUIT_SIGNING_KEY, CIRCUIT_SIGNING_CERT, CIRCUIT_SIGNING_CHAIN), the password in
CIRCUIT_SIGNING_PASSWORD, and the root the signatures are checked against in
CIRCUIT_SIGNING_TRUST_ROOT. Without them, a development certificate authority and an
institution certificate are generated into the data directory at first use (files 0600), so a
fresh installation signs and verifies out of the box; such a signature is valid only against
that development root, which is said so on the verification page. CIRCUIT_TSA_URL names an
RFC 3161 time-stamping server; when set, every signature is time-stamped (its root, when not
the institution's, in CIRCUIT_TSA_TRUST_ROOT).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any, TypeVar

from engine.platform.datadir import private_dir

T = TypeVar("T")

SIGNING_DIR = "signing"
FIELD_NAME = "SemnaturaInstitutiei"


@dataclass(frozen=True)
class SigningConfig:
    """Where the institution's key is, and the optional time-stamping server."""

    pkcs12: Path | None = None
    key: Path | None = None
    cert: Path | None = None
    chain: tuple[Path, ...] = ()
    password: str | None = field(default=None, repr=False)
    trust_root: Path | None = None
    tsa_url: str | None = None
    tsa_trust_root: Path | None = None  # the time-stamping authority's root, if another one

    @property
    def production(self) -> bool:
        return self.pkcs12 is not None or self.key is not None


def signing_from(env: Mapping[str, str]) -> SigningConfig:
    """Read the signing settings (CIRCUIT_SIGNING_*, CIRCUIT_TSA_URL) from the environment."""

    def path(name: str) -> Path | None:
        return Path(env[name]).resolve() if env.get(name) else None

    chain = tuple(
        Path(p).resolve() for p in (env.get("CIRCUIT_SIGNING_CHAIN") or "").split(":") if p
    )
    config = SigningConfig(
        pkcs12=path("CIRCUIT_SIGNING_PKCS12"),
        key=path("CIRCUIT_SIGNING_KEY"),
        cert=path("CIRCUIT_SIGNING_CERT"),
        chain=chain,
        password=env.get("CIRCUIT_SIGNING_PASSWORD") or None,
        trust_root=path("CIRCUIT_SIGNING_TRUST_ROOT"),
        tsa_url=env.get("CIRCUIT_TSA_URL") or None,
        tsa_trust_root=path("CIRCUIT_TSA_TRUST_ROOT"),
    )
    if config.key is not None and config.cert is None:
        raise ValueError("CIRCUIT_SIGNING_KEY needs CIRCUIT_SIGNING_CERT (the certificate, PEM)")
    if config.production and config.trust_root is None:
        raise ValueError(
            "CIRCUIT_SIGNING_TRUST_ROOT: name the root certificate (PEM) the institution's "
            "signatures are checked against"
        )
    return config


@dataclass(frozen=True)
class DevelopmentKeys:
    """The files of the development certificate authority and institution certificate."""

    ca_cert: Path
    key: Path
    cert: Path


def development_keys(data_dir: Path, institution: str) -> DevelopmentKeys:
    """Return the development CA and institution certificate, generating them the first time
    (a self-signed root, and an institution certificate it issues, both ECDSA P-256)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder = data_dir / SIGNING_DIR / "development"
    keys = DevelopmentKeys(
        folder / "dev-ca.pem", folder / "institution.key", folder / "institution.pem"
    )
    if keys.ca_cert.is_file() and keys.key.is_file() and keys.cert.is_file():
        return keys
    # Made in a folder of its own and renamed into place at once: a web process and a worker
    # starting together end up with one key and its certificate, never one's key and the
    # other's certificate.
    staging = Path(tempfile.mkdtemp(prefix="new-", dir=private_dir(data_dir / SIGNING_DIR)))
    made = DevelopmentKeys(*(staging / p.name for p in (keys.ca_cert, keys.key, keys.cert)))
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "RO"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, institution),
            x509.NameAttribute(NameOID.COMMON_NAME, "Circuit — autoritate de certificare de test"),
        ]
    )
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "RO"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, institution),
            x509.NameAttribute(NameOID.COMMON_NAME, institution),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    _write(made.ca_cert, ca_cert.public_bytes(pem))
    _write(made.cert, cert.public_bytes(pem))
    _write(
        made.key,
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )
    try:
        os.rename(staging, folder)
    except OSError:  # another process was first: keep its keys
        shutil.rmtree(staging, ignore_errors=True)
    return keys


def _write(path: Path, content: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(content)


@dataclass(frozen=True)
class Institution:
    """The signer and the root its signatures are checked against."""

    signer: Any  # pyhanko.sign.signers.SimpleSigner
    trust_roots: list[Any]  # asn1crypto.x509.Certificate: the signer's root, the TSA's
    common_name: str
    development: bool
    tsa_url: str | None


def institution(config: SigningConfig, data_dir: Path, name: str) -> Institution:
    """Load the institution's signer: the configured key, or the development one."""
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.sign import signers

    password = config.password.encode() if config.password else None
    if config.pkcs12 is not None:
        signer = signers.SimpleSigner.load_pkcs12(
            str(config.pkcs12),
            ca_chain_files=[str(p) for p in config.chain] or None,
            passphrase=password,
        )
        root_path = config.trust_root
        development = False
    elif config.key is not None and config.cert is not None:
        signer = signers.SimpleSigner.load(
            str(config.key),
            str(config.cert),
            ca_chain_files=[str(p) for p in config.chain] or None,
            key_passphrase=password,
        )
        root_path = config.trust_root
        development = False
    else:
        keys = development_keys(data_dir, name)
        signer = signers.SimpleSigner.load(
            str(keys.key), str(keys.cert), ca_chain_files=[str(keys.ca_cert)]
        )
        root_path = keys.ca_cert
        development = True
    if signer is None or root_path is None:
        raise RuntimeError("The institution's signing key could not be loaded (wrong password?)")
    cert = signer.signing_cert
    roots = [load_cert_from_pemder(str(root_path))]
    if config.tsa_trust_root is not None:
        roots.append(load_cert_from_pemder(str(config.tsa_trust_root)))
    return Institution(
        signer=signer,
        trust_roots=roots,
        common_name=str(cert.subject.native.get("common_name") or name),
        development=development,
        tsa_url=config.tsa_url,
    )


def _off_loop(call: Callable[[], T]) -> T:
    """Run `call` where asyncio may start a loop of its own: pyHanko's synchronous API calls
    asyncio.run, which refuses to run in a thread whose event loop is already running (an
    embedding program's, say); there the call runs in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def sign_pdf(pdf: bytes, who: Institution, reason: str, location: str) -> bytes:
    """Sign a PDF as a PAdES baseline signature (time-stamped when a server is configured)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.timestamps import HTTPTimeStamper

    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location,
    )
    timestamper = HTTPTimeStamper(who.tsa_url) if who.tsa_url else None
    out = _off_loop(
        lambda: signers.sign_pdf(writer, meta, signer=who.signer, timestamper=timestamper)
    )
    return bytes(out.getvalue())


@dataclass(frozen=True)
class SignatureCheck:
    """What checking a PDF's signature found."""

    valid: bool  # intact, covering the whole file, and trusted up to the institution's root
    signer: str | None
    signed_at: datetime | None


def check_pdf(pdf: bytes, trust_roots: list[Any]) -> SignatureCheck:
    """Check the last signature of a PDF (and its time stamp) against the institution's
    roots, without the network."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        sigs = reader.embedded_signatures
    except Exception:  # not a PDF, or one pyHanko cannot read: no valid signature in it
        return SignatureCheck(False, None, None)
    if not sigs:
        return SignatureCheck(False, None, None)
    sig = sigs[-1]
    context = ValidationContext(
        trust_roots=trust_roots, allow_fetching=False, revocation_mode="soft-fail"
    )
    try:
        status = _off_loop(lambda: validate_pdf_signature(sig, context))
    except Exception:
        return SignatureCheck(False, None, None)
    covers_all = status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
    signer = status.signing_cert.subject.native.get("common_name") if status.signing_cert else None
    when = status.timestamp_validity.timestamp if status.timestamp_validity else None
    return SignatureCheck(
        valid=bool(status.bottom_line) and covers_all,
        signer=str(signer) if signer else None,
        signed_at=when or status.signer_reported_dt,
    )
