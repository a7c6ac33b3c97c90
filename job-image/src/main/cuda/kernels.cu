// CUDA kernels of the job image (executor: cuda). Same definitions as the CPU kernels
// (job-image/src/main/java/dev/parallel/job/kernels): the pi hit count is bit-identical, primes'
// count exact, matmul's sum equal within 1e-9 relative. Compiled to PTX at build time (hack/ptx.py, NVRTC) and loaded by
// the host with cuModuleLoadData; only the NVIDIA driver is needed on the node.
//
// Grid decomposition (CudaGrid.java mirrors it and a test proves every sample is covered once):
// thread g = blockIdx.x * blockDim.x + threadIdx.x of G = gridDim.x * blockDim.x threads takes samples
// i = from + g, from + g + G, ... below to (a grid-stride loop). primes_count: block b sieves segments
// b, b + gridDim.x, ... of PRIMES_SEGMENT numbers each (see there).

#define GOLDEN 0x9E3779B97F4A7C15ULL

__device__ __forceinline__ unsigned long long mix(unsigned long long z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

__device__ __forceinline__ unsigned long long value(unsigned long long state, unsigned long long k) {
    return mix(state + (k + 1ULL) * GOLDEN);
}

// Hits among samples [from, to) of the stream starting at state, added to *hits (one atomic per block).
extern "C" __global__ void pi_hits(unsigned long long state, long long from, long long to,
                                   unsigned long long *hits) {
    __shared__ unsigned long long block[256];
    const unsigned long long R2 = 1ULL << 62;
    long long g = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    long long stride = (long long) gridDim.x * blockDim.x;
    unsigned long long mine = 0;
    for (long long i = from + g; i < to; i += stride) {
        unsigned long long x = value(state, 2ULL * i) >> 33;
        unsigned long long y = value(state, 2ULL * i + 1ULL) >> 33;
        mine += (x * x + y * y < R2) ? 1ULL : 0ULL;
    }
    block[threadIdx.x] = mine;
    __syncthreads();
    for (unsigned int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) block[threadIdx.x] += block[threadIdx.x + s];
        __syncthreads();
    }
    if (threadIdx.x == 0) atomicAdd(hits, block[0]);
}

// Fills A (values 0..n*n-1) or B (n*n..2n*n-1, offset = n*n) of the task's stream as doubles in [0,1).
extern "C" __global__ void matmul_fill(unsigned long long state, long long offset, int nn, double *out) {
    for (long long k = (long long) blockIdx.x * blockDim.x + threadIdx.x; k < nn; k += (long long) gridDim.x * blockDim.x) {
        out[k] = (double) (value(state, offset + k) >> 11) / 9007199254740992.0; // exact: * 2^-53
    }
}

// C = A * B, n x n row-major, 16 x 16 tiles in shared memory.
#define TILE 16
extern "C" __global__ void matmul_tiled(const double *a, const double *b, double *c, int n) {
    __shared__ double ta[TILE][TILE];
    __shared__ double tb[TILE][TILE];
    int row = blockIdx.y * TILE + threadIdx.y;
    int col = blockIdx.x * TILE + threadIdx.x;
    double acc = 0.0;
    for (int t = 0; t < (n + TILE - 1) / TILE; t++) {
        int ka = t * TILE + threadIdx.x;
        int kb = t * TILE + threadIdx.y;
        ta[threadIdx.y][threadIdx.x] = (row < n && ka < n) ? a[(long long) row * n + ka] : 0.0;
        tb[threadIdx.y][threadIdx.x] = (kb < n && col < n) ? b[(long long) kb * n + col] : 0.0;
        __syncthreads();
        for (int k = 0; k < TILE; k++) acc += ta[threadIdx.y][k] * tb[k][threadIdx.x];
        __syncthreads();
    }
    if (row < n && col < n) c[(long long) row * n + col] = acc;
}

// Numbers per segment: one byte each in shared memory (32 KiB of the 48 KiB a block may have).
#define PRIMES_SEGMENT 32768

// Primes in [lo, to) (lo >= 2) added to *count (one atomic per block). base: the primes up to
// sqrt(to) + 1, ascending; the first nsmall of them are below PRIMES_SEGMENT / blockDim.x and have at
// least one multiple per thread in a segment, so the block's threads share each one's multiples; the
// others (few multiples each) are dealt one per thread. Crossing off is idempotent (every writer stores
// 1), so threads need no atomics within a phase; __syncthreads separates clear, cross off and count.
extern "C" __global__ void primes_count(long long lo, long long to, const int *base, int nbase, int nsmall,
                                        unsigned long long *count) {
    __shared__ unsigned char seg[PRIMES_SEGMENT];
    __shared__ unsigned long long block[256];
    long long segments = (to - lo + PRIMES_SEGMENT - 1) / PRIMES_SEGMENT;
    unsigned long long mine = 0;
    for (long long s = blockIdx.x; s < segments; s += gridDim.x) {
        long long segLo = lo + s * PRIMES_SEGMENT;
        long long segHi = segLo + PRIMES_SEGMENT < to ? segLo + PRIMES_SEGMENT : to;
        int len = (int) (segHi - segLo);
        for (int i = threadIdx.x; i < len; i += blockDim.x) seg[i] = 0;
        __syncthreads();
        for (int b = 0; b < nsmall; b++) {
            long long p = base[b];
            if (p * p >= segHi) break;
            long long start = ((segLo + p - 1) / p) * p;
            if (start < p * p) start = p * p;
            for (long long m = start - segLo + (long long) threadIdx.x * p; m < len; m += (long long) blockDim.x * p) seg[m] = 1;
        }
        for (int b = nsmall + threadIdx.x; b < nbase; b += blockDim.x) {
            long long p = base[b];
            if (p * p >= segHi) break; // ascending: so are this thread's later primes
            long long start = ((segLo + p - 1) / p) * p;
            if (start < p * p) start = p * p;
            for (long long m = start - segLo; m < len; m += p) seg[m] = 1;
        }
        __syncthreads();
        for (int i = threadIdx.x; i < len; i += blockDim.x) mine += seg[i] == 0 ? 1ULL : 0ULL;
        __syncthreads(); // the next segment's clear must wait for this count
    }
    block[threadIdx.x] = mine;
    __syncthreads();
    for (unsigned int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) block[threadIdx.x] += block[threadIdx.x + s];
        __syncthreads();
    }
    if (threadIdx.x == 0) atomicAdd(count, block[0]);
}
