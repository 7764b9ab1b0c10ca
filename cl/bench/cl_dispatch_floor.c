/* The fixed cost of one inference on an OpenCL device, whatever the model: the run path's
 * commands (write the input, N kernels that do nothing, read the output) and its one wait, with
 * no arithmetic. What a batch-1 run cannot go below on that device, to set against the
 * backend's whole run (lenet-onnx-bench) and against ONNX Runtime's.
 *
 *   cl_dispatch_floor [DEVICE_INDEX [RUNS]]
 *
 * Prints, for 0 to 6 empty kernels, the median and the 10th and 90th percentiles of RUNS
 * timed runs (default 5000) after a warm-up. A benchmark: it asserts nothing about time.
 */
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MAX_DEVICES 16

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

static int by_value(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The index-th device over every platform, in the ICD loader's order. */
static cl_device_id device_at(unsigned index)
{
    cl_platform_id platforms[MAX_DEVICES];
    cl_uint count = 0;
    if (clGetPlatformIDs(MAX_DEVICES, platforms, &count) != CL_SUCCESS) return NULL;
    for (cl_uint p = 0; p < count; p++) {
        cl_device_id devices[MAX_DEVICES];
        cl_uint n = 0;
        if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, MAX_DEVICES, devices, &n) !=
            CL_SUCCESS)
            continue;
        if (index < n) return devices[index];
        index -= n;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const unsigned index = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 0;
    const int runs = argc > 2 ? atoi(argv[2]) : 5000;
    cl_device_id device = device_at(index);
    if (!device || runs < 1) {
        fprintf(stderr, "cl_dispatch_floor: no OpenCL device %u (or RUNS < 1)\n", index);
        return 1;
    }
    char name[256] = "?";
    clGetDeviceInfo(device, CL_DEVICE_NAME, sizeof name, name, NULL);
    cl_int rc = CL_SUCCESS;
    cl_context context = clCreateContext(NULL, 1, &device, NULL, NULL, &rc);
    cl_command_queue queue = rc == CL_SUCCESS ? clCreateCommandQueue(context, device, 0, &rc) : 0;
    const char *source = "kernel void nothing(global float *x, int n)\n"
                         "{ if ((int)get_global_id(0) >= n) x[0] = 0.0f; }\n";
    cl_program program =
        rc == CL_SUCCESS ? clCreateProgramWithSource(context, 1, &source, NULL, &rc) : 0;
    if (rc == CL_SUCCESS) rc = clBuildProgram(program, 1, &device, "", NULL, NULL);
    cl_kernel kernel = rc == CL_SUCCESS ? clCreateKernel(program, "nothing", &rc) : 0;
    /* LeNet's batch-1 input and output: 3x32x32 floats in, 10 out. */
    static float input[3 * 32 * 32], output[10];
    cl_mem arena =
        rc == CL_SUCCESS ? clCreateBuffer(context, CL_MEM_READ_WRITE, sizeof input, NULL, &rc) : 0;
    const cl_int items = 64;
    if (rc == CL_SUCCESS) rc = clSetKernelArg(kernel, 0, sizeof arena, &arena);
    if (rc == CL_SUCCESS) rc = clSetKernelArg(kernel, 1, sizeof items, &items);
    double *times = malloc((size_t)runs * sizeof *times);
    if (rc != CL_SUCCESS || !times) {
        fprintf(stderr, "cl_dispatch_floor: OpenCL setup failed (%d)\n", (int)rc);
        return 1;
    }
    printf("device %u: %s; %d runs each: write %zu bytes, N empty kernels, read %zu bytes, "
           "clFinish\n",
           index, name, runs, sizeof input, sizeof output);
    printf("kernels  median_us     p10_us     p90_us\n");
    const size_t global = (size_t)items;
    for (int kernels = 0; kernels <= 6 && rc == CL_SUCCESS; kernels++) {
        for (int r = -runs / 10 - 1; r < runs && rc == CL_SUCCESS; r++) {
            const double start = now_us();
            rc =
                clEnqueueWriteBuffer(queue, arena, CL_FALSE, 0, sizeof input, input, 0, NULL, NULL);
            for (int k = 0; k < kernels && rc == CL_SUCCESS; k++)
                rc = clEnqueueNDRangeKernel(queue, kernel, 1, NULL, &global, NULL, 0, NULL, NULL);
            if (rc == CL_SUCCESS)
                rc = clEnqueueReadBuffer(queue, arena, CL_FALSE, 0, sizeof output, output, 0, NULL,
                                         NULL);
            if (rc == CL_SUCCESS) rc = clFinish(queue);
            if (r >= 0) times[r] = now_us() - start;
        }
        qsort(times, (size_t)runs, sizeof *times, by_value);
        printf("%7d %10.1f %10.1f %10.1f\n", kernels, times[runs / 2], times[runs / 10],
               times[runs * 9 / 10]);
    }
    free(times);
    clReleaseMemObject(arena);
    clReleaseKernel(kernel);
    clReleaseProgram(program);
    clReleaseCommandQueue(queue);
    clReleaseContext(context);
    if (rc != CL_SUCCESS)
        fprintf(stderr, "cl_dispatch_floor: an OpenCL call failed (%d)\n", (int)rc);
    return rc == CL_SUCCESS ? 0 : 1;
}
