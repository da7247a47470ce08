// libhdf5 (Debian's libhdf5-dev, serial build: /usr/include/hdf5/serial, libhdf5_serial.so).
// The library's type and property-list identifiers are macros that call H5open() and read a global; Swift cannot
// import them, so small inline functions return them. Error handling: `tb_h5_quiet()` turns off the library's
// automatic printing of its error stack (per thread), and `tb_h5_last_error()` copies the innermost message of the
// current thread's error stack, so that every failure becomes a Swift error with the library's reason.
#include <hdf5/serial/hdf5.h>
#include <stdio.h>
#include <string.h>

static inline hid_t tb_h5_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t tb_h5_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t tb_h5_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t tb_h5_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t tb_h5_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t tb_h5_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t tb_h5_std_i32le(void) { return H5T_STD_I32LE; }
static inline hid_t tb_h5_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t tb_h5_c_s1(void) { return H5T_C_S1; }
static inline hid_t tb_h5_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t tb_h5_default(void) { return H5P_DEFAULT; }
static inline hid_t tb_h5_all(void) { return H5S_ALL; }
static inline unsigned tb_h5_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned tb_h5_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline size_t tb_h5_variable(void) { return H5T_VARIABLE; }

static inline void tb_h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
static inline void tb_h5_clear(void) { H5Eclear2(H5E_DEFAULT); }

typedef struct { char top[256]; char deepest[256]; } tb_h5_error_sink;

static inline herr_t tb_h5_walk(unsigned n, const H5E_error2_t *e, void *data) {
    tb_h5_error_sink *sink = (tb_h5_error_sink *)data;
    if (!e || !e->desc) return 0;
    // Walking downward: entry 0 is what the API call failed to do, the last one the most specific reason.
    if (n == 0) { strncpy(sink->top, e->desc, sizeof sink->top - 1); sink->top[sizeof sink->top - 1] = 0; }
    strncpy(sink->deepest, e->desc, sizeof sink->deepest - 1);
    sink->deepest[sizeof sink->deepest - 1] = 0;
    return 0;
}

/// Copies the calling thread's error stack as "what failed (deepest reason)" into `buffer` (NUL-terminated, at most
/// `size` bytes) and clears the stack.
static inline void tb_h5_last_error(char *buffer, size_t size) {
    tb_h5_error_sink sink;
    sink.top[0] = 0; sink.deepest[0] = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, tb_h5_walk, &sink);
    H5Eclear2(H5E_DEFAULT);
    if (size == 0) return;
    if (sink.deepest[0] && strcmp(sink.top, sink.deepest) != 0)
        snprintf(buffer, size, "%s (%s)", sink.top, sink.deepest);
    else
        snprintf(buffer, size, "%s", sink.top);
}
