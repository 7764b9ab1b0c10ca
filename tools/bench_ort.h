/* ONNX Runtime as a comparison runtime for lenet-onnx-bench: loaded with dlopen at run time (its
 * symbols are versioned, so the entry point is looked up, never linked), one CPU session per
 * batch fed the caller's input buffers. Built as a stub that always fails to open when CMake did
 * not find ONNX Runtime's headers (LO_BENCH_HAVE_ORT undefined). */
#ifndef LENET_ONNX_BENCH_ORT_H
#define LENET_ONNX_BENCH_ORT_H

#include <stddef.h>
#include <stdint.h>

typedef struct bench_ort bench_ort;
typedef struct bench_ort_session bench_ort_session;

/* Loads the library at lib_path (a path or a name for the loader) and creates an environment;
 * NULL with a one-line reason in msg when it cannot. */
bench_ort *bench_ort_open(const char *lib_path, char *msg, size_t msg_size);
void bench_ort_close(bench_ort *ort);
const char *bench_ort_version(const bench_ort *ort);
/* Intra-op threads every session uses: the number of online cores. */
int bench_ort_threads(const bench_ort *ort);

/* A session on the default CPU execution provider for model_path with the dynamic batch dim set
 * to batch. inputs[i] (in_bytes[i] bytes) back input i for every run; the sizes must match
 * what ONNX Runtime expects. NULL with a reason in msg on failure. */
bench_ort_session *bench_ort_session_create(bench_ort *ort, const char *model_path, uint32_t batch,
                                            void *const *inputs, const size_t *in_bytes,
                                            size_t n_inputs, char *msg, size_t msg_size);
/* One whole inference; 0 on success, else nonzero with the reason in msg. */
int bench_ort_session_run(bench_ort_session *s, char *msg, size_t msg_size);
/* One more inference, its outputs compared with `ours` (n float32 outputs of bytes[i] bytes,
 * in ONNX Runtime's output order, which is the model's): the largest absolute difference in
 * *max_abs and the largest magnitude of ONNX Runtime's values in *max_ref. 0 on success, else
 * nonzero with the reason (a count, size or type that differs) in msg. */
int bench_ort_session_compare(bench_ort_session *s, void *const *ours, const size_t *bytes,
                              size_t n, double *max_abs, double *max_ref, char *msg,
                              size_t msg_size);
void bench_ort_session_release(bench_ort_session *s);

/* A short description of the host CPU ("model name" of /proc/cpuinfo), for the device field. */
void bench_ort_cpu_name(char *buf, size_t size);

#endif
