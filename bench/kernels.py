"""The built-in kernels as the tutorial would write them in Python: the exact definitions of
docs/contract.md (pi: SplitMix64 integer Monte Carlo; primes: segmented sieve; matmul: A*B filled
from the task's stream, result the sum of C), so every implementation can be checked against ours."""
M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def stream_state(seed, index):
    return (seed ^ (index * GOLDEN)) & M64


def mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def pi_hits(state, samples):
    """Plain loop: the k-th value is mix(state + (k+1)*GOLDEN); sample i uses values 2i and 2i+1."""
    hits = 0
    r2 = 1 << 62
    z = state
    for _ in range(samples):
        z = (z + GOLDEN) & M64
        x = mix(z) >> 33
        z = (z + GOLDEN) & M64
        y = mix(z) >> 33
        if x * x + y * y < r2:
            hits += 1
    return hits


def pi_hits_numpy(state, samples, chunk=1 << 22):
    import numpy as np
    hits = 0
    g = np.uint64(GOLDEN)
    with np.errstate(over="ignore"):
        for start in range(0, samples, chunk):
            n = min(chunk, samples - start)
            k = np.arange(2 * start + 1, 2 * (start + n) + 1, dtype=np.uint64)  # k+1 for values 2i, 2i+1
            z = np.uint64(state) + k * g
            z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            z = (z ^ (z >> np.uint64(31))) >> np.uint64(33)
            x, y = z[0::2], z[1::2]
            hits += int(np.count_nonzero(x * x + y * y < np.uint64(1 << 62)))
    return hits


SEGMENT = 1 << 16


def primes_count(lo, hi):
    """Segmented sieve of Eratosthenes, as PrimesKernel."""
    lo = max(lo, 2)
    if hi <= lo:
        return 0
    limit = int(hi ** 0.5) + 1
    sieve = bytearray([1]) * (limit + 1)
    base = []
    for i in range(2, limit + 1):
        if sieve[i]:
            base.append(i)
            sieve[i * i::i] = bytearray(len(range(i * i, limit + 1, i)))
    count = 0
    for seg_lo in range(lo, hi, SEGMENT):
        seg_hi = min(hi, seg_lo + SEGMENT)
        seg = bytearray([1]) * (seg_hi - seg_lo)
        for p in base:
            pp = p * p
            if pp >= seg_hi:
                break
            start = max(pp, (seg_lo + p - 1) // p * p)
            seg[start - seg_lo::p] = bytearray(len(range(start, seg_hi, p)))
        count += sum(seg)
    return count


def matmul_fill(state, n):
    nn = n * n
    a = [(mix((state + (k + 1) * GOLDEN) & M64) >> 11) * 2.0 ** -53 for k in range(nn)]
    b = [(mix((state + (nn + k + 1) * GOLDEN) & M64) >> 11) * 2.0 ** -53 for k in range(nn)]
    return a, b


def matmul_sum(state, n):
    """Plain Python triple loop (i-k-j), then the sum of C."""
    a, b = matmul_fill(state, n)
    total = 0.0
    for i in range(n):
        row = [0.0] * n
        for k in range(n):
            aik = a[i * n + k]
            bk = k * n
            for j in range(n):
                row[j] += aik * b[bk + j]
        total += sum(row)
    return total


def matmul_sum_numpy(state, n):
    """numpy as its users would: the fill vectorised (uint64 arithmetic wraps like the definition), A @ B by BLAS."""
    import numpy as np
    with np.errstate(over="ignore"):
        z = np.uint64(state) + np.arange(1, 2 * n * n + 1, dtype=np.uint64) * np.uint64(GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    v = (z >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    a, b = v[:n * n].reshape(n, n), v[n * n:].reshape(n, n)
    return float((a @ b).sum())
