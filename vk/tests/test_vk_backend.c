/* What only the Vulkan backend has to show; its numbers are tested by the backend-neutral
 * kernel harness (test_kernels vulkan, against ref). Here: what it refuses, that a machine
 * without a Vulkan driver lists no device and fails to open cleanly, that the pipeline cache
 * is written to disk (or not, when disabled), and that nothing it does logs a warning (under
 * LENET_ONNX_VK_VALIDATION=1, every validation finding is one).
 *
 * Usage: test_vk_backend | test_vk_backend --expect-no-device
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "test_util.h"

const lo_backend *lo_vulkan_backend(void);

static const lo_backend *be;
static lo_backend_context *ctx;
static size_t align_bytes;

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void count_problems(void *user, lenet_onnx_log_level level, const char *message)
{
    (void)user;
    if (level > LENET_ONNX_LOG_WARNING) return;
    pthread_mutex_lock(&log_lock);
    lo_test_checks++;
    lo_test_failures++;
    fprintf(stderr, "logged: %s\n", message);
    pthread_mutex_unlock(&log_lock);
}

static lo_tensor_ref arena_ref(size_t offset, int rank, const int64_t *dims)
{
    lo_tensor_ref ref;
    memset(&ref, 0, sizeof ref);
    ref.buffer = LO_BUFFER_ARENA;
    ref.dtype = LO_DTYPE_FLOAT;
    ref.offset = offset;
    ref.shape.rank = rank;
    for (int d = 0; d < rank; d++)
        ref.shape.dims[d] = dims[d];
    return ref;
}

/* A 3x3 Conv of [1,2,5,5] into [1,4,3,3]; weights as constant 0. */
static lo_step small_conv(lo_activation activation)
{
    lo_step st;
    memset(&st, 0, sizeof st);
    st.kind = LO_STEP_CONV;
    st.node_name = "conv";
    snprintf(st.label, sizeof st.label, "Conv");
    st.params.conv = (lo_conv_params){.group = 1,
                                      .kernel = {3, 3},
                                      .stride = {1, 1},
                                      .dilation = {1, 1},
                                      .activation = activation};
    st.inputs[0] = arena_ref(0, 4, (int64_t[]){1, 2, 5, 5});
    st.inputs[1] = arena_ref(0, 4, (int64_t[]){4, 2, 3, 3});
    st.inputs[1].buffer = LO_BUFFER_CONSTANT;
    st.inputs[1].constant = 0;
    st.num_inputs = 2;
    st.output = arena_ref(align_bytes * 16, 4, (int64_t[]){1, 4, 3, 3});
    return st;
}

static void refusals(void)
{
    lo_error err = {0};
    /* Fused activations with parameters run (their values: the kernel tests). */
    lo_step st = small_conv(LO_ACT_LEAKY_RELU);
    CHECK_OK(be->supports(ctx, &st, &err), &err);
    st = small_conv(LO_ACT_RELU);
    CHECK_OK(be->supports(ctx, &st, &err), &err);
    /* A Gemm of uint8 tensors has no kernel. */
    memset(&st, 0, sizeof st);
    st.kind = LO_STEP_GEMM;
    st.node_name = "gemm_u8";
    st.params.gemm = (lo_gemm_params){1.0f, 1.0f, false, false, false, LO_ACT_NONE, {0, 0, 0}};
    st.inputs[0] = arena_ref(0, 2, (int64_t[]){2, 3});
    st.inputs[1] = arena_ref(align_bytes * 4, 2, (int64_t[]){3, 2});
    st.inputs[0].dtype = st.inputs[1].dtype = LO_DTYPE_UINT8;
    st.num_inputs = 2;
    st.output = arena_ref(align_bytes * 8, 2, (int64_t[]){2, 2});
    CHECK(be->supports(ctx, &st, &err) == LO_ERR_UNSUPPORTED);
    CHECK_MSG(strstr(err.message, "uint8") != NULL, "the refusal names the dtype: %s", err.message);
}

/* Prepares and runs one step, so a pipeline is built (and the cache written at release). */
static void run_one_step(void)
{
    lo_error err = {0};
    float weights[72], x[50], y[36];
    for (int i = 0; i < 72; i++)
        weights[i] = (float)(i % 7) - 3.0f;
    for (int i = 0; i < 50; i++)
        x[i] = (float)(i % 5);
    lo_step st = small_conv(LO_ACT_NONE);
    const lo_plan_constant constant = {
        "w", 1, weights, sizeof weights, LO_DTYPE_FLOAT, st.inputs[1].shape};
    const lo_tensor_ref in = st.inputs[0], out = st.output;
    const lo_plan plan = {.steps = &st,
                          .num_steps = 1,
                          .arena_bytes = align_bytes * 32,
                          .constants = &constant,
                          .num_constants = 1,
                          .inputs = &in,
                          .num_inputs = 1,
                          .outputs = &out,
                          .num_outputs = 1};
    lo_backend_buffer *arena = NULL;
    lo_prepared *prepared = NULL;
    CHECK_OK(be->buffer_alloc(ctx, plan.arena_bytes, &arena, &err), &err);
    if (arena) CHECK_OK(be->prepare(ctx, &plan, arena, &prepared, &err), &err);
    const void *inputs[1] = {x};
    void *outputs[1] = {y};
    if (prepared) CHECK_OK(be->run(prepared, inputs, outputs, NULL, &err), &err);
    /* y[0] (channel 0, first window): sum over 2 channels x 3x3 taps of w * x. */
    double want = 0;
    for (int c = 0; c < 2; c++)
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                want += weights[c * 9 + i * 3 + j] * x[c * 25 + i * 5 + j];
    CHECK_MSG(prepared == NULL || (y[0] - want < 1e-4 && want - y[0] < 1e-4), "y[0] %g, want %g",
              (double)y[0], want);
    if (prepared) be->release(prepared);
    if (arena) be->buffer_free(arena);
}

static void pipeline_cache_check(void)
{
    const char *dir = getenv("LENET_ONNX_CACHE_DIR"), *off = getenv("LENET_ONNX_NO_BINARY_CACHE");
    if (!dir || !dir[0]) return;
    const bool disabled = off && off[0] && strcmp(off, "0") != 0;
    DIR *d = opendir(dir);
    int found = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        const size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, "vk-", 3) == 0 && n > 5 && strcmp(e->d_name + n - 5, ".vkpc") == 0)
            found++;
    }
    if (d) closedir(d);
    CHECK_MSG(disabled ? found == 0 : found == 1, "%d pipeline cache files in %s (cache %s)", found,
              dir, disabled ? "disabled" : "enabled");
}

static int expect_no_device(void)
{
    lo_error err = {0};
    lenet_onnx_device_desc devices[4];
    size_t count = 99;
    CHECK_OK(be->list_devices(devices, 4, &count, &err), &err);
    CHECK_MSG(count == 0, "%zu devices listed without a driver", count);
    lo_status st = be->open(0, &ctx, &err);
    CHECK(st == LO_ERR_DEVICE);
    CHECK_MSG(strstr(err.message, "ulkan") != NULL, "message: %s", err.message);
    printf("open without a driver: %s\n", err.message);
    if (st == LO_OK) be->close(ctx);
    return lo_test_exit_code();
}

int main(int argc, char **argv)
{
    be = lo_vulkan_backend();
    CHECK(be != NULL && be->api_version == LO_BACKEND_API_VERSION);
    if (!be) return lo_test_exit_code();
    if (argc > 1 && strcmp(argv[1], "--expect-no-device") == 0) return expect_no_device();
    const lenet_onnx_host_hooks hooks = {
        .struct_size = sizeof hooks, .log_level = LENET_ONNX_LOG_WARNING, .log_fn = count_problems};
    lo_log_set(&hooks);
    lo_error err = {0};
    size_t count = 0;
    CHECK_OK(be->list_devices(NULL, 0, &count, &err), &err);
    CHECK_MSG(count > 0, "no Vulkan device found (install mesa-vulkan-drivers for lavapipe)");
    if (count == 0) return lo_test_exit_code();
    CHECK_OK(be->open(0, &ctx, &err), &err);
    if (!ctx) return lo_test_exit_code();
    align_bytes = be->alignment(ctx);
    refusals();
    run_one_step();
    be->close(ctx);
    pipeline_cache_check();
    lo_log_set(NULL);
    return lo_test_exit_code();
}
