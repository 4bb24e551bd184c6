"""The people and departments every test database is seeded with, and their password."""

from __future__ import annotations

from engine.demo.cityhall import DEPARTMENTS as DEMO_DEPARTMENTS

PASSWORD = "parola-de-test-1"
DEPARTMENTS = dict(DEMO_DEPARTMENTS)  # the twelve departments of a typical municipality
PEOPLE = {
    "citizen": ("ion.popescu@example.ro", "Ion Popescu", [], []),
    "citizen2": ("elena.ionescu@example.ro", "Elena Ionescu", [], []),
    "registry": ("registratura@primarie.ro", "Maria Dumitrescu", ["registratura"], []),
    "registry_head": (
        "sef.registratura@primarie.ro",
        "Doina Preda",
        ["registratura"],
        ["registratura"],
    ),
    "urbanism": ("urbanism@primarie.ro", "Andrei Stan", ["urbanism"], []),
    "urbanism_head": ("sef.urbanism@primarie.ro", "Cristina Vlad", ["urbanism"], ["urbanism"]),
    "taxe": ("taxe@primarie.ro", "Radu Marin", ["taxe"], []),
    "taxe_head": ("sef.taxe@primarie.ro", "Ioana Șerban", ["taxe"], ["taxe"]),
    "gospodarie": ("gospodarie@primarie.ro", "Mihai Țurcanu", ["gospodarie"], []),
    "gospodarie_head": (
        "sef.gospodarie@primarie.ro",
        "Sorin Lungu",
        ["gospodarie"],
        ["gospodarie"],
    ),
    "politia": ("politia@primarie.ro", "Vasile Neagu", ["politia_locala"], []),
    "arhiva": ("arhiva@primarie.ro", "Ileana Coman", ["arhiva"], ["arhiva"]),
    "juridic": ("juridic@primarie.ro", "Elena Georgescu", ["juridic"], ["juridic"]),
    "secretar": ("secretar@primarie.ro", "Gabriela Toma", ["secretar"], ["secretar"]),
    "primar": ("primar@primarie.ro", "Constantin Barbu", ["primar"], ["primar"]),
}
# Departments with nobody in them: stare_civila, asistenta_sociala, proiecte.
