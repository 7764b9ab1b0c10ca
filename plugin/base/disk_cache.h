/* Where backends keep what they compile (OpenCL program binaries, Vulkan pipeline caches) and
 * the small tools they share to name and check it. */
#ifndef LO_DISK_CACHE_H
#define LO_DISK_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* LENET_ONNX_NO_BINARY_CACHE is set (and not "0"). */
bool lo_disk_cache_disabled(void);
/* $LENET_ONNX_CACHE_DIR, else $XDG_CACHE_HOME/lenet-onnx, else $HOME/.cache/lenet-onnx; false
 * when none is set or it does not fit. */
bool lo_disk_cache_dir(char *dir, size_t size);
/* mkdir -p of `dir`. */
bool lo_make_dirs(const char *dir);

/* FNV-1a, 64 bits: start from LO_FNV1A_SEED and chain. Not for security, for cache keys and
 * checksums of our own files. */
#define LO_FNV1A_SEED 0xcbf29ce484222325ull
uint64_t lo_fnv1a(uint64_t hash, const void *data, size_t length);

#endif
