/* Platforms and devices: one combined list over every platform in the ICD loader's order, so
 * a device index means the same thing to list_devices and to open. Choosing a device (auto,
 * by type, by name) is the core's: this file only lists and finds by index. */
#include "cl_internal.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* ocl-icd answers clGetPlatformIDs with this when no ICD is installed (cl_khr_icd). */
#define LO_CL_PLATFORM_NOT_FOUND_KHR (-1001)

typedef struct lo_cl_device_list {
    cl_platform_id *platforms;
    cl_uint num_platforms;
    /* Every device, flattened, with the platform it belongs to. */
    cl_device_id *devices;
    cl_platform_id *owners;
    size_t num_devices;
} lo_cl_device_list;

static void device_list_free(lo_cl_device_list *list)
{
    lo_free(list->platforms);
    lo_free(list->devices);
    lo_free(list->owners);
    memset(list, 0, sizeof *list);
}

static lo_status no_platform_found(lo_error *err)
{
    const char *vendors = getenv("OCL_ICD_VENDORS");
    return lo_fail(err, LO_ERR_DEVICE,
                   "no OpenCL platform found (is an ICD such as pocl-opencl-icd installed? "
                   "OCL_ICD_VENDORS=%s)",
                   vendors ? vendors : "unset, so /etc/OpenCL/vendors");
}

/* The devices of every platform. *no_platform is set (with the failure) when no ICD or no
 * platform is installed. */
static lo_status device_list_get(lo_cl_device_list *list, bool *no_platform, lo_error *err)
{
    lo_status status = LO_OK;
    memset(list, 0, sizeof *list);
    cl_uint num_platforms = 0;
    cl_int rc = clGetPlatformIDs(0, NULL, &num_platforms);
    if (rc == LO_CL_PLATFORM_NOT_FOUND_KHR || (rc == CL_SUCCESS && num_platforms == 0)) {
        *no_platform = true;
        status = no_platform_found(err);
        goto done;
    }
    if (rc != CL_SUCCESS) {
        status = lo_fail(err, LO_ERR_DEVICE, "clGetPlatformIDs failed: %s", lo_cl_error_name(rc));
        goto done;
    }
    list->platforms = lo_calloc(num_platforms, sizeof *list->platforms);
    if (!list->platforms) {
        status = lo_fail(err, LO_ERR_NO_MEMORY, "out of memory listing OpenCL platforms");
        goto done;
    }
    rc = clGetPlatformIDs(num_platforms, list->platforms, &list->num_platforms);
    if (rc != CL_SUCCESS) {
        status = lo_fail(err, LO_ERR_DEVICE, "clGetPlatformIDs failed: %s", lo_cl_error_name(rc));
        goto done;
    }
    if (list->num_platforms > num_platforms) list->num_platforms = num_platforms;
    for (cl_uint p = 0; p < list->num_platforms; p++) {
        cl_uint n = 0;
        rc = clGetDeviceIDs(list->platforms[p], CL_DEVICE_TYPE_ALL, 0, NULL, &n);
        if (rc == CL_DEVICE_NOT_FOUND || n == 0) continue; /* a platform without devices */
        if (rc != CL_SUCCESS) {
            status = lo_fail(err, LO_ERR_DEVICE, "clGetDeviceIDs (platform %u) failed: %s",
                             (unsigned)p, lo_cl_error_name(rc));
            goto done;
        }
        size_t total = list->num_devices + n;
        cl_device_id *devices = lo_realloc(list->devices, total * sizeof *devices);
        if (devices) list->devices = devices;
        cl_platform_id *owners = lo_realloc(list->owners, total * sizeof *owners);
        if (owners) list->owners = owners;
        if (!devices || !owners) {
            status = lo_fail(err, LO_ERR_NO_MEMORY, "out of memory listing OpenCL devices");
            goto done;
        }
        cl_uint got = 0;
        rc = clGetDeviceIDs(list->platforms[p], CL_DEVICE_TYPE_ALL, n,
                            list->devices + list->num_devices, &got);
        if (rc != CL_SUCCESS) {
            status = lo_fail(err, LO_ERR_DEVICE, "clGetDeviceIDs (platform %u) failed: %s",
                             (unsigned)p, lo_cl_error_name(rc));
            goto done;
        }
        if (got > n) got = n;
        for (cl_uint d = 0; d < got; d++)
            list->owners[list->num_devices + d] = list->platforms[p];
        list->num_devices += got;
    }
done:
    if (status != LO_OK) device_list_free(list);
    return status;
}

/* Queries a string of a platform (device == NULL) or a device into dst, cut to fit: asking
 * with a short buffer directly would fail with CL_INVALID_VALUE. */
static lo_status query_string(cl_platform_id platform, cl_device_id device, cl_uint param,
                              const char *what, char *dst, size_t capacity, lo_error *err)
{
    lo_status status = LO_OK;
    char *text = NULL;
    size_t size = 0;
    cl_int rc = device ? clGetDeviceInfo(device, param, 0, NULL, &size)
                       : clGetPlatformInfo(platform, param, 0, NULL, &size);
    if (rc == CL_SUCCESS) {
        text = lo_calloc(size + 1, 1);
        if (!text) {
            status = lo_fail(err, LO_ERR_NO_MEMORY, "out of memory reading %s", what);
            goto done;
        }
        rc = device ? clGetDeviceInfo(device, param, size, text, NULL)
                    : clGetPlatformInfo(platform, param, size, text, NULL);
    }
    if (rc != CL_SUCCESS) {
        status =
            lo_fail(err, LO_ERR_DEVICE, "%s(%s) failed: %s",
                    device ? "clGetDeviceInfo" : "clGetPlatformInfo", what, lo_cl_error_name(rc));
        goto done;
    }
    size_t len = strnlen(text, size);
    if (len >= capacity) len = capacity - 1;
    memcpy(dst, text, len);
    dst[len] = '\0';
done:
    lo_free(text);
    return status;
}

static lo_status device_desc_get(cl_platform_id platform, cl_device_id device, size_t index,
                                 lenet_onnx_device_desc *desc, lo_error *err)
{
    lo_status status = LO_OK;
    memset(desc, 0, sizeof *desc);
    desc->struct_size = sizeof *desc;
    desc->index = (uint32_t)index;
    cl_device_type type = 0;
    cl_ulong global_mem = 0;
    cl_uint align_bits = 0;
    cl_int rc = clGetDeviceInfo(device, CL_DEVICE_TYPE, sizeof type, &type, NULL);
    const char *what = "CL_DEVICE_TYPE";
    if (rc == CL_SUCCESS) {
        what = "CL_DEVICE_GLOBAL_MEM_SIZE";
        rc = clGetDeviceInfo(device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof global_mem, &global_mem,
                             NULL);
    }
    if (rc == CL_SUCCESS) {
        what = "CL_DEVICE_MEM_BASE_ADDR_ALIGN";
        rc = clGetDeviceInfo(device, CL_DEVICE_MEM_BASE_ADDR_ALIGN, sizeof align_bits, &align_bits,
                             NULL);
    }
    if (rc != CL_SUCCESS) {
        status = lo_fail(err, LO_ERR_DEVICE, "clGetDeviceInfo(%s) of device %zu failed: %s", what,
                         index, lo_cl_error_name(rc));
        goto done;
    }
    if (type & CL_DEVICE_TYPE_GPU)
        desc->type = LENET_ONNX_DEVICE_TYPE_GPU;
    else if (type & CL_DEVICE_TYPE_CPU)
        desc->type = LENET_ONNX_DEVICE_TYPE_CPU;
    else if (type & CL_DEVICE_TYPE_ACCELERATOR)
        desc->type = LENET_ONNX_DEVICE_TYPE_ACCELERATOR;
    else
        desc->type = LENET_ONNX_DEVICE_TYPE_OTHER;
    desc->memory_bytes = global_mem;
    desc->alignment_bytes = lo_cl_alignment_of(align_bits);
    status = query_string(NULL, device, CL_DEVICE_NAME, "CL_DEVICE_NAME", desc->name,
                          sizeof desc->name, err);
    if (status == LO_OK)
        status = query_string(platform, NULL, CL_PLATFORM_NAME, "CL_PLATFORM_NAME", desc->driver,
                              sizeof desc->driver, err);
    if (status == LO_OK)
        status = query_string(NULL, device, CL_DRIVER_VERSION, "CL_DRIVER_VERSION",
                              desc->driver_version, sizeof desc->driver_version, err);
done:
    return status;
}

uint32_t lo_cl_alignment_of(cl_uint align_bits)
{
    /* The CL value is in bits; never below a float so element offsets stay whole. */
    return align_bits / 8 >= sizeof(float) ? align_bits / 8 : (uint32_t)sizeof(float);
}

lo_status lo_cl_list_devices(lenet_onnx_device_desc *devices, size_t capacity, size_t *count,
                             lo_error *err)
{
    lo_cl_device_list list;
    if (count) *count = 0;
    if (!count || (capacity > 0 && !devices))
        return lo_fail(err, LO_ERR_ARGUMENT,
                       "list_devices: count is NULL, or devices is NULL "
                       "with a nonzero capacity");
    bool no_platform = false;
    lo_status status = device_list_get(&list, &no_platform, err);
    if (no_platform) { /* the API is absent here: no devices, not an error */
        if (err) lo_error_clear(err);
        return LO_OK;
    }
    if (status != LO_OK) return status;
    for (size_t i = 0; i < list.num_devices && i < capacity && status == LO_OK; i++)
        status = device_desc_get(list.owners[i], list.devices[i], i, &devices[i], err);
    if (status == LO_OK) *count = list.num_devices;
    device_list_free(&list);
    return status;
}

lo_status lo_cl_find_device(uint32_t index, cl_platform_id *platform, cl_device_id *device,
                            lenet_onnx_device_desc *desc, lo_error *err)
{
    lo_cl_device_list list;
    bool no_platform = false;
    lo_status status = device_list_get(&list, &no_platform, err);
    if (status != LO_OK) return status;
    if (index >= list.num_devices) {
        status = lo_fail(err, LO_ERR_ARGUMENT,
                         "OpenCL device index %u out of range: %zu device(s) on %u platform(s)",
                         (unsigned)index, list.num_devices, (unsigned)list.num_platforms);
        goto done;
    }
    status = device_desc_get(list.owners[index], list.devices[index], index, desc, err);
    if (status != LO_OK) goto done;
    *platform = list.owners[index];
    *device = list.devices[index];
done:
    device_list_free(&list);
    return status;
}
