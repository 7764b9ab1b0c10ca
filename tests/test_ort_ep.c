/* The plugin as an ONNX Runtime execution provider, driven the way a host application would:
 * dlopen ONNX Runtime, register liblenet-onnx.so as an EP library, append its OrtEpDevice with
 * CPU fallback disabled (so every node must run on our EP), and compare each model's outputs
 * on the 20 sample images with ONNX Runtime's own CPU EP. A model with an op we lack must make
 * session creation fail, not fall back; with fallback allowed, it runs split between the EPs.
 *
 * The other model fixtures run on their own inputs, on both sessions, compared within the same
 * tolerance: backend test directories (--dirs: model.onnx, test_data_set_N/input_M.pb, whose
 * output_M.pb must agree with the CPU EP too) and models fed pseudo-random inputs of their
 * declared shapes (--random). Models our library rejects by design (--rejected) and broken
 * ones ONNX Runtime itself rejects (--invalid) must make session creation fail cleanly.
 *
 * Usage: test_ort_ep LIBONNXRUNTIME PLUGIN MODEL.onnx... [-- UNSUPPORTED.onnx...]
 *        [--dirs DIR...] [--random MODEL.onnx...] [--rejected MODEL.onnx...]
 *        [--invalid MODEL.onnx...]
 * Run from the source root (reads samples/ *.png).
 */
#include <dlfcn.h>
#include <glob.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnxruntime_c_api.h"

#include "image_prep.h"
#include "tensor_pb.h"

#define EP_NAME   "LenetOnnxExecutionProvider"
#define TOLERANCE 1e-4

static const OrtApi *ort;
static int failures;
static int skipped; /* fixtures not run, each with a SKIP line saying why */
/* The largest difference over the fixtures run on their own inputs: [0] with ONNX Runtime's CPU
 * EP, [1] with output_*.pb where the CPU EP cannot run the model. */
static double max_seen[2];

/* Reports and releases a failed status; true when there was none. */
static int ok(OrtStatus *status, const char *what)
{
    if (!status) return 1;
    fprintf(stderr, "FAIL %s: %s\n", what, ort->GetErrorMessage(status));
    ort->ReleaseStatus(status);
    failures++;
    return 0;
}

typedef struct samples {
    size_t count;
    image_prep_spec spec; /* the model's input: channels, size, layout */
    float *data;          /* count slots, as tests/check_run_json.py prepares them */
} samples;

static size_t slot_size(const samples *s)
{
    return (size_t)s->spec.channels * s->spec.height * s->spec.width;
}

/* The model input's dims (rank 4); dims[0] <= 0 when the batch is dynamic. */
static int input_dims(OrtSession *session, int64_t dims[4])
{
    OrtTypeInfo *type = NULL;
    const OrtTensorTypeAndShapeInfo *tensor = NULL;
    size_t rank = 0;
    int good = ok(ort->SessionGetInputTypeInfo(session, 0, &type), "input type") &&
               ok(ort->CastTypeInfoToTensorInfo(type, &tensor), "input tensor type") &&
               ok(ort->GetDimensionsCount(tensor, &rank), "input rank") && rank == 4 &&
               ok(ort->GetDimensions(tensor, dims, 4), "input dims");
    if (type) ort->ReleaseTypeInfo(type);
    return good;
}

/* Decodes the sample PNGs for a model input of these dims: NCHW, or NHWC when the last dim is 1
 * or 3 and the second is not, as lenet-onnx-run decides. */
static int load_samples(samples *s, const int64_t dims[4])
{
    bool nhwc = (dims[3] == 1 || dims[3] == 3) && dims[1] != 1 && dims[1] != 3;
    s->spec = (image_prep_spec){(uint32_t)(nhwc ? dims[3] : dims[1]),
                                (uint32_t)(nhwc ? dims[1] : dims[2]),
                                (uint32_t)(nhwc ? dims[2] : dims[3]),
                                nhwc ? IMAGE_LAYOUT_NHWC : IMAGE_LAYOUT_NCHW,
                                {0.5f, 0.5f, 0.5f},
                                {0.5f, 0.5f, 0.5f}};
    glob_t g;
    if (glob("samples/*.png", 0, NULL, &g) != 0 || g.gl_pathc == 0) {
        fprintf(stderr, "FAIL no samples/*.png (run from the source root)\n");
        return 0;
    }
    const size_t slot = slot_size(s);
    s->count = g.gl_pathc;
    s->data = calloc(s->count * slot, sizeof(float));
    int good = s->data != NULL;
    for (size_t i = 0; good && i < s->count; i++) {
        image_f32 image = {0};
        image_error err;
        good = image_load_png(g.gl_pathv[i], &image, &err) == IMAGE_OK &&
               image_prepare(&image, &s->spec, s->data + i * slot, &err) == IMAGE_OK;
        if (!good) fprintf(stderr, "FAIL %s\n", err.message);
        image_release(&image);
    }
    globfree(&g);
    return good;
}

/* Runs `batch` images from `first` through the session; returns the output (malloc'd). */
static float *run(OrtSession *session, const samples *s, size_t first, int64_t batch, size_t *count)
{
    OrtAllocator *alloc = NULL;
    OrtMemoryInfo *mem = NULL;
    OrtValue *input = NULL, *output = NULL;
    OrtTensorTypeAndShapeInfo *info = NULL;
    char *in_name = NULL, *out_name = NULL;
    float *result = NULL;
    const size_t slot = slot_size(s);
    const bool nhwc = s->spec.layout == IMAGE_LAYOUT_NHWC;
    int64_t shape[4] = {batch, nhwc ? s->spec.height : s->spec.channels,
                        nhwc ? s->spec.width : s->spec.height,
                        nhwc ? s->spec.channels : s->spec.width};
    const float *data = NULL;
    if (ok(ort->GetAllocatorWithDefaultOptions(&alloc), "allocator") &&
        ok(ort->SessionGetInputName(session, 0, alloc, &in_name), "input name") &&
        ok(ort->SessionGetOutputName(session, 0, alloc, &out_name), "output name") &&
        ok(ort->CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, &mem), "memory info") &&
        ok(ort->CreateTensorWithDataAsOrtValue(mem, s->data + first * slot,
                                               (size_t)batch * slot * sizeof(float), shape, 4,
                                               ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, &input),
           "input tensor") &&
        ok(ort->Run(session, NULL, (const char *const *)&in_name, (const OrtValue *const *)&input,
                    1, (const char *const *)&out_name, 1, &output),
           "run") &&
        ok(ort->GetTensorTypeAndShape(output, &info), "output shape") &&
        ok(ort->GetTensorShapeElementCount(info, count), "output count") &&
        ok(ort->GetTensorData(output, (const void **)&data), "output data")) {
        result = malloc(*count * sizeof(float));
        if (result) memcpy(result, data, *count * sizeof(float));
    }
    if (info) ort->ReleaseTensorTypeAndShapeInfo(info);
    if (output) ort->ReleaseValue(output);
    if (input) ort->ReleaseValue(input);
    if (mem) ort->ReleaseMemoryInfo(mem);
    if (in_name) alloc->Free(alloc, in_name);
    if (out_name) alloc->Free(alloc, out_name);
    return result;
}

/* The first input's leading dim as the model declares it (-1 when dynamic). */
/* With `device`, our EP first; `fallback` lets ONNX Runtime's CPU EP run what ours leaves. */
static OrtSession *open_session(OrtEnv *env, const OrtEpDevice *device, int fallback,
                                const char *model, OrtStatus **status)
{
    OrtSessionOptions *opts = NULL;
    OrtSession *session = NULL;
    *status = ort->CreateSessionOptions(&opts);
    if (!*status && device) {
        /* The backend under test, as the tools take it: LENET_ONNX_BACKEND, else automatic. */
        const char *backend = getenv("LENET_ONNX_BACKEND");
        const char *keys[] = {"backend"}, *values[] = {backend};
        size_t num_options = backend && backend[0] ? 1 : 0;
        *status = ort->SessionOptionsAppendExecutionProvider_V2(opts, env, &device, 1, keys, values,
                                                                num_options);
        if (!*status && !fallback)
            *status = ort->AddSessionConfigEntry(opts, "session.disable_cpu_ep_fallback", "1");
    }
    if (!*status) *status = ort->CreateSession(env, model, opts, &session);
    if (opts) ort->ReleaseSessionOptions(opts);
    return session;
}

static double max_abs_diff(const float *a, const float *b, size_t n)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= worst)) worst = d; /* NaN counts as worst */
    }
    return worst;
}

/* Runs `batch` images from `first` on both sessions and compares. */
static void compare(const char *model, OrtSession *ours, OrtSession *cpu, const samples *s,
                    size_t first, int64_t batch)
{
    size_t n_ours = 0, n_cpu = 0;
    float *a = run(ours, s, first, batch, &n_ours);
    float *b = run(cpu, s, first, batch, &n_cpu);
    if (a && b && n_ours == n_cpu && n_ours > 0) {
        double diff = max_abs_diff(a, b, n_ours);
        if (diff > TOLERANCE) {
            fprintf(stderr, "FAIL %s batch %lld from %zu: max |ours - cpu| = %g\n", model,
                    (long long)batch, first, diff);
            failures++;
        } else {
            printf("ok   %s batch %lld from %zu: %zu values, max |ours - cpu| = %.3g\n", model,
                   (long long)batch, first, n_ours, diff);
        }
    } else {
        fprintf(stderr, "FAIL %s batch %lld: outputs missing or of different sizes (%zu, %zu)\n",
                model, (long long)batch, n_ours, n_cpu);
        failures++;
    }
    free(a);
    free(b);
}

static void check_model(OrtEnv *env, const OrtEpDevice *device, int fallback, const char *model)
{
    OrtStatus *status = NULL;
    OrtSession *ours = open_session(env, device, fallback, model, &status);
    if (!ok(status, model)) return;
    OrtSession *cpu = open_session(env, NULL, 1, model, &status);
    int64_t dims[4] = {0};
    samples loaded = {0}, *s = &loaded;
    if (ok(status, model) && (!input_dims(ours, dims) || !load_samples(s, dims))) {
        fprintf(stderr, "FAIL %s: no rank-4 image input to feed\n", model);
        failures++;
    } else if (cpu) {
        if (dims[0] > 0) {
            for (size_t i = 0; i < s->count; i++)
                compare(model, ours, cpu, s, i, 1);
        } else {
            /* One batch of all, then batch 1 and the whole batch again: a plan per batch. */
            compare(model, ours, cpu, s, 0, (int64_t)s->count);
            compare(model, ours, cpu, s, 3, 1);
            compare(model, ours, cpu, s, 0, (int64_t)s->count);
        }
    }
    if (cpu) ort->ReleaseSession(cpu);
    free(loaded.data);
    ort->ReleaseSession(ours);
}

/* The last line our EP logged about how much of a graph it takes. */
static char ep_claim[1024];

/* ONNX Runtime's log, kept quiet but for errors; our EP's claims are remembered. */
static void ORT_API_CALL log_line(void *param, OrtLoggingLevel severity, const char *category,
                                  const char *logid, const char *code_location, const char *message)
{
    (void)param, (void)category, (void)logid, (void)code_location;
    if (strstr(message, "lenet-onnx takes"))
        snprintf(ep_claim, sizeof ep_claim, "%s", message);
    else if (severity >= ORT_LOGGING_LEVEL_ERROR)
        fprintf(stderr, "onnxruntime: %s\n", message);
}

static void check_unsupported(OrtEnv *env, const OrtEpDevice *device, const char *model)
{
    OrtStatus *status = NULL;
    OrtSession *session = open_session(env, device, 0, model, &status);
    if (session) {
        fprintf(stderr, "FAIL %s: session created although the EP lacks an op\n", model);
        failures++;
        ort->ReleaseSession(session);
        return;
    }
    const char *message = status ? ort->GetErrorMessage(status) : "";
    if (!status || !strstr(message, "fallback")) {
        fprintf(stderr, "FAIL %s: expected a failure naming the disabled fallback, got '%s'\n",
                model, message);
        failures++;
    } else {
        printf("ok   %s: session creation failed: %s\n", model, message);
    }
    if (status) ort->ReleaseStatus(status);
}

/* --- Models with any inputs: backend test directories and random-input models --- */

/* The session's inputs or outputs: count and names (the allocator's). */
typedef struct io_names {
    size_t count;
    char **names;
} io_names;

static void io_names_free(io_names *io)
{
    OrtAllocator *alloc = NULL;
    if (ort->GetAllocatorWithDefaultOptions(&alloc) == NULL)
        for (size_t i = 0; i < io->count; i++)
            if (io->names[i]) alloc->Free(alloc, io->names[i]);
    free(io->names);
    io->names = NULL;
    io->count = 0;
}

static int io_names_get(OrtSession *session, int outputs, io_names *io)
{
    OrtAllocator *alloc = NULL;
    io->count = 0;
    io->names = NULL;
    if (!ok(ort->GetAllocatorWithDefaultOptions(&alloc), "allocator") ||
        !ok(outputs ? ort->SessionGetOutputCount(session, &io->count)
                    : ort->SessionGetInputCount(session, &io->count),
            "io count"))
        return 0;
    io->names = calloc(io->count + 1, sizeof *io->names);
    int good = io->names != NULL;
    for (size_t i = 0; good && i < io->count; i++)
        good = ok(outputs ? ort->SessionGetOutputName(session, i, alloc, &io->names[i])
                          : ort->SessionGetInputName(session, i, alloc, &io->names[i]),
                  "io name");
    if (!good) io_names_free(io);
    return good;
}

/* Declared element type and dims of input `i` (-1 for dynamic dims). */
static int declared_input(OrtSession *session, size_t i, ONNXTensorElementDataType *elem,
                          int64_t dims[LENET_ONNX_MAX_RANK], size_t *rank)
{
    OrtTypeInfo *type = NULL;
    const OrtTensorTypeAndShapeInfo *tensor = NULL;
    int good = ok(ort->SessionGetInputTypeInfo(session, i, &type), "input type") &&
               ok(ort->CastTypeInfoToTensorInfo(type, &tensor), "input tensor type") && tensor &&
               ok(ort->GetTensorElementType(tensor, elem), "input element type") &&
               ok(ort->GetDimensionsCount(tensor, rank), "input rank") &&
               *rank <= LENET_ONNX_MAX_RANK &&
               ok(ort->GetDimensions(tensor, dims, *rank), "input dims");
    if (type) ort->ReleaseTypeInfo(type);
    return good;
}

/* Runs the session on `inputs` (matched by name, else by position); returns its outputs, one
 * OrtValue per session output, or NULL. */
static OrtValue **run_tensors(OrtSession *session, tensor_list *inputs, size_t *num_outputs)
{
    io_names in = {0}, out = {0};
    OrtMemoryInfo *mem = NULL;
    OrtValue **in_values = NULL, **out_values = NULL;
    int good = io_names_get(session, 0, &in) && io_names_get(session, 1, &out) &&
               ok(ort->CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, &mem), "memory");
    if (good) {
        in_values = calloc(in.count + 1, sizeof *in_values);
        out_values = calloc(out.count + 1, sizeof *out_values);
        good = in_values && out_values;
    }
    for (size_t i = 0; good && i < in.count; i++) {
        tensor *t = pb_match_tensor(inputs, in.names[i], i);
        if (!t) {
            fprintf(stderr, "FAIL no data for input '%s'\n", in.names[i]);
            failures++;
            good = 0;
            break;
        }
        good = ok(ort->CreateTensorWithDataAsOrtValue(mem, t->data, t->bytes, t->dims, t->rank,
                                                      (ONNXTensorElementDataType)t->dtype,
                                                      &in_values[i]),
                  "input tensor");
    }
    if (good)
        good = ok(ort->Run(session, NULL, (const char *const *)in.names,
                           (const OrtValue *const *)in_values, in.count,
                           (const char *const *)out.names, out.count, out_values),
                  "run");
    for (size_t i = 0; in_values && i < in.count; i++)
        if (in_values[i]) ort->ReleaseValue(in_values[i]);
    free(in_values);
    if (!good && out_values) {
        for (size_t i = 0; i < out.count; i++)
            if (out_values[i]) ort->ReleaseValue(out_values[i]);
        free(out_values);
        out_values = NULL;
    }
    *num_outputs = out.count;
    if (mem) ort->ReleaseMemoryInfo(mem);
    io_names_free(&in);
    io_names_free(&out);
    return out_values;
}

static void release_values(OrtValue **values, size_t count)
{
    for (size_t i = 0; values && i < count; i++)
        if (values[i]) ort->ReleaseValue(values[i]);
    free(values);
}

/* An output as a host tensor view: dtype, dims, element count and data (ONNX Runtime's). */
static int value_view(OrtValue *value, tensor *view)
{
    OrtTensorTypeAndShapeInfo *info = NULL;
    ONNXTensorElementDataType elem = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
    memset(view, 0, sizeof *view);
    int good = ok(ort->GetTensorTypeAndShape(value, &info), "output shape") &&
               ok(ort->GetTensorElementType(info, &elem), "output type") &&
               ok(ort->GetDimensionsCount(info, &view->rank), "output rank") &&
               view->rank <= LENET_ONNX_MAX_RANK &&
               ok(ort->GetDimensions(info, view->dims, view->rank), "output dims") &&
               ok(ort->GetTensorShapeElementCount(info, &view->numel), "output count") &&
               ok(ort->GetTensorMutableData(value, &view->data), "output data");
    view->dtype = (int)elem;
    if (info) ort->ReleaseTensorTypeAndShapeInfo(info);
    if (good && pb_dtype_size(view->dtype) == 0) {
        fprintf(stderr, "FAIL output of element type %d, which this test does not compare\n",
                view->dtype);
        failures++;
        good = 0;
    }
    return good;
}

static double element_at(const tensor *t, size_t i)
{
    switch (t->dtype) {
    case DT_FLOAT:
        return ((const float *)t->data)[i];
    case DT_UINT8:
        return ((const uint8_t *)t->data)[i];
    case DT_INT32:
        return ((const int32_t *)t->data)[i];
    default:
        return (double)((const int64_t *)t->data)[i];
    }
}

static int same_layout(const tensor *a, const tensor *b)
{
    if (a->dtype != b->dtype || a->rank != b->rank || a->numel != b->numel) return 0;
    for (size_t d = 0; d < a->rank; d++)
        if (a->dims[d] != b->dims[d]) return 0;
    return 1;
}

/* max |a - b| over the elements (NaN anywhere counts as infinite); -1 when the dtypes or
 * shapes differ. With `rtol`, the worst of |a - b| - rtol * |b| instead. */
static double worst_diff(const tensor *a, const tensor *b, double rtol)
{
    if (!same_layout(a, b)) return -1;
    double worst = 0;
    for (size_t i = 0; i < a->numel; i++) {
        double x = element_at(a, i), y = element_at(b, i);
        double d = fabs(x - y) - rtol * fabs(y);
        if (!(d <= worst)) worst = isnan(d) ? INFINITY : d;
    }
    return worst;
}

/* Runs one set of inputs on both sessions; compares ours with ONNX Runtime's CPU EP within
 * TOLERANCE and, as a sanity check of the data, the CPU EP with `expected` when given. Without
 * `cpu` (a model ONNX Runtime's CPU EP cannot run), ours is compared with `expected`. */
static void compare_tensors(const char *what, OrtSession *ours, OrtSession *cpu,
                            tensor_list *inputs, tensor_list *expected)
{
    size_t n_ours = 0, n_cpu = 0;
    OrtValue **a = run_tensors(ours, inputs, &n_ours);
    OrtValue **b = cpu ? run_tensors(cpu, inputs, &n_cpu) : NULL;
    int good =
        a && (cpu ? b && n_ours == n_cpu : expected && n_ours == expected->count) && n_ours > 0;
    double worst = 0;
    size_t values = 0;
    for (size_t k = 0; good && k < n_ours; k++) {
        tensor x, y;
        tensor *want = expected ? pb_match_tensor(expected, "", k) : NULL;
        good = value_view(a[k], &x) && (cpu ? value_view(b[k], &y) : want != NULL);
        if (good && !cpu) y = *want;
        double d = good ? worst_diff(&x, &y, 0) : -1;
        if (good && (d < 0 || d > TOLERANCE)) {
            fprintf(stderr, "FAIL %s output %zu: %s\n", what, k,
                    d < 0 ? "dtype or shape differs from the reference's" : "values differ");
            good = 0;
        }
        if (d > worst) worst = d;
        values += x.numel;
        if (!good || !cpu || !expected) continue;
        /* ONNX's backend runner tolerances: the data, not our EP, is under test here */
        double e = want ? worst_diff(&y, want, 1e-3) : -1;
        if (e < 0 || e > 1e-7) {
            fprintf(stderr, "FAIL %s output %zu: the CPU EP disagrees with output_%zu.pb (%g)\n",
                    what, k, k, e);
            good = 0;
        }
    }
    const char *ref = cpu ? "cpu" : "output_*.pb";
    if (good) {
        printf("ok   %s: %zu values, max |ours - %s| = %.3g\n", what, values, ref, worst);
        if (worst > max_seen[!cpu]) max_seen[!cpu] = worst;
    } else {
        fprintf(stderr, "FAIL %s: max |ours - %s| = %g (outputs %zu, %zu)\n", what, ref, worst,
                n_ours,
                cpu        ? n_cpu
                : expected ? expected->count
                           : 0);
        failures++;
    }
    release_values(a, n_ours);
    release_values(b, n_cpu);
}

/* Why a model's inputs are not all data (float32, uint8) our EP takes at run time, or NULL.
 * Inputs our plans need as constants (Reshape's shape, Pad's pads) arrive as int64 or int32
 * graph inputs in backend tests; lenet-onnx-check turns them into initializers, but here both
 * sessions must run the same model as given, so our EP refusing one is a SKIP, not a FAIL. */
static const char *not_data_input(OrtSession *session)
{
    static char reason[256];
    size_t count = 0;
    if (!ok(ort->SessionGetInputCount(session, &count), "input count")) return "no inputs";
    for (size_t i = 0; i < count; i++) {
        ONNXTensorElementDataType elem = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
        int64_t dims[LENET_ONNX_MAX_RANK];
        size_t rank = 0;
        if (!declared_input(session, i, &elem, dims, &rank))
            return "an input that is not a tensor of rank 8 or less";
        if (elem == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT ||
            elem == ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8)
            continue;
        int shape_like = elem == ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64 ||
                         elem == ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32;
        snprintf(reason, sizeof reason, "input %zu is %s: %s", i, pb_dtype_name((int)elem),
                 shape_like ? "shape-like data our plans need at plan time (lenet-onnx-check "
                              "makes it an initializer; ONNX Runtime feeds it at run time)"
                            : "not a dtype our EP takes as a run-time input");
        return reason;
    }
    return NULL;
}

/* One line of an ONNX Runtime message, for SKIP and ok lines. */
static const char *first_line(OrtStatus *status, char *buf, size_t size)
{
    snprintf(buf, size, "%s", status ? ort->GetErrorMessage(status) : "(no status)");
    buf[strcspn(buf, "\n")] = '\0';
    return buf;
}

/* A backend test directory: model.onnx and test_data_set_N/{input,output}_M.pb. A model that
 * ONNX Runtime's CPU EP cannot run (an op version it has no kernel for, attributes it refuses)
 * is compared with output_*.pb instead, saying so. Every directory must run on our EP with
 * fallback disabled unless a non-data input (see not_data_input) excuses it. */
static void check_dir(OrtEnv *env, const OrtEpDevice *device, const char *dir)
{
    pb_msg msg = {{0}, {0}};
    numbered *sets = NULL;
    size_t n_sets = 0;
    char *model = pb_path_join(dir, "model.onnx");
    OrtStatus *status = NULL;
    OrtSession *cpu = model ? open_session(env, NULL, 1, model, &status) : NULL;
    OrtSession *ours = NULL;
    const char *skip = NULL;
    char why[256];
    if (!model) goto done;
    if (!cpu) {
        printf("note %s: ONNX Runtime's CPU EP rejects it (%s); ours is compared with "
               "output_*.pb\n",
               dir, first_line(status, why, sizeof why));
        ort->ReleaseStatus(status);
        status = NULL;
    }
    ours = open_session(env, device, 0, model, &status);
    if (!ours) {
        /* only an input our plans need at plan time excuses it: anything else is a bug */
        skip = cpu ? not_data_input(cpu) : NULL;
        if (skip) {
            printf("SKIP %s: %s\n", dir, skip);
            skipped++;
        } else {
            fprintf(stderr, "FAIL %s: %s\n", dir, first_line(status, why, sizeof why));
            failures++;
        }
        if (status) ort->ReleaseStatus(status);
        goto done;
    }
    if (pb_list_numbered(dir, "test_data_set_", "", &sets, &n_sets, &msg) != PB_OK || !n_sets) {
        fprintf(stderr, "FAIL %s: %s\n", dir, n_sets ? msg.text : "no test_data_set_*");
        failures++;
    }
    for (size_t i = 0; i < n_sets; i++) {
        tensor_list inputs = {0}, outputs = {0};
        char *set = pb_path_join(dir, sets[i].name);
        if (set && pb_load_set(set, "input_", &inputs, &msg) == PB_OK &&
            pb_load_set(set, "output_", &outputs, &msg) == PB_OK) {
            compare_tensors(set, ours, cpu, &inputs, &outputs);
        } else {
            fprintf(stderr, "FAIL %s: %s\n", set ? set : dir, msg.text);
            failures++;
        }
        tensor_list_free(&inputs);
        tensor_list_free(&outputs);
        free(set);
    }
done:
    pb_numbered_free(sets, n_sets);
    if (ours) ort->ReleaseSession(ours);
    if (cpu) ort->ReleaseSession(cpu);
    free(model);
}

/* Deterministic pseudo-random floats in [-1, 1) (a 32-bit LCG: the same on every run). */
static float next_random(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return (float)(*state >> 8) / (float)(1u << 23) - 1.0f;
}

/* A model fixture run on pseudo-random inputs of its declared shapes (dynamic dims as 2). */
static void check_random(OrtEnv *env, const OrtEpDevice *device, const char *model)
{
    OrtStatus *status = NULL;
    OrtSession *cpu = open_session(env, NULL, 1, model, &status);
    OrtSession *ours = NULL;
    tensor_list inputs = {0};
    size_t count = 0;
    const char *skip = NULL;
    uint32_t state = 12345u;
    static char no_name[] = ""; /* random inputs are matched by position */
    if (!ok(status, model)) goto done;
    if ((skip = not_data_input(cpu)) != NULL) {
        printf("SKIP %s: %s\n", model, skip);
        skipped++;
        goto done;
    }
    if (!ok(ort->SessionGetInputCount(cpu, &count), "input count")) goto done;
    if (count == 0) {
        /* nothing for our EP to take: its outputs are initializers */
        printf("SKIP %s: no graph inputs, so no node to run (a loader fixture)\n", model);
        skipped++;
        goto done;
    }
    ours = open_session(env, device, 0, model, &status);
    if (!ok(status, model)) goto done;
    inputs.items = calloc(count + 1, sizeof *inputs.items);
    for (size_t i = 0; inputs.items && i < count; i++) {
        tensor *t = &inputs.items[i];
        ONNXTensorElementDataType elem = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
        if (!declared_input(cpu, i, &elem, t->dims, &t->rank)) break;
        t->name = no_name;
        t->dtype = (int)elem;
        t->numel = 1;
        for (size_t d = 0; d < t->rank; d++) {
            if (t->dims[d] <= 0) t->dims[d] = 2;
            t->numel *= (size_t)t->dims[d];
        }
        t->bytes = t->numel * pb_dtype_size(t->dtype);
        t->data = malloc(t->bytes ? t->bytes : 1);
        if (!t->data) break;
        inputs.count++;
        for (size_t k = 0; k < t->numel; k++) {
            float v = next_random(&state);
            if (t->dtype == DT_FLOAT)
                ((float *)t->data)[k] = v;
            else
                ((uint8_t *)t->data)[k] = (uint8_t)((v + 1.0f) * 127.5f);
        }
    }
    if (inputs.count == count) {
        compare_tensors(model, ours, cpu, &inputs, NULL);
    } else {
        fprintf(stderr, "FAIL %s: input %zu: no tensor of rank 8 or less, or out of memory\n",
                model, inputs.count);
        failures++;
    }
done:
    for (size_t i = 0; i < inputs.count; i++)
        free(inputs.items[i].data);
    free(inputs.items);
    if (ours) ort->ReleaseSession(ours);
    if (cpu) ort->ReleaseSession(cpu);
}

/* A model our library rejects by design (`cpu_rejects`: one ONNX Runtime rejects too): with
 * CPU fallback disabled, session creation must fail, cleanly. */
static void check_rejected(OrtEnv *env, const OrtEpDevice *device, const char *model,
                           int cpu_rejects)
{
    OrtStatus *status = NULL;
    OrtSession *session = NULL;
    if (cpu_rejects) {
        session = open_session(env, NULL, 1, model, &status);
        if (session) {
            fprintf(stderr, "FAIL %s: ONNX Runtime's CPU EP took a model it should reject\n",
                    model);
            failures++;
            ort->ReleaseSession(session);
        }
        if (status) ort->ReleaseStatus(status);
        status = NULL;
    }
    session = open_session(env, device, 0, model, &status);
    if (session) {
        fprintf(stderr, "FAIL %s: session created with fallback disabled\n", model);
        failures++;
        ort->ReleaseSession(session);
    } else {
        const char *message = status ? ort->GetErrorMessage(status) : "(no status)";
        char line[160];
        snprintf(line, sizeof line, "%s", message);
        for (char *c = line; *c; c++)
            if (*c == '\n') *c = ' ';
        printf("ok   %s: session creation failed: %s\n", model, line);
    }
    if (status) ort->ReleaseStatus(status);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr,
                "usage: %s LIBONNXRUNTIME PLUGIN MODEL... [-- UNSUPPORTED...] [--dirs DIR...] "
                "[--random MODEL...] [--rejected MODEL...] [--invalid MODEL...]\n",
                argv[0]);
        return 2;
    }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "FAIL dlopen %s: %s\n", argv[1], dlerror());
        return 1;
    }
    /* ONNX Runtime's symbols are versioned: look the entry point up rather than link it. */
    const OrtApiBase *(*get_base)(void) = NULL;
    *(void **)&get_base = dlsym(lib, "OrtGetApiBase");
    ort = get_base ? get_base()->GetApi(ORT_API_VERSION) : NULL;
    if (!ort) {
        fprintf(stderr, "FAIL no OrtApi version %d in %s\n", ORT_API_VERSION, argv[1]);
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0); /* keeps ok/SKIP lines in order with FAIL lines */
    printf("ONNX Runtime %s\n", get_base()->GetVersionString());
    /* Keeps the plugin, and the driver stacks it loaded, mapped after ONNX Runtime unloads
     * it: their process-lifetime allocations stay rooted and their frames named for LSan. */
    void *plugin = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    OrtEnv *env = NULL;
    if (!ok(ort->CreateEnvWithCustomLogger(log_line, NULL, ORT_LOGGING_LEVEL_WARNING, "test_ort_ep",
                                           &env),
            "env") ||
        !ok(ort->RegisterExecutionProviderLibrary(env, "lenet-onnx", argv[2]), "register"))
        return 1;
    const OrtEpDevice *const *devices = NULL;
    const OrtEpDevice *device = NULL;
    size_t num_devices = 0;
    if (ok(ort->GetEpDevices(env, &devices, &num_devices), "devices"))
        for (size_t i = 0; i < num_devices && !device; i++)
            if (strcmp(ort->EpDevice_EpName(devices[i]), EP_NAME) == 0) device = devices[i];
    if (!device) {
        fprintf(stderr, "FAIL no OrtEpDevice named %s\n", EP_NAME);
        failures++;
    }
    /* Which list the arguments belong to, set by the markers between them. */
    enum { MODELS, UNSUPPORTED, DIRS, RANDOM, REJECTED, INVALID } list = MODELS;
    static const char *const markers[] = {"",         "--",         "--dirs",
                                          "--random", "--rejected", "--invalid"};
    for (int i = 3; device && i < argc; i++) {
        int marker = -1;
        for (int m = 1; m < (int)(sizeof markers / sizeof markers[0]); m++)
            if (strcmp(argv[i], markers[m]) == 0) marker = m;
        if (marker > 0) {
            list = marker;
            continue;
        }
        switch (list) {
        case MODELS:
            check_model(env, device, 0, argv[i]);
            break;
        case UNSUPPORTED:
            /* No session without fallback; with it, ours runs every node but the op. */
            check_unsupported(env, device, argv[i]);
            ep_claim[0] = '\0';
            check_model(env, device, 1, argv[i]);
            /* Every node but the one op ours lacks, in one fused node per run. */
            if (!strstr(ep_claim, "takes 2 of the graph's 3 nodes")) {
                fprintf(stderr, "FAIL %s: our EP's claim was '%s'\n", argv[i], ep_claim);
                failures++;
            } else {
                printf("ok   %s: %s\n", argv[i], ep_claim);
            }
            break;
        case DIRS:
            check_dir(env, device, argv[i]);
            break;
        case RANDOM:
            check_random(env, device, argv[i]);
            break;
        case REJECTED:
            check_rejected(env, device, argv[i], 0);
            break;
        case INVALID:
            check_rejected(env, device, argv[i], 1);
            break;
        }
    }
    ok(ort->UnregisterExecutionProviderLibrary(env, "lenet-onnx"), "unregister");
    ort->ReleaseEnv(env);
    if (plugin) dlclose(plugin);
    printf("%d skipped; over the fixtures run on their own inputs: max |ours - cpu| = %.3g, "
           "max |ours - output_*.pb| = %.3g\n",
           skipped, max_seen[0], max_seen[1]);
    printf("%s\n", failures ? "FAILED" : "all passed");
    return failures ? 1 : 0;
}
