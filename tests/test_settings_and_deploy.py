import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "test-" + "k3y" * 20,
    "BASE_DOMAIN": "helpdesk.example.com",
}


def _manage(*args, env_overrides: dict[str, str]):
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy_without_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_without_a_secret_key_refuses_to_start():
    result = _manage("check", env_overrides={"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(("name", "value"), [("DEBUG", "maybe"), ("SITE_PORT", "eighty")])
def test_a_malformed_variable_fails_loudly(name, value):
    result = _manage("check", env_overrides={name: value})
    assert result.returncode != 0
    assert name in result.stderr


S3 = {"ATTACHMENT_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": "helpdesk-attachments"}


def test_production_with_object_storage_passes_check_deploy():
    env = {**PRODUCTION_ENV, **S3, "AWS_S3_ENDPOINT_URL": "http://minio:9000"}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=env)
    assert result.returncode == 0, result.stderr + result.stdout


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"ATTACHMENT_STORAGE": "ftp"}, "ATTACHMENT_STORAGE"),
        ({"ATTACHMENT_STORAGE": "s3"}, "AWS_STORAGE_BUCKET_NAME"),
        ({**S3, "AWS_S3_ENDPOINT_URL": "minio:9000"}, "AWS_S3_ENDPOINT_URL"),
        ({**S3, "AWS_ACCESS_KEY_ID": "only-half"}, "AWS_SECRET_ACCESS_KEY"),
        ({**S3, "AWS_S3_SERVER_SIDE_ENCRYPTION": "yes"}, "AWS_S3_SERVER_SIDE_ENCRYPTION"),
    ],
)
def test_object_storage_that_cannot_work_stops_start_up(overrides, named):
    result = _manage("check", env_overrides=overrides)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and named in result.stderr


def test_docker_compose_declares_the_stack_with_the_same_variables():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "postgres", "redis", "mailpit"} <= set(services)
    # Pages and the API on gunicorn's sync workers, the chat's websockets on uvicorn (ASGI).
    assert "gunicorn helpdesk.wsgi:application" in services["web"]["command"]
    assert "uvicorn helpdesk.asgi:application" in services["ws"]["command"]
    assert "worker" in services["worker"]["command"]
    assert "beat" in services["beat"]["command"]
    settings_source = (ROOT / "helpdesk" / "settings.py").read_text()
    required = {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}
    for name in ("web", "ws", "worker", "beat"):
        environment = services[name]["environment"]
        assert required <= set(environment), f"{name} lacks {required - set(environment)}"
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["CELERY_BROKER_URL"].startswith("redis://")
        for variable in environment:
            # Every variable compose sets is one the settings read: no dead configuration.
            assert f'"{variable}"' in settings_source, f"settings never read {variable}"


def test_docker_compose_runs_stateless_nodes_on_shared_services():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    # Two of each node behind one published port; one beat (a second would double the timers).
    assert services["web"]["deploy"]["replicas"] == 2
    assert services["worker"]["deploy"]["replicas"] == 2
    assert "deploy" not in services["beat"]
    assert "ports" not in services["web"] and services["proxy"]["ports"] == ["8000:8000"]
    caddyfile = (ROOT / "docker" / "Caddyfile").read_text()
    assert "name web" in caddyfile and "port 8000" in caddyfile
    assert "handle /ws/*" in caddyfile and "name ws" in caddyfile  # websockets to uvicorn
    # Migrated once, before any node starts.
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["minio-setup"]["condition"] == "service_completed_successfully"
        assert "migrate" not in services[name]["command"]
        # Nothing on a node's own disk: attachments in the object store, no media volume.
        assert "volumes" not in services[name]
        environment = services[name]["environment"]
        assert environment["ATTACHMENT_STORAGE"] == "s3"
        assert environment["AWS_S3_ENDPOINT_URL"] == "http://minio:9000"
        assert environment["REDIS_URL"].startswith("redis://redis:")
    setup = services["minio-setup"]["command"][0]
    bucket = services["web"]["environment"]["AWS_STORAGE_BUCKET_NAME"]
    assert f"mc mb --ignore-existing store/{bucket}" in setup
    assert f"mc anonymous set none store/{bucket}" in setup
    assert "media" not in compose.get("volumes", {})


def test_procfile_runs_web_worker_and_beat():
    lines = dict(
        line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip()
    )
    assert set(lines) == {"web", "worker", "beat"}
    assert "uvicorn helpdesk.asgi:application" in lines["web"] and "$PORT" in lines["web"]
    assert "celery -A helpdesk worker" in lines["worker"]
    assert "celery -A helpdesk beat" in lines["beat"]
