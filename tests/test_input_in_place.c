/* Which graph inputs a host backend reads where the caller holds them (input_in_place.h), on
 * hand-built plans: each case says which step inputs read the caller's memory, and which
 * plans must copy the input because some read would see the copy's bytes.
 */
#include <stdbool.h>
#include <string.h>

#include "alloc.h"
#include "input_in_place.h"
#include "test_util.h"

/* A float tensor of `floats` elements at byte `offset` of the arena. */
static lo_tensor_ref at(size_t offset, int64_t floats)
{
    lo_tensor_ref ref;
    memset(&ref, 0, sizeof ref);
    ref.buffer = LO_BUFFER_ARENA;
    ref.dtype = LO_DTYPE_FLOAT;
    ref.offset = offset;
    ref.shape.rank = 1;
    ref.shape.dims[0] = floats;
    return ref;
}

static lo_tensor_ref constant(int index)
{
    lo_tensor_ref ref = at(0, 4);
    ref.buffer = LO_BUFFER_CONSTANT;
    ref.constant = index;
    return ref;
}

#define MAX_STEPS 4

typedef struct test_plan {
    lo_step steps[MAX_STEPS];
    lo_tensor_ref inputs[2], outputs[2];
    lo_plan plan;
} test_plan;

static void plan_begin(test_plan *t, int num_inputs, int num_outputs)
{
    memset(t, 0, sizeof *t);
    t->plan.steps = t->steps;
    t->plan.inputs = t->inputs;
    t->plan.outputs = t->outputs;
    t->plan.num_inputs = num_inputs;
    t->plan.num_outputs = num_outputs;
}

/* Appends a step reading `count` refs and writing `output`. */
static void add_step(test_plan *t, const lo_tensor_ref *reads, int count, lo_tensor_ref output)
{
    lo_step *step = &t->steps[t->plan.num_steps++];
    step->kind = LO_STEP_UNARY;
    step->num_inputs = count;
    for (int k = 0; k < count; k++)
        step->inputs[k] = reads[k];
    step->output = output;
}

typedef struct expected_read {
    int step, slot, input;
    size_t delta;
} expected_read;

static void expect(const char *name, const test_plan *t, const bool *in_place,
                   const expected_read *reads, int count)
{
    bool got[2] = {true, true};
    lo_input_read *list = NULL;
    int listed = -1;
    lo_error err = {0};
    CHECK_OK(lo_plan_inputs_in_place(&t->plan, got, &list, &listed, &err), &err);
    for (int i = 0; i < t->plan.num_inputs; i++)
        CHECK_MSG(got[i] == in_place[i], "%s: input %d in place %d, expected %d", name, i, got[i],
                  in_place[i]);
    CHECK_MSG(listed == count, "%s: %d reads listed, expected %d", name, listed, count);
    for (int r = 0; r < count && r < listed; r++)
        CHECK_MSG(list[r].step == reads[r].step && list[r].slot == reads[r].slot &&
                      list[r].input == reads[r].input && list[r].delta == reads[r].delta,
                  "%s: read %d is step %d slot %d input %d delta %zu, expected %d %d %d %zu", name,
                  r, list[r].step, list[r].slot, list[r].input, list[r].delta, reads[r].step,
                  reads[r].slot, reads[r].input, reads[r].delta);
    CHECK_MSG(count > 0 || list == NULL, "%s: an empty list is NULL", name);
    lo_free(list);
}

int main(void)
{
    test_plan t;

    /* LeNet's shape: the input read once, its bytes reused by a later step's output, which
     * is the graph output. */
    plan_begin(&t, 1, 1);
    t.inputs[0] = at(0, 250);
    add_step(&t, (lo_tensor_ref[]){at(0, 250), constant(0)}, 2, at(1024, 100));
    add_step(&t, (lo_tensor_ref[]){at(1024, 100)}, 1, at(0, 10));
    t.outputs[0] = at(0, 10);
    expect("lenet", &t, (bool[]){true}, (expected_read[]){{0, 0, 0, 0}}, 1);

    /* Views of the input (a reshape's alias, a slice) read in place at their own offsets. */
    plan_begin(&t, 1, 1);
    t.inputs[0] = at(0, 250);
    add_step(&t, (lo_tensor_ref[]){at(0, 250)}, 1, at(1024, 250));
    add_step(&t, (lo_tensor_ref[]){at(1024, 250), at(200, 50)}, 2, at(2048, 10));
    t.outputs[0] = at(2048, 10);
    expect("views", &t, (bool[]){true}, (expected_read[]){{0, 0, 0, 0}, {1, 1, 0, 200}}, 2);

    /* An in-place step: it reads the caller's bytes and writes the arena's; the later read
     * takes what it wrote. */
    plan_begin(&t, 1, 1);
    t.inputs[0] = at(0, 250);
    add_step(&t, (lo_tensor_ref[]){at(0, 250)}, 1, at(0, 250));
    add_step(&t, (lo_tensor_ref[]){at(0, 250)}, 1, at(1024, 250));
    t.outputs[0] = at(1024, 250);
    expect("in place", &t, (bool[]){true}, (expected_read[]){{0, 0, 0, 0}}, 1);

    /* A step writes half the input's bytes, a later one reads the other half: that read needs
     * the copy. */
    plan_begin(&t, 1, 1);
    t.inputs[0] = at(0, 250);
    add_step(&t, (lo_tensor_ref[]){at(0, 250)}, 1, at(0, 100));
    add_step(&t, (lo_tensor_ref[]){at(0, 100), at(512, 100)}, 2, at(1024, 10));
    t.outputs[0] = at(1024, 10);
    expect("partly overwritten", &t, (bool[]){false}, NULL, 0);

    /* A read straddling the input's last byte. */
    plan_begin(&t, 1, 1);
    t.inputs[0] = at(0, 250);
    add_step(&t, (lo_tensor_ref[]){at(512, 250)}, 1, at(2048, 10));
    t.outputs[0] = at(2048, 10);
    expect("straddling", &t, (bool[]){false}, NULL, 0);

    /* A graph output that is the input itself (an identity graph): the copy is the output. */
    plan_begin(&t, 1, 1);
    t.inputs[0] = at(0, 250);
    t.outputs[0] = at(0, 250);
    expect("identity", &t, (bool[]){false}, NULL, 0);

    /* A graph output in the input's bytes that a step wrote whole. */
    plan_begin(&t, 1, 1);
    t.inputs[0] = at(0, 250);
    add_step(&t, (lo_tensor_ref[]){at(0, 250)}, 1, at(0, 250));
    t.outputs[0] = at(0, 250);
    expect("output written", &t, (bool[]){true}, (expected_read[]){{0, 0, 0, 0}}, 1);

    /* Two inputs: the first stays, the second is half overwritten before its last read. */
    plan_begin(&t, 2, 1);
    t.inputs[0] = at(0, 64);
    t.inputs[1] = at(256, 64);
    add_step(&t, (lo_tensor_ref[]){at(0, 64), at(256, 64)}, 2, at(512, 64));
    add_step(&t, (lo_tensor_ref[]){at(512, 64)}, 1, at(256, 32));
    add_step(&t, (lo_tensor_ref[]){at(256, 64)}, 1, at(1024, 64));
    t.outputs[0] = at(1024, 64);
    expect("two inputs", &t, (bool[]){true, false}, (expected_read[]){{0, 0, 0, 0}}, 1);

    /* An empty input is copied (nothing to read). */
    plan_begin(&t, 1, 1);
    t.inputs[0] = at(0, 0);
    add_step(&t, (lo_tensor_ref[]){at(0, 0)}, 1, at(1024, 4));
    t.outputs[0] = at(1024, 4);
    expect("empty", &t, (bool[]){false}, NULL, 0);

    return lo_test_exit_code();
}
