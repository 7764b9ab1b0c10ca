// The body of conv_pool_tiled*.comp, which define the tile (LX, LY, WM, WN and NPOS, the pool
// window positions computed per pass: conv_tile.glsl) and include it.
layout(std430, binding = 0) writeonly buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) readonly buffer W { float wt[]; };
layout(std430, binding = 3) readonly buffer B { float bias[]; };
layout(push_constant) uniform Params {
    uint c, h, w;      // X: [N, c, h, w]
    uint m, oh, ow;    // the convolution's output [N, m, oh, ow], never stored
    uint py, px;       // Y: [N, m, py, px]
    uint pixels;       // pooled pixels: N * py * px
    uint cg, mg;       // channels per group in and out
    uint kh, kw;
    uint sh, sw, dh, dw;
    int ph, pw;        // the convolution's begin pads
    uint w_group, w_m, w_k; // W's strides per group, output channel and (ci, a, b) tap
    uint has_bias;
    uint act;
    float act_alpha, act_min, act_max; // LeakyRelu's alpha, Clip's bounds
    uint pk, ps, pd;   // the pool's window, stride, dilation: height | width << 16
    int pph, ppw;      // the pool's begin pads
} p;
#define pkh (p.pk & 0xffffu)
#define pkw (p.pk >> 16)
#define psh (p.ps & 0xffffu)
#define psw (p.ps >> 16)
#define pdh (p.pd & 0xffffu)
#define pdw (p.pd >> 16)
#include "conv_tile.glsl"

void main()
{
    uint lid = gl_LocalInvocationIndex, tx = lid % LX, ty = lid / LX;
    uint g = gl_WorkGroupID.z, m0 = gl_WorkGroupID.y * TM, p0 = gl_WorkGroupID.x * TN;
    uint depth = p.cg * p.kh * p.kw, plane = p.py * p.px;
    uint first_row = g * p.w_group + m0 * p.w_m, rows = p.mg - m0;

    // The staging column's pooled pixel and its pool window's origin in the conv output.
    uint sp = p0 + lid % TN;
    bool s_ok = sp < p.pixels;
    uint spc = s_ok ? sp : 0u, sn = spc / plane, sq = spc % plane;
    int s_oy0 = int((sq / p.px) * psh) - p.pph, s_ox0 = int((sq % p.px) * psw) - p.ppw;
    uint x_base = (sn * p.c + g * p.cg) * p.h * p.w;

    // This invocation's columns' pool window origins.
    int oy0[WN], ox0[WN];
    for (uint j = 0u; j < WN; j++) {
        uint q = min(p0 + tx + LX * j, p.pixels - 1u) % plane;
        oy0[j] = int((q / p.px) * psh) - p.pph;
        ox0[j] = int((q % p.px) * psw) - p.ppw;
    }
    float b[WM];
    for (uint i = 0u; i < WM; i++) {
        uint r = ty + LY * i;
        b[i] = p.has_bias != 0u && r < rows ? bias[g * p.mg + m0 + r] : 0.0;
    }
    float best[WM][WN];
    for (uint i = 0u; i < WM; i++)
        for (uint j = 0u; j < WN; j++)
            best[i][j] = uintBitsToFloat(0xff800000u); // -inf

    // The pool window's positions, NPOS at a time (sharing each W slab); a last pass past the
    // window's end repeats its last position, which changes no maximum.
    uint positions = pkh * pkw;
    for (uint pos0 = 0u; pos0 < positions; pos0 += NPOS) {
        patch_origin o[NPOS];
        int dy[NPOS], dx[NPOS];
        for (uint t = 0u; t < NPOS; t++) {
            uint pos = min(pos0 + t, positions - 1u);
            dy[t] = int((pos / pkw) * pdh);
            dx[t] = int((pos % pkw) * pdw);
            // A position outside the conv output stages a clamped pixel, never used.
            int soy = clamp(s_oy0 + dy[t], 0, int(p.oh) - 1);
            int sox = clamp(s_ox0 + dx[t], 0, int(p.ow) - 1);
            o[t] = make_origin(x_base, soy * int(p.sh) - p.ph, sox * int(p.sw) - p.pw, s_ok);
        }
        float acc[NPOS][WM][WN];
        conv_tiles(acc, o, first_row, rows, depth, tx, ty);
        for (uint t = 0u; t < NPOS; t++) {
            for (uint j = 0u; j < WN; j++) {
                int oy = oy0[j] + dy[t], ox = ox0[j] + dx[t];
                if (oy < 0 || oy >= int(p.oh) || ox < 0 || ox >= int(p.ow)) continue;
                for (uint i = 0u; i < WM; i++) {
                    float v = activate(p.act, acc[t][i][j] + b[i], p.act_alpha, p.act_min,
                                       p.act_max);
                    best[i][j] = v > best[i][j] ? v : best[i][j]; // a NaN never wins
                }
            }
        }
    }

    for (uint i = 0u; i < WM; i++) {
        uint r = ty + LY * i;
        if (r >= rows) continue;
        uint gm = g * p.mg + m0 + r;
        for (uint j = 0u; j < WN; j++) {
            uint q = p0 + tx + LX * j;
            if (q >= p.pixels) continue;
            y[((q / plane) * p.m + gm) * plane + q % plane] = best[i][j];
        }
    }
}
