/* The backends compiled into this build, after ggml's ggml_backend_reg. Each backend folder
 * exposes one entry function returning its lo_backend table; the composition root lists the
 * entries of the backends a build enables (CMake's lenet_onnx_add_backend generates the table),
 * so nothing outside a backend's folder names it. The registry checks every table before
 * handing it out: the interface version it was built against and its required slots. */
#ifndef LO_REGISTRY_H
#define LO_REGISTRY_H

#include <stddef.h>

#include "backend.h"

typedef const lo_backend *(*lo_backend_entry_fn)(void);

/* Defined by the generated registry table of the composition root. */
extern const lo_backend_entry_fn lo_registry_entries[];
extern const size_t lo_registry_num_entries;

/* How many backends the build has, in automatic-choice order. */
size_t lo_registry_count(void);
/* Backend `index`; fails when its table is NULL, of another LO_BACKEND_API_VERSION or misses
 * a required slot. */
lo_status lo_registry_get(size_t index, const lo_backend **out, lo_error *err);
/* The backend called `name`; LO_ERR_UNSUPPORTED naming the backends built when there is none. */
lo_status lo_registry_find(const char *name, const lo_backend **out, lo_error *err);
/* The checks lo_registry_get applies, for one table. */
lo_status lo_registry_check(const lo_backend *backend, lo_error *err);

#endif
