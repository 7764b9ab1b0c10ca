#include "plan_svg.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum { LEFT = 110, TOP = 50, PLOT_W = 860, PLOT_H = 480, BOTTOM = 120 };

static void xml_text(FILE *out, const char *text)
{
    for (; *text; text++) {
        switch (*text) {
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '&':
            fputs("&amp;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        default:
            fputc(*text, out);
        }
    }
}

/* A stable, light fill per buffer. */
static unsigned hue_of(const char *name)
{
    unsigned h = 2166136261u;
    for (; *name; name++)
        h = (h ^ (unsigned char)*name) * 16777619u;
    return h % 360;
}

int lo_write_plan_svg(const lenet_onnx_api *api, const lenet_onnx_session *session,
                      const char *title, FILE *out, lenet_onnx_error *err)
{
    if (api->struct_size < offsetof(lenet_onnx_api, session_arena_layout) + sizeof(void *)) {
        if (err) {
            err->status = LENET_ONNX_ERROR_ABI;
            snprintf(err->message, sizeof err->message,
                     "the loaded library predates arena layouts (ABI 3 needed)");
        }
        return -1;
    }
    lenet_onnx_session_stats stats;
    size_t count = 0;
    if (api->session_stats(session, &stats, err) != LENET_ONNX_OK ||
        api->session_arena_layout(session, NULL, 0, &count, err) != LENET_ONNX_OK)
        return -1;
    lenet_onnx_arena_entry *entries = calloc(count ? count : 1, sizeof *entries);
    lenet_onnx_step_info *steps = calloc(stats.step_count ? stats.step_count : 1, sizeof *steps);
    int rc = -1;
    if (!entries || !steps) {
        if (err) snprintf(err->message, sizeof err->message, "out of memory");
        goto done;
    }
    if (api->session_arena_layout(session, entries, count, &count, err) != LENET_ONNX_OK) goto done;
    for (uint32_t k = 0; k < stats.step_count; k++)
        if (api->session_step_info(session, k, &steps[k], err) != LENET_ONNX_OK) goto done;

    const double columns = stats.step_count ? stats.step_count : 1;
    const double col_w = PLOT_W / columns;
    const double arena = stats.arena_bytes ? (double)stats.arena_bytes : 1;
    const double per_byte = PLOT_H / arena;
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "font-family=\"sans-serif\" font-size=\"11\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n<text x=\"%d\" y=\"22\" "
            "font-size=\"14\">",
            LEFT + PLOT_W + 20, TOP + PLOT_H + BOTTOM, LEFT);
    xml_text(out, title);
    fprintf(out,
            ": arena %" PRIu64 " bytes (every tensor apart: %" PRIu64 " bytes)</text>\n"
            "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#f4f4f4\" "
            "stroke=\"#888\"/>\n",
            stats.arena_bytes, stats.naive_arena_bytes, LEFT, TOP, PLOT_W, PLOT_H);
    for (int tick = 0; tick <= 4; tick++) {
        double y = TOP + PLOT_H * tick / 4.0;
        fprintf(out,
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0f B</text>"
                "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ccc\"/>\n",
                LEFT - 6, y + 4, arena * tick / 4.0, LEFT, LEFT + PLOT_W, y, y);
    }
    for (uint32_t k = 0; k < stats.step_count; k++) {
        double x = LEFT + col_w * (k + 0.5);
        fprintf(out, "<text transform=\"translate(%.1f,%d) rotate(45)\">%u ", x, TOP + PLOT_H + 14,
                (unsigned)k);
        xml_text(out, steps[k].op_type);
        fputs("</text>\n", out);
    }
    for (size_t i = 0; i < count; i++) {
        const lenet_onnx_arena_entry *e = &entries[i];
        double x = LEFT + col_w * e->first_step;
        double w = col_w * (e->last_step - e->first_step + 1);
        double y = TOP + (double)e->offset * per_byte, h = (double)e->size_bytes * per_byte;
        fputs("<g><title>", out);
        xml_text(out, e->tensors);
        fprintf(out,
                ": offset %" PRIu64 ", %" PRIu64 " bytes, steps %d-%d</title>"
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                "fill=\"hsl(%u,60%%,75%%)\" stroke=\"#333\"/>",
                e->offset, e->size_bytes, (int)e->first_step, (int)e->last_step, x + 1, y,
                w - 2 > 1 ? w - 2 : 1, h > 1 ? h : 1, hue_of(e->tensors));
        if (h >= 13) {
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\">", x + 4, y + 12);
            xml_text(out, e->tensors);
            fputs("</text>", out);
        }
        fputs("</g>\n", out);
    }
    fputs("</svg>\n", out);
    rc = ferror(out) ? -1 : 0;
    if (rc && err) snprintf(err->message, sizeof err->message, "writing the SVG failed");
done:
    free(entries);
    free(steps);
    return rc;
}
