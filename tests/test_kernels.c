/* Kernel tests: every step kind of one backend, by name, against the reference backend (ref/,
 * the plain-C oracle of ref_ops.c) through the same vtable, on hundreds of random cases per
 * kind, then multi-step plans (a small LeNet) for chaining, arena reuse, determinism and
 * independence of prepared plans. The oracle itself is first checked against hand-worked
 * values, and the core's step validation against valid and broken steps.
 *
 * Usage: test_kernels [BACKEND] [SEED [SCALE]]. BACKEND is a backend of this build (opencl,
 * vulkan, ...; by default the first other than ref); a backend that finds no device fails. SEED
 * (decimal or 0x...) reproduces a run; SCALE multiplies the number of random cases (default 1: 800
 * convs, 1000 max pools, 800 gemms, 200 gemm chains, 400 relus, 400 copies, 400 each of average
 * pools, pads, concats and transposes, 400 other activations, 600 binaries, 400 softmaxes, 200
 * batchnorms and 400 matmuls).
 *
 * Random cases are grouped many to a plan, each step in its own arena region, because prepare
 * and the first launch of each kernel shape cost far more than the run. The arena is filled
 * with a sentinel first, so writes outside a step's output and skipped elements show up.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_harness.h"
#include "registry.h"

typedef enum {
    GEN_CONV,
    GEN_POOL_F32,
    GEN_POOL_U8,
    GEN_GEMM,
    GEN_UNARY,
    GEN_COPY,
    GEN_AVGPOOL,
    GEN_PAD,
    GEN_CONCAT,
    GEN_TRANSPOSE,
    GEN_ACTIVATION,
    GEN_BINARY,
    GEN_SOFTMAX,
    GEN_BATCHNORM,
    GEN_MATMUL,
    GEN_CONV_POOL,
    GEN_GEMM_CHAIN,
    GEN_CONV_LAYER,
} gen_kind;

static void run_cases(gen_kind kind, const char *what, int count)
{
    const double t0 = now_s();
    static batch the_batch;
    const int failures_before = kernel_failures();
    batch *b = &the_batch;
    worst_error = 0.0;
    for (int done = 0; done < count;) {
        batch_reset(b);
        const int size = count - done < BATCH_STEPS ? count - done : BATCH_STEPS;
        for (int i = 0; i < size; i++, done++) {
            switch (kind) {
            case GEN_CONV:
                gen_conv(b, done);
                break;
            case GEN_POOL_F32:
                gen_pool(b, LO_STEP_MAXPOOL, LO_DTYPE_FLOAT);
                break;
            case GEN_POOL_U8:
                gen_pool(b, LO_STEP_MAXPOOL, LO_DTYPE_UINT8);
                break;
            case GEN_AVGPOOL:
                gen_pool(b, LO_STEP_AVGPOOL, LO_DTYPE_FLOAT);
                break;
            case GEN_PAD:
                gen_pad(b);
                break;
            case GEN_CONCAT:
                gen_concat(b);
                break;
            case GEN_TRANSPOSE:
                gen_transpose(b);
                break;
            case GEN_GEMM:
                gen_gemm(b, done);
                break;
            case GEN_UNARY:
                gen_unary(b);
                break;
            case GEN_COPY:
                gen_copy(b);
                break;
            case GEN_ACTIVATION:
                gen_activation(b, done);
                break;
            case GEN_BINARY:
                gen_binary(b, done);
                break;
            case GEN_SOFTMAX:
                gen_softmax(b, done);
                break;
            case GEN_BATCHNORM:
                gen_batchnorm(b);
                break;
            case GEN_MATMUL:
                gen_matmul(b);
                break;
            case GEN_CONV_POOL:
                gen_conv_pool(b, done);
                break;
            case GEN_GEMM_CHAIN:
                gen_gemm_chain(b, done);
                break;
            case GEN_CONV_LAYER:
                gen_conv_layer(b, done);
                break;
            }
        }
        run_batch(b, what);
    }
    batch_reset(b);
    printf("%-14s %5d cases  %6.2f s  max scaled err %.2g  %s\n", what, count, now_s() - t0,
           worst_error, kernel_failures() == failures_before ? "ok" : "FAILED");
    fflush(stdout);
}

/* Finds a backend by name and opens its first device; a backend without devices fails. */
static bool open_backend(const char *name, const lo_backend **backend, lo_backend_context **context)
{
    lo_error err = {0};
    lo_status st = lo_registry_find(name, backend, &err);
    CHECK_OK(st, &err);
    if (st) return false;
    size_t count = 0;
    lenet_onnx_device_desc desc;
    memset(&desc, 0, sizeof desc);
    CHECK_OK(st = (*backend)->list_devices(&desc, 1, &count, &err), &err);
    if (st) return false;
    CHECK_MSG(count > 0, "backend '%s' is built but finds no device", name);
    if (count == 0) return false;
    CHECK_OK(st = (*backend)->open(0, context, &err), &err);
    if (st) return false;
    (*backend)->device_info(*context, &desc);
    printf("%s: device 0 of %zu: %s (%s %s), alignment %zu bytes\n", name, count, desc.name,
           desc.driver, desc.driver_version, (*backend)->alignment(*context));
    return true;
}

/* The first backend of the build other than the reference one (automatic choice's order), or
 * the reference itself when it is the only one. */
static const char *default_backend(void)
{
    const char *name = "ref";
    for (size_t i = lo_registry_count(); i-- > 0;) {
        const lo_backend *backend = NULL;
        lo_error err = {0};
        if (lo_registry_get(i, &backend, &err) == LO_OK && strcmp(backend->name, "ref") != 0)
            name = backend->name;
    }
    return name;
}

int main(int argc, char **argv)
{
    /* The backend may be left out (a first argument starting with a digit is the seed). */
    const bool named = argc > 1 && !(argv[1][0] >= '0' && argv[1][0] <= '9');
    const char *name = named ? argv[1] : default_backend();
    const int first_number = named ? 2 : 1;
    uint64_t seed = 20240611u;
    double scale = 1.0;
    if (argc > first_number) seed = strtoull(argv[first_number], NULL, 0);
    if (argc > first_number + 1) scale = strtod(argv[first_number + 1], NULL);
    printf("seed %" PRIu64 " (rerun: test_kernels %s %" PRIu64 ")\n", seed, name, seed);
    ref_rng_seed(&rng, seed);

    int failures_before = kernel_failures();
    oracle_self_checks();
    printf("oracle self-checks: %s\n", kernel_failures() == failures_before ? "ok" : "FAILED");
    failures_before = kernel_failures();
    validator_checks();
    printf("step validation: %s\n", kernel_failures() == failures_before ? "ok" : "FAILED");
    fflush(stdout);

    if (!open_backend("ref", &ref_be, &ref_ctx) || !open_backend(name, &be, &ctx)) {
        if (ref_ctx) ref_be->close(ref_ctx);
        return kernel_exit_code();
    }
    const size_t a = be->alignment(ctx), r = ref_be->alignment(ref_ctx);
    CHECK(a > 0 && (a & (a - 1)) == 0 && r > 0 && (r & (r - 1)) == 0);
    align_bytes = a > r ? a : r; /* powers of two: the larger is a multiple of the other */
    if (!align_bytes) align_bytes = 128;
    fflush(stdout);

    const double t0 = now_s();
    const int k = (int)(scale * 200.0 + 0.5);
    run_cases(GEN_CONV, "conv", 4 * k);
    run_cases(GEN_CONV_POOL, "conv+maxpool", 2 * k);
    run_cases(GEN_CONV_LAYER, "conv layers", 32); /* each layer at two batch sizes */
    run_cases(GEN_POOL_F32, "maxpool f32", 3 * k);
    run_cases(GEN_POOL_U8, "maxpool u8", 2 * k);
    run_cases(GEN_GEMM, "gemm", 4 * k);
    run_cases(GEN_GEMM_CHAIN, "gemm chain", k);
    run_cases(GEN_UNARY, "unary relu", 2 * k);
    run_cases(GEN_COPY, "copy", 2 * k);
    run_cases(GEN_AVGPOOL, "averagepool", 2 * k);
    run_cases(GEN_PAD, "pad", 2 * k);
    run_cases(GEN_CONCAT, "concat", 2 * k);
    run_cases(GEN_TRANSPOSE, "transpose", 2 * k);
    run_cases(GEN_ACTIVATION, "activations", 2 * k);
    run_cases(GEN_BINARY, "binary", 3 * k);
    run_cases(GEN_SOFTMAX, "softmax", 2 * k);
    run_cases(GEN_BATCHNORM, "batchnorm", k);
    run_cases(GEN_MATMUL, "matmul", 2 * k);
    multi_step_tests();
    printf("backend tests: %.2f s\n", now_s() - t0);
    if (refused_optional)
        printf("%d steps with an optional fusion refused by %s (the core runs them apart)\n",
               refused_optional, be->name);

    be->close(ctx);
    ref_be->close(ref_ctx);
    return kernel_exit_code();
}
