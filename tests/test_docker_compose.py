"""The Docker packaging: docker-compose.yml, the Dockerfile and .dockerignore, read as files.

No Docker engine is needed: the files are parsed and checked for what `docker compose up --build` relies
on. The last test asks a Compose binary to validate the file when one is installed, and is skipped
otherwise.
"""

import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"


@pytest.fixture(scope="module")
def compose() -> dict:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "docker-compose.yml must be a mapping"
    return data


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose.get("services") or {}


def _interpolate(value: str) -> str:
    """Resolve Compose interpolation the way it would run with none of the variables set."""

    def replace(match: re.Match) -> str:
        if match.group("escaped"):
            return "$"
        if match.group("sep") == ":?" or match.group("sep") == "?":
            pytest.fail(f"{match.group(0)} requires a variable; the default setup should not")
        return match.group("default") or ""

    pattern = r"(?P<escaped>\$\$)|\$\{(?P<name>\w+)(?:(?P<sep>:?[-?])(?P<default>[^}]*))?\}"
    return re.sub(pattern, replace, value)


def _environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the `- KEY=value` form
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def _command_text(command) -> str:
    return " ".join(command) if isinstance(command, list) else str(command or "")


def _volume_mounts(service: dict) -> list[tuple[str, str]]:
    """(source, target) for each entry of a service's `volumes`, short or long syntax."""
    mounts = []
    for entry in service.get("volumes") or []:
        if isinstance(entry, dict):
            mounts.append((str(entry.get("source", "")), str(entry.get("target", ""))))
        else:
            parts = str(entry).split(":")
            mounts.append((parts[0], parts[1]) if len(parts) > 1 else ("", parts[0]))
    return mounts


def _named_volume_mounts(service: dict) -> list[tuple[str, str]]:
    # A named volume's source is a bare name; a bind mount's starts with . / or ~.
    return [(src, dst) for src, dst in _volume_mounts(service) if src and src[0] not in "./~$"]


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with line continuations joined and comments dropped."""
    logical, current = [], ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):  # a comment inside a continued instruction
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    if current:
        logical.append(current)
    pairs = []
    for text in logical:
        name, _, args = text.partition(" ")
        pairs.append((name.upper(), args.strip()))
    return pairs


# --- docker-compose.yml ---------------------------------------------------------------------------


def test_compose_defines_the_db_and_web_services(services):
    assert {"db", "web"} <= set(services), f"services found: {sorted(services)}"


def test_db_runs_postgresql_16(services):
    image = str(services["db"].get("image", ""))
    assert re.fullmatch(r"postgres:16([.\-].*)?", image), f"db image is {image!r}"


def test_db_creates_the_jianbei_database(services):
    env = _environment(services["db"])
    assert env.get("POSTGRES_DB") == "jianbei"
    assert env.get("POSTGRES_USER"), "POSTGRES_USER must be set"
    assert env.get("POSTGRES_PASSWORD"), "POSTGRES_PASSWORD must be set"


def test_db_healthcheck_uses_pg_isready(services):
    healthcheck = services["db"].get("healthcheck") or {}
    test = healthcheck.get("test")
    if isinstance(test, list):
        assert test[0] in {"CMD", "CMD-SHELL"}, f"healthcheck test starts with {test[0]!r}"
        test = " ".join(test[1:])
    assert "pg_isready" in str(test or ""), f"healthcheck test is {test!r}"
    for key in ("interval", "timeout", "retries"):
        assert key in healthcheck, f"db healthcheck has no {key}"


def test_pgdata_volume_is_declared_and_holds_the_database(compose, services):
    assert "pgdata" in (compose.get("volumes") or {}), "top-level volumes must declare pgdata"
    assert ("pgdata", "/var/lib/postgresql/data") in _volume_mounts(services["db"])


def test_every_named_volume_a_service_mounts_is_declared(compose, services):
    declared = set(compose.get("volumes") or {})
    used = {src for service in services.values() for src, _ in _named_volume_mounts(service)}
    assert used, "no service mounts a named volume"
    assert used <= declared, f"mounted but not declared at top level: {sorted(used - declared)}"


def test_web_waits_for_a_healthy_db(services):
    depends_on = services["web"].get("depends_on")
    assert isinstance(depends_on, dict), "web depends_on must use the long form with a condition"
    assert (depends_on.get("db") or {}).get("condition") == "service_healthy"


def test_migrations_run_once_before_any_web_container(services):
    migrate = services["migrate"]
    assert "manage.py migrate" in _command_text(migrate.get("command"))
    assert (migrate.get("depends_on") or {}).get("db", {}).get("condition") == "service_healthy"
    assert migrate.get("restart") == "no", "a one-shot job must not be restarted"
    condition = (services["web"].get("depends_on") or {}).get("migrate", {}).get("condition")
    assert condition == "service_completed_successfully", "web must start only after a successful migrate"
    assert "migrate" not in _command_text(services["web"].get("command")), "scaled web containers would race"


def test_web_starts_gunicorn(services):
    command = services["web"].get("command")
    text = _command_text(command)
    assert "gunicorn jianbei.wsgi:application" in text, f"web command does not run gunicorn: {text!r}"
    assert "--bind 0.0.0.0:8000" in text
    assert re.search(r"\bexec gunicorn\b", text), "gunicorn must replace the shell to receive SIGTERM"


def test_migrate_and_web_share_one_environment(services):
    assert _environment(services["migrate"]) == _environment(services["web"])


def test_web_builds_from_the_dockerfile_in_the_repository(services):
    build = services["web"].get("build")
    assert build, "web must be built, not pulled"
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    path = (COMPOSE_FILE.parent / context / dockerfile).resolve()
    assert path == DOCKERFILE, f"web builds from {path}, not {DOCKERFILE}"
    assert path.is_file(), f"{path} does not exist"


def _ports(service: dict) -> list[str]:
    return [
        str(port.get("published", "")) + ":" + str(port.get("target", ""))
        if isinstance(port, dict)
        else str(port)
        for port in service.get("ports") or []
    ]


def test_the_proxy_publishes_port_8000_and_web_none_so_web_can_scale(services):
    assert "8000:80" in _ports(services["proxy"]), f"proxy ports are {_ports(services['proxy'])}"
    assert _ports(services["web"]) == [], "a host port on web would clash with `--scale web=3`"
    assert "8000" in [str(p) for p in services["web"].get("expose") or []]


def test_the_proxy_balances_over_every_web_container(services):
    text = _command_text(services["proxy"].get("command"))
    assert re.search(r"upstream workbench \{\s*server web:8000\b", text), text
    assert "proxy_pass http://workbench;" in text
    # Compose would substitute $host itself: nginx's variables must be written $$ in the file.
    assert "$$proxy_add_x_forwarded_for" in text and "$$scheme" in text
    assert "X-Forwarded-Proto" in text, "Django must know the original scheme (DJANGO_BEHIND_PROXY)"
    assert _environment(services["web"]).get("DJANGO_PROXY_COUNT") == "1"


def test_web_database_url_points_at_the_db_service(services):
    db_env = {key: _interpolate(value) for key, value in _environment(services["db"]).items()}
    url = urlsplit(_interpolate(_environment(services["web"]).get("DATABASE_URL", "")))
    assert url.scheme in {"postgres", "postgresql"}, f"DATABASE_URL scheme is {url.scheme!r}"
    assert url.hostname == "db"
    assert url.path.lstrip("/") == db_env["POSTGRES_DB"]
    assert url.username == db_env["POSTGRES_USER"]
    assert url.password == db_env["POSTGRES_PASSWORD"], "DATABASE_URL and the db disagree on the password"


def test_web_secret_key_comes_from_the_environment(services):
    value = _environment(services["web"]).get("DJANGO_SECRET_KEY")
    assert value is not None, "web must pass DJANGO_SECRET_KEY through"
    assert re.fullmatch(r"\$\{DJANGO_SECRET_KEY(:?[-?][^}]*)?\}", value), (
        f"DJANGO_SECRET_KEY must come from the environment, not be written here: {value!r}"
    )


def test_web_sets_allowed_hosts(services):
    hosts = _interpolate(_environment(services["web"]).get("DJANGO_ALLOWED_HOSTS", ""))
    assert "localhost" in hosts.split(","), f"DJANGO_ALLOWED_HOSTS defaults to {hosts!r}"


def test_uploads_and_generated_state_live_on_a_named_volume(services):
    web = services["web"]
    env = _environment(web)
    targets = [dst for _, dst in _named_volume_mounts(web)]
    for name in ("DJANGO_MEDIA_ROOT", "JIANBEI_DATA_DIR"):
        path = env.get(name, "")
        assert path.startswith("/"), f"{name} must be an absolute path in the container, not {path!r}"
        assert any(path == t or path.startswith(t.rstrip("/") + "/") for t in targets), (
            f"{name}={path} is not on a named volume (mounts: {targets})"
        )


def test_a_worker_runs_the_job_queue_with_the_web_environment_after_migrate(services):
    worker = services["worker"]
    assert "manage.py worker" in _command_text(worker.get("command"))
    assert _environment(worker) == _environment(services["web"]), "the worker must see what web sees"
    depends_on = worker.get("depends_on") or {}
    assert depends_on.get("db", {}).get("condition") == "service_healthy"
    assert depends_on.get("migrate", {}).get("condition") == "service_completed_successfully"
    # export files the worker writes are served by web: the same volume
    assert ("appdata", "/data") in _named_volume_mounts(worker)
    assert _ports(worker) == [], "the worker serves nothing"


# --- Dockerfile and .dockerignore -----------------------------------------------------------------


def test_dockerfile_is_based_on_python_313_slim():
    froms = [args for name, args in _dockerfile_instructions() if name == "FROM"]
    assert froms and froms[0].split()[0] == "python:3.13-slim", f"FROM lines: {froms}"


def test_dockerfile_installs_the_project_with_pip():
    runs = [args for name, args in _dockerfile_instructions() if name == "RUN"]
    assert any(re.search(r"\bpip install (\S+ )*\.(\s|$)", run) for run in runs), f"RUN lines: {runs}"


def test_dockerfile_collects_static_files_without_a_database():
    runs = [args for name, args in _dockerfile_instructions() if name == "RUN"]
    collect = [run for run in runs if "manage.py collectstatic" in run]
    assert collect, f"no RUN collects static files: {runs}"
    assert "--noinput" in collect[0] or "--no-input" in collect[0]
    # Without DATABASE_URL, settings.py would start the embedded PostgreSQL during the build.
    assert "DATABASE_URL=" in collect[0], "collectstatic must run with a (dummy) DATABASE_URL"


def test_dockerfile_runs_as_a_non_root_user_and_exposes_8000():
    instructions = _dockerfile_instructions()
    users = [args.strip() for name, args in instructions if name == "USER"]
    assert users, "the image must switch to a non-root USER"
    assert users[-1].split(":")[0] not in {"root", "0"}, f"final USER is {users[-1]!r}"
    exposed = " ".join(args for name, args in instructions if name == "EXPOSE").split()
    assert "8000" in exposed or "8000/tcp" in exposed, f"EXPOSE: {exposed}"


@pytest.mark.parametrize(
    "entry", [".venv", ".data", ".git", "__pycache__", "staticfiles", "media", "test-artifacts"]
)
def test_dockerignore_excludes_local_state(entry):
    patterns = {
        line.strip().lstrip("/").removeprefix("**/").rstrip("/")
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert entry in patterns, f".dockerignore does not exclude {entry}"


# --- Validation by Compose itself -----------------------------------------------------------------


def _working_compose_command() -> list[str] | None:
    for command in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(command[0]) is None:
            continue
        try:
            probe = subprocess.run([*command, "version"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return command
    return None


def test_compose_file_is_valid_for_docker_compose():
    command = _working_compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed and working")
    out = subprocess.run(
        [*command, "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, f"{' '.join(command)} config -q failed:\n{out.stdout}{out.stderr}"


def test_a_second_proxy_port_publishes_only_the_enterprise_side(services):
    """Issue #19: the enterprise side (/e/ and its static files) has its own public address; nothing else
    of the workbench gets through it."""
    assert "8001:8080" in _ports(services["proxy"])
    text = _command_text(services["proxy"].get("command"))
    public = text[text.index("listen 8080;") :]
    locations = re.findall(r"location\s+(\^~\s+)?(\S+)\s*\{", public)
    assert [path for _, path in locations] == ["/e/", "/static/", "/"]
    assert re.search(r"location /\s*\{\s*return 404;\s*\}", public)
    assert services["web"]["environment"]["JIANBEI_PUBLIC_BASE_URL"].endswith(":-http://localhost:8001}")
