"""Deployment files stay valid: Kubernetes manifests against the API schemas, docker-compose's
shape, and .env.example listing every setting."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from shared.envfile import render

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.31"


def manifests() -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        found.extend((path.name, doc) for doc in yaml.safe_load_all(path.read_text()) if doc)
    return found


@pytest.mark.parametrize(("name", "doc"), manifests(), ids=lambda v: v if isinstance(v, str) else v["kind"])
def test_manifest_is_valid(name: str, doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_validator_refuses_a_broken_manifest() -> None:
    deployment = copy.deepcopy(next(doc for _, doc in manifests() if doc["kind"] == "Deployment"))
    deployment["spec"]["replicas"] = "two"
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_kustomization_lists_every_manifest() -> None:
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    assert listed == {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}


def test_pods_run_unprivileged() -> None:
    for _, doc in manifests():
        if doc["kind"] not in ("Deployment", "Job"):
            continue
        pod = doc["spec"]["template"]["spec"]
        for container in pod["containers"]:
            if container["name"] == "docker-proxy":
                continue  # the socket proxy image runs as its own user; it only reads the socket
            context = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
            assert context.get("runAsNonRoot") is True, container["name"]
            assert context.get("allowPrivilegeEscalation") is False, container["name"]
            assert context.get("readOnlyRootFilesystem") is True, container["name"]
            assert context.get("capabilities", {}).get("drop") == ["ALL"], container["name"]


def test_compose_brings_up_the_whole_suite() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "auth", "gateway", "executor", "docker-proxy", "nginx"} <= set(services)
    assert services["migrate"]["restart"] == "no"
    for name in ("auth", "gateway", "executor"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    # Executors reach Docker only through the proxy, which refuses exec.
    assert services["executor"]["environment"]["CRH_EXECUTOR_DOCKER_URL"] == "tcp://docker-proxy:2375"
    assert "volumes" not in services["executor"]
    assert services["docker-proxy"]["environment"]["EXEC"] == 0
    for name in ("postgres", "redis"):
        assert "healthcheck" in services[name]


def test_env_example_lists_every_setting() -> None:
    assert (ROOT / ".env.example").read_text() == render(), "run: python -m shared.envfile > .env.example"
