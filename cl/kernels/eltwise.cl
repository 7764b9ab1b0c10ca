/* Element-wise steps (semantics: plugin/step.h, LO_STEP_UNARY and LO_STEP_COPY): one
 * work-item per element and no loop, so PoCL vectorises across work-items. Either may run in
 * place, hence no restrict.
 *
 * Build option: -DT=float|uchar.
 */
#ifndef T
#define T float
#endif

/* `op` is an lo_activation: new functions become new cases here. */
kernel void unary(global const T *x, int x_off, global T *y, int y_off, int n, int op)
{
    const int i = (int)get_global_id(0);
    if (i >= n) return;
    const T v = x[x_off + i];
    T r = v;
    switch (op) {
    case 1: /* ReLU */
        r = v > (T)0 ? v : (T)0;
        break;
    default:
        break;
    }
    y[y_off + i] = r;
}

kernel void copy(global const T *x, int x_off, global T *y, int y_off, int n)
{
    const int i = (int)get_global_id(0);
    if (i < n) y[y_off + i] = x[x_off + i];
}
