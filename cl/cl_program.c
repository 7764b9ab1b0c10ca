/* Program builds: one build per (source, options) per context, shared by its sessions, with
 * an on-disk cache of device binaries so a process skips the OpenCL C compiler next time. */
#include "cl_internal.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "disk_cache.h"
#include "regular_file.h"

#define LO_CL_CACHE_MAGIC       "LOCLBIN1"
#define LO_CL_CACHE_MAGIC_SIZE  8
#define LO_CL_CACHE_HEADER_SIZE (LO_CL_CACHE_MAGIC_SIZE + 16)
/* A cached binary larger than this is not ours: refuse to read it. */
#define LO_CL_CACHE_MAX_BYTES (256u << 20)

/* ---- FNV-1a 64 ---- */

/* Fields are hashed with their terminating NUL so "ab"+"c" and "a"+"bc" differ. */
static uint64_t fnv1a_str(uint64_t hash, const char *text)
{
    return lo_fnv1a(hash, text, strlen(text) + 1);
}

static uint64_t cache_key(const lo_backend_context *ctx, const char *source, size_t length,
                          const char *options)
{
    uint64_t hash = LO_FNV1A_SEED;
    hash = fnv1a_str(hash, LO_CL_CACHE_MAGIC);
    hash = lo_fnv1a(hash, source, length);
    hash = lo_fnv1a(hash, "", 1);
    hash = fnv1a_str(hash, options);
    hash = fnv1a_str(hash, ctx->desc.driver);
    hash = fnv1a_str(hash, ctx->desc.name);
    hash = fnv1a_str(hash, ctx->desc.driver_version);
    return hash;
}

/* ---- cache files ---- */

static bool cache_path(uint64_t key, char *path, size_t size)
{
    char dir[4096];
    if (!lo_disk_cache_dir(dir, sizeof dir)) return false;
    int n = snprintf(path, size, "%s/%016llx.clbin", dir, (unsigned long long)key);
    return n > 0 && (size_t)n < size;
}

/* mkdir -p of the directory part of `path`. */
static bool make_parent_dirs(const char *path)
{
    char buf[4096];
    size_t len = strlen(path);
    if (len >= sizeof buf) return false;
    memcpy(buf, path, len + 1);
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf) return true;
    *slash = '\0';
    return lo_make_dirs(buf);
}

static void put_u64(unsigned char *dst, uint64_t value)
{
    for (int i = 0; i < 8; i++)
        dst[i] = (unsigned char)(value >> (8 * i));
}

static uint64_t get_u64(const unsigned char *src)
{
    uint64_t value = 0;
    for (int i = 0; i < 8; i++)
        value |= (uint64_t)src[i] << (8 * i);
    return value;
}

/* Reads the cached binary for `key`; NULL when absent or not ours. The caller frees it. */
static unsigned char *cache_load(uint64_t key, size_t *size)
{
    char path[4200];
    unsigned char header[LO_CL_CACHE_HEADER_SIZE];
    unsigned char *binary = NULL;
    FILE *file = NULL;
    if (!cache_path(key, path, sizeof path)) goto fail;
    /* Regular files only: a FIFO left in the cache folder would block the open or the read. */
    file = lo_fopen_regular(path);
    if (!file) goto fail;
    if (fread(header, 1, sizeof header, file) != sizeof header) goto fail;
    if (memcmp(header, LO_CL_CACHE_MAGIC, LO_CL_CACHE_MAGIC_SIZE) != 0) goto fail;
    if (get_u64(header + 8) != key) goto fail;
    uint64_t length = get_u64(header + 16);
    if (length == 0 || length > LO_CL_CACHE_MAX_BYTES) goto fail;
    binary = lo_malloc((size_t)length);
    if (!binary) goto fail;
    if (fread(binary, 1, (size_t)length, file) != length) goto fail;
    if (fgetc(file) != EOF) goto fail; /* trailing bytes: a file of another writer */
    fclose(file);
    *size = (size_t)length;
    return binary;
fail:
    if (file) fclose(file);
    lo_free(binary);
    return NULL;
}

/* Writes the program's binary under `key`: to a private temporary file, then renamed into
 * place, so a concurrent reader sees either nothing or a whole file. Failures are skipped. */
static void cache_store(uint64_t key, cl_program program)
{
    static atomic_uint counter;
    char path[4200], tmp[4300];
    size_t size = 0;
    unsigned char *binary = NULL;
    int fd = -1;
    bool tmp_made = false;
    if (clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) !=
            CL_SUCCESS ||
        size == 0 || size > LO_CL_CACHE_MAX_BYTES)
        goto done;
    binary = lo_malloc(size);
    if (!binary) goto done;
    unsigned char *binaries[1] = {binary};
    if (clGetProgramInfo(program, CL_PROGRAM_BINARIES, sizeof binaries, binaries, NULL) !=
        CL_SUCCESS)
        goto done;
    if (!cache_path(key, path, sizeof path) || !make_parent_dirs(path)) goto done;
    unsigned serial = atomic_fetch_add(&counter, 1u);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%u", path, (long)getpid(), serial);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) goto done;
    tmp_made = true;
    unsigned char header[LO_CL_CACHE_HEADER_SIZE];
    memcpy(header, LO_CL_CACHE_MAGIC, LO_CL_CACHE_MAGIC_SIZE);
    put_u64(header + 8, key);
    put_u64(header + 16, size);
    if (write(fd, header, sizeof header) != (ssize_t)sizeof header) goto done;
    for (size_t done_bytes = 0; done_bytes < size;) {
        ssize_t n = write(fd, binary + done_bytes, size - done_bytes);
        if (n <= 0) goto done;
        done_bytes += (size_t)n;
    }
    if (close(fd) != 0) {
        fd = -1;
        goto done;
    }
    fd = -1;
    if (rename(tmp, path) == 0) {
        tmp_made = false;
        lo_trace("opencl: cached program binary %s (%zu bytes)", path, size);
    }
done:
    if (fd >= 0) close(fd);
    if (tmp_made) unlink(tmp);
    lo_free(binary);
}

/* ---- builds ---- */

/* The build log, NUL-terminated, or NULL; the caller frees it. */
static char *build_log(cl_program program, cl_device_id device)
{
    size_t size = 0;
    if (clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, 0, NULL, &size) != CL_SUCCESS)
        return NULL;
    char *log = lo_calloc(size + 1, 1);
    if (log && clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, size, log, NULL) !=
                   CL_SUCCESS) {
        lo_free(log);
        log = NULL;
    }
    return log;
}

/* Tries the cached binary; a missing, stale or refused binary yields NULL, never an error. */
static cl_program build_from_cache(lo_backend_context *ctx, uint64_t key, const char *options)
{
    size_t size = 0;
    unsigned char *binary = cache_load(key, &size);
    cl_program program = NULL;
    if (!binary) goto done;
    const unsigned char *binaries[1] = {binary};
    cl_int binary_status = CL_SUCCESS, rc = CL_SUCCESS;
    program = clCreateProgramWithBinary(ctx->context, 1, &ctx->device, &size, binaries,
                                        &binary_status, &rc);
    if (rc == CL_SUCCESS && binary_status == CL_SUCCESS)
        rc = clBuildProgram(program, 1, &ctx->device, options, NULL, NULL);
    if (rc != CL_SUCCESS || binary_status != CL_SUCCESS) {
        lo_trace("opencl: cached binary %016llx refused (%s), building from source",
                 (unsigned long long)key, lo_cl_error_name(rc != CL_SUCCESS ? rc : binary_status));
        if (program) clReleaseProgram(program);
        program = NULL;
    }
done:
    lo_free(binary);
    return program;
}

lo_status lo_cl_build_program(lo_backend_context *ctx, const char *name, const char *source,
                              size_t length, const char *options, cl_program *out, lo_error *err)
{
    lo_status status = LO_OK;
    cl_program program = NULL;
    char *log = NULL;
    bool use_cache = !lo_disk_cache_disabled();
    uint64_t key = cache_key(ctx, source, length, options);
    if (use_cache && (program = build_from_cache(ctx, key, options)) != NULL) {
        lo_trace("opencl: program '%s' [%s] loaded from the binary cache", name, options);
        goto done;
    }
    cl_int rc = CL_SUCCESS;
    program = clCreateProgramWithSource(ctx->context, 1, &source, &length, &rc);
    if (rc != CL_SUCCESS) {
        program = NULL;
        status = lo_fail(err, lo_cl_status_of(rc),
                         "OpenCL program '%s': clCreateProgramWithSource failed: %s", name,
                         lo_cl_error_name(rc));
        goto done;
    }
    rc = clBuildProgram(program, 1, &ctx->device, options, NULL, NULL);
    if (rc != CL_SUCCESS) {
        log = build_log(program, ctx->device);
        lo_log(LENET_ONNX_LOG_WARNING,
               "opencl: program '%s' [%s] failed to build (%s); full build log:\n%s", name, options,
               lo_cl_error_name(rc), log ? log : "(none)");
        status = lo_fail(err, rc == CL_OUT_OF_HOST_MEMORY ? LO_ERR_NO_MEMORY : LO_ERR_DEVICE,
                         "OpenCL program '%s' failed to build with options '%s': clBuildProgram "
                         "failed: %s; build log:\n%s",
                         name, options, lo_cl_error_name(rc), log && log[0] ? log : "(empty)");
        goto done;
    }
    lo_trace("opencl: program '%s' [%s] built from source", name, options);
    if (use_cache) cache_store(key, program);
done:
    lo_free(log);
    if (status != LO_OK && program) {
        clReleaseProgram(program);
        program = NULL;
    }
    *out = program;
    return status;
}

/* ---- the per-context cache ---- */

void lo_cl_programs_init(lo_cl_program_cache *cache)
{
    memset(cache, 0, sizeof *cache);
    pthread_mutex_init(&cache->lock, NULL);
}

void lo_cl_programs_release(lo_cl_program_cache *cache)
{
    for (size_t i = 0; i < cache->count; i++) {
        clReleaseProgram(cache->entries[i].program);
        lo_free(cache->entries[i].options);
    }
    lo_free(cache->entries);
    pthread_mutex_destroy(&cache->lock);
    memset(cache, 0, sizeof *cache);
}

lo_status lo_cl_get_program(lo_backend_context *ctx, const char *name, const char *options,
                            cl_program *out, lo_error *err)
{
    lo_status status = LO_OK;
    lo_cl_program_cache *cache = &ctx->programs;
    cl_program program = NULL;
    char *options_copy = NULL;
    /* Held through the build, so two sessions never build the same program twice. */
    pthread_mutex_lock(&cache->lock);
    for (size_t i = 0; i < cache->count; i++) {
        if (strcmp(cache->entries[i].name, name) == 0 &&
            strcmp(cache->entries[i].options, options) == 0) {
            program = cache->entries[i].program;
            goto done;
        }
    }
    size_t length = 0;
    const char *source = lo_cl_kernel_source(name, &length);
    if (!source) {
        status = lo_fail(err, LO_ERR_DEVICE, "no embedded OpenCL source named '%s'", name);
        goto done;
    }
    if (cache->count == cache->capacity) {
        size_t capacity = cache->capacity ? 2 * cache->capacity : 8;
        lo_cl_program_entry *entries = lo_realloc(cache->entries, capacity * sizeof *entries);
        if (!entries) {
            status = lo_fail(err, LO_ERR_NO_MEMORY, "out of memory caching OpenCL programs");
            goto done;
        }
        cache->entries = entries;
        cache->capacity = capacity;
    }
    options_copy = lo_malloc(strlen(options) + 1);
    if (!options_copy) {
        status = lo_fail(err, LO_ERR_NO_MEMORY, "out of memory caching OpenCL programs");
        goto done;
    }
    strcpy(options_copy, options);
    status = lo_cl_build_program(ctx, name, source, length, options, &program, err);
    if (status != LO_OK) goto done;
    cache->entries[cache->count].name = name;
    cache->entries[cache->count].options = options_copy;
    cache->entries[cache->count].program = program;
    cache->count++;
    options_copy = NULL;
done:
    pthread_mutex_unlock(&cache->lock);
    lo_free(options_copy);
    *out = status == LO_OK ? program : NULL;
    return status;
}
