"""The import contracts in pyproject.toml hold, and they can fail.

``lint-imports`` runs in CI; this test runs it too, once on the real tree and once on a copy
with one deliberately wrong import, so a contract that could never fail would be noticed.
"""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Every first-party package, as the contracts list them (a new app is checked once listed there).
PACKAGES = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
    "root_packages"
]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _run_in(root: Path, *command: str) -> subprocess.CompletedProcess:
    """A command that imports the packages from ``root`` (the real tree or a planted copy)."""
    return subprocess.run(
        list(command),
        cwd=root,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _lint(root: Path) -> subprocess.CompletedProcess:
    return _run_in(root, str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache")


def _copy(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_layer_contracts_hold():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower().replace("0 broken", "")


def test_a_ticket_module_importing_a_feature_app_breaks_the_contract(tmp_path):
    root = _copy(tmp_path)
    selectors = root / "tickets" / "selectors.py"
    selectors.write_text(
        selectors.read_text() + "\nfrom escalations.models import EscalationRequest\n"
    )
    result = _lint(root)
    assert result.returncode != 0
    assert "tickets.selectors -> escalations.models" in result.stdout


def test_feature_apps_importing_each_other_break_the_contract(tmp_path):
    """Siblings in a layer ("escalations | surveys") are independent."""
    root = _copy(tmp_path)
    services = root / "surveys" / "services.py"
    services.write_text(services.read_text() + "\nimport escalations.selectors\n")
    result = _lint(root)
    assert result.returncode != 0
    assert "surveys.services -> escalations.selectors" in result.stdout


CYCLES_SCRIPT = """
import sys, grimp
packages = sys.argv[1:]
graph = grimp.build_graph(*packages, cache_dir=None, exclude_type_checking_imports=True)
modules = set(graph.modules)
imports = {m: set(graph.find_modules_directly_imported_by(m)) & modules for m in modules}
for start in sorted(modules):
    seen, stack = set(), list(imports[start])
    while stack:
        module = stack.pop()
        if module == start:
            print(start)
            break
        if module not in seen:
            seen.add(module)
            stack.extend(imports[module])
"""


def _modules_on_cycles(root: Path) -> list[str]:
    """Modules that can reach themselves through imports, inside functions included (only
    TYPE_CHECKING imports are left out)."""
    result = _run_in(root, sys.executable, "-c", CYCLES_SCRIPT, *PACKAGES)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_no_import_cycles_between_modules():
    assert _modules_on_cycles(ROOT) == []


def test_a_planted_cycle_is_found(tmp_path):
    root = _copy(tmp_path)
    sla = root / "tickets" / "sla.py"
    sla.write_text(sla.read_text() + "\n\ndef _late():\n    from tickets import tasks\n")
    assert {"tickets.sla", "tickets.tasks"} <= set(_modules_on_cycles(root))


def test_the_tenancy_floor_importing_tickets_breaks_the_contract(tmp_path):
    root = _copy(tmp_path)
    models = root / "tenants" / "models.py"
    models.write_text(models.read_text() + "\n\ndef _late():\n    from tickets import models\n")
    result = _lint(root)
    assert result.returncode != 0
    assert "tenants.models -> tickets.models" in result.stdout


def test_the_tenancy_floor_importing_the_desk_breaks_the_contract(tmp_path):
    """Tenancy sits below the desk's support settings: it must not know business hours."""
    root = _copy(tmp_path)
    services = root / "tenants" / "services.py"
    services.write_text(services.read_text() + "\nfrom desk.models import BusinessHours\n")
    result = _lint(root)
    assert result.returncode != 0
    assert "tenants.services -> desk.models" in result.stdout


def test_the_desk_importing_tickets_breaks_the_contract(tmp_path):
    """The desk learns about tickets only through its signal and the policy registry."""
    root = _copy(tmp_path)
    policy = root / "desk" / "policy.py"
    policy.write_text(policy.read_text() + "\nfrom tickets.models import TicketFormField\n")
    result = _lint(root)
    assert result.returncode != 0
    assert "desk.policy -> tickets.models" in result.stdout
