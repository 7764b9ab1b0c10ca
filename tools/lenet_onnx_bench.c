/* lenet-onnx-bench: times whole inferences (session_run: input upload, every kernel, output
 * download) of one or more models per batch size, after a warm-up, and reports min, mean,
 * median, p90, p95, p99 and max latency, throughput, GFLOP/s against the machine's peak
 * (bench_peak.c) and the memory a session holds. --compare-ort times ONNX Runtime's CPU
 * execution provider on the same models, batches and inputs through the same timing loop
 * (bench_ort.c), in alternating rounds so that the machine's noise hits both, and prints their
 * ratio. --profile adds per-step times, FLOPs and GFLOP/s, also as a Chrome trace (--trace).
 * FLOPs are the library's count (session_step_cost), not the tool's guess. The contract
 * (options, JSON, exit codes) is in docs/cli.md.
 */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_inputs.h"
#include "bench_ort.h"
#include "bench_peak.h"
#include "bench_stats.h"
#include "cli.h"
#include "lenet-onnx/lenet_onnx.h"

#define PROGRAM         "lenet-onnx-bench"
#define DEFAULT_BATCHES "1,8,64,256,1024"
#define MAX_BATCHES     64
/* PoCL compiles each (kernel, local size) pair on its first launch: a few runs pay for that
 * before any run is timed, and a short timed-like phase settles caches and clocks. */
#define WARMUP_MIN_RUNS  5
#define MIN_TIMED_RUNS   3
#define MAX_PROFILE_RUNS 1000
#define MAX_ITERATIONS   100000000ul
/* --compare-ort: ours and ONNX Runtime take turns, this many rounds each of a share of the
 * budget, so a slow spell of the machine falls on both rather than on one. */
#define COMPARE_ROUNDS 5
/* The FMA loop that measures the peak at start-up. */
#define PEAK_SECONDS 0.2
#define MAX_PEAK     1e9 /* GFLOP/s: an exaflop; anything past it is a typo */
/* ONNX Runtime for --compare-ort when neither --ort-lib nor $LENET_ONNX_ORT_LIB says: the build
 * tree's link (a path relative to this program, so nothing of the build tree is printed or
 * needed by an installed copy), else the dynamic loader's search. */
#define ORT_SONAME "libonnxruntime.so.1"

typedef struct options {
    uint32_t batches[MAX_BATCHES];
    size_t n_batches;
    bool batches_given;
    double seconds;
    unsigned long iterations; /* 0: run for `seconds` */
    long warmup;              /* -1: the default (5 runs and a fifth of the time) */
    cli_device_choice device;
    bool list_devices, compare_ort, profile, json, quiet, help, version;
    char **models;
    size_t n_models;
    const char *input;  /* --input FILE, or NULL: random */
    const char *trace;  /* --trace FILE, or NULL */
    const char *plugin; /* --plugin, or NULL: the loader's search order */
    bool plugin_given;
    const char *ort_lib; /* --ort-lib, or NULL */
    double peak_gflops;  /* --peak, or 0: measured */
} options;

typedef struct result {
    const char *model;
    const char *runtime;
    const char *backend;
    const char *device;
    uint32_t batch;
    bench_stats stats;
    double images_per_s;
    uint64_t arena_bytes;
    uint64_t flops_per_run; /* the network's, as the library counts it; 0: not known */
    bool has_memory;        /* lenet-onnx rows of an ABI 4 library */
    lenet_onnx_session_memory memory;
    /* ONNX Runtime rows: its outputs against lenet-onnx's for the same inputs. */
    bool has_agreement;
    double max_abs_difference; /* the largest |lenet-onnx - ONNX Runtime| over every output */
    double max_abs_value;      /* the largest |ONNX Runtime output|, for scale */
} result;

static void usage(FILE *f)
{
    fputs("usage: " PROGRAM " [options] MODEL.onnx [MODEL.onnx ...]\n"
          "       " PROGRAM " [--backend B] --device list [--json]\n"
          "\n"
          "Times whole inferences (upload, kernels, download) per model and batch size after a\n"
          "warm-up: min, mean, median, p90, p95, p99, max, images/s and the arena.\n"
          "\n"
          "options:\n"
          "  --batch 1,8,...   batch sizes (default " DEFAULT_BATCHES "; a static batch: its own)\n"
          "  --seconds S       time each batch for S seconds (default 2)\n"
          "  --iterations N    time exactly N runs per batch instead\n"
          "  --warmup N        untimed runs first (default: 5 and a fifth of the time)\n"
          "  --input FILE      feed a PNG/JPEG image (scaled to [0,1]) or a .pb/.npy tensor,\n"
          "                    repeated over the batch (default: fixed pseudo-random values)\n"
          "  --profile         per-step times, FLOPs and GFLOP/s of each batch after the timings\n"
          "  --trace FILE      with --profile: also a Chrome trace (chrome://tracing, Perfetto)\n"
          "  --compare-ort     also time ONNX Runtime's CPU provider (one thread per core),\n"
          "                    loaded from --ort-lib, else $LENET_ONNX_ORT_LIB, else the build\n"
          "                    tree's copy, else " ORT_SONAME ", in alternating rounds with\n"
          "                    lenet-onnx, and print the ratio of the two per batch\n"
          "  --peak GFLOPS     the device's fp32 peak for % of peak (default: measured on the\n"
          "                    CPU by an FMA loop on every core; give a GPU's here)\n"
          "  --json            print one JSON object\n"
          "  --quiet           no progress on stderr (shown only on a terminal anyway)\n"
          "  --device D        an index, cpu, gpu, or part of a device name (default:\n"
          "                    $LENET_ONNX_DEVICE, else the first GPU, else the first device)\n"
          "  --device list     list the devices and exit (with --json: as JSON)\n"
          "  --backend NAME    a backend of the library (default: $LENET_ONNX_BACKEND, else auto)\n"
          "  --plugin PATH     the lenet-onnx library to load\n"
          "  --version         print the tool's and the library's versions and exit\n"
          "  -h, --help        print this help and exit\n"
          "\n"
          "exit status: 0 success, 1 device or runtime failure, 2 bad usage or a bad model\n",
          f);
}

static bool parse_batches(const char *s, options *o)
{
    o->n_batches = 0;
    for (const char *p = s;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char token[24];
        unsigned long v;
        if (n == 0 || n >= sizeof token || o->n_batches == MAX_BATCHES) return false;
        memcpy(token, p, n);
        token[n] = '\0';
        if (!cli_parse_uint(token, UINT32_MAX, &v) || v == 0) return false;
        o->batches[o->n_batches++] = (uint32_t)v;
        if (!comma) return true;
        p = comma + 1;
    }
}

static const cli_option bench_options[] = {
    {"--batch", true},  {"--seconds", true}, {"--iterations", true},   {"--warmup", true},
    {"--input", true},  {"--trace", true},   {"--device", true},       {"--backend", true},
    {"--plugin", true}, {"--ort-lib", true}, {"--compare-ort", false}, {"--profile", false},
    {"--json", false},  {"--quiet", false},  {"--help", false},        {"--version", false},
    {"--peak", true},   {NULL, false},
};

static int apply_option(void *state, const char *name, const char *value, cli_error *err)
{
    options *o = state;
    unsigned long n;
    if (strcmp(name, "--batch") == 0) {
        if (!parse_batches(value, o))
            return cli_fail(err, CLI_EXIT_USAGE,
                            "--batch '%s': expected a comma-separated list of positive integers",
                            value);
        o->batches_given = true;
    } else if (strcmp(name, "--seconds") == 0) {
        if (!cli_parse_double(value, &o->seconds) || !(o->seconds > 0.0) || o->seconds > 3600.0)
            return cli_fail(err, CLI_EXIT_USAGE,
                            "--seconds '%s': expected a number of seconds in (0, 3600]", value);
    } else if (strcmp(name, "--iterations") == 0) {
        if (!cli_parse_uint(value, MAX_ITERATIONS, &o->iterations) || o->iterations == 0)
            return cli_fail(err, CLI_EXIT_USAGE, "--iterations '%s': expected 1..%lu", value,
                            MAX_ITERATIONS);
    } else if (strcmp(name, "--warmup") == 0) {
        if (!cli_parse_uint(value, MAX_ITERATIONS, &n))
            return cli_fail(err, CLI_EXIT_USAGE, "--warmup '%s': expected 0..%lu", value,
                            MAX_ITERATIONS);
        o->warmup = (long)n;
    } else if (strcmp(name, "--input") == 0) {
        o->input = value;
    } else if (strcmp(name, "--trace") == 0) {
        o->trace = value;
    } else if (strcmp(name, "--device") == 0) {
        o->list_devices = strcmp(value, "list") == 0;
        o->device.device = o->list_devices ? NULL : value;
    } else if (strcmp(name, "--backend") == 0) {
        o->device.backend = value;
    } else if (strcmp(name, "--plugin") == 0) {
        o->plugin = value;
        o->plugin_given = true;
    } else if (strcmp(name, "--ort-lib") == 0) {
        o->ort_lib = value;
    } else if (strcmp(name, "--peak") == 0) {
        if (!cli_parse_double(value, &o->peak_gflops) || !(o->peak_gflops > 0.0) ||
            o->peak_gflops > MAX_PEAK)
            return cli_fail(err, CLI_EXIT_USAGE, "--peak '%s': expected GFLOP/s in (0, %g]", value,
                            MAX_PEAK);
    } else {
        bool *flag = strcmp(name, "--compare-ort") == 0 ? &o->compare_ort
                     : strcmp(name, "--profile") == 0   ? &o->profile
                     : strcmp(name, "--json") == 0      ? &o->json
                     : strcmp(name, "--quiet") == 0     ? &o->quiet
                     : strcmp(name, "--version") == 0   ? &o->version
                                                        : &o->help;
        *flag = true;
    }
    return 0;
}

static int parse_args(int argc, char **argv, options *o, cli_error *err)
{
    memset(o, 0, sizeof *o);
    o->seconds = 2.0;
    o->warmup = -1;
    parse_batches(DEFAULT_BATCHES, o);
    int rc = cli_parse(argc, argv, bench_options, apply_option, o, &o->models, &o->n_models, err);
    if (rc) return rc;
    if (o->help || o->version || o->list_devices) return 0;
    if (o->n_models == 0) return cli_fail(err, CLI_EXIT_USAGE, "no model given (see --help)");
    if (o->trace && !o->profile)
        return cli_fail(err, CLI_EXIT_USAGE, "--trace FILE needs --profile");
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Progress on stderr: one line per batch, rewritten in place, only on a terminal. */
typedef struct progress {
    bool on;
    const char *model;
    const char *runtime;
    uint32_t batch;
    double last;
} progress;

static void progress_show(progress *p, const char *phase, size_t runs, bool force)
{
    if (!p->on) return;
    double t = now_s();
    if (!force && t - p->last < 0.2) return;
    p->last = t;
    fprintf(stderr, "\r\033[K%s %s batch %" PRIu32 ": %s, %zu runs", p->model, p->runtime, p->batch,
            phase, runs);
    fflush(stderr);
}

static void progress_clear(progress *p)
{
    if (p->on) fputs("\r\033[K", stderr);
}

/* Host buffers for every input and output of a session. */
typedef struct io_buffers {
    void **in;
    void **out;
    size_t *in_bytes;
    size_t *out_bytes;
    size_t n_in, n_out;
} io_buffers;

static void io_free(io_buffers *io)
{
    for (size_t i = 0; io->in && i < io->n_in; i++)
        free(io->in[i]);
    for (size_t i = 0; io->out && i < io->n_out; i++)
        free(io->out[i]);
    free(io->in);
    free(io->out);
    free(io->in_bytes);
    free(io->out_bytes);
    memset(io, 0, sizeof *io);
}

static int io_alloc(const lenet_onnx_api *api, const lenet_onnx_session *s, const char *input,
                    io_buffers *io, cli_error *err)
{
    lenet_onnx_error lib = {0};
    io->n_in = api->session_io_count(s, LENET_ONNX_INPUT);
    io->n_out = api->session_io_count(s, LENET_ONNX_OUTPUT);
    io->in = calloc(io->n_in + 1, sizeof *io->in);
    io->out = calloc(io->n_out + 1, sizeof *io->out);
    io->in_bytes = calloc(io->n_in + 1, sizeof *io->in_bytes);
    io->out_bytes = calloc(io->n_out + 1, sizeof *io->out_bytes);
    if (!io->in || !io->out || !io->in_bytes || !io->out_bytes) goto oom;
    for (size_t k = 0; k < 2; k++) {
        lenet_onnx_io_kind kind = k ? LENET_ONNX_OUTPUT : LENET_ONNX_INPUT;
        size_t n = k ? io->n_out : io->n_in;
        void **bufs = k ? io->out : io->in;
        for (size_t i = 0; i < n; i++) {
            lenet_onnx_tensor_info info;
            lenet_onnx_status status = api->session_io_info(s, kind, i, &info, &lib);
            if (status != LENET_ONNX_OK)
                return cli_fail_library(err, api, status, &lib, CLI_EXIT_RUNTIME,
                                        "session_io_info");
            if (info.size_bytes > SIZE_MAX) goto oom;
            size_t bytes = (size_t)info.size_bytes;
            bufs[i] = calloc(bytes ? bytes : 1, 1);
            if (!bufs[i]) goto oom;
            if (kind == LENET_ONNX_OUTPUT) {
                io->out_bytes[i] = info.dtype == LENET_ONNX_DTYPE_FLOAT32 ? bytes : 0;
                continue;
            }
            io->in_bytes[i] = bytes;
            /* The file feeds the first input; any other input gets the random values. */
            if (bench_inputs_fill(i == 0 ? input : NULL, &info, bufs[i], err->message,
                                  sizeof err->message))
                return err->exit_code = CLI_EXIT_USAGE;
        }
    }
    return 0;
oom:
    return cli_fail(err, CLI_EXIT_RUNTIME,
                    "out of host memory for the session's inputs and "
                    "outputs");
}

/* One whole inference of some runtime: 0, or an exit code with err filled. The one warm-up and
 * timing loop below serves lenet-onnx and ONNX Runtime alike through it. */
typedef struct runner {
    int (*run)(void *self, cli_error *err);
    void *self;
} runner;

typedef struct lenet_runner {
    const lenet_onnx_api *api;
    lenet_onnx_session *session;
    const io_buffers *io;
    uint32_t batch;
} lenet_runner;

static int lenet_run(void *self, cli_error *err)
{
    lenet_runner *r = self;
    lenet_onnx_error lib = {0};
    lenet_onnx_status status =
        r->api->session_run(r->session, (const void *const *)r->io->in, r->io->out, &lib);
    if (status == LENET_ONNX_OK) return 0;
    char where[64];
    snprintf(where, sizeof where, "session_run (batch %" PRIu32 ")", r->batch);
    /* a run of a session that was created fine fails because of the device */
    return cli_fail_library(err, r->api, status, &lib, CLI_EXIT_RUNTIME, where);
}

typedef struct ort_runner {
    bench_ort_session *session;
    uint32_t batch;
} ort_runner;

static int ort_run(void *self, cli_error *err)
{
    ort_runner *r = self;
    char msg[512];
    if (bench_ort_session_run(r->session, msg, sizeof msg) == 0) return 0;
    return cli_fail(err, CLI_EXIT_RUNTIME, "onnxruntime (batch %" PRIu32 "): %s", r->batch, msg);
}

/* --warmup N runs, else at least WARMUP_MIN_RUNS and a fifth of the timed budget. */
static int warm_up(const runner *r, const options *o, progress *p, cli_error *err)
{
    double start = now_s();
    for (size_t i = 0;; i++) {
        if (o->warmup >= 0 && i >= (size_t)o->warmup) return 0;
        int rc = r->run(r->self, err);
        if (rc) return rc;
        progress_show(p, "warm-up", i + 1, false);
        if (o->warmup < 0 && i + 1 >= WARMUP_MIN_RUNS &&
            (o->iterations || now_s() - start >= o->seconds * 0.2))
            return 0;
    }
}

/* Run times of one runtime, pooled over rounds. */
typedef struct samples {
    double *ms;
    size_t n, cap;
} samples;

static int samples_add(samples *s, double ms, cli_error *err)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        double *grown = realloc(s->ms, cap * sizeof *grown);
        if (!grown) return cli_fail(err, CLI_EXIT_RUNTIME, "out of host memory");
        s->ms = grown;
        s->cap = cap;
    }
    s->ms[s->n++] = ms;
    return 0;
}

/* How long one round runs: exactly `runs` runs when fixed, else for `seconds` and at least
 * `min_runs` runs. */
typedef struct round_budget {
    bool fixed;
    size_t runs;
    double seconds;
    size_t min_runs;
} round_budget;

static int time_round(const runner *r, const round_budget *b, progress *p, samples *s,
                      cli_error *err)
{
    const double start = now_s();
    size_t done = 0;
    int rc = 0;
    while (!rc &&
           (b->fixed ? done < b->runs : done < b->min_runs || now_s() - start < b->seconds)) {
        double t0 = now_s();
        rc = r->run(r->self, err);
        if (!rc) rc = samples_add(s, (now_s() - t0) * 1e3, err);
        done++;
        progress_show(p, "timing", s->n, false);
    }
    return rc;
}

/* The statistics of the pooled runs, and throughput over the time they took. */
static void samples_finish(samples *s, uint32_t batch, result *res)
{
    bench_stats_compute(s->ms, s->n, &res->stats);
    res->batch = batch;
    double total = res->stats.duration_s;
    res->images_per_s = total > 0.0 ? (double)batch * (double)s->n / total : 0.0;
}

/* Warm-up, then --iterations runs or runs for --seconds; fills res's timings. */
static int time_runs(const runner *r, const options *o, progress *p, result *res, cli_error *err)
{
    samples s = {0};
    const round_budget all = {o->iterations != 0, o->iterations, o->seconds, MIN_TIMED_RUNS};
    int rc = warm_up(r, o, p, err);
    if (!rc) rc = time_round(r, &all, p, &s, err);
    if (!rc) samples_finish(&s, p->batch, res);
    free(s.ms);
    return rc;
}

/* The ONNX Runtime side of --compare-ort; ort is NULL when it is off or has failed. */
typedef struct ort_compare {
    bench_ort *ort;
    const char *device;
} ort_compare;

/* Ends the comparison after an ONNX Runtime failure: said on stderr; lenet-onnx goes on. */
static void ort_give_up(ort_compare *cmp, const cli_error *err)
{
    fprintf(stderr, PROGRAM ": %s; --compare-ort: no more ONNX Runtime rows\n", err->message);
    cmp->ort = NULL;
}

/* Ours and ONNX Runtime in turns: both warmed up, then COMPARE_ROUNDS rounds of ours then
 * theirs, each round a COMPARE_ROUNDS-th of the budget, the runs of each pooled. res[0] gets
 * ours, res[1] theirs (*rows 2); when ONNX Runtime fails the comparison ends there and ours
 * runs every round alone (*rows 1). */
static int compare_runs(const runner *ours, bench_ort_session *session, const options *o,
                        const char *model, uint32_t batch, ort_compare *cmp, result *res,
                        size_t *rows, cli_error *err)
{
    ort_runner ort = {session, batch};
    const runner theirs = {ort_run, &ort};
    progress p_ours = {!o->quiet && isatty(2), model, "lenet-onnx", batch, 0.0};
    progress p_theirs = p_ours;
    p_theirs.runtime = "onnxruntime";
    samples a = {0}, b = {0};
    cli_error ort_err = {0};
    int rc = warm_up(ours, o, &p_ours, err);
    bool ort_on = !rc && warm_up(&theirs, o, &p_theirs, &ort_err) == 0;
    for (unsigned long k = 0; !rc && k < COMPARE_ROUNDS; k++) {
        const round_budget share = {o->iterations != 0,
                                    o->iterations * (k + 1) / COMPARE_ROUNDS -
                                        o->iterations * k / COMPARE_ROUNDS,
                                    o->seconds / COMPARE_ROUNDS, 1};
        rc = time_round(ours, &share, &p_ours, &a, err);
        if (!rc && ort_on) ort_on = time_round(&theirs, &share, &p_theirs, &b, &ort_err) == 0;
    }
    progress_clear(&p_ours);
    if (!rc) {
        samples_finish(&a, batch, &res[0]);
        *rows = 1;
        if (ort_on) {
            samples_finish(&b, batch, &res[1]);
            *rows = 2;
        } else {
            ort_give_up(cmp, &ort_err);
        }
    }
    free(a.ms);
    free(b.ms);
    return rc;
}

static int create_session(const lenet_onnx_api *api, lenet_onnx_context *ctx,
                          const lenet_onnx_model *model, uint32_t batch, bool profiling,
                          lenet_onnx_session **out, cli_error *err)
{
    lenet_onnx_session_options so = {0};
    lenet_onnx_error lib = {0};
    so.struct_size = sizeof so;
    so.batch_size = batch;
    so.profiling = profiling ? 1u : 0u;
    lenet_onnx_status status = api->session_create(ctx, model, &so, out, &lib);
    if (status == LENET_ONNX_OK) return 0;
    char where[64];
    snprintf(where, sizeof where, "session_create (batch %" PRIu32 ")", batch);
    return cli_fail_library(err, api, status, &lib, cli_exit_code_for(status), where);
}

/* Everything one model's timing needs. */
typedef struct bench_target {
    const lenet_onnx_api *api;
    lenet_onnx_context *ctx;
    const lenet_onnx_model *model;
    const char *path;
    const options *o;
    const cli_device *device;
    double peak_gflops; /* --peak, or measured; 0: unknown */
} bench_target;

/* The network's FLOPs per run: the library's per-step counts (ABI 4) summed; 0 when the
 * library cannot say. */
static uint64_t network_flops(const lenet_onnx_api *api, const lenet_onnx_session *s,
                              uint32_t steps)
{
    uint64_t total = 0;
    lenet_onnx_error lib = {0};
    if (!CLI_HAS_SLOT(api, session_step_cost)) return 0;
    for (uint32_t i = 0; i < steps; i++) {
        lenet_onnx_step_cost cost = {.struct_size = sizeof cost};
        if (api->session_step_cost(s, i, &cost, &lib) != LENET_ONNX_OK) return 0;
        total += cost.flops;
    }
    return total;
}

/* The session's arena, its lower bound and its constants (ABI 4); false when not known. */
static bool memory_of(const lenet_onnx_api *api, const lenet_onnx_session *s,
                      lenet_onnx_session_memory *out)
{
    lenet_onnx_error lib = {0};
    memset(out, 0, sizeof *out);
    out->struct_size = sizeof *out;
    return CLI_HAS_SLOT(api, session_memory) && api->session_memory(s, out, &lib) == LENET_ONNX_OK;
}

/* One batch: the lenet-onnx row in res[0], then ONNX Runtime's in res[1] when comparing (the
 * two timed in alternating rounds). */
static int bench_batch(const bench_target *t, uint32_t batch, ort_compare *cmp, result *res,
                       size_t *n_rows, cli_error *err)
{
    const lenet_onnx_api *api = t->api;
    lenet_onnx_session *s = NULL;
    io_buffers io = {0};
    lenet_onnx_session_stats stats = {0};
    lenet_onnx_error lib = {0};

    *n_rows = 0;
    int rc = create_session(api, t->ctx, t->model, batch, false, &s, err);
    if (!rc) rc = io_alloc(api, s, t->o->input, &io, err);
    if (!rc) {
        lenet_onnx_status status = api->session_stats(s, &stats, &lib);
        if (status != LENET_ONNX_OK)
            rc = cli_fail_library(err, api, status, &lib, CLI_EXIT_RUNTIME, "session_stats");
    }
    bench_ort_session *theirs = NULL;
    if (!rc && cmp->ort) {
        char msg[512];
        theirs = bench_ort_session_create(cmp->ort, t->path, batch, io.in, io.in_bytes, io.n_in,
                                          msg, sizeof msg);
        if (!theirs) {
            cli_error ort_err = {0};
            cli_fail(&ort_err, CLI_EXIT_RUNTIME, "onnxruntime (batch %" PRIu32 "): %s", batch, msg);
            ort_give_up(cmp, &ort_err);
        }
    }
    if (!rc) {
        lenet_runner lr = {api, s, &io, batch};
        runner ours = {lenet_run, &lr};
        if (theirs) {
            rc = compare_runs(&ours, theirs, t->o, t->path, batch, cmp, res, n_rows, err);
        } else {
            progress p = {!t->o->quiet && isatty(2), t->path, "lenet-onnx", batch, 0.0};
            rc = time_runs(&ours, t->o, &p, &res[0], err);
            progress_clear(&p);
            *n_rows = rc ? 0 : 1;
        }
    }
    if (!rc) {
        res[0].model = t->path;
        res[0].runtime = "lenet-onnx";
        res[0].backend = t->device->backend;
        res[0].device = t->device->name;
        res[0].arena_bytes = stats.arena_bytes;
        res[0].flops_per_run = network_flops(api, s, stats.step_count);
        res[0].has_memory = memory_of(api, s, &res[0].memory);
    }
    if (!rc && *n_rows == 2) {
        /* io.out holds lenet-onnx's outputs of the last timed run of these inputs. */
        char msg[256];
        res[1].has_agreement =
            bench_ort_session_compare(theirs, io.out, io.out_bytes, io.n_out,
                                      &res[1].max_abs_difference, &res[1].max_abs_value, msg,
                                      sizeof msg) == 0;
        if (!res[1].has_agreement && !t->o->quiet)
            fprintf(stderr, PROGRAM ": %s (batch %" PRIu32 "): outputs not compared: %s\n", t->path,
                    batch, msg);
        res[1].model = t->path;
        res[1].runtime = "onnxruntime";
        res[1].backend = "cpu";
        res[1].device = cmp->device;
        res[1].arena_bytes = 0; /* ONNX Runtime does not expose its arena's size */
        res[1].flops_per_run = res[0].flops_per_run; /* the same network */
    }
    bench_ort_session_release(theirs);
    io_free(&io);
    if (s) api->session_release(s);
    return rc;
}

/* The Chrome trace (--trace): one complete event ("ph": "X") per step of one profiled run per
 * batch, a process per model and a thread per batch. */
typedef struct trace_file {
    FILE *f;
    size_t events;
    double clock_us; /* the steps of successive runs are laid end to end */
} trace_file;

static void trace_step(trace_file *tr, size_t model_index, uint32_t batch,
                       const lenet_onnx_step_timing *step)
{
    if (!tr->f) return;
    fputs(tr->events++ ? ",\n  " : "\n  ", tr->f);
    fputs("{\"name\": ", tr->f);
    cli_json_string(tr->f, step->op_type);
    fprintf(tr->f,
            ", \"cat\": \"step\", \"ph\": \"X\", \"ts\": %.3f, \"dur\": %.3f, \"pid\": %zu, "
            "\"tid\": %" PRIu32 ", \"args\": {\"node\": ",
            tr->clock_us, step->milliseconds * 1e3, model_index, batch);
    cli_json_string(tr->f, step->node_name);
    fputs("}}", tr->f);
    tr->clock_us += step->milliseconds * 1e3;
}

static void trace_names(trace_file *tr, size_t model_index, const char *model, uint32_t batch)
{
    if (!tr->f) return;
    fputs(tr->events++ ? ",\n  " : "\n  ", tr->f);
    fprintf(tr->f,
            "{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": %zu, \"args\": "
            "{\"name\": ",
            model_index);
    cli_json_string(tr->f, model);
    fprintf(tr->f,
            "}},\n  {\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": %zu, \"tid\": "
            "%" PRIu32 ", \"args\": {\"name\": \"batch %" PRIu32 "\"}}",
            model_index, batch, batch);
}

/* "12.3" GFLOP/s and "4.5%" of peak, or "-" where a figure is not known. */
static void format_rate(uint64_t flops, double ms, double peak, char *rate, size_t rate_size,
                        char *share, size_t share_size)
{
    double gflops = flops && ms > 0.0 ? (double)flops / (ms * 1e-3) * 1e-9 : 0.0;
    if (gflops > 0.0)
        snprintf(rate, rate_size, "%.2f", gflops);
    else
        snprintf(rate, rate_size, "-");
    if (gflops > 0.0 && peak > 0.0)
        snprintf(share, share_size, "%.2f%%", 100.0 * gflops / peak);
    else
        snprintf(share, share_size, "-");
}

static void print_profile_row(FILE *f, const char *index, const char *op, const char *node,
                              double ms, uint64_t flops, double peak)
{
    char rate[32], share[32];
    format_rate(flops, ms, peak, rate, sizeof rate, share, sizeof share);
    fprintf(f, "  %-4s %-24s %-32s %12.4f %12.4f %10s %8s\n", index, op, node, ms,
            (double)flops * 1e-6, rate, share);
}

/* Per-step times from a profiling session, averaged over runs, with each step's FLOPs as the
 * library counts them. Profiling adds a wait per step, so these are for finding the slow step
 * (and how far from the peak it runs), not for comparing with the timed results. */
static int profile_batch(const bench_target *t, size_t model_index, uint32_t batch, FILE *f,
                         trace_file *tr, cli_error *err)
{
    const lenet_onnx_api *api = t->api;
    lenet_onnx_session *s = NULL;
    io_buffers io = {0};
    lenet_onnx_session_stats stats = {0};
    lenet_onnx_error lib = {0};
    lenet_onnx_step_timing *steps = NULL;
    double *sums = NULL;
    size_t n_steps = 0, runs = 0;

    int rc = create_session(api, t->ctx, t->model, batch, true, &s, err);
    if (!rc) rc = io_alloc(api, s, t->o->input, &io, err);
    if (!rc && api->session_stats(s, &stats, &lib) != LENET_ONNX_OK)
        rc = cli_fail_library(err, api, lib.status, &lib, CLI_EXIT_RUNTIME, "session_stats");
    lenet_runner lr = {api, s, &io, batch};
    runner r = {lenet_run, &lr};
    progress p = {false, t->path, "lenet-onnx", batch, 0.0};
    if (!rc) rc = warm_up(&r, t->o, &p, err);
    if (!rc) {
        size_t cap = stats.step_count ? stats.step_count : 1;
        steps = calloc(cap, sizeof *steps);
        sums = calloc(cap, sizeof *sums);
        if (!steps || !sums) rc = cli_fail(err, CLI_EXIT_RUNTIME, "out of host memory");
        n_steps = cap;
    }
    double start = now_s();
    size_t wanted = t->o->iterations ? t->o->iterations : MAX_PROFILE_RUNS;
    while (!rc && runs < wanted && runs < MAX_PROFILE_RUNS &&
           (t->o->iterations || runs < MIN_TIMED_RUNS || now_s() - start < t->o->seconds * 0.5)) {
        size_t count = 0;
        rc = lenet_run(&lr, err);
        if (!rc && api->session_step_timings(s, steps, n_steps, &count, &lib) != LENET_ONNX_OK)
            rc = cli_fail_library(err, api, lib.status, &lib, CLI_EXIT_RUNTIME,
                                  "session_step_timings");
        if (rc) break;
        if (count < n_steps) n_steps = count;
        if (runs == 0) trace_names(tr, model_index, t->path, batch);
        for (size_t i = 0; i < n_steps; i++) {
            sums[i] += steps[i].milliseconds;
            if (runs == 0) trace_step(tr, model_index, batch, &steps[i]);
        }
        runs++;
    }
    if (!rc) {
        double total = 0.0;
        uint64_t total_flops = 0;
        fprintf(f, "\nprofile of %s, batch %" PRIu32 " (mean of %zu profiled runs):\n", t->path,
                batch, runs);
        fprintf(f, "  %-4s %-24s %-32s %12s %12s %10s %8s\n", "step", "op", "node", "ms", "MFLOP",
                "GFLOP/s", "%peak");
        for (size_t i = 0; i < n_steps; i++) {
            double ms = sums[i] / (double)runs;
            lenet_onnx_step_cost cost = {.struct_size = sizeof cost};
            if (!CLI_HAS_SLOT(api, session_step_cost) ||
                api->session_step_cost(s, i, &cost, &lib) != LENET_ONNX_OK)
                cost.flops = 0;
            char index[24];
            snprintf(index, sizeof index, "%zu", i);
            print_profile_row(f, index, steps[i].op_type, steps[i].node_name, ms, cost.flops,
                              t->peak_gflops);
            total += ms;
            total_flops += cost.flops;
        }
        print_profile_row(f, "", "total", "", total, total_flops, t->peak_gflops);
    }
    free(steps);
    free(sums);
    io_free(&io);
    if (s) api->session_release(s);
    return rc;
}

/* JSON has no inf or nan; timings are always finite, this only guards the format. */
static double finite_or_zero(double v)
{
    return isfinite(v) ? v : 0.0;
}

/* The network's GFLOP/s over a row's timed runs; 0 when its FLOPs are not known. */
static double row_gflops(const result *r)
{
    return r->batch ? (double)r->flops_per_run * r->images_per_s / (double)r->batch * 1e-9 : 0.0;
}

/* res[i] and res[i + 1] are the two runtimes on one model and batch. */
static bool is_pair(const result *res, size_t n, size_t i)
{
    return i + 1 < n && strcmp(res[i].runtime, "lenet-onnx") == 0 &&
           strcmp(res[i + 1].runtime, "onnxruntime") == 0 && res[i].batch == res[i + 1].batch &&
           strcmp(res[i].model, res[i + 1].model) == 0;
}

/* lenet-onnx's images/s over ONNX Runtime's (above 1: faster), and median latency over
 * theirs (below 1: faster). */
static void pair_ratios(const result *ours, const result *theirs, double *throughput,
                        double *latency)
{
    *throughput = theirs->images_per_s > 0.0 ? ours->images_per_s / theirs->images_per_s : 0.0;
    *latency =
        theirs->stats.median_ms > 0.0 ? ours->stats.median_ms / theirs->stats.median_ms : 0.0;
}

static void print_json(const lenet_onnx_api *api, const options *o, const bench_peak *peak,
                       bool peak_measured, const result *res, size_t n)
{
    printf("{\"tool\": \"" PROGRAM "\", \"version\": ");
    cli_json_string(stdout, cli_tools_version());
    printf(", \"library_version\": ");
    cli_json_string(stdout, api->version_string());
    printf(", \"seconds\": %.6g, \"iterations\": %lu, \"peak_gflops\": %.6g, \"peak_source\": ",
           o->iterations ? 0 : o->seconds, o->iterations, finite_or_zero(peak->gflops));
    cli_json_string(stdout, peak_measured ? "measured" : peak->gflops > 0.0 ? "--peak" : "none");
    printf(", \"peak_threads\": %d", peak_measured ? peak->threads : 0);
    if (o->compare_ort) printf(", \"compare_rounds\": %d", COMPARE_ROUNDS);
    printf(", \"results\": [");
    for (size_t i = 0; i < n; i++) {
        const result *r = &res[i];
        const bench_stats *s = &r->stats;
        printf("%s\n  {\"model\": ", i ? "," : "");
        cli_json_string(stdout, r->model);
        printf(", \"runtime\": ");
        cli_json_string(stdout, r->runtime);
        printf(", \"backend\": ");
        cli_json_string(stdout, r->backend);
        printf(", \"device\": ");
        cli_json_string(stdout, r->device);
        printf(", \"batch\": %" PRIu32 ", \"runs\": %zu, \"duration_s\": %.6g, \"min_ms\": %.6g, "
               "\"mean_ms\": %.6g, \"median_ms\": %.6g, \"p90_ms\": %.6g, \"p95_ms\": %.6g, "
               "\"p99_ms\": %.6g, \"max_ms\": %.6g, \"images_per_s\": %.6g, \"arena_bytes\": "
               "%" PRIu64 ", \"flops_per_run\": %" PRIu64 ", \"gflops\": %.6g",
               r->batch, s->runs, finite_or_zero(s->duration_s), finite_or_zero(s->min_ms),
               finite_or_zero(s->mean_ms), finite_or_zero(s->median_ms), finite_or_zero(s->p90_ms),
               finite_or_zero(s->p95_ms), finite_or_zero(s->p99_ms), finite_or_zero(s->max_ms),
               finite_or_zero(r->images_per_s), r->arena_bytes, r->flops_per_run,
               finite_or_zero(row_gflops(r)));
        if (r->has_memory)
            printf(", \"arena_lower_bound_bytes\": %" PRIu64 ", \"naive_arena_bytes\": %" PRIu64
                   ", \"model_constant_bytes\": %" PRIu64 ", \"device_constant_bytes\": %" PRIu64,
                   r->memory.arena_lower_bound_bytes, r->memory.naive_arena_bytes,
                   r->memory.model_constant_bytes, r->memory.device_constant_bytes);
        printf("}");
    }
    printf("\n], \"comparisons\": [");
    size_t pairs = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_pair(res, n, i)) continue;
        double throughput, latency;
        pair_ratios(&res[i], &res[i + 1], &throughput, &latency);
        printf("%s\n  {\"model\": ", pairs++ ? "," : "");
        cli_json_string(stdout, res[i].model);
        printf(", \"batch\": %" PRIu32 ", \"images_per_s_ratio\": %.6g, "
               "\"median_latency_ratio\": %.6g",
               res[i].batch, finite_or_zero(throughput), finite_or_zero(latency));
        if (res[i + 1].has_agreement)
            printf(", \"max_abs_difference\": %.6g, \"max_abs_value\": %.6g",
                   res[i + 1].max_abs_difference, res[i + 1].max_abs_value);
        printf("}");
    }
    printf("%s]}\n", pairs ? "\n" : "");
}

static void print_table_header(const options *o, const cli_device *device, const bench_ort *ort,
                               const char *ort_device, const bench_peak *peak, bool peak_measured)
{
    printf("device:  %s\nbackend: %s\n", device->name, device->backend);
    if (o->iterations)
        printf("timed:   %lu runs per batch, whole inferences (upload + kernels + download)\n",
               o->iterations);
    else
        printf("timed:   %g s per batch, whole inferences (upload + kernels + download)\n",
               o->seconds);
    if (peak_measured)
        printf("peak:    %.1f GFLOP/s fp32 (measured: FMA loop, %d threads, %s)%s\n", peak->gflops,
               peak->threads, peak->isa,
               device->type == LENET_ONNX_DEVICE_TYPE_CPU
                   ? ""
                   : "; that is the CPU's: give the device's with --peak");
    else if (peak->gflops > 0.0)
        printf("peak:    %.1f GFLOP/s fp32 (given: --peak)\n", peak->gflops);
    else
        printf("peak:    unknown (the FMA loop could not run; give it with --peak)\n");
    printf("flops:   the network's, counted by the library from the planned steps (a "
           "multiply-add is 2)\n");
    if (ort)
        printf("onnxruntime %s: default CPU execution provider, %d intra-op threads (one per "
               "core), on %s;\n         timed in %d alternating rounds with lenet-onnx; "
               "arena_bytes 0: ONNX Runtime does not expose its arena size\n",
               bench_ort_version(ort), bench_ort_threads(ort), ort_device, COMPARE_ROUNDS);
}

static void print_model_header(const char *model)
{
    printf("\nmodel:   %s\n%-11s %6s %9s %9s %9s %9s %9s %9s %9s %12s %12s %8s %9s %7s\n", model,
           "runtime", "batch", "min_ms", "mean_ms", "median_ms", "p90_ms", "p95_ms", "p99_ms",
           "max_ms", "images/s", "arena_bytes", "runs", "GFLOP/s", "%peak");
}

static void print_table_row(const result *r, double peak)
{
    const bench_stats *s = &r->stats;
    char rate[32], share[32];
    double seconds_per_run = r->images_per_s > 0.0 ? (double)r->batch / r->images_per_s : 0.0;
    format_rate(r->flops_per_run, seconds_per_run * 1e3, peak, rate, sizeof rate, share,
                sizeof share);
    printf("%-11s %6" PRIu32 " %9.4f %9.4f %9.4f %9.4f %9.4f %9.4f %9.4f %12.1f %12" PRIu64
           " %8zu %9s %7s\n",
           r->runtime, r->batch, s->min_ms, s->mean_ms, s->median_ms, s->p90_ms, s->p95_ms,
           s->p99_ms, s->max_ms, r->images_per_s, r->arena_bytes, s->runs, rate, share);
    fflush(stdout);
}

/* After a batch's two rows: how lenet-onnx compares, in plain words. */
static void print_ratio(const result *ours, const result *theirs)
{
    double throughput, latency;
    pair_ratios(ours, theirs, &throughput, &latency);
    printf("%-11s %6" PRIu32 ": %.2fx ORT's images/s (%s), median %.2fx ORT's latency (%s)\n",
           "ratio", ours->batch, throughput, throughput >= 1.0 ? "faster" : "slower", latency,
           latency <= 1.0 ? "faster" : "slower");
    if (theirs->has_agreement)
        printf("%-11s %6" PRIu32 ": outputs differ from ORT's by at most %.3g (largest |value| "
               "%.3g)\n",
               "agreement", ours->batch, theirs->max_abs_difference, theirs->max_abs_value);
    fflush(stdout);
}

/* Per model, after its table: what each batch's session holds. */
static void print_memory(const result *res, size_t n)
{
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        const result *r = &res[i];
        if (!r->has_memory) continue;
        if (!any)
            printf("memory:  %6s %12s %12s %12s %14s %14s\n", "batch", "arena_bytes", "lower_bound",
                   "naive_bytes", "model_consts", "device_consts");
        any = true;
        printf("         %6" PRIu32 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %14" PRIu64
               " %14" PRIu64 "\n",
               r->batch, r->memory.arena_bytes, r->memory.arena_lower_bound_bytes,
               r->memory.naive_arena_bytes, r->memory.model_constant_bytes,
               r->memory.device_constant_bytes);
    }
    if (any)
        printf("         (lower_bound: the most bytes alive at one step, no arena can be "
               "smaller; device_consts: what\n          the backend reads the weights from, in "
               "its layouts, shared with other sessions of the model)\n");
}

/* The batches to time: the model's own when its batch is static, else the requested list. */
static int pick_batches(const lenet_onnx_api *api, const lenet_onnx_model *model, const char *path,
                        const options *o, uint32_t *batches, size_t *n, cli_error *err)
{
    lenet_onnx_tensor_info info;
    lenet_onnx_error lib = {0};
    memcpy(batches, o->batches, o->n_batches * sizeof *batches);
    *n = o->n_batches;
    if (api->model_io_count(model, LENET_ONNX_INPUT) == 0)
        return cli_fail(err, CLI_EXIT_USAGE, "%s: the model has no inputs", path);
    lenet_onnx_status status = api->model_io_info(model, LENET_ONNX_INPUT, 0, &info, &lib);
    if (status != LENET_ONNX_OK)
        return cli_fail_library(err, api, status, &lib, cli_exit_code_for(status), path);
    if (info.rank == 0 || info.dims[0] < 0) return 0;
    uint32_t fixed = info.dims[0] > 0 && info.dims[0] <= UINT32_MAX ? (uint32_t)info.dims[0] : 1;
    if (o->batches_given && (o->n_batches != 1 || o->batches[0] != fixed))
        fprintf(stderr,
                PROGRAM ": %s: input '%s' has a static batch of %" PRIu32 ", timing that batch "
                        "only\n",
                path, info.name, fixed);
    batches[0] = fixed;
    *n = 1;
    return 0;
}

/* ONNX Runtime's library: --ort-lib, $LENET_ONNX_ORT_LIB, the build tree's, the loader's. */
static const char *ort_library(const options *o, char *buffer, size_t size)
{
    const char *env_lib = getenv("LENET_ONNX_ORT_LIB");
    if (o->ort_lib) return o->ort_lib;
    if (env_lib && *env_lib) return env_lib;
#ifdef LO_BENCH_ORT_BUILD_REL
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            int written = snprintf(buffer, size, "%s/%s", exe, LO_BENCH_ORT_BUILD_REL);
            if (written > 0 && (size_t)written < size && access(buffer, F_OK) == 0) return buffer;
        }
    }
#else
    (void)buffer;
    (void)size;
#endif
    return ORT_SONAME;
}

/* Times every batch of one model, then profiles it when asked. */
static int bench_model(bench_target *t, size_t model_index, ort_compare *cmp, result *res,
                       size_t *n_res, trace_file *tr, cli_error *err)
{
    const options *o = t->o;
    lenet_onnx_model *model = NULL;
    lenet_onnx_error lib = {0};
    lenet_onnx_status status = t->api->model_load_file(t->path, &model, &lib);
    if (status != LENET_ONNX_OK)
        return cli_fail_library(err, t->api, status, &lib, cli_exit_code_for(status), t->path);
    t->model = model;
    uint32_t batches[MAX_BATCHES];
    size_t n_batches;
    int rc = pick_batches(t->api, model, t->path, o, batches, &n_batches, err);
    if (!rc && !o->json) print_model_header(t->path);
    const size_t first = *n_res;
    for (size_t i = 0; i < n_batches && !rc; i++) {
        size_t rows = 0;
        rc = bench_batch(t, batches[i], cmp, &res[*n_res], &rows, err);
        for (size_t k = 0; k < rows && !o->json; k++)
            print_table_row(&res[*n_res + k], t->peak_gflops);
        if (rows == 2 && !o->json) print_ratio(&res[*n_res], &res[*n_res + 1]);
        *n_res += rows;
    }
    if (!rc && !o->json) print_memory(&res[first], *n_res - first);
    for (size_t i = 0; i < n_batches && !rc && o->profile; i++)
        rc = profile_batch(t, model_index, batches[i], o->json ? stderr : stdout, tr, err);
    t->api->model_release(model);
    t->model = NULL;
    return rc;
}

int main(int argc, char **argv)
{
    options o;
    cli_error err = {0};
    int rc = parse_args(argc, argv, &o, &err);
    if (!rc && o.help) usage(stdout);
    if (!rc && o.version) rc = cli_print_version(PROGRAM, o.plugin, o.plugin_given, &err);
    if (rc || o.help || o.version) {
        if (rc) cli_report(PROGRAM, &err);
        free(o.models);
        return rc;
    }
    cli_device_choice_defaults(&o.device);
    const lenet_onnx_api *api = cli_load_plugin(o.plugin, o.plugin_given, &err);
    if (!api || o.list_devices) {
        rc = api ? cli_list_devices(api, &o.device, o.json, &err) : err.exit_code;
        if (rc) cli_report(PROGRAM, &err);
        free(o.models);
        return rc;
    }
    bench_ort *ort = NULL;
    char cpu_name[128], message[1024], ort_path[4096];
    bench_ort_cpu_name(cpu_name, sizeof cpu_name);
    if (o.compare_ort) {
        ort = bench_ort_open(ort_library(&o, ort_path, sizeof ort_path), message, sizeof message);
        if (!ort)
            fprintf(stderr,
                    PROGRAM ": --compare-ort: ONNX Runtime unavailable (%s); reporting "
                            "lenet-onnx results only\n",
                    message);
    }
    ort_compare cmp = {ort, cpu_name};
    lenet_onnx_context *ctx = NULL;
    cli_device device;
    result *res = NULL;
    size_t n_res = 0;
    trace_file tr = {NULL, 0, 0.0};
    rc = cli_open_context(api, &o.device, &ctx, &device, &err);
    if (!rc) {
        res = calloc(2 * MAX_BATCHES * o.n_models, sizeof *res);
        if (!res) rc = cli_fail(&err, CLI_EXIT_RUNTIME, "out of host memory");
    }
    if (!rc && o.trace) {
        tr.f = fopen(o.trace, "w");
        if (!tr.f) rc = cli_fail(&err, CLI_EXIT_USAGE, "--trace %s: cannot write", o.trace);
        if (tr.f) fputs("{\"displayTimeUnit\": \"ms\", \"traceEvents\": [", tr.f);
    }
    /* The peak before any session runs, so that nothing else competes for the cores. */
    bench_peak peak = {o.peak_gflops, 0, ""};
    bool peak_measured = false;
    if (!rc && !(o.peak_gflops > 0.0)) {
        peak_measured = bench_peak_measure(PEAK_SECONDS, &peak) == 0;
        if (!peak_measured) peak.gflops = 0.0;
    }
    if (!rc && !o.json) print_table_header(&o, &device, ort, cpu_name, &peak, peak_measured);
    for (size_t m = 0; m < o.n_models && !rc; m++) {
        bench_target target = {api, ctx, NULL, o.models[m], &o, &device, peak.gflops};
        rc = bench_model(&target, m, &cmp, res, &n_res, &tr, &err);
    }
    if (tr.f) {
        fputs("\n]}\n", tr.f);
        if (fclose(tr.f) != 0 && !rc)
            rc = cli_fail(&err, CLI_EXIT_RUNTIME, "--trace %s: cannot write", o.trace);
    }
    if (!rc && o.json) print_json(api, &o, &peak, peak_measured, res, n_res);
    if (rc) cli_report(PROGRAM, &err);
    free(res);
    free(o.models);
    if (ctx) api->context_release(ctx);
    bench_ort_close(ort);
    return rc;
}
