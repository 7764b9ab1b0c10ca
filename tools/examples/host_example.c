/* A complete host of the lenet-onnx C ABI: classifies one synthetic image.
 *
 *   cc host_example.c $(pkg-config --cflags --libs lenet-onnx) -o host_example
 *   ./host_example MODEL.onnx
 *
 * It links the library; a host that loads it at run time instead calls
 * dlsym(dlopen(path, RTLD_NOW), "lenet_onnx_get_api") and uses the same table.
 */
#include <stdio.h>
#include <stdlib.h>

#include <lenet-onnx/lenet_onnx.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s MODEL.onnx\n", argv[0]);
        return 2;
    }
    const lenet_onnx_api *api = lenet_onnx_get_api(LENET_ONNX_ABI_VERSION);
    if (!api) {
        fprintf(stderr, "the library is older than ABI %u\n", LENET_ONNX_ABI_VERSION);
        return 1;
    }
    lenet_onnx_error err = {0};
    lenet_onnx_context *ctx = NULL;
    lenet_onnx_model *model = NULL;
    lenet_onnx_session *session = NULL;
    float *input = NULL, *output = NULL;
    int rc = 1;
    lenet_onnx_session_options opts = {.batch_size = 1}; /* struct_size 0: this header's */
    lenet_onnx_tensor_info in_info, out_info;
    if (api->context_create(NULL, &ctx, &err) != LENET_ONNX_OK || /* first GPU, else first */
        api->model_load_file(argv[1], &model, &err) != LENET_ONNX_OK ||
        api->session_create(ctx, model, &opts, &session, &err) != LENET_ONNX_OK ||
        api->session_io_info(session, LENET_ONNX_INPUT, 0, &in_info, &err) != LENET_ONNX_OK ||
        api->session_io_info(session, LENET_ONNX_OUTPUT, 0, &out_info, &err) != LENET_ONNX_OK)
        goto done;
    input = malloc(in_info.size_bytes);
    output = malloc(out_info.size_bytes);
    if (!input || !output) goto done;
    size_t n_in = in_info.size_bytes / sizeof(float), n_out = out_info.size_bytes / sizeof(float);
    for (size_t i = 0; i < n_in; i++)
        input[i] = (float)(i % 32) / 31.0f; /* a horizontal ramp */
    const void *inputs[] = {input};
    void *outputs[] = {output};
    if (api->session_run(session, inputs, outputs, &err) != LENET_ONNX_OK) goto done;
    size_t best = 0;
    for (size_t i = 1; i < n_out; i++)
        if (output[i] > output[best]) best = i;
    printf("%s: class %zu of %zu (score %g)\n", in_info.name, best, n_out, output[best]);
    rc = 0;
done:
    if (rc && err.status != LENET_ONNX_OK)
        fprintf(stderr, "%s: %s\n", api->status_name(err.status), err.message);
    free(input);
    free(output);
    api->session_release(session); /* releasing NULL is a no-op */
    api->model_release(model);
    api->context_release(ctx);
    return rc;
}
