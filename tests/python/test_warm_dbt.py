"""dbt imported ahead (orchestration.warm_dbt): the relay runs each command in a child of the waiting process,
exactly as given, or the installed command when no process waits; signals and deaths are passed on.

The waiting process runs a stand-in for dbt's `cli()` (a module written here), so these tests need no dbt;
the close and run flows run the real one through it (test_close_end_to_end, test_orchestration_pipeline).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestration.warm_dbt import WARM_DBT_VARIABLE, relay_in_use, warm_dbt_started, write_relay

REPO_ROOT = Path(__file__).resolve().parents[2]

STAND_IN = '''
import json, os, sys, time
def cli():
    args = sys.argv[1:]
    if args[:1] == ["wait"]:  # until interrupted
        try:
            print("waiting", flush=True)
            time.sleep(60)
        except KeyboardInterrupt:
            if len(args) > 1:
                open(args[1], "w").write("interrupted")
            print("interrupted", flush=True)
            sys.exit(2)
    print(json.dumps({
        "argv": sys.argv, "cwd": os.getcwd(), "pid": os.getpid(), "ppid": os.getppid(),
        "variable": os.environ.get("PGB_TEST_VARIABLE"), "stdin": sys.stdin.read(),
        "imported_ahead": "pgb_test_imported_ahead" in sys.modules,
    }))
    print("to stderr", file=sys.stderr)
    sys.exit(int(args[0]) if args and args[0].isdigit() else 0)
'''


@pytest.fixture
def stand_in(tmp_path, monkeypatch):
    """A module folder on PYTHONPATH with the stand-in `cli` and a module to import ahead."""
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "pgb_test_dbt.py").write_text(STAND_IN, encoding="utf-8")
    (modules / "pgb_test_imported_ahead.py").write_text("VALUE = 1\n", encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", f"{modules}{os.pathsep}{REPO_ROOT}")
    return modules


def started(cold_dbt: str = "/bin/false"):
    return warm_dbt_started(cold_dbt, entry="pgb_test_dbt:cli", modules=("pgb_test_imported_ahead",))


def waiting_process_pid(relay: Path) -> int:
    """The pid of the process that serves `relay` (the only child of this test process running warm_dbt)."""
    out = subprocess.run(["ps", "-o", "pid=,ppid=,args=", "-e"], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        pid, ppid, args = line.split(None, 2)
        if int(ppid) == os.getpid() and "orchestration.warm_dbt" in args:
            return int(pid)
    raise AssertionError("no waiting process")


def test_a_command_runs_in_a_child_of_the_waiting_process_with_its_arguments_folder_environment_and_streams(
        stand_in, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    with started() as relay:
        assert relay_in_use() == str(relay)
        server = waiting_process_pid(relay)
        result = subprocess.run([str(relay), "3", "--target-path", "a b"], cwd=work, input="from stdin",
                                capture_output=True, text=True, timeout=60,
                                env={**os.environ, "PGB_TEST_VARIABLE": "given"})
    ran = json.loads(result.stdout)
    assert result.returncode == 3
    assert ran["argv"] == ["dbt", "3", "--target-path", "a b"]
    assert ran["cwd"] == str(work)
    assert ran["variable"] == "given"
    assert ran["stdin"] == "from stdin"
    assert ran["ppid"] == server  # a child of the waiting process, not a fresh interpreter
    assert ran["imported_ahead"] is True
    assert result.stderr == "to stderr\n"


def test_each_command_gets_its_own_child_and_the_block_ends_the_waiting_process(stand_in):
    with started() as relay:
        server = waiting_process_pid(relay)
        first, second = (json.loads(subprocess.run([str(relay)], capture_output=True, text=True, input="",
                                                   timeout=60, check=True).stdout) for _ in range(2))
    assert first["pid"] != second["pid"]
    assert first["ppid"] == second["ppid"] == server
    assert not relay.parent.exists()  # relay and socket removed
    assert WARM_DBT_VARIABLE not in os.environ
    with pytest.raises(ProcessLookupError):
        os.kill(server, 0)


def test_without_a_waiting_process_the_relay_runs_the_installed_dbt(tmp_path):
    installed = tmp_path / "dbt"
    installed.write_text('#!/bin/sh\necho "cold $*"\nexit 4\n', encoding="utf-8")
    installed.chmod(0o755)
    relay = write_relay(tmp_path / "relay", tmp_path / "no-such.sock", str(installed))
    result = subprocess.run([str(relay), "build", "--full-refresh"], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (4, "cold build --full-refresh\n")


def test_an_interrupt_of_the_relay_interrupts_the_command(stand_in):
    with started() as relay:
        process = subprocess.Popen([str(relay), "wait"], stdout=subprocess.PIPE, text=True)
        assert process.stdout.readline() == "waiting\n"
        process.send_signal(signal.SIGINT)  # what dagster-dbt sends to stop dbt
        rest, _ = process.communicate(timeout=60)
    assert (process.returncode, rest) == (2, "interrupted\n")


def test_a_command_whose_relay_was_killed_is_interrupted(stand_in, tmp_path):
    marker = tmp_path / "marker"
    with started() as relay:
        process = subprocess.Popen([str(relay), "wait", str(marker)], stdout=subprocess.PIPE, text=True)
        assert process.stdout.readline() == "waiting\n"
        process.kill()
        process.wait()
        deadline = time.monotonic() + 30
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    assert marker.read_text() == "interrupted"


def test_the_dbt_resource_starts_the_relay_while_a_command_keeps_dbt_imported_ahead(stand_in, tmp_path, capsys):
    from orchestration.dbt_assets import PgbDbtCliResource

    installed = tmp_path / "dbt"
    installed.write_text('#!/bin/sh\n[ "$1" = --version ] && echo "Core: 1.11.16"\nexit 0\n', encoding="utf-8")
    installed.chmod(0o755)
    resource = PgbDbtCliResource(project_dir=str(REPO_ROOT), dbt_executable=str(installed))
    with started() as relay:
        invocation = resource.cli(["7"], raise_on_error=False, target_path=tmp_path / "target")
        list(invocation.stream_raw_events())  # dagster-dbt prints the lines that are not dbt's JSON events
        invocation.wait()
    assert invocation.process.args[0] == str(relay)
    assert invocation.process.returncode == 7
    printed = capsys.readouterr().out.splitlines()
    assert json.loads(printed[0])["argv"] == ["dbt", "7"]
    assert printed[1] == "to stderr"  # dagster-dbt reads dbt's stderr with its stdout
    cold = resource.cli(["ls"], raise_on_error=False, target_path=tmp_path / "cold")
    assert cold.process.args[0] == str(installed)  # after the block: the executable it was given
    cold.wait()


def test_the_waiting_process_of_a_killed_command_removes_its_folder_and_ends(stand_in, tmp_path):
    script = (
        "import os, signal, sys\n"
        "from orchestration.warm_dbt import warm_dbt_started\n"
        "with warm_dbt_started('/bin/false', entry='pgb_test_dbt:cli', modules=()) as relay:\n"
        "    print(relay, flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    command = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT)
    relay = Path(command.stdout.readline().strip())
    command.wait()
    assert command.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 30
    while relay.parent.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not relay.parent.exists()
