"""E-mails about an account: confirm the address, reset the password, someone tried to sign up."""

from __future__ import annotations

from sqlalchemy.orm import Session

from engine.messages import mailer
from engine.models import User
from engine.people import links
from engine.platform.config import Settings
from engine.platform.dispatch import defer

VERIFY = "verify"
RESET = "reset"
ALREADY_REGISTERED = "already_registered"
CNP_IN_USE = "cnp_in_use"
EMAIL_CHANGED = "email_changed"
WELCOME = "welcome"

SUBJECTS = {
    VERIFY: "Confirmați adresa de e-mail",
    RESET: "Parolă nouă pentru contul dumneavoastră",
    ALREADY_REGISTERED: "Încercare de a crea un cont cu adresa dumneavoastră",
    CNP_IN_USE: "Încercare de a crea un cont cu CNP-ul dumneavoastră",
    EMAIL_CHANGED: "Adresa de e-mail a contului se schimbă",
    WELCOME: "Contul dumneavoastră de funcționar: alegeți parola",
}


def ask(session: Session, kind: str, user_id: int, email: str | None = None) -> None:
    """Send an account e-mail after this transaction commits (the link is signed then)."""
    defer(session, "send_account_mail", kind, user_id, email)


def _body(settings: Settings, kind: str, user: User, email: str) -> str:
    base = settings.base_url.rstrip("/")
    secret = settings.secret_key
    hello = f"Bună ziua, {user.name},\n\n"
    if kind == VERIFY:
        token = links.make(secret, links.VERIFY, user, email)
        return (
            f"{hello}confirmați adresa de e-mail {email} deschizând linkul de mai jos "
            "(valabil 3 zile, o singură dată):\n\n"
            f"{base}/cont/confirmare/{token}\n\n"
            "Până la confirmare nu puteți depune cereri.\n"
        )
    if kind == RESET:
        token = links.make(secret, links.RESET, user, email)
        return (
            f"{hello}pentru a alege o parolă nouă, deschideți linkul de mai jos (valabil o oră, "
            "o singură dată):\n\n"
            f"{base}/parola-noua/{token}\n\n"
            "Dacă nu ați cerut dumneavoastră o parolă nouă, ignorați acest mesaj.\n"
        )
    if kind == WELCOME:
        token = links.make(secret, links.WELCOME, user, email)
        return (
            f"{hello}administratorul primăriei v-a creat un cont în Circuit, cu adresa {email}. "
            "Alegeți-vă parola deschizând linkul de mai jos (valabil 7 zile, o singură dată):"
            f"\n\n{base}/cont/activare/{token}\n\n"
            "Nimeni altcineva nu vă cunoaște parola; nu o spuneți nimănui. Dacă linkul a expirat, "
            f"cereți o parolă nouă la {base}/parola-uitata.\n"
        )
    if kind == ALREADY_REGISTERED:
        return (
            f"{hello}cineva a încercat să creeze un cont nou cu adresa {email}, care are deja "
            "un cont. Dacă ați fost dumneavoastră, autentificați-vă; dacă ați uitat parola, "
            f"cereți una nouă la {base}/parola-uitata.\n"
        )
    if kind == CNP_IN_USE:
        return (
            f"{hello}cineva a încercat să creeze un cont nou cu CNP-ul dumneavoastră. Fiecare "
            "persoană poate avea un singur cont, așa că nu a fost creat. Dacă nu ați fost "
            "dumneavoastră, anunțați registratura primăriei.\n"
        )
    return (
        f"{hello}s-a cerut schimbarea adresei de e-mail a contului în {email}. Schimbarea are "
        "loc după ce noua adresă este confirmată. Dacă nu ați cerut-o, schimbați-vă parola.\n"
    )


def send(session: Session, settings: Settings, kind: str, user_id: int, email: str | None) -> bool:
    """Write and send one account e-mail (by SMTP, or to the outbox)."""
    user = session.get(User, user_id)
    if user is None or not user.active or kind not in SUBJECTS:
        return False
    target = email or user.email
    to = user.email if kind == EMAIL_CHANGED else target
    body = _body(settings, kind, user, target)
    mailer.deliver(settings, mailer.compose(settings, [to], SUBJECTS[kind], body))
    return True
