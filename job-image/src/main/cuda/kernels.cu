// CUDA kernels of the job image (executor: cuda). Same definitions as the CPU kernels
// (job-image/src/main/java/dev/parallel/job/kernels): the pi hit count is bit-identical, matmul's
// sum equal within 1e-9 relative. Compiled to PTX at build time (hack/ptx.py, NVRTC) and loaded by
// the host with cuModuleLoadData; only the NVIDIA driver is needed on the node.
//
// Grid decomposition (CudaGrid.java mirrors it and a test proves every sample is covered once):
// thread g = blockIdx.x * blockDim.x + threadIdx.x of G = gridDim.x * blockDim.x threads takes samples
// i = from + g, from + g + G, ... below to (a grid-stride loop).

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
