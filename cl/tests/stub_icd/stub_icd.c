/* A stub OpenCL ICD for failure injection, after the OpenCL ICD loader's own test driver.
 * The ICD loader (OCL_ICD_FILENAMES) loads it instead of a real driver; it answers the calls
 * the backend makes with one fake CPU device whose buffers are host memory and whose kernels
 * do nothing. LO_STUB_FAIL picks the one call that fails, so error paths run for real:
 *   noplatform  the driver reports no platform
 *   buffer      clCreateBuffer:          CL_MEM_OBJECT_ALLOCATION_FAILURE
 *   build       clBuildProgram:          CL_BUILD_PROGRAM_FAILURE (with a build log)
 *   kernel      clCreateKernel:          CL_OUT_OF_HOST_MEMORY
 *   enqueue     clEnqueueNDRangeKernel:  CL_OUT_OF_RESOURCES
 *   finish      clFinish:                CL_OUT_OF_RESOURCES
 * LO_STUB_FAIL_AFTER=N lets the chosen call succeed N times first (e.g. past the warm-up run
 * that session creation does, into a real run). Only what the backend calls is implemented;
 * the rest of the dispatch table stays NULL. */
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <CL/cl_ext.h>
#include <CL/cl_icd.h>

#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

static cl_icd_dispatch dispatch;

/* Every object starts with the dispatch pointer, as the ICD loader requires. */
struct _cl_platform_id {
    cl_icd_dispatch *dispatch;
};
struct _cl_device_id {
    cl_icd_dispatch *dispatch;
};
struct _cl_context {
    cl_icd_dispatch *dispatch;
};
struct _cl_command_queue {
    cl_icd_dispatch *dispatch;
};
struct _cl_mem {
    cl_icd_dispatch *dispatch;
    int refs;
    size_t size;
    unsigned char *bytes;
};
struct _cl_program {
    cl_icd_dispatch *dispatch;
    int refs;
};
struct _cl_kernel {
    cl_icd_dispatch *dispatch;
};
struct _cl_event {
    cl_icd_dispatch *dispatch;
};

static int last_build_failed;

static struct _cl_platform_id platform = {&dispatch};
static struct _cl_device_id device = {&dispatch};
static struct _cl_context context = {&dispatch};

static int failing(const char *what)
{
    static long calls;
    const char *mode = getenv("LO_STUB_FAIL");
    if (!mode || strcmp(mode, what) != 0) return 0;
    const char *after = getenv("LO_STUB_FAIL_AFTER");
    return calls++ >= (after ? atol(after) : 0);
}

/* Copies a value out the way every clGet*Info call does. */
static cl_int answer(const void *value, size_t size, size_t capacity, void *out, size_t *size_ret)
{
    if (size_ret) *size_ret = size;
    if (out) {
        if (capacity < size) return CL_INVALID_VALUE;
        memcpy(out, value, size);
    }
    return CL_SUCCESS;
}

static cl_int CL_API_CALL get_platform_ids(cl_uint n, cl_platform_id *platforms, cl_uint *count)
{
    cl_uint have = failing("noplatform") ? 0 : 1;
    if (count) *count = have;
    if (platforms && n > 0 && have) platforms[0] = &platform;
    return have ? CL_SUCCESS : CL_PLATFORM_NOT_FOUND_KHR;
}

static cl_int CL_API_CALL get_platform_info(cl_platform_id p, cl_platform_info param, size_t size,
                                            void *value, size_t *size_ret)
{
    (void)p;
    const char *text = "stub";
    switch (param) {
    case CL_PLATFORM_NAME:
        text = "lenet-onnx stub ICD";
        break;
    case CL_PLATFORM_VERSION:
        text = "OpenCL 1.2 stub";
        break;
    case CL_PLATFORM_ICD_SUFFIX_KHR:
        text = "STUB";
        break;
    case CL_PLATFORM_EXTENSIONS:
        text = "cl_khr_icd";
        break;
    default:
        break;
    }
    return answer(text, strlen(text) + 1, size, value, size_ret);
}

static cl_int CL_API_CALL get_device_ids(cl_platform_id p, cl_device_type type, cl_uint n,
                                         cl_device_id *devices, cl_uint *count)
{
    (void)p;
    cl_uint have = (type & (CL_DEVICE_TYPE_CPU | CL_DEVICE_TYPE_DEFAULT)) ? 1 : 0;
    if (count) *count = have;
    if (devices && n > 0 && have) devices[0] = &device;
    return have ? CL_SUCCESS : CL_DEVICE_NOT_FOUND;
}

static cl_int CL_API_CALL get_device_info(cl_device_id d, cl_device_info param, size_t size,
                                          void *value, size_t *size_ret)
{
    (void)d;
    cl_device_type type = CL_DEVICE_TYPE_CPU;
    cl_ulong big = 1ull << 30;
    cl_uint bits = 1024, one = 1, width = 8;
    size_t group = 1024, sizes[3] = {1024, 1024, 1024};
    cl_bool yes = CL_TRUE;
    switch (param) {
    case CL_DEVICE_TYPE:
        return answer(&type, sizeof type, size, value, size_ret);
    case CL_DEVICE_GLOBAL_MEM_SIZE:
    case CL_DEVICE_MAX_MEM_ALLOC_SIZE:
    case CL_DEVICE_LOCAL_MEM_SIZE:
        return answer(&big, sizeof big, size, value, size_ret);
    case CL_DEVICE_MEM_BASE_ADDR_ALIGN:
        return answer(&bits, sizeof bits, size, value, size_ret);
    case CL_DEVICE_MAX_WORK_GROUP_SIZE:
        return answer(&group, sizeof group, size, value, size_ret);
    case CL_DEVICE_MAX_WORK_ITEM_SIZES:
        return answer(sizes, sizeof sizes, size, value, size_ret);
    case CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS: {
        cl_uint three = 3;
        return answer(&three, sizeof three, size, value, size_ret);
    }
    case CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT:
    case CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT:
        return answer(&width, sizeof width, size, value, size_ret);
    case CL_DEVICE_AVAILABLE:
    case CL_DEVICE_COMPILER_AVAILABLE:
        return answer(&yes, sizeof yes, size, value, size_ret);
    case CL_DEVICE_MAX_COMPUTE_UNITS:
        return answer(&one, sizeof one, size, value, size_ret);
    case CL_DEVICE_PLATFORM: {
        cl_platform_id p = &platform;
        return answer(&p, sizeof p, size, value, size_ret);
    }
    case CL_DEVICE_NAME:
        return answer("stub device", 12, size, value, size_ret);
    case CL_DRIVER_VERSION:
        return answer("0.0-stub", 9, size, value, size_ret);
    case CL_DEVICE_VERSION:
        return answer("OpenCL 1.2 stub", 16, size, value, size_ret);
    case CL_DEVICE_VENDOR:
        return answer("lenet-onnx", 11, size, value, size_ret);
    default: {
        /* Anything else: zeroes of the size asked, which reads as "none" or "0". */
        if (size_ret) *size_ret = size ? size : sizeof(cl_ulong);
        if (value) memset(value, 0, size);
        return CL_SUCCESS;
    }
    }
}

static cl_context CL_API_CALL create_context(
    const cl_context_properties *props, cl_uint n, const cl_device_id *devices,
    void(CL_CALLBACK *notify)(const char *, const void *, size_t, void *), void *user, cl_int *rc)
{
    (void)props, (void)n, (void)devices, (void)notify, (void)user;
    if (rc) *rc = CL_SUCCESS;
    return &context;
}

static cl_int CL_API_CALL release_context(cl_context c)
{
    (void)c;
    return CL_SUCCESS;
}

static cl_command_queue CL_API_CALL create_queue(cl_context c, cl_device_id d,
                                                 cl_command_queue_properties props, cl_int *rc)
{
    (void)c, (void)d, (void)props;
    struct _cl_command_queue *queue = calloc(1, sizeof *queue);
    if (queue) queue->dispatch = &dispatch;
    if (rc) *rc = queue ? CL_SUCCESS : CL_OUT_OF_HOST_MEMORY;
    return queue;
}

static cl_int CL_API_CALL release_queue(cl_command_queue queue)
{
    free(queue);
    return CL_SUCCESS;
}

static cl_mem CL_API_CALL create_buffer(cl_context c, cl_mem_flags flags, size_t size, void *host,
                                        cl_int *rc)
{
    (void)c, (void)flags, (void)host;
    struct _cl_mem *mem = NULL;
    if (!failing("buffer") && (mem = calloc(1, sizeof *mem))) {
        mem->bytes = calloc(size ? size : 1, 1);
        if (!mem->bytes) {
            free(mem);
            mem = NULL;
        }
    }
    if (mem) {
        mem->dispatch = &dispatch;
        mem->refs = 1;
        mem->size = size;
    }
    if (rc) *rc = mem ? CL_SUCCESS : CL_MEM_OBJECT_ALLOCATION_FAILURE;
    return mem;
}

static cl_int CL_API_CALL retain_mem(cl_mem mem)
{
    mem->refs++;
    return CL_SUCCESS;
}

static cl_int CL_API_CALL release_mem(cl_mem mem)
{
    if (--mem->refs == 0) {
        free(mem->bytes);
        free(mem);
    }
    return CL_SUCCESS;
}

static cl_program new_program(cl_int *rc)
{
    struct _cl_program *program = calloc(1, sizeof *program);
    if (program) {
        program->dispatch = &dispatch;
        program->refs = 1;
    }
    if (rc) *rc = program ? CL_SUCCESS : CL_OUT_OF_HOST_MEMORY;
    return program;
}

static cl_program CL_API_CALL create_program_source(cl_context c, cl_uint n, const char **sources,
                                                    const size_t *lengths, cl_int *rc)
{
    (void)c, (void)n, (void)sources, (void)lengths;
    return new_program(rc);
}

static cl_program CL_API_CALL create_program_binary(cl_context c, cl_uint n,
                                                    const cl_device_id *devices,
                                                    const size_t *lengths,
                                                    const unsigned char **binaries, cl_int *status,
                                                    cl_int *rc)
{
    (void)c, (void)n, (void)devices, (void)lengths, (void)binaries;
    /* No binary of ours is ever valid: callers fall back to the source. */
    if (status) *status = CL_INVALID_BINARY;
    if (rc) *rc = CL_INVALID_BINARY;
    return NULL;
}

static cl_int CL_API_CALL release_program(cl_program program)
{
    if (--program->refs == 0) free(program);
    return CL_SUCCESS;
}

static cl_int CL_API_CALL build_program(cl_program p, cl_uint n, const cl_device_id *devices,
                                        const char *options,
                                        void(CL_CALLBACK *notify)(cl_program, void *), void *user)
{
    (void)p, (void)n, (void)devices, (void)options, (void)notify, (void)user;
    last_build_failed = failing("build");
    return last_build_failed ? CL_BUILD_PROGRAM_FAILURE : CL_SUCCESS;
}

static cl_int CL_API_CALL get_program_build_info(cl_program p, cl_device_id d,
                                                 cl_program_build_info param, size_t size,
                                                 void *value, size_t *size_ret)
{
    (void)p, (void)d;
    if (param == CL_PROGRAM_BUILD_LOG) {
        const char *log = last_build_failed ? "stub: injected build failure" : "";
        return answer(log, strlen(log) + 1, size, value, size_ret);
    }
    cl_build_status status = last_build_failed ? CL_BUILD_ERROR : CL_BUILD_SUCCESS;
    return answer(&status, sizeof status, size, value, size_ret);
}

static cl_int CL_API_CALL get_program_info(cl_program p, cl_program_info param, size_t size,
                                           void *value, size_t *size_ret)
{
    (void)p;
    /* No binaries: nothing gets cached. */
    if (param == CL_PROGRAM_BINARY_SIZES || param == CL_PROGRAM_BINARIES) {
        size_t zero = 0;
        return answer(&zero, sizeof zero, size, value, size_ret);
    }
    cl_uint one = 1;
    return answer(&one, sizeof one, size, value, size_ret);
}

static cl_kernel CL_API_CALL create_kernel(cl_program p, const char *name, cl_int *rc)
{
    (void)p, (void)name;
    struct _cl_kernel *kernel = failing("kernel") ? NULL : calloc(1, sizeof *kernel);
    if (kernel) kernel->dispatch = &dispatch;
    if (rc) *rc = kernel ? CL_SUCCESS : CL_OUT_OF_HOST_MEMORY;
    return kernel;
}

static cl_int CL_API_CALL release_kernel(cl_kernel kernel)
{
    free(kernel);
    return CL_SUCCESS;
}

static cl_int CL_API_CALL set_kernel_arg(cl_kernel k, cl_uint index, size_t size, const void *v)
{
    (void)k, (void)index, (void)size, (void)v;
    return CL_SUCCESS;
}

static cl_int CL_API_CALL get_kernel_work_group_info(cl_kernel k, cl_device_id d,
                                                     cl_kernel_work_group_info param, size_t size,
                                                     void *value, size_t *size_ret)
{
    (void)k, (void)d, (void)param;
    size_t answer_size = param == CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE ? 8 : 1024;
    if (param == CL_KERNEL_LOCAL_MEM_SIZE || param == CL_KERNEL_PRIVATE_MEM_SIZE) {
        cl_ulong zero = 0;
        return answer(&zero, sizeof zero, size, value, size_ret);
    }
    return answer(&answer_size, sizeof answer_size, size, value, size_ret);
}

static cl_event new_event(void)
{
    struct _cl_event *event = calloc(1, sizeof *event);
    if (event) event->dispatch = &dispatch;
    return event;
}

static cl_int CL_API_CALL enqueue_kernel(cl_command_queue q, cl_kernel k, cl_uint dims,
                                         const size_t *offset, const size_t *global,
                                         const size_t *local, cl_uint n, const cl_event *waits,
                                         cl_event *event)
{
    (void)q, (void)k, (void)dims, (void)offset, (void)global, (void)local, (void)n, (void)waits;
    if (failing("enqueue")) return CL_OUT_OF_RESOURCES;
    if (event) *event = new_event();
    return CL_SUCCESS;
}

static cl_int CL_API_CALL enqueue_write(cl_command_queue q, cl_mem mem, cl_bool blocking,
                                        size_t offset, size_t size, const void *data, cl_uint n,
                                        const cl_event *waits, cl_event *event)
{
    (void)q, (void)blocking, (void)n, (void)waits;
    if (offset + size > mem->size) return CL_INVALID_VALUE;
    memcpy(mem->bytes + offset, data, size);
    if (event) *event = new_event();
    return CL_SUCCESS;
}

static cl_int CL_API_CALL enqueue_read(cl_command_queue q, cl_mem mem, cl_bool blocking,
                                       size_t offset, size_t size, void *data, cl_uint n,
                                       const cl_event *waits, cl_event *event)
{
    (void)q, (void)blocking, (void)n, (void)waits;
    if (offset + size > mem->size) return CL_INVALID_VALUE;
    memcpy(data, mem->bytes + offset, size);
    if (event) *event = new_event();
    return CL_SUCCESS;
}

static cl_int CL_API_CALL finish(cl_command_queue q)
{
    (void)q;
    return failing("finish") ? CL_OUT_OF_RESOURCES : CL_SUCCESS;
}

static cl_int CL_API_CALL get_event_profiling_info(cl_event e, cl_profiling_info param, size_t size,
                                                   void *value, size_t *size_ret)
{
    (void)e, (void)param;
    cl_ulong zero = 0;
    return answer(&zero, sizeof zero, size, value, size_ret);
}

static cl_int CL_API_CALL release_event(cl_event event)
{
    free(event);
    return CL_SUCCESS;
}

static void *CL_API_CALL extension_address(const char *name);

static void fill_dispatch(void)
{
    dispatch.clGetPlatformIDs = get_platform_ids;
    dispatch.clGetPlatformInfo = get_platform_info;
    dispatch.clGetDeviceIDs = get_device_ids;
    dispatch.clGetDeviceInfo = get_device_info;
    dispatch.clCreateContext = create_context;
    dispatch.clReleaseContext = release_context;
    dispatch.clCreateCommandQueue = create_queue;
    dispatch.clReleaseCommandQueue = release_queue;
    dispatch.clCreateBuffer = create_buffer;
    dispatch.clRetainMemObject = retain_mem;
    dispatch.clReleaseMemObject = release_mem;
    dispatch.clCreateProgramWithSource = create_program_source;
    dispatch.clCreateProgramWithBinary = create_program_binary;
    dispatch.clReleaseProgram = release_program;
    dispatch.clBuildProgram = build_program;
    dispatch.clGetProgramInfo = get_program_info;
    dispatch.clGetProgramBuildInfo = get_program_build_info;
    dispatch.clCreateKernel = create_kernel;
    dispatch.clReleaseKernel = release_kernel;
    dispatch.clSetKernelArg = set_kernel_arg;
    dispatch.clGetKernelWorkGroupInfo = get_kernel_work_group_info;
    dispatch.clEnqueueNDRangeKernel = enqueue_kernel;
    dispatch.clEnqueueWriteBuffer = enqueue_write;
    dispatch.clEnqueueReadBuffer = enqueue_read;
    dispatch.clFinish = finish;
    dispatch.clGetEventProfilingInfo = get_event_profiling_info;
    dispatch.clReleaseEvent = release_event;
    dispatch.clGetExtensionFunctionAddress = extension_address;
}

EXPORT cl_int CL_API_CALL clIcdGetPlatformIDsKHR(cl_uint n, cl_platform_id *platforms,
                                                 cl_uint *count)
{
    fill_dispatch();
    return get_platform_ids(n, platforms, count);
}

static void *CL_API_CALL extension_address(const char *name)
{
    /* ISO C has no cast from a function pointer to void *; the ICD contract needs one. */
    clIcdGetPlatformIDsKHR_fn entry = clIcdGetPlatformIDsKHR;
    void *address = NULL;
    if (strcmp(name, "clIcdGetPlatformIDsKHR") == 0) memcpy(&address, &entry, sizeof address);
    return address;
}

EXPORT void *CL_API_CALL clGetExtensionFunctionAddress(const char *name)
{
    return extension_address(name);
}

/* The ICD loader also looks this one up by name to read the platform's suffix. */
EXPORT cl_int CL_API_CALL clGetPlatformInfo(cl_platform_id p, cl_platform_info param, size_t size,
                                            void *value, size_t *size_ret)
{
    return get_platform_info(p, param, size, value, size_ret);
}
