/* The plugin as an ONNX Runtime execution provider, driven the way a host application would:
 * dlopen ONNX Runtime, register liblenet-onnx.so as an EP library, append its OrtEpDevice with
 * CPU fallback disabled (so every node must run on our EP), and compare each model's outputs
 * on the 20 sample images with ONNX Runtime's own CPU EP. A model with an op we lack must make
 * session creation fail, not fall back; with fallback allowed, it runs split between the EPs.
 *
 * Usage: test_ort_ep LIBONNXRUNTIME PLUGIN MODEL.onnx [MODEL.onnx ...] -- UNSUPPORTED.onnx
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

#define EP_NAME   "LenetOnnxExecutionProvider"
#define TOLERANCE 1e-4

static const OrtApi *ort;
static int failures;

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
        *status =
            ort->SessionOptionsAppendExecutionProvider_V2(opts, env, &device, 1, NULL, NULL, 0);
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

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s LIBONNXRUNTIME PLUGIN MODEL... -- UNSUPPORTED...\n", argv[0]);
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
    printf("ONNX Runtime %s\n", get_base()->GetVersionString());
    /* Keeps the plugin, and the OpenCL driver stack it loaded, mapped after ONNX Runtime unloads
     * it: their process-lifetime allocations stay rooted and their frames named for LSan. */
    void *plugin = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    OrtEnv *env = NULL;
    if (!ok(ort->CreateEnv(ORT_LOGGING_LEVEL_ERROR, "test_ort_ep", &env), "env") ||
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
    int unsupported = 0;
    for (int i = 3; device && i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            unsupported = 1;
        else if (unsupported) {
            /* No session without fallback; with it, ours runs the nodes before the op. */
            check_unsupported(env, device, argv[i]);
            check_model(env, device, 1, argv[i]);
        } else {
            check_model(env, device, 0, argv[i]);
        }
    }
    ok(ort->UnregisterExecutionProviderLibrary(env, "lenet-onnx"), "unregister");
    ort->ReleaseEnv(env);
    if (plugin) dlclose(plugin);
    printf("%s\n", failures ? "FAILED" : "all passed");
    return failures ? 1 : 0;
}
