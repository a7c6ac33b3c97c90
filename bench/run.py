#!/usr/bin/env python3
"""ParallelJob's job image against the tutorial's tools and a C/OpenMP reference, in one run.

    python3 bench/run.py [--runs 5] [--warm-runs 8] [--quick]        (make bench)

Sets up what it needs in ~/.cache/parallel-job/bench (a venv with numpy, dask[distributed], mpi4py,
matplotlib; the C reference compiled with gcc -O3 -march=native -fopenmp), checks that every
implementation computes the same results (pi hits bit-identical, primes exact, matmul within 1e-9
relative) before it reports any time, measures each warm (steady state in one process) and cold (a
fresh process, as a pod), prints the issue's targets as ratios of this run, and writes the section
between the bench markers of docs/benchmarks.md plus docs/benchmarks-compare.png. Figures, not tests.
"""
import argparse
import hashlib
import json
import os
import platform
import re
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
    """One task list: as our manifest, as the pod contract's environment, and as (a, b) pairs for the
    others; `sub` is the sample of it that pure-Python rows run (their time is scaled by `scale`)."""

    def __init__(self, kernel, manifest_spec, contract, pairs, what, sub=None, scale=1.0, python=True):
        self.kernel, self.spec, self.contract, self.pairs, self.what = kernel, manifest_spec, contract, pairs, what
        self.sub, self.scale, self.python = sub, scale, python

    def manifest(self, path):
        path.write_text("apiVersion: parallel.dev/v1alpha1\nkind: ParallelJob\nmetadata: {name: bench-%s}\nspec:\n%s"
                        % (self.kernel, self.spec))


def pi_workload(tasks, samples, sub_samples):
    return Workload("pi", f"  kernel: pi\n  params: {{samples: {samples}, seed: 42}}\n  tasks: {{range: {{start: 0, end: {tasks}}}}}\n",
                    {"PJ_KERNEL": "pi", "PJ_PARAMS": json.dumps({"samples": samples, "seed": 42}),
                     "PJ_RANGE": json.dumps({"start": 0, "end": tasks, "step": 1, "param": "value"})},
                    [(kernels.stream_state(42, i), samples) for i in range(tasks)],
                    f"{tasks} tasks x {samples:,} samples (pi.yaml's seed)",
                    [(kernels.stream_state(42, i), sub_samples) for i in range(2)], tasks * samples / (2 * sub_samples))


def primes_workload(tasks, width, sub_width):
    ranges = [(k * width, (k + 1) * width) for k in range(tasks)]
    mid = tasks * width // 2
    return Workload("primes", "  kernel: primes\n  tasks:\n    items:\n" + "".join(f"    - {{from: {a}, to: {b}}}\n" for a, b in ranges),
                    {"PJ_KERNEL": "primes", "PJ_TASKS_LINES": "".join(json.dumps({"from": a, "to": b}) + "\n" for a, b in ranges)},
                    ranges, f"{tasks} tasks of {width:,} numbers over [0, {tasks * width:,})",
                    [(mid, mid + sub_width), (mid + sub_width, mid + 2 * sub_width)], tasks * width / (2 * sub_width))


def matmul_workload(tasks, n, python):
    return Workload(f"matmul{n}", f"  kernel: matmul\n  params: {{\"n\": {n}}}\n  tasks: {{range: {{start: 1, end: {tasks + 1}, param: seed}}}}\n",
                    {"PJ_KERNEL": "matmul", "PJ_PARAMS": json.dumps({"n": n}),
                     "PJ_RANGE": json.dumps({"start": 1, "end": tasks + 1, "step": 1, "param": "seed"})},
                    [(kernels.stream_state(i + 1, i), n) for i in range(tasks)], f"{tasks} tasks of {n} x {n} (fill, multiply, sum)",
                    [(kernels.stream_state(i + 1, i), n) for i in range(2)], tasks / 2, python)


def workloads(quick):
    """Sized so C/OpenMP takes about a second on one core: a cold JVM's start-up is then weighed
    against the ~1 s part the issue asks about, not against 0.03 s."""
    f = 16 if quick else 1
    noop = 100_000 // f
    return [
        pi_workload(32, 15_000_000 // f, 500_000 // f),
        primes_workload(16, 40_000_000 // f, 2_500_000 // f),
        matmul_workload(256 // f, 256, True),
        matmul_workload(32 // f, 512, False),  # pure Python would take minutes a task: C, ours, numpy only
        Workload("noop", f"  kernel: sleep\n  params: {{millis: 0}}\n  tasks: {{range: {{start: 0, end: {noop}}}}}\n",
                 {"PJ_KERNEL": "sleep", "PJ_PARAMS": json.dumps({"millis": 0}),
                  "PJ_RANGE": json.dumps({"start": 0, "end": noop, "step": 1, "param": "value"})},
                 [(0, 0)] * noop, f"{noop:,} no-op tasks (per-task overhead)", [(0, 0)] * (noop // 5), 5),
    ]


def run_json(cmd, env=None, timeout=1800):
    """Runs an implementation; returns (wall seconds of the whole process, its JSON line)."""
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed: {p.stderr[-2000:]}")
    return wall, json.loads(p.stdout.strip().splitlines()[-1])


class Ours:
    """Our job image as a pod runs it: the image's JVM flags (`parallel-job jvm-flags`, the one list the
    entrypoint carries) and a class archive of this jar, dumped once like hack/images.sh does."""

    def __init__(self, tmp):
        self.tmp = tmp
        flags = subprocess.run(["java", "-jar", str(JAR), "jvm-flags"], capture_output=True, text=True, check=True).stdout.split()
        digest = hashlib.sha256(JAR.read_bytes()).hexdigest()[:16]
        archive = CACHE / f"parallel-job-{digest}.jsa"
        if not archive.exists():
            for old in CACHE.glob("parallel-job-*.jsa"):
                old.unlink()
            log(f"dumping the class archive {archive.name} (as hack/images.sh does for the image)")
            env = self.contract_env({"PJ_KERNEL": "pi", "PJ_PARAMS": '{"samples": 3000000}',
                                     "PJ_RANGE": '{"start": 0, "end": 4, "step": 1, "param": "value"}'}, "threads", 1)
            subprocess.run(["java", f"-XX:ArchiveClassesAtExit={archive}", *flags, "-jar", str(JAR), "worker"],
                           env=env, capture_output=True, check=True)
        self.java = ["java", *flags, f"-XX:SharedArchiveFile={archive}"]
        self.kernel_path = None

    def contract_env(self, contract, executor, workers):
        env = dict(os.environ, PJ_PARTS="1", JOB_COMPLETION_INDEX="0", PJ_EXECUTOR=executor, PJ_THREADS=str(workers),
                   PJ_REDUCE="sum", PJ_RESULTS_FILE=str(self.tmp / "results.jsonl"), PJ_SUMMARY_FILE=str(self.tmp / "summary.json"))
        for k, v in contract.items():
            if k == "PJ_TASKS_LINES":
                (self.tmp / "tasks.jsonl").write_text(v)
                env["PJ_TASKS_FILE"] = str(self.tmp / "tasks.jsonl")
            else:
                env[k] = v
        return env

    @staticmethod
    def value(w, partial):
        if w.kernel == "pi":
            return partial["hits"]
        return partial

    def cold(self, w, executor, workers, trace=False):
        """A fresh JVM running the whole list as one part, as a pod does (`parallel-job worker`): wall time. With
        `trace`, the part's start-up timeline (-Dpj.trace=startup: ms since the JVM started) goes to self.timeline."""
        env = self.contract_env(w.contract, executor, workers)
        t0 = time.perf_counter()
        p = subprocess.run([*self.java, *(["-Dpj.trace=startup"] if trace else []), "-jar", str(JAR), "worker"],
                           capture_output=True, text=True, env=env, timeout=1800)
        wall = time.perf_counter() - t0
        if trace:
            marks = [re.match(r"startup\s+(\d+) ms  (.*) \(.*\)$", l) for l in p.stderr.splitlines()]
            self.timeline = [(int(m[1]), m[2]) for m in marks if m] + [(round(wall * 1000), "process exit (wall)")]
        if p.returncode != 0:
            raise RuntimeError(f"ours {executor} worker: {p.stdout[-1000:]} {p.stderr[-2000:]}")
        if self.kernel_path is None and "kernels: " in p.stdout:
            self.kernel_path = p.stdout.split("kernels: ", 1)[1].splitlines()[0]
        summary = json.loads((self.tmp / "summary.json").read_text())
        return wall, self.value(w, summary["partial"]) if w.kernel != "noop" else summary["ok"], summary["millis"] / 1000

    def warm(self, w, executor, workers, repeat):
        """One JVM running the list `repeat` times on the same executor (`run --repeat`): each run's time."""
        m = self.tmp / f"{w.kernel}.yaml"
        w.manifest(m)
        p = subprocess.run([*self.java, "-jar", str(JAR), "run", str(m), "--executor", executor, "--threads", str(workers),
                            "--repeat", str(repeat)], capture_output=True, text=True, timeout=3600)
        if p.returncode != 0:
            raise RuntimeError(f"ours {executor}: {p.stderr[-2000:]}")
        lines = p.stdout.splitlines()
        times = [float(l.rsplit(" in ", 1)[1].split()[0]) for l in lines if " tasks succeeded, " in l]
        ok = int(lines[0].split(": ", 1)[1].split("/")[0])
        result = next((json.loads(l[len("result: "):]) for l in lines if l.startswith("result: ")), None)
        return times, (result["hits"] if w.kernel == "pi" else result) if w.kernel != "noop" else ok

    def mpi(self, w, ranks):
        """mpirun on localhost with `ranks` ranks of one thread (the launcher's code): wall time of mpi-launch."""
        lib = CACHE / "mpi-lib"
        lib.mkdir(exist_ok=True)
        if not (lib / "libmpi_java.so").exists():
            (lib / "libmpi_java.so").symlink_to("/usr/lib/x86_64-linux-gnu/libmpi_java.so.40")
        env = self.contract_env(w.contract, "mpi", 1)
        env.update(PJ_MPI_HOSTS="localhost", PJ_MPI_SLOTS=str(ranks), PJ_MPI_MODE="static", PJ_MPI_WAIT_SECONDS="0",
                   PJ_MPI_JAVA_LIBRARY_PATH=str(lib), OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
        t0 = time.perf_counter()
        p = subprocess.run([*self.java, "-jar", str(JAR), "mpi-launch"], capture_output=True, text=True, env=env, timeout=1800)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            raise RuntimeError(f"ours mpi: {p.stdout[-1000:]} {p.stderr[-2000:]}")
        summary = json.loads((self.tmp / "summary.json").read_text())
        return wall, self.value(w, summary["partial"]) if w.kernel != "noop" else summary["ok"], summary["millis"] / 1000


def same(kernel, a, b):
    if kernel.startswith("matmul"):
        return abs(a - b) <= 1e-9 * abs(b)  # docs/contract.md's tolerance (BLAS sums in another order)
    return a == b


class Row:
    def __init__(self, label, workers, warm, cold, scaled=False):
        self.label, self.workers, self.warm, self.cold, self.scaled = label, workers, warm, cold, scaled


def measure(w, ours, omp, py, env, tmp, runs, repeat):
    """Every implementation on one workload: warm = best of `repeat` - 1 runs after the first in one process; cold = best
    of `runs` fresh processes, wall clock (pure-Python rows: one of each, on the sample, scaled)."""
    full, sub = tmp / f"{w.kernel}.json", tmp / f"{w.kernel}-sub.json"
    full.write_text(json.dumps(w.pairs))
    sub.write_text(json.dumps(w.sub or w.pairs))
    txt, sub_txt = tmp / f"{w.kernel}.txt", tmp / f"{w.kernel}-sub.txt"
    txt.write_text("".join(f"{a} {b}\n" for a, b in w.pairs))
    sub_txt.write_text("".join(f"{a} {b}\n" for a, b in (w.sub or w.pairs)))
    ckernel = "matmul" if w.kernel.startswith("matmul") else w.kernel
    refs = {"full": None, "sub": None}
    rows = []

    def check(label, workers, result, key):
        if refs[key] is None:  # the first row is C's own
            refs[key] = result if key == "full" else run_json([str(omp), ckernel, str(sub_txt), "2"])[1]["result"]
        if not same(w.kernel, result, refs[key]):
            sys.exit(f"{w.kernel}: {label} x{workers} computed {result}, expected {refs[key]}: no times reported")

    def add(label, workers, warm_fn, cold_fn, n_cold, scale=1.0, key="full"):
        warm = None
        if warm_fn is not None:
            times, result = warm_fn()
            check(label, workers, result, key)
            warm = min(times[1:]) * scale
        colds = []
        for _ in range(n_cold):
            s, result, inside = cold_fn()
            check(label, workers, result, key)
            # A sample scales its work, not the start-up around it.
            colds.append(s + (inside * (scale - 1) if scale != 1 else 0))
        row = Row(label, workers, warm, min(colds) if colds else None, scale != 1)
        rows.append(row)
        log(f"  {label:22s} x{workers}: warm {fmt(row.warm)} s, cold {fmt(row.cold)} s{' (scaled)' if row.scaled else ''}")

    for wk in (1, 2):
        def c_warm(wk=wk):
            _, r = run_json([str(omp), ckernel, str(txt), str(wk), str(repeat)])
            return r["seconds"], r["result"]

        def c_cold(wk=wk):
            wall, r = run_json([str(omp), ckernel, str(txt), str(wk)])
            return wall, r["result"], r["seconds"][0]
        add("C OpenMP", wk, c_warm, c_cold, runs)
    for ex, ws in (("sequential", (1,)), ("threads", (1, 2)), ("processes", (1, 2))):
        for wk in ws:
            add(f"ours {ex}", wk, lambda e=ex, k=wk: ours.warm(w, e, k, repeat), lambda e=ex, k=wk: ours.cold(w, e, k), runs)
    timelines = {}
    for wk in (1, 2):  # where a cold run's time goes: one more run, traced
        ours.cold(w, "threads", wk, trace=True)
        timelines[wk] = ours.timeline
    for ranks in (1, 2) if w.kernel != "noop" else ():  # 100,000 tiny messages: not what MPI is for
        # A rank runs its block once per mpirun: no warm figure (its kernel is the threads executor's).
        add("ours mpi", ranks, None, lambda r=ranks: ours.mpi(w, r), runs)
    impls = [("loop", (1,)), ("threadpool", (1, 2)), ("processpool", (1, 2)), ("mp_pool", (1, 2)), ("mpi4py", (1, 2)),
             ("dask", (1, 2))] if w.python else []
    if w.kernel == "pi" or w.kernel.startswith("matmul"):
        impls.insert(0, ("numpy", (1,)))
    if w.kernel == "noop":
        impls = [("processpool", (2,)), ("dask", (2,))]
    for impl, ws in impls:
        # numpy's matmul is the BLAS comparison: the whole list; its pi takes 25 s for 480M samples: a sample.
        sampled = w.sub is not None and not (impl == "numpy" and w.kernel.startswith("matmul"))
        for wk in ws:
            def cmd(rep, i=impl, k=wk, s=sampled):
                c = [py, str(ROOT / "bench" / "py_impls.py"), w.kernel.rstrip("0123456789") if w.kernel.startswith("matmul") else w.kernel,
                     i, str(k), str(sub if s else full), str(rep)]
                return ["mpirun", "--oversubscribe", "--bind-to", "none", "-np", str(k)] + c if i == "mpi4py" else c

            def p_warm(c=cmd, s=sampled):
                _, r = run_json(c(2 if s else repeat), env=env)
                return r["seconds"], r["result"]

            def p_cold(c=cmd):
                wall, r = run_json(c(1), env=env)
                return wall, r["result"], r["seconds"][0]
            add(f"Python {impl}", wk, p_warm, p_cold, 1 if sampled else runs, w.scale if sampled else 1.0, "sub" if sampled else "full")
    return rows, refs["full"], timelines


def fmt(v):
    return "-" if v is None else f"{v:.3f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warm-runs", type=int, default=8, help="timed warm runs after the first (best counts): this VM's "
                    "neighbours slow single runs by up to 2x, both ways, so a best of 3 is not yet steady state")
    ap.add_argument("--quick", action="store_true", help="smaller inputs, 1 run: a smoke test of the script")
    ap.add_argument("--only", help="comma-separated workloads (pi, primes, matmul256, matmul512, noop): a partial report")
    args = ap.parse_args()
    runs = 1 if args.quick else args.runs
    repeat = (1 if args.quick else max(runs, args.warm_runs)) + 1
    omp = setup()
    global py
    py = str(VENV / "bin" / "python")
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", PYTHONPATH=str(ROOT / "bench"))
    tmp = Path(tempfile.mkdtemp(prefix="pj-bench-"))
    ours = Ours(tmp)
    report = []
    t_start = time.time()
    for w in [w for w in workloads(args.quick) if not args.only or w.kernel in args.only.split(",")]:
        log(f"{w.kernel}: {w.what}")
        rows, ref, timelines = measure(w, ours, omp, py, env, tmp, runs, repeat)
        report.append((w, rows, ref, timelines))
    write(report, runs, repeat, time.time() - t_start, args.quick, ours.kernel_path)


SIMD = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512_vnni", "asimd", "sve")


def cpu():
    info = open("/proc/cpuinfo").read().splitlines()
    model = next((l.split(":", 1)[1].strip() for l in info if l.startswith("model name")), platform.machine())
    flags = next((l.split(":", 1)[1].split() for l in info if l.startswith(("flags", "Features"))), [])
    return model, [f for f in SIMD if f in flags]


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def targets(report):
    """The issue's targets, each a ratio of this run's figures."""
    rows = []
    get = lambda rs, label, wk, col: next((getattr(r, col) for r in rs if r.label == label and r.workers == wk), None)
    for w, rs, _, _ in report:
        if w.kernel == "noop":
            continue
        for wk in (1, 2):
            rows.append((f"{w.kernel}, warm, {wk} thread{'s' if wk > 1 else ''}: ours threads vs C/OpenMP", ">= 1.00x",
                         ratio(get(rs, "C OpenMP", wk, "warm"), get(rs, "ours threads", wk, "warm")), 1.0))
        for wk in (1, 2):
            rows.append((f"{w.kernel}, cold, {wk} thread{'s' if wk > 1 else ''}: ours (fresh JVM, as a pod) vs C", ">= 0.80x",
                         ratio(get(rs, "C OpenMP", wk, "cold"), get(rs, "ours threads", wk, "cold")), 0.8))
        if w.kernel.startswith("matmul"):
            rows.append((f"{w.kernel}, warm: ours threads x1 vs numpy (BLAS, 1 thread)", ">= 1.00x",
                         ratio(get(rs, "Python numpy", 1, "warm"), get(rs, "ours threads", 1, "warm")), 1.0))
        rows.append((f"{w.kernel}, warm: ours 2 threads vs 1 (C's own: "
                     f"{fmt2(ratio(get(rs, 'C OpenMP', 1, 'warm'), get(rs, 'C OpenMP', 2, 'warm')))})", ">= 1.90x",
                     ratio(get(rs, "ours threads", 1, "warm"), get(rs, "ours threads", 2, "warm")), 1.9))
    return rows


def fmt2(v):
    return "-" if v is None else f"{v:.2f}x"


def write(report, runs, repeat, took, quick, kernel_path):
    model, simd = cpu()
    jv = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    pyv = subprocess.run([str(VENV / "bin" / "python"), "-c",
                          "import sys, numpy, dask, mpi4py; print(sys.version.split()[0], numpy.__version__, dask.__version__, mpi4py.__version__)"],
                         capture_output=True, text=True).stdout.split()
    gcc = subprocess.run(["gcc", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    lines = [BEGIN, "", "## Against the tutorial's tools and C (issues 9, 19)", "",
             f"Command: `make bench` (= `python3 bench/run.py --runs {runs} --warm-runs {repeat - 1}`), run on "
             f"{time.strftime('%Y-%m-%d %H:%M')} in {took / 60:.0f} min{' (--quick: smoke inputs, not figures)' if quick else ''}. "
             f"Machine: {os.cpu_count()} vCPUs, {model}, SIMD: {' '.join(simd) or 'none seen'}; {platform.system()} {platform.release()}; "
             f"{jv}; our kernels: {kernel_path}; Python {pyv[0]}, numpy {pyv[1]}, dask {pyv[2]}, mpi4py {pyv[3]}; {gcc}, "
             "`-O3 -march=native -fopenmp`.", "",
             "**warm**: steady state in one process: the task list run "
             f"{repeat} times on the same pool, threads or JVM, the best run after the first. **cold**: a fresh process "
             "running the list once, wall clock from start to exit, as a pod does: for ours `parallel-job worker` with the "
             "pod contract's environment and the image's JVM flags and class archive; `ours mpi` is `mpi-launch` (mpirun, "
             "the rank JVMs, MPI_Init); the Python rows include the interpreter, imports and starting their pool or cluster. "
             f"Best of {runs} cold runs. Every result was checked against C's before any time counts (pi and primes equal, "
             "matmul within 1e-9 relative). Rows marked * ran a sample of the list (2 tasks, or narrower ranges in the "
             "middle of primes' span) and were scaled up by the work they skipped; they ran once each way. \"vs C\" is "
             "C/OpenMP's time at the same worker count over the row's (1.00 = as fast as C), \"vs ours\" the same against "
             "our thread executor.", ""]
    for w, rows, ref, timelines in report:
        c = {r.workers: r for r in rows if r.label == "C OpenMP"}
        o = {r.workers: r for r in rows if r.label == "ours threads"}
        lines += [f"### {w.kernel}: {w.what}", "", f"Result (all equal): `{ref}`", ""]
        per_task = w.kernel == "noop"
        lines += ["| implementation | workers | warm s | cold s | " + ("warm us/task | cold us/task |" if per_task else
                  "warm vs C | cold vs C |") + " warm vs ours | cold vs ours |", "|---|---|---|---|---|---|---|---|"]
        for r in rows:
            cw, ow = c.get(r.workers, c[1]), o.get(r.workers, o[1])
            if per_task:
                mid = f"{fmt1(r.warm, len(w.pairs))} | {fmt1(r.cold, len(w.pairs))}"
            else:
                mid = f"{fmt2(ratio(cw.warm, r.warm))} | {fmt2(ratio(cw.cold, r.cold))}"
            lines.append(f"| {r.label}{' *' if r.scaled else ''} | {r.workers} | {fmt(r.warm)} | {fmt(r.cold)} | {mid} | "
                         f"{fmt2(ratio(ow.warm, r.warm))} | {fmt2(ratio(ow.cold, r.cold))} |")
        lines.append("")
        for wk, tl in timelines.items():
            lines.append(f"Cold start of ours threads x{wk}, one more run traced (`-Dpj.trace=startup`, seconds since the JVM "
                         "started): " + ", ".join(f"{what} {ms / 1000:.2f}" for ms, what in tl) + ".")
            lines.append("")
    lines += ["### Targets (issue 19), from this run", "", "| target | wanted | measured | verdict |", "|---|---|---|---|"]
    for what, want, got, bound in targets(report):
        verdict = "-" if got is None else ("met" if got >= bound else f"**missed by {(bound - got) / bound:.0%}**")
        lines.append(f"| {what} | {want} | {fmt2(got)} | {verdict} |")
    lines += ["", f"![time per implementation]({CHART.name})", "", END]
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    if BEGIN in text:
        text = text[:text.index(BEGIN)] + "\n".join(lines) + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + "\n\n" + "\n".join(lines) + "\n"
    DOC.write_text(text)
    chart(report)
    print("\n".join(lines))


def fmt1(v, n):
    return "-" if v is None else f"{v / n * 1e6:.1f}"


def chart(report):
    subprocess.run([str(VENV / "bin" / "python"), "-c", """
import json, sys
import matplotlib; matplotlib.use("Agg")
import matplotlib.pyplot as plt
data = json.loads(sys.argv[1])
fig, axes = plt.subplots(1, len(data), figsize=(5 * len(data), 5), squeeze=False)
for ax, (kernel, rows) in zip(axes[0], data):
    labels = [f"{l} x{w}" for l, w, _ in rows]
    ax.barh(labels, [t for _, _, t in rows], color=["#c44" if l.startswith("ours") else "#888" for l, _, _ in rows])
    ax.set_xscale("log"); ax.set_title(kernel + " (warm)"); ax.set_xlabel("seconds (log)"); ax.invert_yaxis()
    ax.tick_params(axis="y", labelsize=7)
fig.tight_layout(); fig.savefig(sys.argv[2], dpi=90)
""", json.dumps([(w.kernel, [(r.label, r.workers, r.warm) for r in rows if r.warm]) for w, rows, _, _ in report]), str(CHART)],
                   check=True)


if __name__ == "__main__":
    main()
