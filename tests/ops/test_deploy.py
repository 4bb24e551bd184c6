"""deploy/: the Compose file a county starts from, read as Docker Compose reads it."""

from __future__ import annotations

import re

import pytest
import yaml

from engine.platform.config import PROJECT_ROOT, load_settings

DEPLOY = PROJECT_ROOT / "deploy"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_compose_has_every_part_of_a_county_install(compose):
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "web", "worker", "proxy"} <= services.keys()
    # Several web containers (gunicorn), several workers; Caddy alone faces the public.
    assert "replicas" in services["web"]["deploy"] and "replicas" in services["worker"]["deploy"]
    assert "scripts.webserver" in services["web"]["command"]
    assert services["worker"]["command"] == ["circuit", "worker"]
    assert services["migrate"]["command"] == ["circuit", "db", "upgrade"]
    published = {name for name, service in services.items() if service.get("ports") is not None}
    assert published == {"proxy"}
    assert {p.split(":")[0] for p in services["proxy"]["ports"]} == {"80", "443"}


def test_every_long_running_service_has_a_healthcheck(compose):
    for name, service in compose["services"].items():
        if name == "migrate":
            assert service["restart"] == "no"
            continue
        check = service.get("healthcheck")
        assert check and check["test"], f"{name} has no healthcheck"
    assert "/readyz" in " ".join(compose["services"]["web"]["healthcheck"]["test"])


def test_web_and_worker_wait_for_the_upgrade_and_share_what_nodes_share(compose):
    services = compose["services"]
    for name in ("web", "worker"):
        service = services[name]
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        env = service["environment"]
        assert (
            env["DATABASE_URL"].startswith("postgresql://")
            and "@postgres:5432/" in env["DATABASE_URL"]
        )
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["CIRCUIT_LOG_FORMAT"] == "json"
        mounts = {v.split(":")[1] for v in service["volumes"]}
        assert {env["CIRCUIT_KEYS_DIR"], env["CIRCUIT_DOCUMENTS_DIR"]} <= mounts
        assert service["env_file"] == "circuit.env"
    web = services["web"]["environment"]
    assert web["CIRCUIT_PROXIES"] == "1"
    assert web["PROMETHEUS_MULTIPROC_DIR"] in services["web"]["tmpfs"]


def test_no_secret_is_written_in_the_files():
    compose_text = (DEPLOY / "compose.yaml").read_text()
    # Passwords come from the operator's .env (a missing one stops Compose with a message).
    assert "${POSTGRES_PASSWORD:?" in compose_text
    example = (DEPLOY / "circuit.env.example").read_text()
    values = dict(
        line.split("=", 1)
        for line in example.splitlines()
        if line and not line.startswith("#") and "=" in line
    )
    for name in ("SECRET_KEY", "SMTP_PASSWORD", "CIRCUIT_METRICS_TOKEN"):
        assert values[name] == "", name
    gitignored = (DEPLOY / ".gitignore").read_text().split()
    assert "circuit.env" in gitignored and ".env" in gitignored


def test_the_env_example_is_read_by_circuit_without_complaint(tmp_path):
    example = (DEPLOY / "circuit.env.example").read_text()
    env = {
        k: v
        for k, v in (
            line.split("=", 1)
            for line in example.splitlines()
            if line and not line.startswith("#") and "=" in line
        )
    }
    env.update(SECRET_KEY="x" * 40, CIRCUIT_DATA_DIR=str(tmp_path))
    settings = load_settings(env)
    assert settings.base_url.startswith("https://") and settings.smtp_port == 587


def test_the_proxy_keeps_metrics_private_and_forwards_to_web():
    caddy = (DEPLOY / "Caddyfile").read_text()
    assert re.search(r"respond /metrics 404", caddy)
    assert re.search(r"name web\s+port 8000", caddy)
