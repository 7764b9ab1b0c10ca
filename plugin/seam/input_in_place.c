/* Which graph inputs a host backend reads where the caller holds them (input_in_place.h). */
#include "input_in_place.h"

#include "alloc.h"

typedef struct byte_range {
    size_t begin, end;
} byte_range;

static byte_range range_of(const lo_tensor_ref *ref)
{
    const byte_range r = {ref->offset, ref->offset + lo_tensor_ref_bytes(ref)};
    return r;
}

static bool overlaps(byte_range a, byte_range b)
{
    return a.begin < b.end && b.begin < a.end;
}

static bool contains(byte_range outer, byte_range inner)
{
    return outer.begin <= inner.begin && inner.end <= outer.end;
}

/* Whether a step in [from, to) wrote all of `read` as one output. */
static bool written_whole(const lo_plan *plan, int from, int to, byte_range read)
{
    for (int t = from; t < to; t++)
        if (contains(range_of(&plan->steps[t].output), read)) return true;
    return false;
}

/* Graph input `input`: whether it may stay in place; its reads are appended at
 * reads + *count either way (the caller drops them when it may not). */
static bool input_stays(const lo_plan *plan, int input, lo_input_read *reads, int *count)
{
    const byte_range bytes = range_of(&plan->inputs[input]);
    if (bytes.begin == bytes.end) return false;
    int first_write = plan->num_steps;
    for (int s = 0; s < plan->num_steps && first_write == plan->num_steps; s++)
        if (overlaps(range_of(&plan->steps[s].output), bytes)) first_write = s;
    for (int s = 0; s < plan->num_steps; s++) {
        const lo_step *step = &plan->steps[s];
        for (int k = 0; k < step->num_inputs; k++) {
            if (step->inputs[k].buffer != LO_BUFFER_ARENA) continue;
            const byte_range read = range_of(&step->inputs[k]);
            if (!overlaps(read, bytes)) continue;
            if (s <= first_write) { /* the input's own bytes: read where the caller holds them */
                if (!contains(bytes, read)) return false;
                reads[(*count)++] = (lo_input_read){
                    .step = s, .slot = k, .input = input, .delta = read.begin - bytes.begin};
            } else if (!written_whole(plan, first_write, s, read)) {
                return false;
            }
        }
    }
    for (int o = 0; o < plan->num_outputs; o++) {
        if (plan->outputs[o].buffer != LO_BUFFER_ARENA) continue;
        const byte_range read = range_of(&plan->outputs[o]);
        if (overlaps(read, bytes) && !written_whole(plan, first_write, plan->num_steps, read))
            return false;
    }
    return true;
}

lo_status lo_plan_inputs_in_place(const lo_plan *plan, bool *in_place, lo_input_read **reads,
                                  int *count, lo_error *err)
{
    *reads = NULL;
    *count = 0;
    size_t step_inputs = 0; /* every step input at most once: room for all the reads */
    for (int s = 0; s < plan->num_steps; s++)
        step_inputs += (size_t)plan->steps[s].num_inputs;
    lo_input_read *list = step_inputs ? lo_malloc(step_inputs * sizeof *list) : NULL;
    if (step_inputs && !list)
        return lo_fail(err, LO_ERR_NO_MEMORY, "out of memory listing input reads");
    for (int i = 0; i < plan->num_inputs; i++) {
        const int before = *count;
        in_place[i] =
            plan->inputs[i].buffer == LO_BUFFER_ARENA && input_stays(plan, i, list, count);
        if (!in_place[i]) *count = before;
    }
    if (*count == 0)
        lo_free(list);
    else
        *reads = list;
    return LO_OK;
}
