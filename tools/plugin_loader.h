/* Loads the lenet-onnx plugin with dlopen and returns its function table: the tools are hosts
 * of the public ABI like any other, and never link the library.
 *
 * Search order: `path` when given (--plugin), else $LENET_ONNX_PLUGIN when set and not empty;
 * else, relative to the executable, the installed library (<exe dir>/../<libdir>/<soname>),
 * then the build tree's (the library next to the tools' build folder); else the plain soname
 * through the dynamic loader's own search (LD_LIBRARY_PATH, the system's folders).
 */
#ifndef LO_PLUGIN_LOADER_H
#define LO_PLUGIN_LOADER_H

#include <stddef.h>

#include "lenet-onnx/lenet_onnx.h"

/* Returns the table of a plugin that provides abi_version and at least min_struct_size bytes
 * of table (offsetof the first slot the caller does not use), or NULL with a one-line message
 * naming the path tried and dlerror(). The plugin stays loaded for the life of the process. */
const lenet_onnx_api *plugin_load(const char *path, uint32_t abi_version, size_t min_struct_size,
                                  char *message, size_t message_size);

#endif
