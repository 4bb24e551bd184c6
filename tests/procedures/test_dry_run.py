"""The dry run (`circuit procedure try`): a scenario played in a throwaway database through
the engine's own operations, what it prints, and where it stops with a clear message."""

from __future__ import annotations

import pytest

from engine.demo import tryout
from tests.support.cli import circuit
from tests.support.tryout import SCENARIOS, play_scenario


def test_petition_answered_and_signed_reaches_completed_and_tells_the_citizen():
    outcome = play_scenario("petitie_raspuns")
    assert outcome.status == "completed"
    assert outcome.variables["decizie_semnatar"] == "semnat"
    assert any("a fost soluționată" in n for n in outcome.notifications)
    text = "\n".join(outcome.lines)
    assert "Pasul „Aprobare răspuns” a fost finalizat de șeful din compartimentul urbanism." in text
    assert "variabila departament = 'urbanism'" in text
    assert text.endswith("Starea finală: soluționată (completed).")


def test_the_completion_term_fires_when_the_clock_moves_and_closes_the_petition():
    outcome = play_scenario("petitie_completari")
    assert outcome.status == "rejected"
    assert any("S-a declanșat termenul" in line for line in outcome.lines)
    assert any("a fost clasată" in n for n in outcome.notifications)


def test_a_wait_too_short_fires_nothing_and_the_expectation_says_what_it_found():
    scenario = tryout.load_scenario(SCENARIOS / "petitie_completari.yaml")
    scenario["steps"][-1] = {"wait": "P3D"}
    with pytest.raises(tryout.ScenarioError) as err:
        play_scenario(scenario)
    assert str(err.value) == (
        "Așteptare neîndeplinită: starea este „waiting_for_citizen”, nu „rejected”."
    )


def test_form_data_refused_by_the_schema_names_the_step_and_the_field():
    scenario = tryout.load_scenario(SCENARIOS / "petitie_raspuns.yaml")
    scenario["steps"][0]["data"] = {"decizie_triere": "repartizare"}  # no department
    with pytest.raises(tryout.ScenarioError) as err:
        play_scenario(scenario)
    assert str(err.value).startswith("Pasul 1 a fost refuzat: Datele trimise nu sunt valide.")
    assert "/departament" in str(err.value)


def test_a_task_that_is_not_waiting_is_named_with_the_tasks_that_are():
    scenario = tryout.load_scenario(SCENARIOS / "petitie_raspuns.yaml")
    scenario["steps"][0]["task"] = "Semnarea răspunsului"
    with pytest.raises(tryout.ScenarioError) as err:
        play_scenario(scenario)
    assert str(err.value) == (
        "Pasul 1: Sarcina „Semnarea răspunsului” nu așteaptă acum; sarcinile deschise: "
        "„Repartizare petiție” (triere)."
    )


def test_durations_by_the_legal_calendar():
    from datetime import datetime, timedelta

    from engine.deadlines.legal_calendar import LegalCalendar
    from engine.platform.timeutil import BUCHAREST

    friday = datetime(2026, 12, 4, 10, tzinfo=BUCHAREST)
    cal = LegalCalendar()
    assert tryout.clock_move("P25D", cal, friday) == timedelta(days=25)
    assert tryout.clock_move("PT2H", cal, friday) == timedelta(hours=2)
    assert tryout.clock_move("1 working day", cal, friday) == timedelta(days=3)  # Monday
    assert tryout.clock_move("2 zile lucrătoare", cal, friday) == timedelta(days=4)
    with pytest.raises(tryout.ScenarioError, match="Nu înțeleg durata „curând”"):
        tryout.clock_move("curând", cal, friday)


@pytest.mark.slow
def test_the_command_prints_the_run_and_exits_1_with_a_clear_message(tmp_path):
    ok = circuit(
        ["procedure", "try", "petitie", "--path", str(SCENARIOS / "petitie_raspuns.yaml")],
        tmp_path,
    )
    assert ok.returncode == 0, ok.stderr
    assert "Cererea nr. 1/" in ok.stdout and "Starea finală: soluționată" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("start: {subiect: x}\nsteps:\n  - task: nimic\n", encoding="utf-8")
    refused = circuit(["procedure", "try", "petitie", "--path", str(bad)], tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.startswith("Eroare: Depunerea cererii a fost refuzată:")
    assert "/continut" in refused.stderr
    assert "Traceback" not in refused.stderr
    missing = circuit(["procedure", "try", "nu_exista", "--path", str(bad)], tmp_path)
    assert missing.returncode == 1
    assert "Procedura „nu_exista” nu există în catalog" in missing.stderr
