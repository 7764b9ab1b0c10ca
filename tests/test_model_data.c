/* A model's self-description and its external data, through the public function table.
 *
 * Metadata: models/lenet.onnx carries the preprocessing and labels tools/train_lenet.py writes
 * (docs/model-metadata.md); a duplicated key is refused.
 * External data: the test rewrites models/lenet.onnx with every initializer moved to a file
 * beside it (protobuf-c, as PyTorch's exporter lays it out: one file, offsets and lengths),
 * checks that it loads to exactly the same constants as the original, and that every escape
 * (absolute path, "..", a symlink out of the folder, offsets and lengths past the end, a
 * folder as the file, a model from memory without a base) is refused with a message. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "ir.h"
#include "onnx.pb-c.h"
#include "onnx_loader.h"
#include "session.h"
#include "test_util.h"

static const lenet_onnx_api *api;

static unsigned char *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *data = malloc((size_t)n);
    if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
        free(data);
        data = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return data;
}

static void write_all(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    CHECK(fwrite(data, 1, size, f) == size);
    fclose(f);
}

static void write_model(const Onnx__ModelProto *model, const char *path)
{
    size_t size = onnx__model_proto__get_packed_size(model);
    unsigned char *bytes = malloc(size);
    onnx__model_proto__pack(model, bytes);
    write_all(path, bytes, size);
    free(bytes);
}

static void test_metadata(void)
{
    lenet_onnx_error err = {0};
    lenet_onnx_model *model = NULL;
    CHECK_OK(api->model_load_file("models/lenet.onnx", &model, &err), &err);
    if (!model) return;
    lenet_onnx_model_description d = {.struct_size = sizeof d};
    CHECK_OK(api->model_describe(model, &d, &err), &err);
    CHECK(strcmp(d.producer_name, "pytorch") == 0);
    CHECK(d.opset == 13);
    CHECK(d.ir_version >= 7);
    CHECK(d.metadata_count == 6);
    const char *value = NULL;
    CHECK_OK(api->model_metadata(model, "Image.NominalPixelRange", &value, &err), &err);
    CHECK(value && strcmp(value, "Normalized_1_1") == 0);
    CHECK_OK(api->model_metadata(model, "lenet_onnx.mean", &value, &err), &err);
    CHECK(value && strcmp(value, "0.5") == 0);
    CHECK_OK(api->model_metadata(model, "lenet_onnx.labels", &value, &err), &err);
    CHECK(value && strncmp(value, "T-shirt/top\nTrouser\n", 20) == 0 &&
          strcmp(value + strlen(value) - 11, "\nAnkle boot") == 0);
    CHECK_OK(api->model_metadata(model, "no such key", &value, &err), &err);
    CHECK(value == NULL);
    const char *key = NULL;
    CHECK_OK(api->model_metadata_at(model, 0, &key, &value, &err), &err);
    CHECK(key && strcmp(key, "Image.BitmapPixelFormat") == 0 && strcmp(value, "Rgb8") == 0);
    CHECK(api->model_metadata_at(model, 6, &key, &value, &err) ==
          LENET_ONNX_ERROR_INVALID_ARGUMENT);
    const char *name = NULL;
    CHECK_OK(api->model_io_name(model, LENET_ONNX_INPUT, 0, &name, &err), &err);
    CHECK(name && strcmp(name, "input") == 0);
    CHECK_OK(api->model_io_name(model, LENET_ONNX_OUTPUT, 0, &name, &err), &err);
    CHECK(name && strcmp(name, "logits") == 0);
    CHECK(api->model_io_name(model, LENET_ONNX_OUTPUT, 1, &name, &err) ==
          LENET_ONNX_ERROR_INVALID_ARGUMENT);
    /* An older host's smaller struct is filled only as far as it reaches. */
    lenet_onnx_model_description small;
    memset(&small, 0x5a, sizeof small);
    small.struct_size = (uint32_t)offsetof(lenet_onnx_model_description, producer_version);
    CHECK_OK(api->model_describe(model, &small, &err), &err);
    CHECK(strcmp(small.producer_name, "pytorch") == 0);
    unsigned char pattern[sizeof(const char *)];
    memset(pattern, 0x5a, sizeof pattern);
    CHECK(memcmp(&small.producer_version, pattern, sizeof pattern) == 0);
    api->model_release(model);
}

static void test_duplicate_key(const char *dir)
{
    size_t size;
    unsigned char *bytes = read_all("models/lenet.onnx", &size);
    Onnx__ModelProto *model = onnx__model_proto__unpack(NULL, size, bytes);
    CHECK(model && model->n_metadata_props >= 2);
    if (!model) return;
    char *saved = model->metadata_props[1]->key;
    model->metadata_props[1]->key = model->metadata_props[0]->key;
    char path[4096];
    snprintf(path, sizeof path, "%s/duplicate.onnx", dir);
    write_model(model, path);
    model->metadata_props[1]->key = saved;
    lenet_onnx_error err = {0};
    lenet_onnx_model *loaded = NULL;
    CHECK(api->model_load_file(path, &loaded, &err) == LENET_ONNX_ERROR_INVALID_MODEL);
    CHECK_MSG(strstr(err.message, "'Image.BitmapPixelFormat' is given twice"), "%s", err.message);
    onnx__model_proto__free_unpacked(model, NULL);
    free(bytes);
}

/* Every constant of `a` has the same bytes in `b`. */
static void check_same_constants(const lo_graph *a, const lo_graph *b)
{
    int constants = 0;
    for (int i = 0; i < a->num_tensors; i++) {
        const lo_tensor *t = &a->tensors[i];
        if (t->role != LO_TENSOR_CONSTANT) continue;
        int j = lo_graph_find_tensor(b, t->name);
        CHECK_MSG(j >= 0, "%s", t->name);
        if (j < 0) continue;
        constants++;
        CHECK(b->tensors[j].data_bytes == t->data_bytes &&
              memcmp(b->tensors[j].data, t->data, t->data_bytes) == 0);
    }
    CHECK(constants >= 10);
}

/* The external model's entry of initializer 0. */
static Onnx__StringStringEntryProto *entry(Onnx__TensorProto *t, const char *key)
{
    for (size_t i = 0; i < t->n_external_data; i++)
        if (strcmp(t->external_data[i]->key, key) == 0) return t->external_data[i];
    return NULL;
}

/* Loads a variant whose first initializer says `location`, `offset`, `length`; expects the
 * status and a message fragment. */
static void expect_refused(Onnx__ModelProto *model, const char *dir, const char *location,
                           const char *offset, const char *length, lenet_onnx_status expected,
                           const char *fragment)
{
    Onnx__TensorProto *t = model->graph->initializer[0];
    Onnx__StringStringEntryProto *loc = entry(t, "location"), *off = entry(t, "offset"),
                                 *len = entry(t, "length");
    char *saved[3] = {loc->value, off->value, len->value};
    loc->value = (char *)location;
    off->value = (char *)offset;
    len->value = (char *)length;
    char path[4096];
    snprintf(path, sizeof path, "%s/variant.onnx", dir);
    write_model(model, path);
    loc->value = saved[0];
    off->value = saved[1];
    len->value = saved[2];
    lenet_onnx_error err = {0};
    lenet_onnx_model *loaded = NULL;
    lenet_onnx_status status = api->model_load_file(path, &loaded, &err);
    CHECK_MSG(status == expected && strstr(err.message, fragment), "%s: status %d: %s", location,
              (int)status, err.message);
    api->model_release(loaded);
}

static void test_external(const char *dir)
{
    size_t size;
    unsigned char *bytes = read_all("models/lenet.onnx", &size);
    Onnx__ModelProto *model = onnx__model_proto__unpack(NULL, size, bytes);
    CHECK(model != NULL);
    if (!model) return;
    char bin_path[4096], model_path[4096];
    snprintf(bin_path, sizeof bin_path, "%s/lenet.onnx.data", dir);
    snprintf(model_path, sizeof model_path, "%s/lenet.onnx", dir);
    FILE *bin = fopen(bin_path, "wb");
    CHECK(bin != NULL);
    /* Entries are allocated here and freed with the message (protobuf-c's default allocator). */
    size_t offset = 0, moved = 0;
    for (size_t i = 0; bin && i < model->graph->n_initializer; i++) {
        Onnx__TensorProto *t = model->graph->initializer[i];
        if (!t->has_raw_data) continue;
        /* Unaligned offsets on purpose: the loader maps from the page holding the first byte. */
        offset += 3;
        fseek(bin, (long)offset, SEEK_SET);
        CHECK(fwrite(t->raw_data.data, 1, t->raw_data.len, bin) == t->raw_data.len);
        const char *keys[3] = {"location", "offset", "length"};
        char values[3][64];
        snprintf(values[0], sizeof values[0], "lenet.onnx.data");
        snprintf(values[1], sizeof values[1], "%zu", offset);
        snprintf(values[2], sizeof values[2], "%zu", t->raw_data.len);
        t->external_data = malloc(3 * sizeof *t->external_data);
        t->n_external_data = 3;
        for (int k = 0; k < 3; k++) {
            Onnx__StringStringEntryProto *e = malloc(sizeof *e);
            onnx__string_string_entry_proto__init(e);
            e->key = strdup(keys[k]);
            e->value = strdup(values[k]);
            t->external_data[k] = e;
        }
        offset += t->raw_data.len;
        free(t->raw_data.data);
        t->raw_data.data = NULL;
        t->raw_data.len = 0;
        t->has_raw_data = 0;
        t->has_data_location = 1;
        t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
        moved++;
    }
    if (bin) fclose(bin);
    CHECK(moved >= 10);
    write_model(model, model_path);

    /* Same constants as the original. */
    lo_error lerr = {0};
    lo_graph *original = NULL, *external = NULL;
    CHECK_OK(lo_onnx_load_file("models/lenet.onnx", &original, &lerr), &lerr);
    CHECK_OK(lo_onnx_load_file(model_path, &external, &lerr), &lerr);
    if (original && external) check_same_constants(original, external);
    lo_graph_free(original);
    lo_graph_free(external);

    /* Through the ABI: from a file, from memory with and without a base folder. */
    lenet_onnx_error err = {0};
    lenet_onnx_model *loaded = NULL;
    CHECK_OK(api->model_load_file(model_path, &loaded, &err), &err);
    api->model_release(loaded);
    loaded = NULL;
    size_t ext_size;
    unsigned char *ext_bytes = read_all(model_path, &ext_size);
    CHECK(api->model_load_bytes(ext_bytes, ext_size, &loaded, &err) ==
          LENET_ONNX_ERROR_INVALID_ARGUMENT);
    CHECK_MSG(strstr(err.message, "needs the folder"), "%s", err.message);
    CHECK_OK(api->model_load_bytes_with_base(ext_bytes, ext_size, dir, &loaded, &err), &err);
    api->model_release(loaded);
    free(ext_bytes);

    /* Escapes and bad ranges. */
    char outside[4096], link_path[4096], sub[4096];
    snprintf(outside, sizeof outside, "%s.outside", dir);
    write_all(outside, "0123456789abcdef", 16);
    snprintf(link_path, sizeof link_path, "%s/link.data", dir);
    CHECK(symlink(outside, link_path) == 0);
    snprintf(sub, sizeof sub, "%s/folder", dir);
    CHECK(mkdir(sub, 0700) == 0);
    long bin_size = (long)offset;
    char past[32], end[32];
    snprintf(past, sizeof past, "%ld", bin_size + 1);
    snprintf(end, sizeof end, "%ld", bin_size);
    expect_refused(model, dir, outside, "0", "4", LENET_ONNX_ERROR_INVALID_MODEL, "absolute");
    expect_refused(model, dir, "../x.data", "0", "4", LENET_ONNX_ERROR_INVALID_MODEL, "(..)");
    expect_refused(model, dir, "folder/../lenet.onnx.data", "3", "4",
                   LENET_ONNX_ERROR_INVALID_MODEL, "(..)");
    expect_refused(model, dir, "link.data", "0", "4", LENET_ONNX_ERROR_INVALID_MODEL,
                   "outside the model's folder");
    expect_refused(model, dir, "lenet.onnx.data", past, "0", LENET_ONNX_ERROR_INVALID_MODEL,
                   "past the end");
    expect_refused(model, dir, "lenet.onnx.data", end, "1", LENET_ONNX_ERROR_INVALID_MODEL,
                   "past the end");
    expect_refused(model, dir, "lenet.onnx.data", "-1", "4", LENET_ONNX_ERROR_INVALID_MODEL,
                   "not a byte count");
    expect_refused(model, dir, "folder", "0", "4", LENET_ONNX_ERROR_IO, "not a regular file");
    expect_refused(model, dir, "missing.data", "0", "4", LENET_ONNX_ERROR_IO, "missing.data");
    /* A length that disagrees with the dims is caught by the usual size check. */
    expect_refused(model, dir, "lenet.onnx.data", "3", "4", LENET_ONNX_ERROR_INVALID_MODEL,
                   "initializer");
    unlink(link_path);
    unlink(outside);
    rmdir(sub);
    onnx__model_proto__free_unpacked(model, NULL);
    free(bytes);
}

int main(void)
{
    api = lo_api_table(LENET_ONNX_ABI_VERSION);
    if (!api) return 1;
    char dir[] = "/tmp/lo_model_data_XXXXXX";
    if (!mkdtemp(dir)) return 1;
    test_metadata();
    test_duplicate_key(dir);
    test_external(dir);
    char command[4200];
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    if (system(command) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return lo_test_exit_code();
}
