/* The backend registry: every compiled-in backend is reachable by name through the registry and
 * the ABI, tables of another interface version or missing a required slot are refused, and
 * contexts are opened by backend name and device choice. */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "registry.h"
#include "test_util.h"

static void test_every_backend_checks_out(void)
{
    lo_error err;
    size_t n = lo_registry_count();
    CHECK_MSG(n >= 1, "%zu backends: ref is always built", n);
    bool have_ref = false;
    for (size_t i = 0; i < n; i++) {
        const lo_backend *b = NULL;
        CHECK_OK(lo_registry_get(i, &b, &err), &err);
        if (!b) continue;
        have_ref |= strcmp(b->name, "ref") == 0;
        const lo_backend *found = NULL;
        CHECK_OK(lo_registry_find(b->name, &found, &err), &err);
        CHECK(found == b);
        for (size_t j = 0; j < i; j++) {
            const lo_backend *other = NULL;
            CHECK_OK(lo_registry_get(j, &other, &err), &err);
            CHECK_MSG(other && strcmp(other->name, b->name) != 0, "two backends named %s", b->name);
        }
    }
    CHECK(have_ref);
    const lo_backend *none = (const lo_backend *)1;
    CHECK(lo_registry_find("no-such-api", &none, &err) == LO_ERR_UNSUPPORTED && none == NULL);
    CHECK_MSG(strstr(err.message, "no-such-api") && strstr(err.message, "ref"), "%s", err.message);
}

static void test_bad_tables_are_refused(void)
{
    lo_error err;
    const lo_backend *ref = NULL;
    CHECK_OK(lo_registry_find("ref", &ref, &err), &err);
    if (!ref) return;
    lo_backend copy = *ref;
    CHECK_OK(lo_registry_check(&copy, &err), &err);

    copy.api_version = LO_BACKEND_API_VERSION + 1;
    CHECK(lo_registry_check(&copy, &err) == LO_ERR_ABI);
    char want[64];
    snprintf(want, sizeof want, "version %u", (unsigned)(LO_BACKEND_API_VERSION + 1));
    CHECK_MSG(strstr(err.message, want) && strstr(err.message, "'ref'"), "%s", err.message);

    copy = *ref;
    copy.prepare = NULL;
    CHECK(lo_registry_check(&copy, &err) == LO_ERR_ABI);
    CHECK_MSG(strstr(err.message, "'prepare'"), "%s", err.message);

    /* A version 2 table ends before constant_bytes: a version 3 or later one must fill it. */
    copy = *ref;
    copy.constant_bytes = NULL;
    CHECK(lo_registry_check(&copy, &err) == LO_ERR_ABI);
    CHECK_MSG(strstr(err.message, "'constant_bytes'"), "%s", err.message);

    /* Version 3 had the same slots, but its Conv and Gemm steps carried no activation
     * parameters: refused too. */
    for (uint32_t old = 2; old < LO_BACKEND_API_VERSION; old++) {
        copy = *ref;
        copy.api_version = old;
        char have[32], want[32];
        snprintf(have, sizeof have, "version %u", (unsigned)old);
        snprintf(want, sizeof want, "version %u", (unsigned)LO_BACKEND_API_VERSION);
        CHECK(lo_registry_check(&copy, &err) == LO_ERR_ABI);
        CHECK_MSG(strstr(err.message, have) && strstr(err.message, want), "%s", err.message);
    }

    copy = *ref;
    copy.name = "";
    CHECK(lo_registry_check(&copy, &err) == LO_ERR_ABI);
    CHECK(lo_registry_check(NULL, &err) == LO_ERR_ABI);
}

static void test_abi_lists_and_opens_by_name(void)
{
    const lenet_onnx_api *api = lo_api_table(LENET_ONNX_ABI_VERSION);
    lenet_onnx_error err;
    const char *names[16];
    size_t count = 0;
    CHECK_OK(api->list_backends(names, 16, &count, &err), &err);
    CHECK(count == lo_registry_count());
    size_t devices_total = 0;
    CHECK_OK(api->list_backend_devices(NULL, NULL, 0, &devices_total, &err), &err);
    lenet_onnx_device_desc *all = calloc(devices_total + 1, sizeof *all);
    size_t filled = 0;
    CHECK_OK(api->list_backend_devices(NULL, all, devices_total, &filled, &err), &err);
    CHECK(filled == devices_total);
    for (size_t i = 0; i < count && i < 16; i++) {
        size_t n = 0;
        CHECK_OK(api->list_backend_devices(names[i], NULL, 0, &n, &err), &err);
        size_t listed = 0;
        for (size_t d = 0; d < filled; d++)
            if (strcmp(all[d].backend, names[i]) == 0) listed++;
        CHECK_MSG(listed == n, "%s: %zu devices alone, %zu among all", names[i], n, listed);
        printf("backend %s: %zu device(s)\n", names[i], n);
    }
    free(all);
    CHECK(api->list_backend_devices("no-such-api", NULL, 0, &count, &err) ==
          LENET_ONNX_ERROR_UNSUPPORTED);

    /* By name: ref's one device, described with its backend; a bad index says what exists. */
    lenet_onnx_context_options opts = {.backend_name = "ref"};
    lenet_onnx_context *context = NULL;
    CHECK_OK(api->context_create(&opts, &context, &err), &err);
    lenet_onnx_device_desc desc;
    if (context) {
        CHECK_OK(api->context_describe(context, &desc, &err), &err);
        CHECK(strcmp(desc.backend, "ref") == 0 && desc.type == LENET_ONNX_DEVICE_TYPE_CPU);
        CHECK(desc.struct_size == sizeof desc && desc.alignment_bytes >= sizeof(float));
        const char *backend_name = NULL;
        lenet_onnx_device_info old;
        CHECK_OK(api->context_device(context, &old, &backend_name, &err), &err);
        CHECK(backend_name && strcmp(backend_name, "ref") == 0 && strcmp(old.name, desc.name) == 0);
        api->context_release(context);
    }
    opts.device_select = LENET_ONNX_DEVICE_INDEX;
    opts.device_index = 7;
    context = NULL;
    CHECK(api->context_create(&opts, &context, &err) == LENET_ONNX_ERROR_INVALID_ARGUMENT);
    CHECK_MSG(strstr(err.message, "device 7") && strstr(err.message, "ref"), "%s", err.message);
    opts.device_select = LENET_ONNX_DEVICE_TYPE;
    opts.device_type = LENET_ONNX_DEVICE_TYPE_CPU;
    CHECK_OK(api->context_create(&opts, &context, &err), &err);
    api->context_release(context);
    context = NULL;
    opts.device_select = LENET_ONNX_DEVICE_NAME;
    opts.device_name = "no such device";
    CHECK(api->context_create(&opts, &context, &err) == LENET_ONNX_ERROR_INVALID_ARGUMENT);
    opts = (lenet_onnx_context_options){.backend_name = "no-such-api"};
    CHECK(api->context_create(&opts, &context, &err) == LENET_ONNX_ERROR_UNSUPPORTED);
    /* Automatic choice always finds a device: ref at least. */
    CHECK_OK(api->context_create(NULL, &context, &err), &err);
    api->context_release(context);
}

int main(void)
{
    test_every_backend_checks_out();
    test_bad_tables_are_refused();
    test_abi_lists_and_opens_by_name();
    return lo_test_exit_code();
}
