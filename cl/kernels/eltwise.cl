/* Element-wise steps (semantics: plugin/step.h, LO_STEP_UNARY and LO_STEP_COPY): one
 * work-item per element and no loop, so PoCL vectorises across work-items. Either may run in
 * place, hence no restrict.
 *
 * Clip's bounds come as values or, when only known at run time, as one-element inputs.
 *
 * Build options: -DT=float|uchar, and -DT_IS_FLOAT with float (the activations past ReLU);
 * -DOP=n builds `unary` for one activation (its `op` argument then unused): the switch folds
 * away and PoCL vectorises across work-items, Tanh and Sigmoid included (one program per
 * activation: with the switch, a Tanh ran at 8 ns per element).
 */
#ifndef T
#define T float
#endif

/* `op` is an lo_activation, with its parameters: new functions become new cases here.
 * Shared by unary and network.cl. */
static T unary_value(T v, int op, float alpha, float lo, float hi)
{
    T r = v;
    switch (op) {
    case 1: /* ReLU */
        r = v > (T)0 ? v : (T)0;
        break;
#ifdef T_IS_FLOAT
    case 2: /* Sigmoid; exp(-v) overflowing to inf gives 0, as it should */
        r = 1.0f / (1.0f + exp(-v));
        break;
    case 3: /* Tanh */
        r = tanh(v);
        break;
    case 4: /* LeakyRelu */
        r = v < 0.0f ? alpha * v : v;
        break;
    case 5: /* Clip, min(max(v, lo), hi) (hi wins when lo > hi); compares keep NaN */
        r = v < lo ? lo : v;
        r = r > hi ? hi : r;
        break;
#endif
    default:
        break;
    }
    (void)alpha;
    (void)lo;
    (void)hi;
    return r;
}

#if LO_KERNEL_unary
kernel void unary(global const T *x, int x_off, global T *y, int y_off, int n, int op, float alpha,
                  float lo, float hi, global const T *lo_in, int lo_off, int has_lo_in,
                  global const T *hi_in, int hi_off, int has_hi_in)
{
    const int i = (int)get_global_id(0);
    if (i >= n) return;
#ifdef T_IS_FLOAT
    /* Clip bounds known only at run time. */
    if (has_lo_in) lo = lo_in[lo_off];
    if (has_hi_in) hi = hi_in[hi_off];
#endif
#ifdef OP
    (void)op;
    y[y_off + i] = unary_value(x[x_off + i], OP, alpha, lo, hi);
#else
    y[y_off + i] = unary_value(x[x_off + i], op, alpha, lo, hi);
#endif
}
#endif

#if LO_KERNEL_copy
kernel void copy(global const T *x, int x_off, global T *y, int y_off, int n)
{
    const int i = (int)get_global_id(0);
    if (i < n) y[y_off + i] = x[x_off + i];
}
#endif
