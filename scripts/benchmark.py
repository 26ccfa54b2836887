"""Benchmark the PGB close on a generated national month: time and peak memory per phase.

    .venv/bin/python scripts/benchmark.py                          # scale 1, every phase, Parquet
    .venv/bin/python scripts/benchmark.py --scale 0.1 --format csv
    .venv/bin/python scripts/benchmark.py --phases seed,models,baseline
    .venv/bin/python scripts/benchmark.py --scale 0.1 --history 6  # close months 1..6, compare 1 and 6
    .venv/bin/python scripts/benchmark.py --history 24 --month 2024-10 --program-start 2024-10-01

It generates the month with scripts/national_data.py (cached under the scratch
folder by its parameters), then runs each phase of PHASES below as a fresh
child process with PGB_EXPORTS_DIR pointing at the files, and prints its wall
time, CPU time and peak memory: the largest single process (getrusage of a
wrapper process) and the whole process tree (sampled from /proc). In the same
run it times the hand-written ordinary-hours query (scripts/
ordinary_hours_baseline.sql) and prints how the dbt models compare with it.
The end-to-end close is split into GX, dbt build (models / tests), reports,
package and overhead from the Dagster run record. It asserts nothing:
figures are for people, not for CI. The machine is shared, so the load
average is printed with every phase.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SCRIPTS_DIR = Path(__file__).resolve().parent
PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
DBT = REPO_ROOT / ".venv" / "bin" / "dbt"
DEFAULT_SCRATCH = Path(tempfile.gettempdir()) / "pgb-bench"
REFERENCE_SEEDS = "ref_*"  # every project-owned reference seed
# Where the phases run: the repository, or (--program-start) a scratch copy of it.
PROJECT = {"dir": REPO_ROOT}


@dataclass(frozen=True)
class Phase:
    command: str  # formatted with the placeholders of phase_placeholders(), then split like a shell would
    what: str
    needs: tuple[str, ...] = ()  # phases that must run before, in the same warehouse
    prepare: str = ""  # run before the phase, untimed: what `make setup` leaves in place


# The dbt counterpart of the hand-written ordinary-hours query: the phase
# `rule_models` runs them alone, and the ratio sums their execution times.
ORDINARY_HOURS_MODELS = (
    "int_tasks__evaluated",
    "int_payee_acts__in_ordinary_hours",
    "r403_status_change_in_ordinary_hours",
    "r404_conclusion_in_ordinary_hours",
    "r405_subtask_created_in_ordinary_hours",
    "r406_dispatch_in_ordinary_hours",
    "r407_comment_or_attachment_in_ordinary_hours",
    "r429_task_pulled_in_ordinary_hours",
)

# The phases, in run order. Each is one command line, run from the repository
# root as a fresh child process. When the pipeline's entry points move,
# change the command here and nothing else.
PHASES: dict[str, Phase] = {
    "gx": Phase("{python} scripts/validate_exports.py", "Great Expectations on every export"),
    "seed": Phase(f"{{dbt}} seed --full-refresh --select {REFERENCE_SEEDS} --target-path {{target}}",
                  "dbt seed of the reference seeds"),
    "models": Phase("{dbt} run --target-path {target}", "dbt run: every model", needs=("seed",)),
    # The dbt counterpart of the hand-written query, alone: the evaluated tasks and the ordinary-hours rules.
    "rule_models": Phase(
        f"{{dbt}} run --select {' '.join(ORDINARY_HOURS_MODELS)} --target-path {{target}}",
        "dbt run of the ordinary-hours models only", needs=("seed", "models"),
    ),
    "tests": Phase("{dbt} test --target-path {target}", "dbt test: data and unit tests", needs=("seed", "models")),
    "baseline": Phase(
        "{python} scripts/ordinary_hours_baseline.py --exports-dir {exports} --format {format} --month {month} "
        "--out {scratch}/baseline_pairs.parquet",
        "hand-written ordinary-hours query (R403-R407, R429)",
    ),
    "close": Phase("{python} -m orchestration.cli close --month {month}", "end-to-end close: pipeline + package",
                   prepare="{python} -m orchestration.dbt_assets"),
}

# Runs each phase and reports the peak RSS of its largest process.
RUSAGE_WRAPPER = (
    "import json, resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[2:])\n"
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "with open(sys.argv[1], 'w') as handle:\n"
    "    json.dump({'returncode': code, 'maxrss_kib': usage.ru_maxrss,\n"
    "               'cpu_seconds': usage.ru_utime + usage.ru_stime}, handle)\n"
    "sys.exit(code)\n"
)
SAMPLE_SECONDS = 0.25
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


# ---------------------------------------------------------------------------
# Measuring one child process tree
# ---------------------------------------------------------------------------
@dataclass
class Measurement:
    name: str
    what: str
    returncode: int
    wall_seconds: float
    cpu_seconds: float | None
    largest_process_mib: float | None
    tree_peak_mib: float
    load_before: float
    started_at: float  # epoch seconds
    ended_at: float
    log: Path
    samples: list[tuple[float, int]] = field(default_factory=list, repr=False)  # (epoch, tree RSS bytes)
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def tree_peak_between(self, start: float, end: float) -> float | None:
        inside = [rss for at, rss in self.samples if start <= at <= end]
        return max(inside) / 2**20 if inside else None


def _process_table() -> dict[int, int]:
    """pid -> parent pid, from /proc."""
    parents = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # The command name may hold spaces: fields after its closing parenthesis.
        fields = stat[stat.rfind(b")") + 2:].split()
        parents[int(entry.name)] = int(fields[1])
    return parents


def tree_rss_bytes(root_pid: int) -> int:
    parents = _process_table()
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, ()))
        try:
            with open(f"/proc/{pid}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * PAGE_BYTES
        except OSError:
            pass  # ended meanwhile
    return total


def measure(name: str, what: str, argv: list[str], env: dict[str, str], log: Path,
            timeout: float | None = None) -> Measurement:
    """Run argv under the rusage wrapper, sampling the RSS of its whole process tree."""
    log.parent.mkdir(parents=True, exist_ok=True)
    usage_file = log.with_suffix(".rusage.json")
    usage_file.unlink(missing_ok=True)
    load_before = os.getloadavg()[0]
    samples: list[tuple[float, int]] = []
    started_at, started = time.time(), time.perf_counter()
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(
            [str(PYTHON), "-c", RUSAGE_WRAPPER, str(usage_file), *argv],
            cwd=PROJECT["dir"], env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a timeout can stop exactly this phase
        )
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                samples.append((time.time(), tree_rss_bytes(process.pid)))
                stop.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        timed_out = False
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(process.pid, 15)
            process.wait()
        stop.set()
        sampler.join()
    wall = time.perf_counter() - started
    usage = json.loads(usage_file.read_text()) if usage_file.exists() else {}
    return Measurement(
        name=name,
        what=what,
        returncode=usage.get("returncode", process.returncode),
        wall_seconds=wall,
        cpu_seconds=usage.get("cpu_seconds"),
        largest_process_mib=usage["maxrss_kib"] / 1024 if "maxrss_kib" in usage else None,
        tree_peak_mib=max((rss for _, rss in samples), default=0) / 2**20,
        load_before=load_before,
        started_at=started_at,
        ended_at=time.time(),
        log=log,
        samples=samples,
        timed_out=timed_out,
    )


def log_tail(path: Path, lines: int = 25) -> str:
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join("    " + line for line in text[-lines:])


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------
@dataclass
class Dataset:
    folder: Path
    months: list[str]  # YYYY-MM, one sub-folder each
    file_format: str
    generated_seconds: float | None  # None when reused from the cache
    rows: dict[str, dict[str, int]]  # month -> export -> rows
    bytes_by_month: dict[str, int]

    def month_dir(self, month: str) -> Path:
        return self.folder / month


def generator_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in (SCRIPTS_DIR / "national_data.py", REPO_ROOT / "seeds" / "_seeds.yml",
                 REPO_ROOT / "seeds" / "ref_sisref_codes.csv"):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def prepare_dataset(scratch: Path, scale: float, first_month: str, months: int, file_format: str,
                    program_start: str | None = None) -> Dataset:
    """Generate the months, or reuse a complete earlier generation with the same parameters."""
    sys.path.insert(0, str(SCRIPTS_DIR))
    import national_data

    parameters = {"scale": scale, "month": first_month, "months": months, "format": file_format,
                  "generator": generator_fingerprint(), "program_start": program_start}
    folder = scratch / "data" / (f"scale-{scale:g}_{first_month}_{months}m_{file_format}"
                                 + (f"_start-{program_start}" if program_start else ""))
    stamp = folder / "generation.json"
    if stamp.exists() and json.loads(stamp.read_text())["parameters"] == parameters:
        recorded = json.loads(stamp.read_text())
        return Dataset(folder, recorded["months"], file_format, None, recorded["rows"], recorded["bytes"])
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    generated = national_data.generate(
        folder, scale, national_data.parse_month(first_month), months, (file_format,), scratch_dir=scratch,
        program_start=date.fromisoformat(program_start) if program_start else None,
    )
    seconds = time.perf_counter() - started
    month_names = [month.month.strftime("%Y-%m") for month in generated]
    rows = {name: month.rows for name, month in zip(month_names, generated, strict=True)}
    sizes = {name: month.bytes_by_format[file_format] for name, month in zip(month_names, generated, strict=True)}
    stamp.write_text(json.dumps({"parameters": parameters, "months": month_names, "rows": rows, "bytes": sizes,
                                 "seconds": round(seconds, 1)}, indent=2))
    return Dataset(folder, month_names, file_format, seconds, rows, sizes)


# ---------------------------------------------------------------------------
# Phases
# ---------------------------------------------------------------------------
def phase_placeholders(run_dir: Path, exports: Path, file_format: str, month: str) -> dict[str, str]:
    return {
        "python": str(PYTHON),
        "dbt": str(DBT),
        "target": str(run_dir / "target"),
        "close_target": str(run_dir / "close-target"),
        "scratch": str(run_dir),
        "exports": str(exports),
        "format": file_format,
        "month": month,
    }


def phase_environment(run_dir: Path, exports: Path, file_format: str, warehouse: Path) -> dict[str, str]:
    """The pipeline's variables, every path in the scratch run folder."""
    return {
        **os.environ,
        "PGB_EXPORTS_DIR": str(exports),
        "PGB_EXPORTS_FORMAT": file_format,
        "PGB_DUCKDB_PATH": str(warehouse),
        "PGB_REPORTS_DIR": str(run_dir / "reports"),
        "PGB_DBT_TARGET_PATH": str(run_dir / "close-target"),
        "DAGSTER_HOME": str(run_dir / "dagster_home"),
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "GX_ANALYTICS_ENABLED": "False",
        "DBT_PROFILES_DIR": str(PROJECT["dir"]),
        # A scratch copy's Python modules before the editable install of the repository.
        **({"PYTHONPATH": str(PROJECT["dir"])} if PROJECT["dir"] != REPO_ROOT else {}),
    }


def selected_phases(text: str) -> list[str]:
    wanted = list(PHASES) if text.strip() == "all" else [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in PHASES]
    if unknown:
        raise SystemExit(f"unknown phase(s) {unknown}; choose from {', '.join(PHASES)} or 'all'")
    for name in list(wanted):
        for needed in PHASES[name].needs:
            if needed not in wanted:
                print(f"note: phase {name} needs {needed}: running it too")
                wanted.append(needed)
    return [name for name in PHASES if name in wanted]  # table order


def run_phase(name: str, run_dir: Path, exports: Path, file_format: str, month: str, warehouse: Path,
              timeout: float | None, label: str | None = None) -> Measurement:
    phase = PHASES[name]
    argv = shlex.split(phase.command.format(**phase_placeholders(run_dir, exports, file_format, month)))
    env = phase_environment(run_dir, exports, file_format, warehouse)
    Path(env["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    label = label or name
    if phase.prepare:
        prepare = shlex.split(phase.prepare.format(**phase_placeholders(run_dir, exports, file_format, month)))
        print(f"   (untimed) {' '.join(prepare)}", flush=True)
        subprocess.run(prepare, cwd=PROJECT["dir"], env=env, check=True, stdout=subprocess.DEVNULL)
    print(f"-> {label}: {' '.join(argv)}", flush=True)
    result = measure(label, phase.what, argv, env, run_dir / "logs" / f"{label}.log", timeout)
    status = "ok" if result.ok else ("TIMED OUT" if result.timed_out else f"FAILED (exit {result.returncode})")
    print(f"   {status}: {result.wall_seconds:,.1f} s, largest process {fmt_mib(result.largest_process_mib)}, "
          f"tree {fmt_mib(result.tree_peak_mib)}, load {result.load_before:.1f}", flush=True)
    if not result.ok:
        print(f"   log {result.log}:\n{log_tail(result.log)}")
    run_results = run_dir / "target" / "run_results.json"
    if name in ("seed", "models", "rule_models", "tests") and run_results.exists():
        # The next dbt phase overwrites it: keep each phase's own.
        shutil.copy2(run_results, run_dir / "logs" / f"{label}.run_results.json")
    return result


def fmt_mib(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f} MiB"


# ---------------------------------------------------------------------------
# What the phases tell
# ---------------------------------------------------------------------------
def model_seconds(path: Path) -> dict[str, float]:
    """execution_time per model in a dbt run_results.json (thread-seconds)."""
    if not path.exists():
        return {}
    results = json.loads(path.read_text())["results"]
    return {node["unique_id"].split(".")[-1]: node["execution_time"] for node in results
            if node["unique_id"].startswith("model.")}


def finished_dbt_nodes(dbt_log: Path) -> list[dict]:
    """unique_id and execution_time (thread-seconds) of every node a dbt run finished, from its JSON
    dbt.log: the close's build writes no run_results.json (--no-write-json)."""
    nodes = []
    for line in dbt_log.read_text(encoding="utf-8", errors="replace").splitlines():
        if '"NodeFinished"' not in line:
            continue
        data = json.loads(line)["data"]
        nodes.append({"unique_id": data["node_info"]["unique_id"],
                      "execution_time": data["run_result"]["execution_time"]})
    return nodes


def baseline_query_seconds(log: Path) -> float | None:
    for line in reversed(log.read_text(encoding="utf-8", errors="replace").splitlines()):
        if line.startswith("{") and "query_seconds" in line:
            return json.loads(line)["query_seconds"]
    return None


@dataclass
class CloseBreakdown:
    parts: list[tuple[str, float, float | None]]  # (part, seconds, tree peak MiB)
    note: str = ""


def close_breakdown(measurement: Measurement, run_dir: Path, env: dict[str, str]) -> CloseBreakdown:
    """Split the close into GX / dbt build / reports / package / overhead from its Dagster run.

    Reads the run record in the scratch DAGSTER_HOME through a child process
    (Dagster takes seconds to import). Without a run record (e.g. once the
    close no longer runs through Dagster) only a note comes back and the
    total stands alone.
    """
    script = (
        "import json\n"
        "import dagster as dg\n"
        "with dg.DagsterInstance.get() as instance:\n"
        "    runs = instance.get_runs(limit=1)\n"
        "    if not runs:\n"
        "        print('null'); raise SystemExit\n"
        "    run = runs[0]\n"
        "    stats = instance.get_run_stats(run.run_id)\n"
        "    steps = [(s.step_key, s.start_time, s.end_time) for s in instance.get_run_step_stats(run.run_id)]\n"
        "    print(json.dumps({'run_id': run.run_id, 'start': stats.start_time, 'end': stats.end_time, 'steps': steps}))\n"
    )
    try:
        output = subprocess.run([str(PYTHON), "-c", script], cwd=REPO_ROOT, env=env, capture_output=True,
                                text=True, timeout=300, check=True).stdout.strip().splitlines()[-1]
        record = json.loads(output)
    except (subprocess.SubprocessError, json.JSONDecodeError, IndexError) as error:
        return CloseBreakdown([], f"no Dagster run record ({type(error).__name__})")
    if not record or record["start"] is None or record["end"] is None:
        return CloseBreakdown([], "no finished Dagster run in the scratch DAGSTER_HOME")

    def window(start: float | None, end: float | None) -> tuple[float, float | None]:
        if start is None or end is None:
            return 0.0, None
        return end - start, measurement.tree_peak_between(start, end)

    parts: list[tuple[str, float, float | None]] = []
    groups = {"GX (step raw_exports)": [], "dbt build (step pgb_dbt)": [], "close_package and reports (other steps)": []}
    for step_key, start, end in record["steps"]:
        key = ("GX (step raw_exports)" if step_key == "raw_exports"
               else "dbt build (step pgb_dbt)" if step_key == "pgb_dbt" else "close_package and reports (other steps)")
        groups[key].append((start, end))
    for label, windows in groups.items():
        finished = [(s, e) for s, e in windows if s is not None and e is not None]
        if finished:
            seconds = sum(e - s for s, e in finished)
            peak = max((p for p in (measurement.tree_peak_between(s, e) for s, e in finished) if p is not None),
                       default=None)
            parts.append((label, seconds, peak))
    dbt_target = next(iter(sorted((run_dir / "close-target").glob(f"dagster-{record['run_id'][:8]}*"))), None)
    note = ""
    if dbt_target is not None and (dbt_target / "dbt.log").exists():
        by_type: dict[str, float] = {}
        for node in finished_dbt_nodes(dbt_target / "dbt.log"):
            kind = node["unique_id"].split(".")[0]
            by_type[kind] = by_type.get(kind, 0.0) + node["execution_time"]
        note = "dbt build thread-seconds: " + ", ".join(f"{kind} {seconds:,.1f}" for kind, seconds in
                                                       sorted(by_type.items()))
    parts.append(("after the Dagster run (the command ends)",) + window(record["end"], measurement.ended_at))
    accounted = sum(seconds for _, seconds, _ in parts)
    parts.append(("overhead (start-up, parse, Dagster, hashing)", measurement.wall_seconds - accounted,
                  measurement.tree_peak_between(measurement.started_at, record["start"])))
    return CloseBreakdown(parts, note)


# ---------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------
def markdown_table(header: list[str], rows: list[list[str]], text_columns: int = 1) -> str:
    """A Markdown table; the first text_columns are left-aligned, the figures right-aligned."""
    alignment = ["---" if i < text_columns else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(alignment) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def describe_dataset(dataset: Dataset, scale: float) -> str:
    first = dataset.rows[dataset.months[0]]
    generation = ("reused from the cache" if dataset.generated_seconds is None
                  else f"generated in {dataset.generated_seconds:,.1f} s")
    size = dataset.bytes_by_month[dataset.months[0]] / 2**20
    return (f"data: scale {scale:g}, {', '.join(dataset.months)}, {dataset.file_format} "
            f"({size:,.1f} MiB per month), {generation}; {dataset.folder}\n"
            f"  {first['raw_tasks']:,} tasks, {first['raw_task_events']:,} task events, "
            f"{first['raw_task_assignments']:,} assignments, {first['raw_sub_dispatches']:,} SUB dispatches, "
            f"{first['raw_sisref_intervals']:,} Sisref intervals, {first['raw_professionals']:,} professionals")


def report(measurements: list[Measurement], dataset: Dataset, scale: float, run_dir: Path,
           breakdown: CloseBreakdown | None) -> None:
    print()
    print(describe_dataset(dataset, scale))
    rows = [[m.name, m.what, f"{m.wall_seconds:,.1f}" + ("" if m.ok else " (failed)"),
             "n/a" if m.cpu_seconds is None else f"{m.cpu_seconds:,.1f}",
             fmt_mib(m.largest_process_mib).replace(" MiB", ""), fmt_mib(m.tree_peak_mib).replace(" MiB", ""),
             f"{m.load_before:.1f}"] for m in measurements]
    print()
    print(markdown_table(["phase", "what", "wall s", "CPU s", "peak MiB (largest process)",
                          "peak MiB (process tree)", "load before"], rows, text_columns=2))
    by_name = {m.name: m for m in measurements}
    if "models" in by_name and "baseline" in by_name and by_name["models"].ok and by_name["baseline"].ok:
        baseline = by_name["baseline"]
        query_seconds = baseline_query_seconds(baseline.log)
        # Model times from the run of those models alone when there is one: in the
        # full run they share the machine with the other models (2 dbt threads).
        alone = by_name.get("rule_models")
        source = "rule_models" if alone is not None and alone.ok else "models"
        models = model_seconds(run_dir / "logs" / f"{source}.run_results.json")
        ordinary = sum(models.get(name, 0.0) for name in ORDINARY_HOURS_MODELS)
        print()
        print(f"dbt run (all models) / hand-written query process: "
              f"{by_name['models'].wall_seconds:,.1f} s / {baseline.wall_seconds:,.1f} s = "
              f"{by_name['models'].wall_seconds / baseline.wall_seconds:,.1f}x")
        if query_seconds and ordinary:
            print(f"ordinary-hours models ({' + '.join(ORDINARY_HOURS_MODELS)}, in phase {source}) / the query itself: "
                  f"{ordinary:,.2f} s / {query_seconds:,.2f} s = {ordinary / query_seconds:,.1f}x (target: within 2x)")
    if breakdown is not None:
        print()
        print("close, split by its Dagster run:" if breakdown.parts else f"close: {breakdown.note}")
        if breakdown.parts:
            print(markdown_table(["part", "wall s", "peak MiB (process tree)"],
                                 [[part, f"{seconds:,.1f}", fmt_mib(peak).replace(" MiB", "")]
                                  for part, seconds, peak in breakdown.parts]))
            if breakdown.note:
                print(breakdown.note)
    print()
    print(f"logs: {run_dir / 'logs'}")


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = a national month (default)")
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet", help="export files (default parquet)")
    parser.add_argument("--month", default="2025-06", help="reference month YYYY-MM (default 2025-06)")
    parser.add_argument("--phases", default="all",
                        help=f"comma-separated, from {', '.join(PHASES)} (default all)")
    parser.add_argument("--history", type=int, metavar="N",
                        help="close months 1..N in order on one ledger and warehouse; compare month N with month 1")
    parser.add_argument("--program-start", metavar="YYYY-MM-DD",
                        help="run in a scratch copy of the project whose program_start is this day (a history of "
                             "more months than have passed since 2025-05-19); the data assume it too")
    parser.add_argument("--timeout", type=float, help="stop a phase after this many seconds")
    parser.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH,
                        help=f"data cache and run folders (default {DEFAULT_SCRATCH})")
    return parser.parse_args(argv)


def fresh_run_dir(scratch: Path, label: str) -> Path:
    run_dir = scratch / "runs" / label
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    return run_dir


def project_copy_with_program_start(run_dir: Path, program_start: str) -> Path:
    """The repository's tracked files (links kept as links) in run_dir/project, program_start moved."""
    date.fromisoformat(program_start)  # a bad date stops here, not in dbt
    copy = run_dir / "project"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, check=True, capture_output=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        source, target = REPO_ROOT / name, copy / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
    (copy / ".venv").symlink_to(REPO_ROOT / ".venv")
    parameters = copy / "seeds" / "ref_parameters.csv"
    with parameters.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    # Every parameter in force from the program start is in force from the new one (the input check wants
    # one value per parameter on every day since the start).
    old_start = min(row["value"] for row in rows if row["name"] == "program_start")
    for row in rows:
        if row["name"] == "program_start":
            row["value"] = program_start
        if row["effective_from"] == old_start:
            row["effective_from"] = program_start
    with parameters.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return copy


def run_history(arguments: argparse.Namespace) -> int:
    months = arguments.history
    dataset = prepare_dataset(arguments.scratch, arguments.scale, arguments.month, months, arguments.format,
                              arguments.program_start)
    run_dir = fresh_run_dir(arguments.scratch, f"history-scale-{arguments.scale:g}-{arguments.format}")
    if arguments.program_start:
        PROJECT["dir"] = project_copy_with_program_start(run_dir, arguments.program_start)
        print(f"project copy with program_start {arguments.program_start}: {PROJECT['dir']}")
    warehouse = run_dir / "close.duckdb"
    print(describe_dataset(dataset, arguments.scale))
    closes = []
    for month in dataset.months:
        result = run_phase("close", run_dir, dataset.month_dir(month), arguments.format, month, warehouse,
                           arguments.timeout, label=f"close-{month}")
        closes.append(result)
        if not result.ok:
            print(f"stopped: the close of {month} did not succeed, later months cannot be closed in order")
            break
    print()
    print(markdown_table(["month", "close wall s", "peak MiB (process tree)", "load before"],
                         [[m.name.removeprefix("close-"), f"{m.wall_seconds:,.1f}" + ("" if m.ok else " (failed)"),
                           fmt_mib(m.tree_peak_mib).replace(" MiB", ""), f"{m.load_before:.1f}"] for m in closes]))
    if len(closes) == months and all(m.ok for m in closes) and months > 1:
        first, last = closes[0], closes[-1]
        print(f"\nmonth {months} / month 1: {last.wall_seconds:,.1f} s / {first.wall_seconds:,.1f} s = "
              f"{last.wall_seconds / first.wall_seconds:.2f}x (target: within 1.2x)")
    print(f"logs: {run_dir / 'logs'}")
    return 0 if all(m.ok for m in closes) and len(closes) == months else 1


def main(argv: list[str] | None = None) -> int:
    arguments = parse_args(argv)
    arguments.scratch.mkdir(parents=True, exist_ok=True)
    if arguments.history:
        return run_history(arguments)
    phases = selected_phases(arguments.phases)
    dataset = prepare_dataset(arguments.scratch, arguments.scale, arguments.month, 1, arguments.format)
    print(describe_dataset(dataset, arguments.scale))
    run_dir = fresh_run_dir(arguments.scratch, f"scale-{arguments.scale:g}-{arguments.format}")
    exports = dataset.month_dir(dataset.months[0])
    measurements, breakdown = [], None
    for name in phases:
        # The close builds its own warehouse (it swaps a fresh file in); the other phases share one.
        warehouse = run_dir / ("close.duckdb" if name == "close" else "bench.duckdb")
        result = run_phase(name, run_dir, exports, arguments.format, dataset.months[0], warehouse, arguments.timeout)
        measurements.append(result)
        if name == "close" and result.ok:
            breakdown = close_breakdown(result, run_dir,
                                        phase_environment(run_dir, exports, arguments.format, warehouse))
        if not result.ok and name in ("seed", "models"):
            print("stopping: the phases after this one need its warehouse")
            break
    report(measurements, dataset, arguments.scale, run_dir, breakdown)
    return 0 if all(m.ok for m in measurements) else 1


if __name__ == "__main__":
    sys.exit(main())
