"""docker-compose.yml: `docker compose config` accepts it, and it wires the services as
docs/server.md describes. No Docker engine runs here, so nothing is started: the compose
CLI resolves and validates the file (with .env.example's placeholder secrets)."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from lifecycle.paths import ROLES

REPO = Path(__file__).resolve().parents[2]
AIRFLOW_SERVICES = {
    "airflow-apiserver": ["airflow", "api-server", "--port", "8080"],
    "airflow-scheduler": ["airflow", "scheduler"],
    "airflow-dag-processor": ["airflow", "dag-processor"],
    "airflow-triggerer": ["airflow", "triggerer"],
}


def _compose_command() -> list[str]:
    """`docker compose` (the v2 plugin), else Debian's `docker-compose`; skip without docker."""
    if shutil.which("docker") is None:
        pytest.skip("the docker CLI is not installed")
    plugin = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    if plugin.returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.fail(
        "the docker CLI has no compose plugin and docker-compose is missing: `make test`"
        " installs Debian's docker-compose (or: apt-get install docker-compose)"
    )


def _compose_config(env_file: Path) -> subprocess.CompletedProcess[str]:
    # A clean environment: variables of the shell running the tests must not fill the file.
    env = {k: os.environ[k] for k in ("PATH", "HOME") if k in os.environ}
    return subprocess.run(
        [*_compose_command(), "--project-directory", str(REPO), "--env-file", str(env_file),
         "-f", str(REPO / "docker-compose.yml"), "config"],
        capture_output=True, text=True, env=env, check=False, timeout=120,
    )  # fmt: skip


@cache
def _config() -> dict[str, Any]:
    done = _compose_config(REPO / ".env.example")
    assert done.returncode == 0, done.stderr
    config: dict[str, Any] = yaml.safe_load(done.stdout)
    return config


def _service(name: str) -> dict[str, Any]:
    service: dict[str, Any] = _config()["services"][name]
    return service


def _env(name: str) -> dict[str, str]:
    environment = _service(name).get("environment") or {}
    if isinstance(environment, list):  # `KEY=value` items
        environment = dict(item.split("=", 1) for item in environment)
    return {k: str(v) for k, v in environment.items()}


def _mounts(name: str) -> dict[str, tuple[str, bool]]:
    """Container path -> (source, read-only), from v1's short or v2's long volume syntax."""
    mounts = {}
    for volume in _service(name).get("volumes", []):
        if isinstance(volume, str):
            parts = volume.split(":")
            mounts[parts[1]] = (parts[0], len(parts) > 2 and "ro" in parts[2].split(","))
        else:
            mounts[volume["target"]] = (volume["source"], bool(volume.get("read_only")))
    return mounts


def _depends(name: str) -> dict[str, str]:
    depends = _service(name).get("depends_on") or {}
    if isinstance(depends, list):
        return dict.fromkeys(depends, "service_started")
    return {k: v.get("condition", "service_started") for k, v in depends.items()}


def test_compose_config_lists_postgres_airflow_and_superset_services() -> None:
    assert set(_config()["services"]) == {
        "postgres", "airflow-init", *AIRFLOW_SERVICES, "superset-init", "superset",
    }  # fmt: skip


def test_compose_config_fails_without_the_secrets(tmp_path: Path) -> None:
    empty = tmp_path / "empty.env"
    empty.write_text("")
    done = _compose_config(empty)
    assert done.returncode != 0
    assert "set in .env" in done.stderr


def test_env_example_holds_placeholders_only() -> None:
    for line in (REPO / ".env.example").read_text().splitlines():
        name, _, value = line.partition("=")
        if line.startswith("#") or not value:
            continue
        if any(word in name for word in ("PASSWORD", "SECRET", "FERNET")):
            assert value.startswith("change-me"), name


def test_postgres_service_is_15_with_the_init_script_and_a_health_check() -> None:
    postgres = _service("postgres")
    assert postgres["image"] == "postgres:15"
    source, read_only = _mounts("postgres")["/docker-entrypoint-initdb.d"]
    assert Path(source) == REPO / "deploy" / "postgres" / "init" and read_only
    assert (REPO / "deploy/postgres/init/01-lifecycle.sh").is_file()
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert _env("postgres")["LIFECYCLE_ROLES"].split() == list(ROLES)
    for role in ROLES:
        assert _env("postgres")[f"BI_{role.upper()}_PASSWORD"]


@pytest.mark.parametrize("name", ["airflow-init", *AIRFLOW_SERVICES])
def test_airflow_services_run_the_project_image_on_postgres_with_local_executor(name: str) -> None:
    service, env = _service(name), _env(name)
    assert Path(service["build"]["context"]) == REPO
    assert service["build"].get("dockerfile", "Dockerfile") == "Dockerfile"
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://airflow:")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith("@postgres:5432/airflow")
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/lifecycle/dags"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == (
        "http://airflow-apiserver:8080/execution/"
    )
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert env["LIFECYCLE_TARGET"] == "postgres"
    assert env["AIRFLOW_CONN_LIFECYCLE_WAREHOUSE"].startswith("postgresql://lifecycle:")
    assert env["AIRFLOW_CONN_LIFECYCLE_WAREHOUSE"].endswith("@postgres:5432/lifecycle")
    mounts = _mounts(name)
    assert mounts["/opt/lifecycle/dags"] == (str(REPO / "dags"), True)
    assert mounts["/opt/lifecycle/config"] == (str(REPO / "config"), True)
    assert _depends(name)["postgres"] == "service_healthy"


@pytest.mark.parametrize("name", AIRFLOW_SERVICES)
def test_airflow_service_runs_its_command_after_the_init(name: str) -> None:
    assert _service(name)["command"] == AIRFLOW_SERVICES[name]
    assert _depends(name)["airflow-init"] == "service_completed_successfully"


def test_airflow_scheduler_starts_once_the_api_server_is_healthy() -> None:
    assert _depends("airflow-scheduler")["airflow-apiserver"] == "service_healthy"


def test_airflow_image_installs_the_lock_and_the_project() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "pip install -r requirements.lock" in dockerfile
    assert "pip install --no-deps -e ." in dockerfile
    assert _service("airflow-init")["command"][-1] == "/opt/lifecycle/deploy/airflow/init.sh"


def test_superset_provisions_one_connection_per_role_before_it_starts() -> None:
    init, env = _service("superset-init"), _env("superset-init")
    assert Path(init["build"]["context"]) == REPO
    assert init["build"]["dockerfile"] == "deploy/superset/Dockerfile"
    assert init["command"] == ["bash", "/app/init.sh"]
    assert env["LIFECYCLE_ROLES"].split() == list(ROLES)
    assert (env["WAREHOUSE_HOST"], env["WAREHOUSE_PORT"], env["WAREHOUSE_DB"]) == (
        "postgres", "5432", "lifecycle",
    )  # fmt: skip
    for role in ROLES:
        assert env[f"BI_{role.upper()}_PASSWORD"] == _env("postgres")[f"BI_{role.upper()}_PASSWORD"]
    assert env["SUPERSET_METADATA_URI"].endswith("@postgres:5432/superset")
    assert _depends("superset")["superset-init"] == "service_completed_successfully"
    assert _env("superset") == env
    script = (REPO / "deploy/superset/init.sh").read_text()
    assert "superset set-database-uri" in script
    assert "requirements.txt" in (REPO / "deploy/superset/Dockerfile").read_text()
