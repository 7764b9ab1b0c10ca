/* Until cpu_plain.c lands: the memory-bound kinds are refused at plan time. */
#include "cpu_plain.h"

bool lo_cpu_plain_handles(const lo_step *step)
{
    (void)step;
    return false;
}

lo_status lo_cpu_run_plain(lo_cpu_threads *threads, const lo_step *step, const void *const *inputs,
                           void *output, lo_error *err)
{
    (void)threads;
    (void)inputs;
    (void)output;
    return lo_fail(err, LO_ERR_UNSUPPORTED, "the CPU backend cannot run %s yet", step->label);
}
