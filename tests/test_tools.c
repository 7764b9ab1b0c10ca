/* The tools' shared pieces without a device: option parsing, JSON strings, benchmark
 * statistics, labels splitting, input streams (folders, stdin lists) and .npy reading, each
 * against values worked out by hand. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_stats.h"
#include "cli.h"
#include "run_inputs.h"
#include "run_settings.h"
#include "tensor_file.h"
#include "test_util.h"

typedef struct parsed {
    char seen[256];
} parsed;

static int record(void *state, const char *name, const char *value, cli_error *err)
{
    (void)err;
    parsed *p = state;
    size_t n = strlen(p->seen);
    snprintf(p->seen + n, sizeof p->seen - n, "%s=%s;", name, value ? value : "-");
    return 0;
}

static const cli_option table[] = {
    {"--top", true}, {"--json", false}, {"--help", false}, {NULL, false}};

static int parse(int argc, char **argv, parsed *p, char ***operands, size_t *count, cli_error *err)
{
    memset(p, 0, sizeof *p);
    return cli_parse(argc, argv, table, record, p, operands, count, err);
}

static void test_parse(void)
{
    parsed p;
    char **ops = NULL;
    size_t n = 0;
    cli_error err = {0};
    char *a1[] = {"prog", "--top", "3", "m.onnx", "--json", "-", "--top=7", "--", "--json", "-h"};
    CHECK(parse(10, a1, &p, &ops, &n, &err) == 0);
    CHECK_MSG(strcmp(p.seen, "--top=3;--json=-;--top=7;") == 0, "%s", p.seen);
    CHECK(n == 4 && strcmp(ops[0], "m.onnx") == 0 && strcmp(ops[1], "-") == 0 &&
          strcmp(ops[2], "--json") == 0 && strcmp(ops[3], "-h") == 0 && ops[4] == NULL);
    free(ops);
    char *a2[] = {"prog", "-h"};
    CHECK(parse(2, a2, &p, &ops, &n, &err) == 0 && strcmp(p.seen, "--help=-;") == 0);
    free(ops);
    char *a3[] = {"prog", "--frob"};
    CHECK(parse(2, a3, &p, &ops, &n, &err) == CLI_EXIT_USAGE);
    CHECK_MSG(strcmp(err.message, "unknown option '--frob' (see --help)") == 0, "%s", err.message);
    free(ops);
    char *a4[] = {"prog", "--json=1"};
    CHECK(parse(2, a4, &p, &ops, &n, &err) == CLI_EXIT_USAGE &&
          strstr(err.message, "--json takes no value"));
    free(ops);
    char *a5[] = {"prog", "--top"};
    CHECK(parse(2, a5, &p, &ops, &n, &err) == CLI_EXIT_USAGE &&
          strstr(err.message, "--top needs a value"));
    free(ops);
    char *a6[] = {"prog", "--topx=1"};
    CHECK(parse(2, a6, &p, &ops, &n, &err) == CLI_EXIT_USAGE && strstr(err.message, "'--topx'"));
    free(ops);
    unsigned long v;
    CHECK(cli_parse_uint("42", 100, &v) && v == 42);
    CHECK(!cli_parse_uint("101", 100, &v) && !cli_parse_uint("-1", 100, &v) &&
          !cli_parse_uint(" 1", 100, &v) && !cli_parse_uint("1x", 100, &v) &&
          !cli_parse_uint("", 100, &v));
    double d;
    CHECK(cli_parse_double("2.5", &d) && d == 2.5);
    CHECK(!cli_parse_double("nan", &d) && !cli_parse_double("1e999", &d) &&
          !cli_parse_double("", &d));
}

static void test_json(void)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    cli_json_string(f, "a\"b\\c\n\t\x01 caf\xc3\xa9 \xe9 \xed\xa0\x80");
    fputc(' ', f);
    cli_json_number(f, 0.1f);
    fputc(' ', f);
    cli_json_number(f, 1.0 / 0.0);
    fclose(f);
    /* the lone Latin-1 byte and the UTF-16 surrogate's three bytes each become U+FFFD */
    const char *want =
        "\"a\\\"b\\\\c\\n\\t\\u0001 caf\xc3\xa9 \\ufffd \\ufffd\\ufffd\\ufffd\" 0.100000001 null";
    CHECK_MSG(strcmp(text, want) == 0, "%s", text);
    free(text);
}

static void test_stats(void)
{
    double times[100];
    for (int i = 0; i < 100; i++)
        times[i] = (double)((i * 37) % 100 + 1); /* 1..100, shuffled */
    bench_stats s;
    bench_stats_compute(times, 100, &s);
    CHECK(s.runs == 100 && s.min_ms == 1 && s.max_ms == 100);
    CHECK(s.mean_ms == 50.5 && s.median_ms == 50.5);
    CHECK(s.p90_ms == 90 && s.p95_ms == 95 && s.p99_ms == 99);
    CHECK(s.duration_s > 5.0499 && s.duration_s < 5.0501);
    double three[3] = {3, 1, 2};
    bench_stats_compute(three, 3, &s);
    CHECK(s.median_ms == 2 && s.p90_ms == 3 && s.p99_ms == 3 && s.min_ms == 1);
}

static void test_labels(void)
{
    label_list labels;
    const char text[] = "a\r\nb\n\nc";
    CHECK(settings_split_labels(text, sizeof text - 1, &labels) == 0);
    CHECK(labels.count == 4 && strcmp(labels.items[0], "a") == 0 &&
          strcmp(labels.items[1], "b") == 0 && strcmp(labels.items[2], "") == 0 &&
          strcmp(labels.items[3], "c") == 0);
    run_settings s = {.labels = labels};
    settings_release(&s);
    CHECK(settings_split_labels("x\n", 2, &labels) == 0 && labels.count == 1);
    s.labels = labels;
    settings_release(&s);
    channel_values v;
    CHECK(settings_parse_values("0.5,0.25,1", true, &v) && v.count == 3 && v.values[1] == 0.25f);
    CHECK(!settings_parse_values("1,2", false, &v) && !settings_parse_values("0", true, &v) &&
          !settings_parse_values("1,2,3,4", false, &v) && settings_parse_values("-1", false, &v));
}

static void touch(const char *dir, const char *name)
{
    char path[8400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f) fclose(f);
}

static void test_inputs(const char *dir)
{
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/imgs", dir);
    CHECK(mkdir(sub, 0700) == 0);
    const char *names[] = {"b.PNG", "a.jpg", "c.txt", ".hidden.png", "d.npy", "e.pb", "f.jpeg"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        touch(sub, names[i]);
    char nested[4200];
    snprintf(nested, sizeof nested, "%s/nested.png", sub);
    CHECK(mkdir(nested, 0700) == 0); /* a folder named like an image is still listed */
    char *operands[] = {"x.png", sub, "y.png"};
    run_inputs in;
    run_inputs_init(&in, operands, 3);
    CHECK(run_inputs_known_count(&in) == 0);
    const char *want[] = {"x.png", "a.jpg",  "b.PNG",      "d.npy",
                          "e.pb",  "f.jpeg", "nested.png", "y.png"};
    char message[512];
    const char *path;
    size_t k = 0;
    while (run_inputs_next(&in, &path, message, sizeof message) == 1 && k < 8) {
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        CHECK_MSG(strcmp(base, want[k]) == 0, "input %zu is %s", k, path);
        if (k > 0 && k < 7) CHECK(strncmp(path, sub, strlen(sub)) == 0);
        k++;
    }
    CHECK(k == 8);
    run_inputs_release(&in);
    char *plain[] = {"x.png", "y.png"};
    run_inputs_init(&in, plain, 2);
    CHECK(run_inputs_known_count(&in) == 2);
    run_inputs_release(&in);
    char empty[4096];
    snprintf(empty, sizeof empty, "%s/empty", dir);
    CHECK(mkdir(empty, 0700) == 0);
    char *none[] = {empty};
    run_inputs_init(&in, none, 1);
    CHECK(run_inputs_next(&in, &path, message, sizeof message) == -1 &&
          strstr(message, "has no .png"));
    run_inputs_release(&in);
}

static void test_npy(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/t.npy", dir);
    const char header[] = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    char padded[118];
    memset(padded, ' ', sizeof padded);
    memcpy(padded, header, sizeof header - 1);
    padded[sizeof padded - 1] = '\n';
    FILE *f = fopen(path, "wb");
    unsigned char magic[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, sizeof padded, 0};
    float values[6] = {1, 2, 3, 4, 5, 6.5f};
    fwrite(magic, 1, sizeof magic, f);
    fwrite(padded, 1, sizeof padded, f);
    fwrite(values, sizeof(float), 6, f);
    fclose(f);
    tensor_file t;
    char message[512];
    CHECK_MSG(tensor_file_load(path, &t, message, sizeof message) == 0, "%s", message);
    CHECK(t.rank == 2 && t.dims[0] == 2 && t.dims[1] == 3 && t.numel == 6 && t.data &&
          t.data[5] == 6.5f);
    tensor_file_release(&t);
    /* one value short of the shape */
    CHECK(truncate(path, (off_t)(sizeof magic + sizeof padded + 5 * sizeof(float))) == 0);
    CHECK(tensor_file_load(path, &t, message, sizeof message) != 0 &&
          strstr(message, "its shape needs 24"));
    CHECK(tensor_file_is_raw("A.NPY") && tensor_file_is_raw("x.pb") && !tensor_file_is_raw("pb"));
}

int main(void)
{
    char dir[] = "/tmp/lo_tools_XXXXXX";
    if (!mkdtemp(dir)) return 1;
    test_parse();
    test_json();
    test_stats();
    test_labels();
    test_inputs(dir);
    test_npy(dir);
    char command[4200];
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    if (system(command) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return lo_test_exit_code();
}
