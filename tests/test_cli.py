"""The `flowdesk` command as an operator runs it: a fresh database, migrations, demo, deploy, users."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def run_cli(tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {**os.environ, "FLOWDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    env.pop("FLOWDESK_BROKER_URL", None)

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([sys.executable, "-m", "flowdesk.cli", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert (proc.returncode == 0) == ok, proc.stdout + proc.stderr
        return proc

    return run


def test_db_upgrade_then_demo_loads_once(run_cli) -> None:  # type: ignore[no-untyped-def]
    run_cli("db", "upgrade")
    first = run_cli("demo").stdout
    assert "deployed lead_to_cash v1" in first and "started" in first
    assert "already present" in run_cli("demo").stdout


def test_deploy_prints_versions_and_refuses_broken_files(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run_cli("db", "upgrade")
    from flowdesk.demo import process_bundle

    files = [str(ROOT / "processes" / sub / f.name) for f in process_bundle()
             for sub in ("", "decisions", "forms") if (ROOT / "processes" / sub / f.name).is_file()]
    assert "lead_to_cash v1 deployed" in run_cli("deploy", *files).stdout
    assert "lead_to_cash v1 unchanged" in run_cli("deploy", *files).stdout
    broken = tmp_path / "broken.bpmn"
    broken.write_text("<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'>\n<oops>")
    failed = run_cli("deploy", str(broken), ok=False)
    assert "malformed XML" in failed.stderr and "broken.bpmn:2" in failed.stderr


def test_users_add_creates_a_user_once(run_cli) -> None:  # type: ignore[no-untyped-def]
    run_cli("db", "upgrade")
    assert "user alice created in sales, finance" in run_cli(
        "users", "add", "alice", "--group", "sales", "--group", "finance", "--password", "s3cret").stdout
    assert "already exists" in run_cli("users", "add", "alice", "--password", "s3cret", ok=False).stderr
