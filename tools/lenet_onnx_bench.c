/* lenet-onnx-bench: times whole inferences (session_run: input upload, every kernel, output
 * download) of one or more models per batch size, after a warm-up, and reports min, mean,
 * median, p90, p95, p99 and max latency, throughput and the arena size. --compare-ort times ONNX
 * Runtime's CPU execution provider on the same models, batches and inputs through the same
 * timing loop (bench_ort.c). --profile adds per-step times, also as a Chrome trace (--trace).
 * The contract (options, JSON, exit codes) is in docs/cli.md.
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
          "  --profile         per-step times of each batch after the timings\n"
          "  --trace FILE      with --profile: also a Chrome trace (chrome://tracing, Perfetto)\n"
          "  --compare-ort     also time ONNX Runtime's CPU provider (one thread per core),\n"
          "                    loaded from --ort-lib, else $LENET_ONNX_ORT_LIB, else the build\n"
          "                    tree's copy, else " ORT_SONAME "\n"
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
    {NULL, false},
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
    if (!io->in || !io->out || !io->in_bytes) goto oom;
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
            if (kind == LENET_ONNX_OUTPUT) continue;
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

/* Warm-up, then --iterations runs or runs for --seconds; fills res's timings. */
static int time_runs(const runner *r, const options *o, progress *p, result *res, cli_error *err)
{
    double *times = NULL;
    size_t n = 0, cap = 0;
    int rc = warm_up(r, o, p, err);
    double start = now_s();
    while (!rc && (o->iterations ? n < o->iterations
                                 : n < MIN_TIMED_RUNS || now_s() - start < o->seconds)) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 1024;
            double *nt = realloc(times, ncap * sizeof *nt);
            if (!nt) {
                rc = cli_fail(err, CLI_EXIT_RUNTIME, "out of host memory");
                break;
            }
            times = nt;
            cap = ncap;
        }
        double t0 = now_s();
        rc = r->run(r->self, err);
        times[n++] = (now_s() - t0) * 1e3;
        progress_show(p, "timing", n, false);
    }
    if (!rc) {
        bench_stats_compute(times, n, &res->stats);
        res->batch = p->batch;
        double total = res->stats.duration_s;
        res->images_per_s = total > 0.0 ? (double)res->batch * (double)n / total : 0.0;
    }
    free(times);
    return rc;
}

/* The ONNX Runtime side of --compare-ort; ort is NULL when it is off or has failed. */
typedef struct ort_compare {
    bench_ort *ort;
    const char *device;
} ort_compare;

/* ONNX Runtime on the inputs lenet-onnx was timed with. A failure here only ends the
 * comparison (said on stderr, cmp->ort cleared): 1 when a row was added, else 0. */
static int bench_ort_batch(ort_compare *cmp, const options *o, const char *model,
                           const io_buffers *io, uint32_t batch, result *res)
{
    char msg[512];
    cli_error err = {0};
    bench_ort_session *s = bench_ort_session_create(cmp->ort, model, batch, io->in, io->in_bytes,
                                                    io->n_in, msg, sizeof msg);
    int rc = CLI_EXIT_RUNTIME;
    if (!s) {
        cli_fail(&err, CLI_EXIT_RUNTIME, "onnxruntime (batch %" PRIu32 "): %s", batch, msg);
    } else {
        ort_runner ort = {s, batch};
        runner r = {ort_run, &ort};
        progress p = {!o->quiet && isatty(2), model, "onnxruntime", batch, 0.0};
        rc = time_runs(&r, o, &p, res, &err);
        progress_clear(&p);
        bench_ort_session_release(s);
    }
    if (rc) {
        fprintf(stderr, PROGRAM ": %s; --compare-ort: no more ONNX Runtime rows\n", err.message);
        cmp->ort = NULL;
        return 0;
    }
    res->model = model;
    res->runtime = "onnxruntime";
    res->backend = "cpu";
    res->device = cmp->device;
    res->arena_bytes = 0; /* ONNX Runtime does not expose its arena's size */
    return 1;
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
} bench_target;

/* One batch: the lenet-onnx row in res[0], then ONNX Runtime's in res[1] when comparing. */
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
    if (!rc) {
        lenet_runner lr = {api, s, &io, batch};
        runner r = {lenet_run, &lr};
        progress p = {!t->o->quiet && isatty(2), t->path, "lenet-onnx", batch, 0.0};
        rc = time_runs(&r, t->o, &p, &res[0], err);
        progress_clear(&p);
        res[0].model = t->path;
        res[0].runtime = "lenet-onnx";
        res[0].backend = t->device->backend;
        res[0].device = t->device->name;
        res[0].arena_bytes = stats.arena_bytes;
    }
    if (!rc) *n_rows = 1;
    if (!rc && cmp->ort)
        *n_rows += (size_t)bench_ort_batch(cmp, t->o, t->path, &io, batch, &res[1]);
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

/* Per-step times from a profiling session, averaged over runs. Profiling adds a wait per
 * step, so these are for finding the slow step, not for comparing with the timed results. */
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
        fprintf(f, "\nprofile of %s, batch %" PRIu32 " (mean of %zu profiled runs):\n", t->path,
                batch, runs);
        fprintf(f, "  %-4s %-24s %-32s %12s\n", "step", "op", "node", "ms");
        for (size_t i = 0; i < n_steps; i++) {
            double ms = sums[i] / (double)runs;
            total += ms;
            fprintf(f, "  %-4zu %-24s %-32s %12.4f\n", i, steps[i].op_type, steps[i].node_name, ms);
        }
        fprintf(f, "  %-4s %-24s %-32s %12.4f\n", "", "total", "", total);
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

static void print_json(const lenet_onnx_api *api, const options *o, const result *res, size_t n)
{
    printf("{\"tool\": \"" PROGRAM "\", \"version\": ");
    cli_json_string(stdout, cli_tools_version());
    printf(", \"library_version\": ");
    cli_json_string(stdout, api->version_string());
    printf(", \"seconds\": %.6g, \"iterations\": %lu, \"results\": [",
           o->iterations ? 0 : o->seconds, o->iterations);
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
               "%" PRIu64 "}",
               r->batch, s->runs, finite_or_zero(s->duration_s), finite_or_zero(s->min_ms),
               finite_or_zero(s->mean_ms), finite_or_zero(s->median_ms), finite_or_zero(s->p90_ms),
               finite_or_zero(s->p95_ms), finite_or_zero(s->p99_ms), finite_or_zero(s->max_ms),
               finite_or_zero(r->images_per_s), r->arena_bytes);
    }
    printf("\n]}\n");
}

static void print_table_header(const options *o, const cli_device *device, const bench_ort *ort,
                               const char *ort_device)
{
    printf("device:  %s\nbackend: %s\n", device->name, device->backend);
    if (o->iterations)
        printf("timed:   %lu runs per batch, whole inferences (upload + kernels + download)\n",
               o->iterations);
    else
        printf("timed:   %g s per batch, whole inferences (upload + kernels + download)\n",
               o->seconds);
    if (ort)
        printf("onnxruntime %s: default CPU execution provider, %d intra-op threads (one per "
               "core), on %s;\n         arena_bytes 0: ONNX Runtime does not expose its arena "
               "size\n",
               bench_ort_version(ort), bench_ort_threads(ort), ort_device);
}

static void print_model_header(const char *model)
{
    printf("\nmodel:   %s\n%-11s %6s %9s %9s %9s %9s %9s %9s %9s %12s %12s %8s\n", model, "runtime",
           "batch", "min_ms", "mean_ms", "median_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms",
           "images/s", "arena_bytes", "runs");
}

static void print_table_row(const result *r)
{
    const bench_stats *s = &r->stats;
    printf("%-11s %6" PRIu32 " %9.4f %9.4f %9.4f %9.4f %9.4f %9.4f %9.4f %12.1f %12" PRIu64
           " %8zu\n",
           r->runtime, r->batch, s->min_ms, s->mean_ms, s->median_ms, s->p90_ms, s->p95_ms,
           s->p99_ms, s->max_ms, r->images_per_s, r->arena_bytes, s->runs);
    fflush(stdout);
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
    for (size_t i = 0; i < n_batches && !rc; i++) {
        size_t rows = 0;
        rc = bench_batch(t, batches[i], cmp, &res[*n_res], &rows, err);
        for (size_t k = 0; k < rows && !o->json; k++)
            print_table_row(&res[*n_res + k]);
        *n_res += rows;
    }
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
    if (!rc && !o.json) print_table_header(&o, &device, ort, cpu_name);
    for (size_t m = 0; m < o.n_models && !rc; m++) {
        bench_target target = {api, ctx, NULL, o.models[m], &o, &device};
        rc = bench_model(&target, m, &cmp, res, &n_res, &tr, &err);
    }
    if (tr.f) {
        fputs("\n]}\n", tr.f);
        if (fclose(tr.f) != 0 && !rc)
            rc = cli_fail(&err, CLI_EXIT_RUNTIME, "--trace %s: cannot write", o.trace);
    }
    if (!rc && o.json) print_json(api, &o, res, n_res);
    if (rc) cli_report(PROGRAM, &err);
    free(res);
    free(o.models);
    if (ctx) api->context_release(ctx);
    bench_ort_close(ort);
    return rc;
}
