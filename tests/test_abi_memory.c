/* ABI 4: session_memory and session_step_cost.
 * - Every model of tests/fixtures/exports plans its arena at the lower bound (the most bytes
 *   alive at one step) at batch 1 and 64, or at its static batch: the greedy planner is optimal
 *   on these graphs; see check_lower_bound for why equality, not just <=, is the claim.
 * - The device's constant bytes: the reference backend holds plain copies, exactly the model's
 *   bytes; every backend of the build with a device reports the same figure for two sessions
 *   of one plan on one context (shared uploads count in each).
 * - Step costs of LeNet through the ABI, against the hand count of test_step_cost.c's rules, and
 *   an older host's smaller structs filled only as far as they reach. */
#include <dirent.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "test_util.h"

static lenet_onnx_error err;

static lenet_onnx_context *open_backend(const lenet_onnx_api *api, const char *backend)
{
    lenet_onnx_context_options options = {.struct_size = sizeof options, .backend_name = backend};
    lenet_onnx_context *context = NULL;
    if (api->context_create(&options, &context, &err) != LENET_ONNX_OK) return NULL;
    return context;
}

static lenet_onnx_session *session_of(const lenet_onnx_api *api, lenet_onnx_context *context,
                                      const lenet_onnx_model *model, uint32_t batch)
{
    lenet_onnx_session_options options = {.struct_size = sizeof options, .batch_size = batch};
    lenet_onnx_session *session = NULL;
    CHECK_OK(api->session_create(context, model, &options, &session, &err), &err);
    return session;
}

/* The bound is what no placement can beat; greedy largest-first placement does not reach it
 * on every graph (test_planner's random graphs), but on these chains of layers, where a step's
 * live set is its input, its output and the few tensors a skip keeps alive, it does, and the
 * claim here is equality. Arena and bound both count each tensor rounded up to the backend's
 * alignment, so alignment padding does not separate them; that is why every backend is held to
 * it, whatever its alignment. */
static void check_lower_bound(const lenet_onnx_api *api, lenet_onnx_context *context,
                              const char *backend, const char *path, const lenet_onnx_model *model,
                              uint32_t batch)
{
    lenet_onnx_session *session = session_of(api, context, model, batch);
    if (!session) return;
    lenet_onnx_session_memory memory = {.struct_size = sizeof memory};
    lenet_onnx_session_stats stats;
    CHECK_OK(api->session_memory(session, &memory, &err), &err);
    CHECK_OK(api->session_stats(session, &stats, &err), &err);
    CHECK(memory.struct_size == sizeof memory);
    CHECK_MSG(memory.arena_bytes == memory.arena_lower_bound_bytes && memory.arena_bytes > 0,
              "%s on %s, batch %" PRIu32 ": arena %" PRIu64 " bytes, lower bound %" PRIu64, path,
              backend, batch, memory.arena_bytes, memory.arena_lower_bound_bytes);
    CHECK(memory.arena_bytes == stats.arena_bytes);
    CHECK(memory.naive_arena_bytes == stats.naive_arena_bytes);
    CHECK(memory.naive_arena_bytes >= memory.arena_bytes);
    CHECK(memory.model_constant_bytes == stats.weights_bytes);
    /* The reference backend copies each constant a step reads as it is. */
    CHECK_MSG(strcmp(backend, "ref") != 0 ||
                  memory.device_constant_bytes == memory.model_constant_bytes,
              "%s: device %" PRIu64 " bytes, model %" PRIu64, path, memory.device_constant_bytes,
              memory.model_constant_bytes);
    api->session_release(session);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void fixtures_reach_lower_bound(const lenet_onnx_api *api, const char *backend)
{
    lenet_onnx_context *context = open_backend(api, backend);
    CHECK_MSG(context != NULL, "%s: %s", backend, err.message);
    DIR *dir = opendir("tests/fixtures/exports");
    CHECK(dir != NULL);
    if (!context || !dir) {
        if (dir) closedir(dir);
        if (context) api->context_release(context);
        return;
    }
    char *names[64];
    size_t n = 0;
    for (struct dirent *e; (e = readdir(dir)) != NULL && n < 64;)
        if (ends_with(e->d_name, ".onnx")) names[n++] = strdup(e->d_name);
    closedir(dir);
    qsort(names, n, sizeof *names, compare_names);
    CHECK_MSG(n >= 10, "%zu models in tests/fixtures/exports", n);
    for (size_t i = 0; i < n; i++) {
        char path[512];
        snprintf(path, sizeof path, "tests/fixtures/exports/%s", names[i]);
        lenet_onnx_model *model = NULL;
        CHECK_OK(api->model_load_file(path, &model, &err), &err);
        lenet_onnx_tensor_info input;
        if (model &&
            api->model_io_info(model, LENET_ONNX_INPUT, 0, &input, &err) == LENET_ONNX_OK) {
            if (input.rank > 0 && input.dims[0] > 0) {
                check_lower_bound(api, context, backend, path, model, 0); /* its static batch */
            } else {
                check_lower_bound(api, context, backend, path, model, 1);
                check_lower_bound(api, context, backend, path, model, 64);
            }
        }
        api->model_release(model);
        free(names[i]);
    }
    api->context_release(context);
}

/* On the reference backend always; on every other backend of the build that has a device. */
static void test_fixtures_reach_lower_bound(const lenet_onnx_api *api)
{
    const char *names[16];
    size_t count = 0;
    CHECK_OK(api->list_backends(names, 16, &count, &err), &err);
    for (size_t b = 0; b < count && b < 16; b++) {
        size_t devices = 0;
        if (strcmp(names[b], "ref") == 0 ||
            (api->list_backend_devices(names[b], NULL, 0, &devices, &err) == LENET_ONNX_OK &&
             devices > 0))
            fixtures_reach_lower_bound(api, names[b]);
    }
}

/* LeNet's conv1 (Conv+Relu+MaxPool) and its head (one Gemm chain) at batch 1 and 4, counted by
 * hand. */
static void test_step_costs(const lenet_onnx_api *api)
{
    lenet_onnx_context *context = open_backend(api, "ref");
    lenet_onnx_model *model = NULL;
    CHECK_OK(api->model_load_file("models/lenet.onnx", &model, &err), &err);
    if (!context || !model) {
        if (context) api->context_release(context);
        api->model_release(model);
        return;
    }
    for (uint32_t batch = 1; batch <= 4; batch += 3) {
        lenet_onnx_session *session = session_of(api, context, model, batch);
        if (!session) continue;
        lenet_onnx_step_info info;
        lenet_onnx_step_cost cost = {.struct_size = sizeof cost};
        CHECK_OK(api->session_step_info(session, 0, &info, &err), &err);
        CHECK_MSG(strcmp(info.op_type, "Conv+Relu+MaxPool") == 0, "step 0: %s", info.op_type);
        CHECK_OK(api->session_step_cost(session, 0, &cost, &err), &err);
        /* 16*28*28 outputs of 3*5*5 multiply-adds, bias and Relu on each, 3 compares per pooled
         * output (16*14*14). */
        CHECK_MSG(cost.flops == batch * (2u * 12544 * 75 + 2 * 12544 + 3 * 3136),
                  "conv1 batch %" PRIu32 ": %" PRIu64, batch, cost.flops);
        CHECK(cost.bytes_read == batch * 3 * 32 * 32 * 4 + (16 * 75 + 16) * 4);
        CHECK(cost.bytes_written == batch * 3136 * 4);
        CHECK_OK(api->session_step_info(session, 2, &info, &err), &err);
        CHECK_OK(api->session_step_cost(session, 2, &cost, &err), &err);
        /* At these batches the head is one chain: fc1 (800 -> 120, bias, Relu), fc2 (120 -> 84,
         * bias, Relu) and fc3 (84 -> 10, bias), what the three would cost apart. */
        CHECK_MSG(strcmp(info.op_type, "Gemm+Relu>Gemm+Relu>Gemm") == 0 &&
                      cost.flops == batch * ((2u * 800 * 120 + 2 * 120) + (2u * 120 * 84 + 2 * 84) +
                                             (2u * 84 * 10 + 10)),
                  "step 2: %s, %" PRIu64 " flops", info.op_type, cost.flops);

        /* An older host's struct ends after flops: nothing past it is written. */
        struct {
            lenet_onnx_step_cost cost;
            uint64_t guard;
        } small;
        memset(&small, 0xab, sizeof small);
        small.cost.struct_size = (uint32_t)(offsetof(lenet_onnx_step_cost, flops) + 8);
        CHECK_OK(api->session_step_cost(session, 2, &small.cost, &err), &err);
        CHECK(small.cost.flops == cost.flops);
        CHECK(small.cost.bytes_read == 0xababababababababull &&
              small.guard == small.cost.bytes_read);

        lenet_onnx_session_stats stats;
        CHECK_OK(api->session_stats(session, &stats, &err), &err);
        CHECK(api->session_step_cost(session, stats.step_count, &cost, &err) ==
              LENET_ONNX_ERROR_INVALID_ARGUMENT);
        CHECK_MSG(strstr(err.message, "out of range"), "%s", err.message);
        CHECK(api->session_step_cost(session, 0, NULL, &err) == LENET_ONNX_ERROR_INVALID_ARGUMENT);
        CHECK(api->session_memory(NULL, NULL, &err) == LENET_ONNX_ERROR_INVALID_ARGUMENT);
        api->session_release(session);
    }
    api->model_release(model);
    api->context_release(context);
}

/* Every backend of the build that has a device: constants on the device for LeNet, the same
 * figure for a second session of the same plan on the same context. */
static void test_device_constants_per_backend(const lenet_onnx_api *api)
{
    const char *names[16];
    size_t count = 0;
    CHECK_OK(api->list_backends(names, 16, &count, &err), &err);
    lenet_onnx_model *model = NULL;
    CHECK_OK(api->model_load_file("models/lenet.onnx", &model, &err), &err);
    for (size_t b = 0; model && b < count && b < 16; b++) {
        size_t devices = 0;
        if (api->list_backend_devices(names[b], NULL, 0, &devices, &err) != LENET_ONNX_OK ||
            devices == 0)
            continue;
        lenet_onnx_context *context = open_backend(api, names[b]);
        CHECK_MSG(context != NULL, "%s: %s", names[b], err.message);
        if (!context) continue;
        lenet_onnx_session *first = session_of(api, context, model, 1);
        lenet_onnx_session *second = session_of(api, context, model, 1);
        lenet_onnx_session_memory a = {.struct_size = sizeof a}, c = {.struct_size = sizeof c};
        if (first && second) {
            CHECK_OK(api->session_memory(first, &a, &err), &err);
            CHECK_OK(api->session_memory(second, &c, &err), &err);
            /* LeNet's 484,728 bytes of weights, in whatever layout: padding only adds. */
            CHECK_MSG(a.model_constant_bytes == 484728 &&
                          a.device_constant_bytes >= a.model_constant_bytes,
                      "%s: model %" PRIu64 ", device %" PRIu64, names[b], a.model_constant_bytes,
                      a.device_constant_bytes);
            CHECK_MSG(c.device_constant_bytes == a.device_constant_bytes,
                      "%s: %" PRIu64 " then %" PRIu64, names[b], a.device_constant_bytes,
                      c.device_constant_bytes);
            printf("%s: arena %" PRIu64 " (bound %" PRIu64 "), constants %" PRIu64
                   " on the device, %" PRIu64 " in the model\n",
                   names[b], a.arena_bytes, a.arena_lower_bound_bytes, a.device_constant_bytes,
                   a.model_constant_bytes);
        }
        if (first) api->session_release(first);
        if (second) api->session_release(second);
        api->context_release(context);
    }
    api->model_release(model);
}

int main(void)
{
    const lenet_onnx_api *api = lo_api_table(LENET_ONNX_ABI_VERSION);
    CHECK(api && api->abi_version == 4 && api->struct_size == sizeof *api);
    /* A host of ABI 3 gets the same table; the new slots lie past ABI 3's struct. */
    CHECK(lo_api_table(3) == api);
    CHECK(offsetof(lenet_onnx_api, session_step_cost) >=
          offsetof(lenet_onnx_api, model_load_bytes_with_limits) + sizeof(void *));
    if (!api) return lo_test_exit_code();
    test_fixtures_reach_lower_bound(api);
    test_step_costs(api);
    test_device_constants_per_backend(api);
    return lo_test_exit_code();
}
