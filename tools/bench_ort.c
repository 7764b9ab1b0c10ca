/* ONNX Runtime comparison sessions for lenet-onnx-bench (see bench_ort.h). */
#include "bench_ort.h"

#include <stdio.h>
#include <string.h>

void bench_ort_cpu_name(char *buf, size_t size)
{
    char line[256];
    FILE *f = fopen("/proc/cpuinfo", "r");
    snprintf(buf, size, "cpu");
    while (f && fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) != 0 || !colon) continue;
        colon += 1 + (colon[1] == ' ');
        colon[strcspn(colon, "\n")] = '\0';
        snprintf(buf, size, "%s", colon);
        break;
    }
    if (f) fclose(f);
}

#ifndef LO_BENCH_HAVE_ORT

bench_ort *bench_ort_open(const char *lib_path, char *msg, size_t msg_size)
{
    (void)lib_path;
    snprintf(msg, msg_size,
             "this build has no ONNX Runtime support (its headers were not found "
             "at configure time; run scripts/setup.sh)");
    return NULL;
}
void bench_ort_close(bench_ort *ort)
{
    (void)ort;
}
const char *bench_ort_version(const bench_ort *ort)
{
    (void)ort;
    return "";
}
int bench_ort_threads(const bench_ort *ort)
{
    (void)ort;
    return 0;
}
bench_ort_session *bench_ort_session_create(bench_ort *ort, const char *model_path, uint32_t batch,
                                            void *const *inputs, const size_t *in_bytes,
                                            size_t n_inputs, char *msg, size_t msg_size)
{
    (void)ort, (void)model_path, (void)batch, (void)inputs, (void)in_bytes, (void)n_inputs;
    snprintf(msg, msg_size, "no ONNX Runtime support in this build");
    return NULL;
}
int bench_ort_session_run(bench_ort_session *s, char *msg, size_t msg_size)
{
    (void)s;
    snprintf(msg, msg_size, "no ONNX Runtime support in this build");
    return 1;
}
int bench_ort_session_compare(bench_ort_session *s, void *const *ours, const size_t *bytes,
                              size_t n, double *max_abs, double *max_ref, char *msg,
                              size_t msg_size)
{
    (void)s, (void)ours, (void)bytes, (void)n, (void)max_abs, (void)max_ref;
    snprintf(msg, msg_size, "no ONNX Runtime support in this build");
    return 1;
}
void bench_ort_session_release(bench_ort_session *s)
{
    (void)s;
}

#else

#include <dlfcn.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include <onnxruntime_c_api.h>

struct bench_ort {
    void *lib;
    const OrtApi *api;
    const char *version;
    OrtEnv *env;
    int threads;
};

struct bench_ort_session {
    const OrtApi *api;
    OrtSession *session;
    OrtValue **in;
    OrtValue **out;
    char **in_names;
    char **out_names;
    size_t n_in, n_out;
};

/* Consumes status; true when it was success, else its message goes to msg. */
static int ort_ok(const OrtApi *api, OrtStatus *status, const char *what, char *msg, size_t size)
{
    if (!status) return 1;
    snprintf(msg, size, "ONNX Runtime %s: %s", what, api->GetErrorMessage(status));
    api->ReleaseStatus(status);
    return 0;
}

bench_ort *bench_ort_open(const char *lib_path, char *msg, size_t msg_size)
{
    bench_ort *ort = calloc(1, sizeof *ort);
    if (!ort) {
        snprintf(msg, msg_size, "out of host memory");
        return NULL;
    }
    ort->lib = dlopen(lib_path, RTLD_NOW | RTLD_LOCAL);
    if (!ort->lib) {
        snprintf(msg, msg_size, "%s", dlerror());
        goto fail;
    }
    const OrtApiBase *(*get_base)(void) = NULL;
    *(void **)&get_base = dlsym(ort->lib, "OrtGetApiBase");
    const OrtApiBase *base = get_base ? get_base() : NULL;
    ort->api = base ? base->GetApi(ORT_API_VERSION) : NULL;
    if (!ort->api) {
        snprintf(msg, msg_size, "%s has no OrtGetApiBase or no C API version %d", lib_path,
                 ORT_API_VERSION);
        goto fail;
    }
    ort->version = base->GetVersionString();
    if (!ort_ok(ort->api,
                ort->api->CreateEnv(ORT_LOGGING_LEVEL_WARNING, "lenet-onnx-bench", &ort->env),
                "CreateEnv", msg, msg_size))
        goto fail;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    ort->threads = cores > 0 && cores < 4096 ? (int)cores : 1;
    return ort;
fail:
    bench_ort_close(ort);
    return NULL;
}

void bench_ort_close(bench_ort *ort)
{
    if (!ort) return;
    if (ort->env) ort->api->ReleaseEnv(ort->env);
    /* not dlclose'd: ONNX Runtime's thread pools and static state outlive the environment */
    free(ort);
}

const char *bench_ort_version(const bench_ort *ort)
{
    return ort->version;
}

int bench_ort_threads(const bench_ort *ort)
{
    return ort->threads;
}

static size_t element_size(ONNXTensorElementDataType t)
{
    switch (t) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL:
        return 1;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16:
        return 2;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32:
        return 4;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64:
        return 8;
    default:
        return 0;
    }
}

/* Copies the session's input or output names, which ONNX Runtime hands out allocated. */
static int copy_names(const OrtApi *api, OrtSession *session, int outputs, size_t n, char **names,
                      char *msg, size_t msg_size)
{
    OrtAllocator *alloc = NULL;
    if (!ort_ok(api, api->GetAllocatorWithDefaultOptions(&alloc), "allocator", msg, msg_size))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char *name = NULL;
        OrtStatus *st = outputs ? api->SessionGetOutputName(session, i, alloc, &name)
                                : api->SessionGetInputName(session, i, alloc, &name);
        if (!ort_ok(api, st, "io name", msg, msg_size)) return 0;
        names[i] = strdup(name);
        if (!ort_ok(api, api->AllocatorFree(alloc, name), "free", msg, msg_size)) return 0;
        if (!names[i]) {
            snprintf(msg, msg_size, "out of host memory");
            return 0;
        }
    }
    return 1;
}

/* Input i as a tensor over the caller's buffer, its dynamic leading dim set to batch. */
static int make_input(bench_ort_session *s, const OrtMemoryInfo *mem, size_t i, uint32_t batch,
                      void *data, size_t bytes, char *msg, size_t msg_size)
{
    const OrtApi *api = s->api;
    OrtTypeInfo *type = NULL;
    const OrtTensorTypeAndShapeInfo *info = NULL;
    ONNXTensorElementDataType elem = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
    int64_t dims[16];
    size_t rank = 0;
    int ok = ort_ok(api, api->SessionGetInputTypeInfo(s->session, i, &type), "input type", msg,
                    msg_size) &&
             ort_ok(api, api->CastTypeInfoToTensorInfo(type, &info), "input type", msg, msg_size);
    if (ok && !info) {
        snprintf(msg, msg_size, "input '%s' is not a tensor", s->in_names[i]);
        ok = 0;
    }
    ok = ok && ort_ok(api, api->GetTensorElementType(info, &elem), "input type", msg, msg_size) &&
         ort_ok(api, api->GetDimensionsCount(info, &rank), "input rank", msg, msg_size);
    if (ok && rank > 16) {
        snprintf(msg, msg_size, "input '%s': rank %zu is not supported", s->in_names[i], rank);
        ok = 0;
    }
    if (ok) ok = ort_ok(api, api->GetDimensions(info, dims, rank), "input dims", msg, msg_size);
    size_t want = element_size(elem);
    for (size_t d = 0; ok && d < rank; d++) {
        if (dims[d] < 0 && d == 0) dims[d] = batch;
        if (dims[d] < 0) {
            snprintf(msg, msg_size, "input '%s': dim %zu is dynamic", s->in_names[i], d);
            ok = 0;
        } else {
            want *= (size_t)dims[d];
        }
    }
    if (ok && (want != bytes || !element_size(elem))) {
        snprintf(msg, msg_size, "input '%s': ONNX Runtime wants %zu bytes, lenet-onnx has %zu",
                 s->in_names[i], want, bytes);
        ok = 0;
    }
    if (ok)
        ok = ort_ok(
            api, api->CreateTensorWithDataAsOrtValue(mem, data, bytes, dims, rank, elem, &s->in[i]),
            "input tensor", msg, msg_size);
    if (type) api->ReleaseTypeInfo(type);
    return ok;
}

bench_ort_session *bench_ort_session_create(bench_ort *ort, const char *model_path, uint32_t batch,
                                            void *const *inputs, const size_t *in_bytes,
                                            size_t n_inputs, char *msg, size_t msg_size)
{
    const OrtApi *api = ort->api;
    OrtSessionOptions *so = NULL;
    OrtMemoryInfo *mem = NULL;
    bench_ort_session *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(msg, msg_size, "out of host memory");
        return NULL;
    }
    s->api = api;
    /* default CPU execution provider, every core for intra-op parallelism */
    int ok =
        ort_ok(api, api->CreateSessionOptions(&so), "session options", msg, msg_size) &&
        ort_ok(api, api->SetIntraOpNumThreads(so, ort->threads), "threads", msg, msg_size) &&
        ort_ok(api, api->SetSessionGraphOptimizationLevel(so, ORT_ENABLE_ALL), "optimization", msg,
               msg_size) &&
        ort_ok(api, api->CreateSession(ort->env, model_path, so, &s->session), "CreateSession", msg,
               msg_size) &&
        ort_ok(api, api->SessionGetInputCount(s->session, &s->n_in), "inputs", msg, msg_size) &&
        ort_ok(api, api->SessionGetOutputCount(s->session, &s->n_out), "outputs", msg, msg_size);
    if (ok && s->n_in != n_inputs) {
        snprintf(msg, msg_size, "ONNX Runtime sees %zu inputs, lenet-onnx %zu", s->n_in, n_inputs);
        ok = 0;
    }
    if (ok) {
        s->in = calloc(s->n_in + 1, sizeof *s->in);
        s->out = calloc(s->n_out + 1, sizeof *s->out);
        s->in_names = calloc(s->n_in + 1, sizeof *s->in_names);
        s->out_names = calloc(s->n_out + 1, sizeof *s->out_names);
        if (!s->in || !s->out || !s->in_names || !s->out_names) {
            snprintf(msg, msg_size, "out of host memory");
            ok = 0;
        }
    }
    ok = ok && copy_names(api, s->session, 0, s->n_in, s->in_names, msg, msg_size) &&
         copy_names(api, s->session, 1, s->n_out, s->out_names, msg, msg_size) &&
         ort_ok(api, api->CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, &mem),
                "memory info", msg, msg_size);
    for (size_t i = 0; ok && i < s->n_in; i++)
        ok = make_input(s, mem, i, batch, inputs[i], in_bytes[i], msg, msg_size);
    if (mem) api->ReleaseMemoryInfo(mem);
    if (so) api->ReleaseSessionOptions(so);
    if (!ok) {
        bench_ort_session_release(s);
        return NULL;
    }
    return s;
}

/* One Run into s->out: outputs allocated by ONNX Runtime each run, as a plain Run caller does;
 * true on success. release_outputs frees them. */
static int run_once(bench_ort_session *s, char *msg, size_t msg_size)
{
    const OrtApi *api = s->api;
    return ort_ok(api,
                  api->Run(s->session, NULL, (const char *const *)s->in_names,
                           (const OrtValue *const *)s->in, s->n_in,
                           (const char *const *)s->out_names, s->n_out, s->out),
                  "Run", msg, msg_size);
}

static void release_outputs(bench_ort_session *s)
{
    for (size_t i = 0; i < s->n_out; i++) {
        if (s->out[i]) s->api->ReleaseValue(s->out[i]);
        s->out[i] = NULL;
    }
}

int bench_ort_session_run(bench_ort_session *s, char *msg, size_t msg_size)
{
    const int ok = run_once(s, msg, msg_size);
    release_outputs(s);
    return ok ? 0 : 1;
}

/* Output i of the last Run against ours: float32 of the same byte count. */
static int compare_output(const OrtApi *api, OrtValue *value, size_t i, const float *ours,
                          size_t bytes, double *max_abs, double *max_ref, char *msg,
                          size_t msg_size)
{
    OrtTensorTypeAndShapeInfo *info = NULL;
    ONNXTensorElementDataType type = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
    size_t count = 0;
    float *theirs = NULL;
    int ok = ort_ok(api, api->GetTensorTypeAndShape(value, &info), "output type", msg, msg_size);
    if (ok) ok = ort_ok(api, api->GetTensorElementType(info, &type), "output type", msg, msg_size);
    if (ok)
        ok = ort_ok(api, api->GetTensorShapeElementCount(info, &count), "output size", msg,
                    msg_size);
    if (info) api->ReleaseTensorTypeAndShapeInfo(info);
    if (ok)
        ok = ort_ok(api, api->GetTensorMutableData(value, (void **)&theirs), "output data", msg,
                    msg_size);
    if (!ok) return 1;
    if (type != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT || count * sizeof(float) != bytes) {
        snprintf(msg, msg_size,
                 "output %zu: ONNX Runtime gives %zu values of type %d, lenet-onnx "
                 "%zu bytes of float",
                 i, count, (int)type, bytes);
        return 1;
    }
    for (size_t k = 0; k < count; k++) {
        const double d = fabs((double)ours[k] - (double)theirs[k]);
        /* A NaN on either side is a difference as large as there is. */
        if (d > *max_abs || d != d) *max_abs = d != d ? INFINITY : d;
        if (fabs((double)theirs[k]) > *max_ref) *max_ref = fabs((double)theirs[k]);
    }
    return 0;
}

int bench_ort_session_compare(bench_ort_session *s, void *const *ours, const size_t *bytes,
                              size_t n, double *max_abs, double *max_ref, char *msg,
                              size_t msg_size)
{
    *max_abs = *max_ref = 0.0;
    if (n != s->n_out) {
        snprintf(msg, msg_size, "ONNX Runtime has %zu outputs, lenet-onnx %zu", s->n_out, n);
        return 1;
    }
    int ok = run_once(s, msg, msg_size);
    for (size_t i = 0; ok && i < n; i++)
        ok = compare_output(s->api, s->out[i], i, ours[i], bytes[i], max_abs, max_ref, msg,
                            msg_size) == 0;
    release_outputs(s);
    return ok ? 0 : 1;
}

void bench_ort_session_release(bench_ort_session *s)
{
    if (!s) return;
    const OrtApi *api = s->api;
    for (size_t i = 0; s->in && i < s->n_in; i++)
        if (s->in[i]) api->ReleaseValue(s->in[i]);
    for (size_t i = 0; s->in_names && i < s->n_in; i++)
        free(s->in_names[i]);
    for (size_t i = 0; s->out_names && i < s->n_out; i++)
        free(s->out_names[i]);
    if (s->session) api->ReleaseSession(s->session);
    free(s->in);
    free(s->out);
    free(s->in_names);
    free(s->out_names);
    free(s);
}

#endif
