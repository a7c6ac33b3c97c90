"""The tutorial's Python tools, each running a task list and printing {"seconds", "result", "tasks"}.

usage: py_impls.py KERNEL IMPL WORKERS TASKS_JSON [REPEAT]
  KERNEL: pi | primes | matmul | noop;  IMPL: loop | processpool | threadpool | mp_pool | numpy | mpi4py | dask
The time covers running the tasks and combining their results; starting the pool, the MPI world or the
dask cluster is excluded for every implementation (as a long-running pool or cluster would be). With
REPEAT the task list runs that many times on the same pool; "seconds" lists each run's time.
"""
import json
import sys
import time

import kernels


def task_fn(kernel, impl):
    if kernel == "pi":
        return (lambda t: kernels.pi_hits_numpy(t[0], t[1])) if impl == "numpy" else pi_task
    if kernel == "primes":
        return primes_task
    if kernel == "matmul":
        return matmul_numpy_task if impl == "numpy" else matmul_task
    return noop_task


# Top-level functions: process pools pickle them by name.
def pi_task(t):
    return kernels.pi_hits(t[0], t[1])


def primes_task(t):
    return kernels.primes_count(t[0], t[1])


def matmul_task(t):
    return kernels.matmul_sum(t[0], t[1])


def matmul_numpy_task(t):
    return kernels.matmul_sum_numpy(t[0], t[1])


def noop_task(t):
    return 1


def combine(values):
    return sum(values)


def main():
    kernel, impl, workers, tasks_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    repeat = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    with open(tasks_file) as f:
        tasks = [tuple(t) for t in json.load(f)]
    fn = task_fn(kernel, impl)
    out = None
    times = []

    def timed(run):
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = run()
            times.append(time.perf_counter() - t0)
        return times, result

    if impl in ("loop", "numpy"):
        out = timed(lambda: combine(fn(t) for t in tasks))
    elif impl in ("processpool", "threadpool"):
        from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
        pool_type = ProcessPoolExecutor if impl == "processpool" else ThreadPoolExecutor
        with pool_type(max_workers=workers) as pool:
            list(pool.map(noop_task, range(workers)))  # workers started
            out = timed(lambda: combine(pool.map(fn, tasks)))
    elif impl == "mp_pool":
        import multiprocessing
        with multiprocessing.Pool(workers) as pool:
            pool.map(noop_task, range(workers))
            out = timed(lambda: combine(pool.imap_unordered(fn, tasks)))
    elif impl == "mpi4py":
        from mpi4py import MPI
        comm = MPI.COMM_WORLD
        rank, size = comm.Get_rank(), comm.Get_size()
        # distribute_tasks, as the tutorial: contiguous blocks, sizes differing by at most one.
        per, extra = divmod(len(tasks), size)
        start = rank * per + min(rank, extra)
        mine = tasks[start:start + per + (1 if rank < extra else 0)]

        def run():
            comm.Barrier()
            return comm.allreduce(combine(fn(t) for t in mine), op=MPI.SUM)
        out = timed(run)
        if rank != 0:
            return
    elif impl == "dask":
        import logging
        from dask.distributed import Client, LocalCluster
        logging.getLogger("distributed").setLevel(logging.ERROR)
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            client.submit(noop_task, 0).result()
            out = timed(lambda: combine(client.gather(client.map(fn, tasks, pure=False))))
    else:
        sys.exit(f"unknown implementation {impl}")
    print(json.dumps({"seconds": out[0], "result": out[1], "tasks": len(tasks)}))


if __name__ == "__main__":
    main()
