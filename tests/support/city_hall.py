"""A city hall with its contact, opening hours, DPO and payment account configured, and a
visitor's client of it."""

from __future__ import annotations

from typing import Any

from engine.circuit import Circuit
from engine.platform.config import CityHall
from tests.support.security import app_with

CITY_HALL = CityHall(
    address="Strada Tudor Vladimirescu nr. 21, Lupeni",
    phone="0254 560 xxx",
    email="registratura@primaria-test.ro",
    hours="luni–joi 8:00–16:00, vineri 8:00–13:00",
    dpo_email="dpo@primaria-test.ro",
    cif="4374393",
    iban="RO49TREZ3665006XXX000123",
    bank="Trezoreria Petroșani",
    payment_url="https://www.ghiseul.ro/ghiseul/public/taxe/test",
)


def configured_app(circuit: Circuit) -> Any:
    """Return the web app of a city hall whose contact and account are configured."""
    return app_with(circuit, city_hall=CITY_HALL)
