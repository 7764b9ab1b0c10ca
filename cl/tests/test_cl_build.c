/* A kernel that fails to compile is reported with the program name, the options and the
 * compiler's build log, and nothing is cached or leaked. */
#include <string.h>

#include "backend.h"
#include "cl_internal.h"
#include "test_util.h"

int main(void)
{
    const lo_backend *backend = lo_opencl_backend();
    lo_error err;
    lo_backend_context *context = NULL;
    CHECK_OK(backend->open(0, &context, &err), &err);
    if (!context) return lo_test_exit_code();

    static const char broken[] = "__kernel void broken(__global float *y)\n"
                                 "{\n"
                                 "    y[get_global_id(0)] = undefined_name + 1.0f;\n"
                                 "}\n";
    cl_program program = NULL;
    lo_status st = lo_cl_build_program(context, "broken_test", broken, sizeof broken - 1,
                                       "-DTEST_OPTION=1", &program, &err);
    CHECK(st == LO_ERR_DEVICE);
    CHECK(program == NULL);
    CHECK_MSG(strstr(err.message, "broken_test") != NULL, "%s", err.message);
    CHECK_MSG(strstr(err.message, "-DTEST_OPTION=1") != NULL, "%s", err.message);
    CHECK_MSG(strstr(err.message, "CL_BUILD_PROGRAM_FAILURE") != NULL, "%s", err.message);
    CHECK_MSG(strstr(err.message, "undefined_name") != NULL, "the build log is missing: %s",
              err.message);
    printf("message: %s\n", err.message);

    static const char good[] = "__kernel void good(__global float *y) { y[0] = 1.0f; }\n";
    CHECK_OK(lo_cl_build_program(context, "good_test", good, sizeof good - 1, "", &program, &err),
             &err);
    if (program) clReleaseProgram(program);
    backend->close(context);
    return lo_test_exit_code();
}
