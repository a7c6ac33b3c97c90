#!/usr/bin/env python3
"""ParallelJob's job image against the tutorial's tools and a C/OpenMP reference, in one run.

    python3 bench/run.py [--runs 5] [--quick]        (make bench)

Sets up what it needs in ~/.cache/parallel-job/bench (a venv with numpy, dask[distributed], mpi4py,
matplotlib; the C reference compiled with gcc -O3 -march=native -fopenmp), checks that every
implementation computes the same results (pi hits bit-identical, primes exact, matmul within 1e-9
relative) before it reports any time, and writes the section between the bench markers of
docs/benchmarks.md plus docs/benchmarks-compare.png. Figures, not tests.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path.home() / ".cache" / "parallel-job" / "bench"
VENV = CACHE / "venv"
JAR = ROOT / "job-image" / "target" / "parallel-job.jar"
DOC = ROOT / "docs" / "benchmarks.md"
CHART = ROOT / "docs" / "benchmarks-compare.png"
BEGIN, END = "<!-- bench-compare:begin -->", "<!-- bench-compare:end -->"
PY_PACKAGES = ["numpy==2.4.6", "dask[distributed]==2026.8.0", "mpi4py==4.1.2", "matplotlib==3.11.2"]

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kernels  # noqa: E402


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def setup():
    CACHE.mkdir(parents=True, exist_ok=True)
    missing = [pkg for pkg, probe in (("libopenmpi-dev", ["which", "mpicc"]),  # mpi4py builds against it
                                      ("python3-venv", [sys.executable, "-c", "import ensurepip"]),
                                      ("gcc", ["which", "gcc"]))
               if subprocess.run(probe, capture_output=True).returncode != 0]
    if missing:
        log(f"installing {' '.join(missing)} (apt)")
        subprocess.run(["apt-get", "install", "-y", "-q", *missing], check=True, stdout=subprocess.DEVNULL)
    stamp = VENV / ".packages"
    if not stamp.exists() or stamp.read_text() != "\n".join(PY_PACKAGES):
        log(f"creating {VENV} with {', '.join(PY_PACKAGES)}")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", *PY_PACKAGES], check=True)
        stamp.write_text("\n".join(PY_PACKAGES))
    omp = CACHE / "omp"
    if not omp.exists() or omp.stat().st_mtime < (ROOT / "bench" / "omp.c").stat().st_mtime:
        log("compiling bench/omp.c with gcc -O3 -march=native -fopenmp")
        subprocess.run(["gcc", "-O3", "-march=native", "-fopenmp", "-o", str(omp), str(ROOT / "bench" / "omp.c"), "-lm"], check=True)
    if not JAR.exists():
        sys.exit(f"{JAR} missing: run `mvn -q package -DskipTests` first (make bench does)")
    return omp


class Workload:
    """One task list, as our manifest and as (a, b) pairs for the others."""

    def __init__(self, kernel, manifest_spec, pairs, what, slow_subset, contract=None):
        self.kernel, self.spec, self.pairs, self.what = kernel, manifest_spec, pairs, what
        self.slow_subset = slow_subset  # pure-Python implementations run this many tasks; time scaled up
        self.contract = contract  # the same tasks as the pod contract's env (ours under mpirun)

    def manifest(self, path):
        path.write_text("apiVersion: parallel.dev/v1alpha1\nkind: ParallelJob\nmetadata: {name: bench-%s}\nspec:\n%s"
                        % (self.kernel, self.spec))


def workloads(quick):
    f = 8 if quick else 1
    pi_tasks, pi_samples = 32 // (f // 2 or 1), 2_500_000 // f
    pr_tasks, pr_width = 16, 5_000_000 // f
    mm_tasks, mm_n = 12 // (f // 4 or 1), 256
    noop = 100_000 // f
    return [
        Workload("pi", f"  kernel: pi\n  params: {{samples: {pi_samples}, seed: 42}}\n  tasks: {{range: {{start: 0, end: {pi_tasks}}}}}\n",
                 [(kernels.stream_state(42, i), pi_samples) for i in range(pi_tasks)],
                 f"{pi_tasks} tasks x {pi_samples:,} samples (pi.yaml's seed; 4x its tasks of half its samples)", 2,
                 {"PJ_KERNEL": "pi", "PJ_PARAMS": json.dumps({"samples": pi_samples, "seed": 42}),
                  "PJ_RANGE": json.dumps({"start": 0, "end": pi_tasks, "step": 1, "param": "value"})}),
        Workload("primes", "  kernel: primes\n  tasks:\n    items:\n" + "".join(
                     f"    - {{from: {k * pr_width}, to: {(k + 1) * pr_width}}}\n" for k in range(pr_tasks)),
                 [(k * pr_width, (k + 1) * pr_width) for k in range(pr_tasks)],
                 f"{pr_tasks} tasks of {pr_width:,} numbers over [0, {pr_tasks * pr_width:,}) (primes.yaml's ranges, widened)", None,
                 {"PJ_KERNEL": "primes",
                  "PJ_TASKS_LINES": "".join(json.dumps({"from": k * pr_width, "to": (k + 1) * pr_width}) + "\n"
                                            for k in range(pr_tasks))}),
        Workload("matmul", f"  kernel: matmul\n  params: {{\"n\": {mm_n}}}\n  tasks: {{range: {{start: 1, end: {mm_tasks + 1}, param: seed}}}}\n",
                 [(kernels.stream_state(i + 1, i), mm_n) for i in range(mm_tasks)],
                 f"{mm_tasks} tasks of {mm_n} x {mm_n} (matmul.yaml, x2)", 2,
                 {"PJ_KERNEL": "matmul", "PJ_PARAMS": json.dumps({"n": mm_n}),
                  "PJ_RANGE": json.dumps({"start": 1, "end": mm_tasks + 1, "step": 1, "param": "seed"})}),
        Workload("noop", f"  kernel: sleep\n  params: {{millis: 0}}\n  tasks: {{range: {{start: 0, end: {noop}}}}}\n",
                 [(0, 0)] * noop, f"{noop:,} no-op tasks (per-task overhead)", noop // 5),
    ]


def run_json(cmd, env=None, timeout=900):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed: {p.stderr[-2000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def ours(w, executor, workers, tmp):
    m = tmp / f"{w.kernel}.yaml"
    w.manifest(m)
    p = subprocess.run(["java", "-jar", str(JAR), "run", str(m), "--executor", executor, "--threads", str(workers)],
                       capture_output=True, text=True, timeout=1800)
    if p.returncode != 0:
        raise RuntimeError(f"ours {executor}: {p.stderr[-2000:]}")
    out = p.stdout.splitlines()
    seconds = float(out[0].rsplit(" in ", 1)[1].split()[0])
    ok = int(out[0].split(": ", 1)[1].split("/")[0])
    result = json.loads(out[1][len("result: "):]) if len(out) > 1 and out[1].startswith("result: ") else None
    if w.kernel == "pi":
        result = result["hits"]
    elif w.kernel == "noop":
        result = ok
    return seconds, result


def ours_mpi(w, ranks, tmp):
    """Our MPI executor: the launcher's mpirun on localhost with `ranks` ranks of one thread each."""
    lib = CACHE / "mpi-lib"
    lib.mkdir(exist_ok=True)
    if not (lib / "libmpi_java.so").exists():
        (lib / "libmpi_java.so").symlink_to("/usr/lib/x86_64-linux-gnu/libmpi_java.so.40")
    env = dict(os.environ, PJ_PARTS="1", PJ_EXECUTOR="mpi", PJ_THREADS="1", PJ_REDUCE="sum",
               PJ_RESULTS_FILE=str(tmp / "mpi-results.jsonl"), PJ_SUMMARY_FILE=str(tmp / "mpi-summary.json"),
               PJ_MPI_HOSTS="localhost", PJ_MPI_SLOTS=str(ranks), PJ_MPI_MODE="static", PJ_MPI_WAIT_SECONDS="0",
               PJ_MPI_JAVA_LIBRARY_PATH=str(lib), OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    for k, v in w.contract.items():
        if k == "PJ_TASKS_LINES":
            (tmp / "mpi-tasks.jsonl").write_text(v)
            env["PJ_TASKS_FILE"] = str(tmp / "mpi-tasks.jsonl")
        else:
            env[k] = v
    p = subprocess.run(["java", "-jar", str(JAR), "mpi-launch"], capture_output=True, text=True, env=env, timeout=1800)
    if p.returncode != 0:
        raise RuntimeError(f"ours mpi: {p.stdout[-1000:]} {p.stderr[-2000:]}")
    summary = json.loads((tmp / "mpi-summary.json").read_text())
    result = summary["partial"]
    return summary["millis"] / 1000, result["hits"] if w.kernel == "pi" else result


def same(kernel, a, b):
    if kernel == "matmul":
        return abs(a - b) <= 1e-9 * abs(b)
    return a == b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="smaller inputs, 1 run: a smoke test of the script")
    args = ap.parse_args()
    runs = 1 if args.quick else args.runs
    omp = setup()
    py = str(VENV / "bin" / "python")
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", PYTHONPATH=str(ROOT / "bench"))
    tmp = Path(tempfile.mkdtemp(prefix="pj-bench-"))
    report = []
    t_start = time.time()
    for w in workloads(args.quick):
        log(f"{w.kernel}: {w.what}")
        pairs_file, sub_file = tmp / f"{w.kernel}.json", tmp / f"{w.kernel}-sub.json"
        pairs_file.write_text(json.dumps(w.pairs))
        txt = tmp / f"{w.kernel}.txt"
        txt.write_text("".join(f"{a} {b}\n" for a, b in w.pairs))
        sub = w.pairs[:w.slow_subset] if w.slow_subset else w.pairs
        sub_file.write_text(json.dumps(sub))
        sub_txt = tmp / f"{w.kernel}-sub.txt"
        sub_txt.write_text("".join(f"{a} {b}\n" for a, b in sub))
        scale = len(w.pairs) / len(sub)

        impls = []  # (label, workers, fn -> (seconds, result), scaled, reference-key)
        for workers in (1, 2):
            impls.append((f"C OpenMP", workers, lambda wk=workers: tuple(run_json([str(omp), w.kernel if w.kernel != "noop" else "noop", str(txt), str(wk)]).values())[:2], 1, "full"))
        for ex in ("sequential", "threads", "processes"):
            for workers in ((1,) if ex == "sequential" else (1, 2)):
                impls.append((f"ours {ex}", workers, lambda e=ex, wk=workers: ours(w, e, wk, tmp), 1, "full"))
        if w.contract:
            for ranks in (1, 2):
                impls.append(("ours mpi", ranks, lambda r=ranks: ours_mpi(w, r, tmp), 1, "full"))
        python = [("loop", (1,)), ("threadpool", (1, 2)), ("processpool", (1, 2)), ("mp_pool", (1, 2)), ("mpi4py", (1, 2)),
                  ("dask", (1, 2))]
        if w.kernel in ("pi", "matmul"):
            python.insert(1, ("numpy", (1,)))
        if w.kernel == "noop":
            python = [("processpool", (2,)), ("dask", (2,))]
        for impl, ws in python:
            slow = impl != "numpy" and w.slow_subset
            for workers in ws:
                def fn(i=impl, wk=workers, s=slow):
                    f = sub_file if s else pairs_file
                    cmd = [py, str(ROOT / "bench" / "py_impls.py"), w.kernel, i, str(wk), str(f)]
                    if i == "mpi4py":
                        cmd = ["mpirun", "--oversubscribe", "--bind-to", "none", "-np", str(wk)] + cmd
                    r = run_json(cmd, env=env)
                    return r["seconds"], r["result"]
                impls.append((f"Python {impl}", workers, fn, scale if slow else 1, "sub" if slow else "full"))

        refs = {}
        rows = []
        for label, workers, fn, sc, ref in impls:
            times, result = [], None
            n = runs if sc == 1 else 1  # the scaled pure-Python rows take minutes: one run
            for _ in range(n):
                s, result = fn()
                times.append(s * sc)
            key = ref
            if ref == "sub" and "sub" not in refs:
                refs["sub"] = tuple(run_json([str(omp), w.kernel, str(sub_txt), "2"]).values())[1]
            if key not in refs:
                refs[key] = result
            if not same(w.kernel, result, refs[key]):
                sys.exit(f"{w.kernel}: {label} x{workers} computed {result}, expected {refs[key]}: no times reported")
            rows.append((label, workers, statistics.median(times), min(times), max(times), sc != 1))
            log(f"  {label:22s} x{workers}: {statistics.median(times):8.3f} s{' (scaled)' if sc != 1 else ''}")
        report.append((w, rows, refs["full"]))
    write(report, runs, time.time() - t_start, args.quick)


def write(report, runs, took, quick):
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    jv = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    pyv = subprocess.run([str(VENV / "bin" / "python"), "-c",
                          "import sys, numpy, dask, mpi4py; print(sys.version.split()[0], numpy.__version__, dask.__version__, mpi4py.__version__)"],
                         capture_output=True, text=True).stdout.split()
    gcc = subprocess.run(["gcc", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    lines = [BEGIN, "", "## Against the tutorial's tools and C (issue 9)", "",
             f"Command: `make bench` (= `python3 bench/run.py --runs {runs}`), run on "
             f"{time.strftime('%Y-%m-%d %H:%M')} in {took / 60:.0f} min{' (--quick: smoke inputs, not figures)' if quick else ''}. "
             f"Machine: {os.cpu_count()} vCPUs ({cpu}), {platform.system()} {platform.release()}; {jv}; Python {pyv[0]}, "
             f"numpy {pyv[1]}, dask {pyv[2]}, mpi4py {pyv[3]}; {gcc}.", "",
             "Each implementation times its own work: running the tasks and combining the results. Starting the JVM, "
             "the interpreter, a pool, the MPI world or the dask cluster is not counted, except for `ours processes`, "
             "whose time includes starting its worker JVMs (it has no long-lived pool); `ours mpi` is rank 0's time from "
             "MPI_Init to the reduced result (mpirun on localhost, ranks of one thread). Medians of "
             f"{runs} runs (one run for the rows marked *); every result was checked equal before timing was reported. "
             "\"speed vs C\" is C/OpenMP's time at the same worker count over this row's time (1.00 = as fast as C); "
             "\"vs ours\" the same against our thread executor. Rows marked * ran a prefix of the tasks (pure Python would "
             "take minutes) and were scaled to the whole list; their result was checked on that prefix.", ""]
    for w, rows, ref in report:
        c = {r[1]: r[2] for r in rows if r[0] == "C OpenMP"}
        o = {r[1]: r[2] for r in rows if r[0] == "ours threads"}
        lines += [f"### {w.kernel}: {w.what}", "", f"Result (all equal): `{ref}`", ""]
        if w.kernel == "noop":  # overhead per task, not speed
            lines += ["| implementation | workers | median s | min-max s | us per task | vs ours |", "|---|---|---|---|---|---|"]
            for label, workers, med, lo, hi, scaled in rows:
                lines.append(f"| {label} | {workers} | {med:.3f} | {lo:.3f}-{hi:.3f} | {med / len(w.pairs) * 1e6:.1f} | "
                             f"{o.get(workers, o[1]) / med:.2f} |")
            lines.append("")
            continue
        lines += ["| implementation | workers | median s | min-max s | speed vs C | vs ours |", "|---|---|---|---|---|---|"]
        for label, workers, med, lo, hi, scaled in rows:
            vc = c.get(workers, c[1]) / med
            vo = o.get(workers, o[1]) / med
            lines.append(f"| {label}{' *' if scaled else ''} | {workers} | {med:.3f} | {lo:.3f}-{hi:.3f} | {vc:.2f} | {vo:.2f} |")
        lines.append("")
    lines += [f"![time per implementation]({CHART.name})", "", END]
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    if BEGIN in text:
        text = text[:text.index(BEGIN)] + "\n".join(lines) + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + "\n\n" + "\n".join(lines) + "\n"
    DOC.write_text(text)
    chart(report)
    print("\n".join(lines))


def chart(report):
    subprocess.run([str(VENV / "bin" / "python"), "-c", """
import json, sys
import matplotlib; matplotlib.use("Agg")
import matplotlib.pyplot as plt
data = json.loads(sys.argv[1])
fig, axes = plt.subplots(1, len(data), figsize=(5 * len(data), 5))
for ax, (kernel, rows) in zip(axes, data):
    labels = [f"{l} x{w}" for l, w, _ in rows]
    ax.barh(labels, [t for _, _, t in rows], color=["#c44" if l.startswith("ours") else "#888" for l, _, _ in rows])
    ax.set_xscale("log"); ax.set_title(kernel); ax.set_xlabel("seconds (log)"); ax.invert_yaxis()
    ax.tick_params(axis="y", labelsize=7)
fig.tight_layout(); fig.savefig(sys.argv[2], dpi=90)
""", json.dumps([(w.kernel, [(r[0], r[1], r[2]) for r in rows]) for w, rows, _ in report]), str(CHART)], check=True)


if __name__ == "__main__":
    main()
