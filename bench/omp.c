// The C reference: the same kernels (docs/contract.md definitions) with OpenMP, compiled
// gcc -O3 -march=native -fopenmp: the practical limit of this machine. Reads tasks, one per line
// ("state samples" for pi, "from to" for primes, "state n" for matmul, nothing for noop), runs the list
// REPEAT times (default 1) and prints {"seconds": [each run's], "result": ...}. Tasks are scheduled
// dynamically, like our thread executor.
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GOLDEN 0x9E3779B97F4A7C15ULL
#define SEGMENT (1 << 16)

static inline uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static inline uint64_t value(uint64_t state, uint64_t k) { return mix(state + (k + 1) * GOLDEN); }

static long long pi_hits(uint64_t state, long long samples) {
    long long hits = 0;
    const uint64_t r2 = 1ULL << 62;
    for (long long i = 0; i < samples; i++) {
        uint64_t x = value(state, 2 * (uint64_t) i) >> 33, y = value(state, 2 * (uint64_t) i + 1) >> 33;
        hits += x * x + y * y < r2;
    }
    return hits;
}

static long long primes(long long from, long long to) {
    long long lo = from < 2 ? 2 : from;
    if (to <= lo) return 0;
    int limit = (int) sqrt((double) to) + 1;
    char *c = calloc(limit + 1, 1);
    int *base = malloc(sizeof(int) * (limit + 1));
    int nb = 0;
    for (int i = 2; i <= limit; i++) {
        if (c[i]) continue;
        base[nb++] = i;
        for (long long m = (long long) i * i; m <= limit; m += i) c[m] = 1;
    }
    char *seg = malloc(SEGMENT);
    long long count = 0;
    for (long long s = lo; s < to; s += SEGMENT) {
        long long e = s + SEGMENT < to ? s + SEGMENT : to;
        int len = (int) (e - s);
        memset(seg, 0, len);
        for (int b = 0; b < nb; b++) {
            long long p = base[b], pp = p * p;
            if (pp >= e) break;
            long long start = ((s + p - 1) / p) * p;
            if (start < pp) start = pp;
            for (long long m = start; m < e; m += p) seg[m - s] = 1;
        }
        for (int i = 0; i < len; i++) count += !seg[i];
    }
    free(c); free(base); free(seg);
    return count;
}

static double matmul(uint64_t state, int n) {
    size_t nn = (size_t) n * n;
    double *a = malloc(nn * sizeof(double)), *b = malloc(nn * sizeof(double)), *c = calloc(nn, sizeof(double));
    for (size_t k = 0; k < nn; k++) a[k] = (double) (value(state, k) >> 11) * 0x1.0p-53;
    for (size_t k = 0; k < nn; k++) b[k] = (double) (value(state, nn + k) >> 11) * 0x1.0p-53;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < n; k++) {
            double aik = a[(size_t) i * n + k];
            for (int j = 0; j < n; j++) c[(size_t) i * n + j] += aik * b[(size_t) k * n + j];
        }
    double sum = 0;
    for (size_t k = 0; k < nn; k++) sum += c[k];
    free(a); free(b); free(c);
    return sum;
}

static void run(const char *kernel, unsigned long long (*t)[2], size_t n, double *seconds, char *result) {
    double t0 = omp_get_wtime();
    if (!strcmp(kernel, "matmul")) {
        double sum = 0;
        double *r = malloc(n * sizeof(double));
#pragma omp parallel for schedule(dynamic, 1)
        for (size_t i = 0; i < n; i++) r[i] = matmul(t[i][0], (int) t[i][1]);
        for (size_t i = 0; i < n; i++) sum += r[i];
        free(r);
        *seconds = omp_get_wtime() - t0;
        sprintf(result, "%.17g", sum);
        return;
    }
    long long total = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(+ : total)
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(kernel, "pi")) total += pi_hits(t[i][0], (long long) t[i][1]);
        else if (!strcmp(kernel, "primes")) total += primes((long long) t[i][0], (long long) t[i][1]);
        else total += 1; // noop
    }
    *seconds = omp_get_wtime() - t0;
    sprintf(result, "%lld", total);
}

int main(int argc, char **argv) {
    if (argc != 4 && argc != 5) { fprintf(stderr, "usage: omp KERNEL TASKS_FILE THREADS [REPEAT]\n"); return 2; }
    const char *kernel = argv[1];
    omp_set_num_threads(atoi(argv[3]));
    int repeat = argc == 5 ? atoi(argv[4]) : 1;
    FILE *f = fopen(argv[2], "r");
    if (!f) { perror(argv[2]); return 2; }
    size_t cap = 1024, n = 0;
    unsigned long long (*t)[2] = malloc(cap * sizeof *t);
    unsigned long long x, y;
    while (fscanf(f, "%llu %llu", &x, &y) == 2) {
        if (n == cap) t = realloc(t, (cap *= 2) * sizeof *t);
        t[n][0] = x; t[n][1] = y; n++;
    }
    fclose(f);
    char result[64];
    printf("{\"seconds\": [");
    for (int r = 0; r < repeat; r++) {
        double s;
        run(kernel, t, n, &s, result);
        printf("%s%.6f", r ? ", " : "", s);
    }
    printf("], \"result\": %s}\n", result);
    return 0;
}
