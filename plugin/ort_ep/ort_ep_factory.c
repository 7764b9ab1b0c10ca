/* The library's ONNX Runtime entry points and its one OrtEpFactory: it offers the EP for the
 * CPU hardware device (tensors live in CPU memory; our runs copy them to the OpenCL device and
 * back) and owns the device context that every compiled graph's sessions share. */
#include "ort_ep.h"
#include "alloc.h"

#include <stdlib.h>
#include <string.h>

#include "api.h"

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
     * CPU memory. Which OpenCL device runs the plan is the context's choice. */
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
    (void)session_options;
    lo_ort_factory *f = (lo_ort_factory *)this_ptr;
    lo_ort_ep *ep = lo_calloc(1, sizeof *ep);
    if (!ep) return f->api->CreateStatus(ORT_FAIL, "lenet-onnx: out of memory");
    lo_ort_ep_init(ep, f, logger);
    *out = &ep->base;
    return NULL;
}

static void ORT_API_CALL factory_release_ep(OrtEpFactory *this_ptr, OrtEp *ep)
{
    (void)this_ptr;
    lo_free(ep); /* base is the first member */
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

lo_status lo_ort_factory_context(lo_ort_factory *f, lenet_onnx_context **out, lo_error *err)
{
    lo_status st = LO_OK;
    pthread_mutex_lock(&f->lock);
    if (!f->context)
        st = lo_api_table(LENET_ONNX_ABI_VERSION)->context_create(NULL, &f->context, err);
    *out = f->context;
    pthread_mutex_unlock(&f->lock);
    return st;
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
    pthread_mutex_init(&f->lock, NULL);
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
    if (f->context) lo_api_table(LENET_ONNX_ABI_VERSION)->context_release(f->context);
    pthread_mutex_destroy(&f->lock);
    lo_free(f);
    return NULL;
}
