/* The core's one check of a lowered step against its kind's contract in step.h, run once per
 * step after lowering and before any backend is asked about it: tensors static and placed,
 * dtypes as the kind allows, shapes consistent, windows positive with non-negative pads,
 * broadcast and batch strides inside their inputs. A backend's supports() then only says
 * what it cannot run (a dtype, an activation, a size past its indexing), never re-checks.
 *
 * Includes only seam headers, so a backend test can run it without the rest of the core.
 */
#ifndef LO_STEP_VALIDATE_H
#define LO_STEP_VALIDATE_H

#include "status.h"
#include "step.h"
#include "tensor_shape.h"

/* LO_OK, or LO_ERR_MODEL with "node '<name>' (<label>): <what is wrong>". */
lo_status lo_step_validate(const lo_step *step, lo_error *err);

#endif
