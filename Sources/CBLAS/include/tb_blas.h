#ifndef TB_BLAS_H
#define TB_BLAS_H
/*
 * Trainboard's BLAS edge: the CBLAS calls the engine uses, resolved at run time.
 *
 * Why run time and not a link-time dependency: OpenBLAS picks its kernels ("core") in a constructor that runs when the
 * library is loaded, from the CPU it recognises. Debian's OpenBLAS 0.3.21 does not recognise recent AVX-512 CPUs and
 * falls back to SSE3 kernels (~4x slower). OPENBLAS_CORETYPE fixes that only if it is in the environment before the
 * library loads. So tb_blas_load() first inspects the CPU (cpuid), sets OPENBLAS_CORETYPE when the user has not, and
 * only then dlopen()s the library. A user-provided OPENBLAS_CORETYPE is always respected.
 *
 * Search order: $TRAINBOARD_BLAS (a path or soname), libopenblas.so.0, libblis.so.4, libcblas.so.3, libblas.so.3.
 *
 * Thread-safety: tb_blas_load() is idempotent and safe to call from any thread (pthread_once). The GEMM wrapper is as
 * thread-safe as the loaded library (OpenBLAS and BLIS: safe).
 */

#ifdef __cplusplus
extern "C" {
#endif

/* Values match the CBLAS enums. */
enum { TB_ROW_MAJOR = 101, TB_NO_TRANS = 111, TB_TRANS = 112 };

/* Loads the library once. Returns 0 on success, -1 if no CBLAS library could be loaded (see tb_blas_error()). */
int tb_blas_load(void);

/* Human-readable description of the loaded library, e.g. "OpenBLAS 0.3.21 (core SkylakeX, chosen by Trainboard)". */
const char *tb_blas_description(void);

/* Last load error, or "" when none. */
const char *tb_blas_error(void);

/* Number of threads the library will use (1 when unknown). */
int tb_blas_get_threads(void);

/* Sets the number of BLAS threads when the library supports it (OpenBLAS, BLIS); otherwise does nothing. */
void tb_blas_set_threads(int n);

/* C = alpha * op(A) * op(B) + beta * C, row-major (cblas_sgemm with CblasRowMajor). Loads the library on first use;
 * aborts with a message on stderr if no BLAS can be loaded (call tb_blas_load() first to handle that gracefully). */
void tb_sgemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
              int ldb, float beta, float *C, int ldc);

/* Next to the GEMMs, the one memory hint the engine uses: asks the CPU to start loading rows `rows[0..<count]` (each
 * `rowBytes` long, at base + row * rowBytes) into its caches without waiting for them (`__builtin_prefetch`), so that
 * the next batch's randomly ordered samples are in cache when they are gathered. Only a hint: no effect on results. */
void tb_prefetch_rows(const void *base, long rowBytes, const long *rows, long count);

/* dst[r * features + j] = (float)src[rows[r] * features + j] * scale for r < count, j < features: the gather of a
 * data set stored as bytes (IDX images) into a batch. The same IEEE products as the scalar loop; AVX2 where the CPU
 * has it (chosen at load time), SSE2 otherwise. */
void tb_gather_bytes(const unsigned char *src, long features, const long *rows, long count, float scale, float *dst);

#ifdef __cplusplus
}
#endif
#endif
