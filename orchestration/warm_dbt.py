"""dbt imported ahead: a `pgb` command's dbt steps skip dbt's import (about 1.4 s of one core each).

A dbt command costs about 1.4 s of Python importing dbt before it reads the
project. `pgb run` and `pgb close` spend their first seconds checking the
exports (GX, in a process of its own), and dbt cannot start before those
checks pass. So the command starts, beside the checks, a process that only
imports dbt and then waits (`warm_dbt_started`). It imports in a thread at the
lowest priority, so it takes only what the checks leave of the two cores; the
children that run dbt keep the command's priority.

Nothing of dbt runs early: the process reads no project, profile or file
and opens no database until a dbt step asks. Each ask is one dbt command,
exactly as the step gives it. dagster-dbt starts `dbt_executable`, which is
then the relay script written beside the socket: it hands its arguments,
working folder, environment and standard streams to the waiting process,
which forks a child that becomes that dbt command (dbt's own `cli()`, as
`.venv/bin/dbt` runs it), and it exits with the child's status. Signals the
relay gets (dagster-dbt stops dbt with SIGINT) go to the child; a child
whose relay is gone is interrupted. When the waiting process is not there
(the command ended, or it was never started), the relay runs the ordinary
dbt in its place: the same command, only slower.

Standard library only: the relay starts in about 30 ms.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

WARM_DBT_VARIABLE = "PGB_WARM_DBT"  # the relay script of this command's waiting dbt (unset: none)
IMPORTS = ("dbt.cli.main", "dbt.adapters.duckdb", "dbt.adapters.duckdb.impl", "agate")
ENTRY = "dbt.cli.main:cli"  # what .venv/bin/dbt calls
FOLDER_PREFIX, SOCKET_NAME, RELAY_NAME = "pgb-warm-dbt-", "dbt.sock", "dbt"
_LENGTH = struct.Struct("!I")


# --- the command's side -----------------------------------------------------------------------


def installed_dbt() -> str:
    """The dbt next to this Python (.venv/bin/dbt), so no activated venv is needed."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


@contextlib.contextmanager
def warm_dbt_started(real_dbt: str, python: str = sys.executable, entry: str = ENTRY,
                     modules: tuple[str, ...] = IMPORTS) -> Iterator[Path]:
    """Start the waiting dbt and point WARM_DBT_VARIABLE at its relay for the block; stop it after.

    The socket is bound here, before the process starts, so a relay never finds it missing while the
    command runs. Yields the relay script. entry and modules: what the children run and what is imported
    ahead (the tests give their own).
    """
    folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))  # 0700: only this user reaches the socket
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    process = None
    try:
        socket_path = folder / SOCKET_NAME
        listener.bind(str(socket_path))
        listener.listen(8)
        relay = write_relay(folder / RELAY_NAME, socket_path, real_dbt, python)
        process = subprocess.Popen(
            [python, "-u", "-m", "orchestration.warm_dbt", "--listener-fd", str(listener.fileno()),
             "--parent-pid", str(os.getpid()), "--entry", entry, "--modules", ",".join(modules)],
            pass_fds=(listener.fileno(),), stdin=subprocess.DEVNULL, cwd=Path(__file__).resolve().parents[1],
        )
        listener.close()
        previous = os.environ.get(WARM_DBT_VARIABLE)
        os.environ[WARM_DBT_VARIABLE] = str(relay)
        try:
            yield relay
        finally:
            if previous is None:
                os.environ.pop(WARM_DBT_VARIABLE, None)
            else:
                os.environ[WARM_DBT_VARIABLE] = previous
    finally:
        listener.close()
        if process is not None:
            process.terminate()  # the waiting process only: a dbt child still running is its relay's
            process.wait()
        _remove_folder_of(folder / SOCKET_NAME)


def write_relay(path: Path, socket_path: Path, real_dbt: str, python: str = sys.executable) -> Path:
    """The executable dagster-dbt starts in dbt's place (see the module docstring)."""
    project = Path(__file__).resolve().parents[1]
    path.write_text(
        f"#!{python}\n"
        "import sys\n"
        f"sys.path.insert(0, {str(project)!r})\n"
        "from orchestration.warm_dbt import relay\n"
        f"sys.exit(relay({str(socket_path)!r}, {real_dbt!r}, sys.argv[1:]))\n",
        encoding="utf-8",
    )
    path.chmod(0o700)
    return path


def relay_in_use() -> str | None:
    """The relay of this command's waiting dbt, when there is one (orchestration.dbt_assets.PgbDbtCliResource.cli)."""
    relay = os.environ.get(WARM_DBT_VARIABLE, "")
    return relay if relay and os.access(relay, os.X_OK) else None


# --- the relay (dagster-dbt's "dbt") --------------------------------------------------------------


def relay(socket_path: str, real_dbt: str, args: list[str]) -> int:
    """Run `dbt args` in a child of the waiting process; without one, become the ordinary dbt."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(socket_path)
    except OSError:
        connection.close()
        os.execvp(real_dbt, [real_dbt, *args])  # no waiting process: the same command, cold
    request = json.dumps({"args": args, "cwd": os.getcwd(), "env": dict(os.environ)}).encode("utf-8")
    socket.send_fds(connection, [_LENGTH.pack(len(request))], [0, 1, 2])
    connection.sendall(request)
    reader = connection.makefile("r", encoding="utf-8")
    first = reader.readline()
    if not first.startswith("pid "):
        print("pgb: the waiting dbt process did not start the command", file=sys.stderr)
        return 1
    child = int(first.split()[1])

    def forward(signal_number, _frame):
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal_number)

    for signal_number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signal_number, forward)
    last = reader.readline()
    if not last.startswith("exit "):
        print("pgb: the dbt command ended without an exit status (its process was killed)", file=sys.stderr)
        return 1
    return int(last.split()[1])


# --- the waiting process --------------------------------------------------------------------------


def _lowest_priority() -> None:
    """This thread only (Linux schedules threads): it runs when a core would otherwise idle (SCHED_IDLE), or at
    the lowest nice value where that policy is missing."""
    thread = threading.get_native_id()
    try:
        os.sched_setscheduler(thread, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, thread, 19)


def _import_quietly(modules: tuple[str, ...]) -> None:
    _lowest_priority()
    with contextlib.suppress(Exception):  # a module that fails here fails again in the child, which reports it
        for module in modules:
            __import__(module)


def serve(listener: socket.socket, parent_pid: int, entry: str = ENTRY, modules: tuple[str, ...] = IMPORTS) -> None:
    """Import `modules` in a low-priority thread, then fork a child per connection that runs `entry`.

    Ends on SIGTERM (the command's block ends) or when the command that started it is gone (checked every
    second): a command that was killed could not remove the socket's folder, so this process does.
    """
    importer = threading.Thread(target=_import_quietly, args=(modules,), name="warm-dbt-import", daemon=True)
    importer.start()
    listener.settimeout(1.0)
    while os.getppid() == parent_pid:
        _reap_children()
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            continue
        importer.join()  # fork only a process whose one thread is this one
        child = os.fork()
        if child == 0:
            listener.close()
            os._exit(_run_child(connection, entry))
        connection.close()
    _remove_folder_of(Path(listener.getsockname()))


def _remove_folder_of(socket_path: Path) -> None:
    """The relay, the socket and their folder (only a folder warm_dbt_started made)."""
    folder = socket_path.parent
    if not folder.name.startswith(FOLDER_PREFIX):
        return
    for leftover in (folder / RELAY_NAME, socket_path):
        leftover.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        folder.rmdir()


def _reap_children() -> None:
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def _receive_request(connection: socket.socket) -> tuple[dict, list[int]]:
    header, fds, _flags, _address = socket.recv_fds(connection, _LENGTH.size, 3)
    while len(header) < _LENGTH.size:
        header += connection.recv(_LENGTH.size - len(header))
    (length,) = _LENGTH.unpack(header)
    body = b""
    while len(body) < length:
        part = connection.recv(length - len(body))
        if not part:
            raise ConnectionError("the relay closed its request early")
        body += part
    return json.loads(body), fds


def _run_child(connection: socket.socket, entry: str) -> int:
    """Become the relay's dbt command; returns the exit status (also sent to the relay)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # dbt stops cleanly on KeyboardInterrupt
    try:
        request, fds = _receive_request(connection)
    except (OSError, ValueError):
        return 1
    for target, fd in zip((0, 1, 2), fds, strict=True):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    connection.sendall(f"pid {os.getpid()}\n".encode())
    finished = threading.Event()
    threading.Thread(target=_interrupt_when_relay_gone, args=(connection, finished), daemon=True).start()
    sys.argv = ["dbt", *request["args"]]
    status = _call_entry(entry)
    sys.stdout.flush()
    sys.stderr.flush()
    import logging

    logging.shutdown()
    finished.set()  # from here the relay may go: its end of stream interrupts nothing
    with contextlib.suppress(OSError):
        connection.sendall(f"exit {status}\n".encode())
    return status


def _call_entry(entry: str) -> int:
    module_name, _, name = entry.partition(":")
    try:
        module = __import__(module_name, fromlist=[name])
        result = getattr(module, name)()
    except SystemExit as exit_:
        result = exit_.code
    except KeyboardInterrupt:
        return 130
    except BaseException:  # noqa: BLE001 - reported on the command's stderr, as Python would
        import traceback

        traceback.print_exc()
        return 1
    if result is None:
        return 0
    if isinstance(result, int):
        return result
    print(result, file=sys.stderr)
    return 1


def _interrupt_when_relay_gone(connection: socket.socket, finished: threading.Event) -> None:
    """The relay sends nothing more: an end of stream before dbt finished means the relay was killed, so dbt
    is interrupted as dagster-dbt would interrupt it, and killed if it has not stopped 30 s later."""
    with contextlib.suppress(OSError):
        while connection.recv(64):
            pass
    if finished.is_set():
        return
    os.kill(os.getpid(), signal.SIGINT)
    if not finished.wait(30):
        os.kill(os.getpid(), signal.SIGKILL)


def main(argv: list[str] | None = None, entry: str = ENTRY, modules: tuple[str, ...] = IMPORTS) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="dbt imported ahead for a pgb command (see warm_dbt_started)")
    parser.add_argument("--listener-fd", type=int, required=True)
    parser.add_argument("--parent-pid", type=int, required=True)
    parser.add_argument("--entry", default=entry)
    parser.add_argument("--modules", default=",".join(modules))
    arguments = parser.parse_args(argv)
    # Not the project folder: dbt's imports must resolve as in `.venv/bin/dbt` (folders like tests/ are not packages).
    sys.path[:] = [entry_ for entry_ in sys.path if entry_ not in ("", os.getcwd())]
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    # A Ctrl-C reaches the whole terminal group: the command stops this process itself (or it sees the
    # command gone); its children take SIGINT back (_run_child), so a running dbt is interrupted as usual.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    listener = socket.socket(fileno=arguments.listener_fd)
    serve(listener, arguments.parent_pid, arguments.entry, tuple(m for m in arguments.modules.split(",") if m))
    return 0


if __name__ == "__main__":
    sys.exit(main())
