/* Data movement without arithmetic (semantics: plugin/step.h, LO_STEP_PAD, LO_STEP_CONCAT and
 * LO_STEP_TRANSPOSE), float only: one work-item per output element. Shapes come as int8
 * vectors of up to 8 dims, right-aligned (leading unused dims are 1), unpacked into private
 * arrays because OpenCL C cannot index a vector with a variable.
 */

/* y[i] = x[i - pad_begin] where inside x, else value; negative pads crop. */
#if LO_KERNEL_pad
kernel void pad(global const float *x, int x_off, global float *y, int y_off, int n,
                int8 out_dims, int8 in_dims, int8 pad_begin, float value)
{
    const int i = (int)get_global_id(0);
    if (i >= n) return;
    int od[8], id[8], pb[8];
    vstore8(out_dims, 0, od);
    vstore8(in_dims, 0, id);
    vstore8(pad_begin, 0, pb);
    int rest = i, src = 0, stride = 1;
    bool inside = true;
    for (int d = 7; d >= 0; d--) {
        const int o = rest % od[d];
        rest /= od[d];
        const int s = o - pb[d];
        inside = inside && s >= 0 && s < id[d];
        src += s * stride;
        stride *= id[d];
    }
    y[y_off + i] = inside ? x[x_off + src] : value;
}
#endif

/* y at output index (..., h, w) = x[sum over d of index_d * strides[d]], strides[d] being the
 * input stride of the output's axis d. The grid is [w, h, the leading axes flattened], so an
 * item divides only to split the leading axes (the same for a whole row: hoisted), not its
 * flat index eight times (which kept PoCL from vectorising: 15 ns per element). */
#if LO_KERNEL_transpose
kernel void transpose(global const float *x, int x_off, global float *y, int y_off,
                      int8 out_dims, int8 strides)
{
    int od[8], st[8];
    vstore8(out_dims, 0, od);
    vstore8(strides, 0, st);
    const int w = (int)get_global_id(0), h = (int)get_global_id(1), r = (int)get_global_id(2);
    if (w >= od[7]) return; /* the grid's first size is rounded up to the group */
    int rest = r, src = h * st[6] + w * st[7];
    for (int d = 5; d >= 0; d--) {
        src += (rest % od[d]) * st[d];
        rest /= od[d];
    }
    y[y_off + (r * od[6] + h) * od[7] + w] = x[x_off + src];
}
#endif

/* The common case of transpose as [outer, A, B] -> [outer, B, A] (the launcher merges axes
 * that stay together: NHWC -> NCHW is [N, H*W, C] -> [N, C, H*W]), on an [A, B, outer] grid:
 * a contiguous store and a strided load per item, no division. */
#if LO_KERNEL_transpose_2d
kernel void transpose_2d(global const float *x, int x_off, global float *y, int y_off, int A,
                         int B)
{
    const int a = (int)get_global_id(0), b = (int)get_global_id(1), o = (int)get_global_id(2);
    if (a >= A) return; /* the grid's first size is rounded up to the group */
    y[y_off + (o * B + b) * A + a] = x[x_off + (o * A + a) * B + b];
}
#endif

/* The output as [outer, A, inner] with A the concatenated axis; input k holds sizes[k] of A
 * (0 for unused slots, whose buffers are never read). */
#if LO_KERNEL_concat
kernel void concat(global const float *x0, global const float *x1, global const float *x2,
                   global const float *x3, global const float *x4, global const float *x5,
                   global const float *x6, global const float *x7, int8 offsets, int8 sizes,
                   global float *y, int y_off, int n, int A, int inner)
{
    const int i = (int)get_global_id(0);
    if (i >= n) return;
    int off[8], sz[8];
    vstore8(offsets, 0, off);
    vstore8(sizes, 0, sz);
    const int in = i % inner;
    const int t = i / inner;
    int a = t % A;
    const int o = t / A;
    int k = 0;
    while (k < 7 && a >= sz[k]) {
        a -= sz[k];
        k++;
    }
    const global float *x = k == 0   ? x0
                            : k == 1 ? x1
                            : k == 2 ? x2
                            : k == 3 ? x3
                            : k == 4 ? x4
                            : k == 5 ? x5
                            : k == 6 ? x6
                                     : x7;
    y[y_off + i] = x[off[k] + (o * sz[k] + a) * inner + in];
}
#endif
