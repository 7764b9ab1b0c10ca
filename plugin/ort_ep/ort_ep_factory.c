/* The library's ONNX Runtime entry points and its one OrtEpFactory: it offers the EP for the
 * CPU hardware device (tensors live in CPU memory; our runs copy them to the compute device and
 * back) and owns the device context that every compiled graph's sessions share. */
#include "ort_ep.h"
#include "alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "context.h"

static const char *ORT_API_CALL factory_name(const OrtEpFactory *this_ptr)
{
    (void)this_ptr;
    return LO_ORT_EP_NAME;
}

static const char *ORT_API_CALL factory_vendor(const OrtEpFactory *this_ptr)
{
    (void)this_ptr;
    return "lenet-onnx";
}

static uint32_t ORT_API_CALL factory_vendor_id(const OrtEpFactory *this_ptr)
{
    (void)this_ptr;
    return 0;
}

static const char *ORT_API_CALL factory_version(const OrtEpFactory *this_ptr)
{
    (void)this_ptr;
    return lo_api_table(LENET_ONNX_ABI_VERSION)->version_string();
}

static OrtStatus *ORT_API_CALL factory_supported_devices(
    OrtEpFactory *this_ptr, const OrtHardwareDevice *const *devices, size_t num_devices,
    OrtEpDevice **ep_devices, size_t max_ep_devices, size_t *num_ep_devices)
{
    lo_ort_factory *f = (lo_ort_factory *)this_ptr;
    *num_ep_devices = 0;
    /* One EP device, on the CPU: no allocator info is registered, so ONNX Runtime gives the EP
     * CPU memory. Which backend and device run the plan is the EP's context's choice. */
    for (size_t i = 0; i < num_devices && *num_ep_devices < max_ep_devices; i++) {
        if (f->api->HardwareDevice_Type(devices[i]) != OrtHardwareDeviceType_CPU) continue;
        OrtEpDevice *device = NULL;
        OrtStatus *s = f->ep_api->CreateEpDevice(this_ptr, devices[i], NULL, NULL, &device);
        if (s) return s;
        ep_devices[(*num_ep_devices)++] = device;
        break;
    }
    return NULL;
}

/* Provider option `key` (ONNX Runtime stores them in the session's config as
 * "ep.<ep name>.<key>"; the name's case varies between releases, so both are tried). */
static bool provider_option(const OrtApi *api, const OrtSessionOptions *options, const char *key,
                            char *value, size_t size)
{
    static const char *const prefixes[] = {"ep.lenetonnxexecutionprovider.",
                                           "ep." LO_ORT_EP_NAME "."};
    for (size_t i = 0; options && i < sizeof prefixes / sizeof prefixes[0]; i++) {
        char full[128];
        snprintf(full, sizeof full, "%s%s", prefixes[i], key);
        int has = 0;
        OrtStatus *s = api->HasSessionConfigEntry(options, full, &has);
        if (s) {
            api->ReleaseStatus(s);
            continue;
        }
        if (!has) continue;
        size_t n = size;
        s = api->GetSessionConfigEntry(options, full, value, &n);
        if (!s) return true;
        api->ReleaseStatus(s);
    }
    return false;
}

/* The device the provider options `backend` (a backend name or "auto") and `device` (an
 * index, "cpu", "gpu" or a name substring) choose. */
static lo_status open_context(const OrtApi *api, const OrtSessionOptions *options,
                              lenet_onnx_context **out, lo_error *err)
{
    char backend[64] = "", device[128] = "";
    provider_option(api, options, "backend", backend, sizeof backend);
    provider_option(api, options, "device", device, sizeof device);
    lo_device_choice choice = {backend, LENET_ONNX_DEVICE_AUTO, 0, LENET_ONNX_DEVICE_TYPE_OTHER,
                               NULL};
    char *end = NULL;
    unsigned long index = device[0] ? strtoul(device, &end, 10) : 0;
    if (!device[0] || strcmp(device, "auto") == 0) {
        choice.select = LENET_ONNX_DEVICE_AUTO;
    } else if (end && *end == '\0' && index <= UINT32_MAX) {
        choice.select = LENET_ONNX_DEVICE_INDEX;
        choice.index = (uint32_t)index;
    } else if (strcmp(device, "cpu") == 0 || strcmp(device, "gpu") == 0) {
        choice.select = LENET_ONNX_DEVICE_TYPE;
        choice.type = device[0] == 'c' ? LENET_ONNX_DEVICE_TYPE_CPU : LENET_ONNX_DEVICE_TYPE_GPU;
    } else {
        choice.select = LENET_ONNX_DEVICE_NAME;
        choice.name = device;
    }
    lo_status st = lo_context_open(&choice, out, err);
    if (st != LO_OK)
        lo_fail_prefix(err, "%s (backend '%s', device '%s'): ", LO_ORT_EP_NAME,
                       backend[0] ? backend : "auto", device[0] ? device : "auto");
    return st;
}

static OrtStatus *ORT_API_CALL factory_create_ep(OrtEpFactory *this_ptr,
                                                 const OrtHardwareDevice *const *devices,
                                                 const OrtKeyValuePairs *const *ep_metadata,
                                                 size_t num_devices,
                                                 const OrtSessionOptions *session_options,
                                                 const OrtLogger *logger, OrtEp **out)
{
    (void)devices;
    (void)ep_metadata;
    (void)num_devices;
    lo_ort_factory *f = (lo_ort_factory *)this_ptr;
    lo_error err;
    lo_error_clear(&err);
    lenet_onnx_context *context = NULL;
    lo_status st = open_context(f->api, session_options, &context, &err);
    if (st != LO_OK) return lo_ort_status(f->api, st, &err);
    lo_ort_ep *ep = lo_calloc(1, sizeof *ep);
    if (!ep) {
        lo_context_release(context);
        return f->api->CreateStatus(ORT_FAIL, "lenet-onnx: out of memory");
    }
    lo_ort_ep_init(ep, f->api, f->ep_api, logger, context);
    *out = &ep->base;
    return NULL;
}

static void ORT_API_CALL factory_release_ep(OrtEpFactory *this_ptr, OrtEp *ep)
{
    (void)this_ptr;
    lo_ort_ep_release((lo_ort_ep *)ep); /* base is the first member */
}

static OrtStatus *ORT_API_CALL factory_validate_compiled(OrtEpFactory *this_ptr,
                                                         const OrtHardwareDevice *const *devices,
                                                         size_t num_devices, const char *info,
                                                         OrtCompiledModelCompatibility *out)
{
    (void)this_ptr;
    (void)devices;
    (void)num_devices;
    (void)info;
    *out = OrtCompiledModelCompatibility_EP_NOT_APPLICABLE; /* no EPContext models are made */
    return NULL;
}

static OrtStatus *ORT_API_CALL factory_create_allocator(OrtEpFactory *this_ptr,
                                                        const OrtMemoryInfo *memory_info,
                                                        const OrtKeyValuePairs *options,
                                                        OrtAllocator **allocator)
{
    (void)this_ptr;
    (void)memory_info;
    (void)options;
    *allocator = NULL; /* ONNX Runtime's CPU allocator */
    return NULL;
}

static void ORT_API_CALL factory_release_allocator(OrtEpFactory *this_ptr, OrtAllocator *allocator)
{
    (void)this_ptr;
    (void)allocator;
}

/* ONNX Runtime 1.29 calls this unconditionally while registering; CPU memory needs no copies. */
static OrtStatus *ORT_API_CALL factory_create_data_transfer(OrtEpFactory *this_ptr,
                                                            OrtDataTransferImpl **data_transfer)
{
    (void)this_ptr;
    *data_transfer = NULL;
    return NULL;
}

static bool ORT_API_CALL factory_stream_aware(const OrtEpFactory *this_ptr)
{
    (void)this_ptr;
    return false;
}

static OrtStatus *ORT_API_CALL factory_create_stream(OrtEpFactory *this_ptr,
                                                     const OrtMemoryDevice *memory_device,
                                                     const OrtKeyValuePairs *options,
                                                     OrtSyncStreamImpl **stream)
{
    (void)this_ptr;
    (void)memory_device;
    (void)options;
    *stream = NULL;
    return NULL;
}

static OrtStatus *ORT_API_CALL factory_num_custom_domains(OrtEpFactory *this_ptr, size_t *count)
{
    (void)this_ptr;
    *count = 0;
    return NULL;
}

static OrtStatus *ORT_API_CALL factory_custom_domains(OrtEpFactory *this_ptr,
                                                      OrtCustomOpDomain **domains, size_t count)
{
    (void)this_ptr;
    (void)domains;
    (void)count;
    return NULL;
}

__attribute__((visibility("default"))) OrtStatus *
CreateEpFactories(const char *registration_name, const OrtApiBase *ort_api_base,
                  const OrtLogger *default_logger, OrtEpFactory **factories, size_t max_factories,
                  size_t *num_factories)
{
    (void)registration_name;
    (void)default_logger;
    *num_factories = 0;
    const OrtApi *api = ort_api_base->GetApi(LO_ORT_API_VERSION);
    if (!api) return NULL; /* an ONNX Runtime older than our headers: offer nothing */
    if (max_factories < 1) return api->CreateStatus(ORT_INVALID_ARGUMENT, "no room for a factory");
    lo_ort_factory *f = lo_calloc(1, sizeof *f);
    if (!f) return api->CreateStatus(ORT_FAIL, "lenet-onnx: out of memory");
    f->api = api;
    f->ep_api = api->GetEpApi();
    OrtEpFactory *b = &f->base;
    b->ort_version_supported = LO_ORT_API_VERSION;
    b->GetName = factory_name;
    b->GetVendor = factory_vendor;
    b->GetSupportedDevices = factory_supported_devices;
    b->CreateEp = factory_create_ep;
    b->ReleaseEp = factory_release_ep;
    b->GetVendorId = factory_vendor_id;
    b->GetVersion = factory_version;
    b->ValidateCompiledModelCompatibilityInfo = factory_validate_compiled;
    b->CreateAllocator = factory_create_allocator;
    b->ReleaseAllocator = factory_release_allocator;
    b->CreateDataTransfer = factory_create_data_transfer;
    b->IsStreamAware = factory_stream_aware;
    b->CreateSyncStreamForDevice = factory_create_stream;
    b->GetNumCustomOpDomains = factory_num_custom_domains;
    b->GetCustomOpDomains = factory_custom_domains;
    factories[0] = b;
    *num_factories = 1;
    return NULL;
}

__attribute__((visibility("default"))) OrtStatus *ReleaseEpFactory(OrtEpFactory *factory)
{
    lo_ort_factory *f = (lo_ort_factory *)factory;
    if (!f) return NULL;
    lo_free(f);
    return NULL;
}
