#define _GNU_SOURCE
#include "tb_blas.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *,
                         int);
typedef void (*set_threads_fn)(int);
typedef int (*get_threads_fn)(void);
typedef char *(*corename_fn)(void);
typedef char *(*config_fn)(void);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static sgemm_fn p_sgemm = NULL;
static set_threads_fn p_set_threads = NULL;
static get_threads_fn p_get_threads = NULL;
static int load_status = -1;
static char description[512] = "";
static char error_text[1024] = "";

/* The OpenBLAS core that fits this CPU, or NULL to let OpenBLAS decide. */
static const char *core_for_cpu(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return "Haswell";
#endif
    return NULL;
}

static void do_load(void) {
    const char *chosen_core = NULL;
    int user_core = getenv("OPENBLAS_CORETYPE") != NULL;
    if (!user_core) {
        chosen_core = core_for_cpu();
        if (chosen_core) setenv("OPENBLAS_CORETYPE", chosen_core, 0);
    }
    /* OpenBLAS's worker threads spin (sched_yield) for 2^THREAD_TIMEOUT cycles after each job, and after they start,
     * before sleeping: 2^28 by default, about 0.1 s, during which a spinning worker takes the core that data-parallel
     * training, which runs BLAS on one thread, uses for its second half (the dashboard's runs lost 4-7 %). 2^20 cycles
     * (about 0.4 ms) still spans the gap between the GEMMs of one step. A user's own value is respected. */
    setenv("OPENBLAS_THREAD_TIMEOUT", "20", 0);
    const char *candidates[6];
    int n = 0;
    const char *override = getenv("TRAINBOARD_BLAS");
    if (override && *override) candidates[n++] = override;
    candidates[n++] = "libopenblas.so.0";
    candidates[n++] = "libblis.so.4";
    candidates[n++] = "libcblas.so.3";
    candidates[n++] = "libblas.so.3";
    error_text[0] = 0;
    for (int i = 0; i < n; i++) {
        void *h = dlopen(candidates[i], RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            const char *e = dlerror();
            size_t used = strlen(error_text);
            snprintf(error_text + used, sizeof error_text - used, "%s%s", used ? "; " : "", e ? e : candidates[i]);
            continue;
        }
        sgemm_fn f = (sgemm_fn)dlsym(h, "cblas_sgemm");
        if (!f) { dlclose(h); continue; }
        p_sgemm = f;
        p_set_threads = (set_threads_fn)dlsym(h, "openblas_set_num_threads");
        p_get_threads = (get_threads_fn)dlsym(h, "openblas_get_num_threads");
        corename_fn corename = (corename_fn)dlsym(h, "openblas_get_corename");
        config_fn config = (config_fn)dlsym(h, "openblas_get_config");
        if (corename) {
            const char *core = corename();
            const char *how = user_core ? "from OPENBLAS_CORETYPE" : (chosen_core ? "chosen by Trainboard from cpuid" : "chosen by OpenBLAS");
            snprintf(description, sizeof description, "%s (core %s, %s) [%s]", config ? config() : "OpenBLAS",
                     core ? core : "?", how, candidates[i]);
        } else {
            if (!p_set_threads) p_set_threads = (set_threads_fn)dlsym(h, "bli_thread_set_num_threads");
            snprintf(description, sizeof description, "CBLAS from %s", candidates[i]);
        }
        load_status = 0;
        error_text[0] = 0;
        return;
    }
    load_status = -1;
}

int tb_blas_load(void) {
    pthread_once(&once, do_load);
    return load_status;
}

const char *tb_blas_description(void) {
    tb_blas_load();
    return description;
}

const char *tb_blas_error(void) {
    tb_blas_load();
    return error_text;
}

int tb_blas_get_threads(void) {
    if (tb_blas_load() != 0 || !p_get_threads) return 1;
    return p_get_threads();
}

void tb_blas_set_threads(int n) {
    if (tb_blas_load() == 0 && p_set_threads && n > 0) p_set_threads(n);
}

void tb_sgemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
              int ldb, float beta, float *C, int ldc) {
    if (__builtin_expect(p_sgemm == NULL, 0)) {
        if (tb_blas_load() != 0) {
            fprintf(stderr, "trainboard: no BLAS library could be loaded (%s). Install libopenblas0 (apt-get install "
                            "libopenblas0) or set TRAINBOARD_BLAS to a CBLAS library.\n", error_text);
            abort();
        }
    }
    p_sgemm(TB_ROW_MAJOR, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void tb_prefetch_rows(const void *base, long rowBytes, const long *rows, long count) {
    const char *b = (const char *)base;
    for (long r = 0; r < count; r++) {
        const char *p = b + rows[r] * rowBytes;
        for (long off = 0; off < rowBytes; off += 64) __builtin_prefetch(p + off, 0, 3);
        __builtin_prefetch(p + rowBytes - 1, 0, 3);
    }
}

/* The loop, compiled twice: for AVX2 and for the baseline. Dispatched by hand rather than with target_clones, whose
 * ifunc resolver runs during relocation, before ThreadSanitizer's runtime is up (the instrumented test binary then
 * crashed at start-up). */
#define TB_GATHER_BODY                                                                                             \
    for (long r = 0; r < count; r++) {                                                                             \
        const unsigned char *s = src + rows[r] * features;                                                         \
        float *d = dst + r * features;                                                                             \
        for (long j = 0; j < features; j++) d[j] = (float)s[j] * scale;                                            \
    }

static void gather_bytes_default(const unsigned char *src, long features, const long *rows, long count, float scale,
                                 float *dst) {
    TB_GATHER_BODY
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) static void gather_bytes_avx2(const unsigned char *src, long features,
                                                               const long *rows, long count, float scale, float *dst) {
    TB_GATHER_BODY
}
#endif

void tb_gather_bytes(const unsigned char *src, long features, const long *rows, long count, float scale, float *dst) {
#if defined(__x86_64__)
    /* -1: not checked yet; checking twice at once is harmless (both store the same value). */
    static int has_avx2 = -1;
    int h = __atomic_load_n(&has_avx2, __ATOMIC_RELAXED);
    if (h < 0) {
        __builtin_cpu_init();
        h = __builtin_cpu_supports("avx2") ? 1 : 0;
        __atomic_store_n(&has_avx2, h, __ATOMIC_RELAXED);
    }
    if (h) { gather_bytes_avx2(src, features, rows, count, scale, dst); return; }
#endif
    gather_bytes_default(src, features, rows, count, scale, dst);
}
