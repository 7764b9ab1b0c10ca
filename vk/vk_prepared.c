/* A prepared plan: the constants uploaded once, one descriptor set per dispatch, and one
 * command buffer recorded here and replayed by every run (inputs in, every dispatch with a
 * barrier only where a dispatch touches what an earlier one wrote or read, outputs out), so a
 * run is memcpy, one submit, one fence wait, memcpy. Profiled plans time each step with
 * timestamp queries, with a barrier before every step so the times do not overlap.
 */
#include "vk_internal.h"

#include <string.h>

#include "alloc.h"

/* A graph input or output: its arena range and, without a mapped arena, its staging range. */
typedef struct lo_vk_io {
    size_t offset, bytes, staging_offset;
    bool skip; /* an output the core copies from a constant */
} lo_vk_io;

struct lo_prepared {
    lo_backend_context *ctx;
    lo_backend_buffer *arena;
    lo_backend_buffer *constants;
    size_t constant_bytes;      /* the constants' bytes in that buffer (0: only a placeholder) */
    lo_backend_buffer *staging; /* NULL when the arena is mapped */
    VkDescriptorPool descriptor_pool;
    VkCommandPool command_pool;
    VkCommandBuffer commands;
    VkFence fence;
    VkQueryPool queries; /* profiling only */
    int num_steps;
    lo_vk_io *inputs, *outputs;
    int num_inputs, num_outputs;
};

uint64_t lo_vk_constant_bytes(const lo_prepared *p)
{
    return p ? p->constant_bytes : 0;
}

void lo_vk_release(lo_prepared *p)
{
    if (!p) return;
    lo_backend_context *ctx = p->ctx;
    const lo_vk_api *vk = &ctx->api;
    if (p->fence) vk->vkDestroyFence(ctx->device, p->fence, NULL);
    if (p->queries) vk->vkDestroyQueryPool(ctx->device, p->queries, NULL);
    if (p->command_pool) vk->vkDestroyCommandPool(ctx->device, p->command_pool, NULL);
    if (p->descriptor_pool) vk->vkDestroyDescriptorPool(ctx->device, p->descriptor_pool, NULL);
    lo_vk_buffer_destroy(p->constants);
    lo_vk_buffer_destroy(p->staging);
    lo_free(p->inputs);
    lo_free(p->outputs);
    lo_free(p);
}

static VkBuffer buffer_of(const lo_prepared *p, lo_vk_buffer_kind kind)
{
    return kind == LO_VK_ARENA ? p->arena->buffer : p->constants->buffer;
}

/* ---- hazards: a barrier only where a dispatch depends on one since the last barrier ---- */

#define LO_VK_PENDING 64

typedef struct hazards {
    lo_vk_range written[LO_VK_PENDING], read[LO_VK_PENDING];
    int num_written, num_read;
} hazards;

static bool overlaps(const lo_vk_range *a, const lo_vk_range *b)
{
    return a->buffer == b->buffer && a->offset < b->offset + b->bytes &&
           b->offset < a->offset + a->bytes;
}

static bool any_overlap(const lo_vk_range *list, int count, const lo_vk_range *r)
{
    for (int i = 0; i < count; i++)
        if (overlaps(&list[i], r)) return true;
    return false;
}

/* True when `d` reads what was written, or writes what was read or written, since the last
 * barrier (or the lists are full); the caller then records one and clears them. */
static bool needs_barrier(const hazards *h, const lo_vk_dispatch *d)
{
    if (h->num_written + 1 > LO_VK_PENDING || h->num_read + (int)d->num_bindings > LO_VK_PENDING)
        return true;
    if (any_overlap(h->written, h->num_written, &d->bindings[0]) ||
        any_overlap(h->read, h->num_read, &d->bindings[0]))
        return true;
    for (uint32_t b = 1; b < d->num_bindings; b++)
        if (any_overlap(h->written, h->num_written, &d->bindings[b])) return true;
    return false;
}

static void note_access(hazards *h, const lo_vk_dispatch *d)
{
    h->written[h->num_written++] = d->bindings[0];
    for (uint32_t b = 1; b < d->num_bindings; b++)
        if (d->bindings[b].buffer == LO_VK_ARENA) h->read[h->num_read++] = d->bindings[b];
}

/* Every shader or transfer write to the arena before every later shader or transfer access. */
static void arena_barrier(const lo_prepared *p, VkAccessFlags dst_access,
                          VkPipelineStageFlags dst_stage)
{
    const lo_vk_api *vk = &p->ctx->api;
    VkBufferMemoryBarrier barrier = {.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER,
                                     .srcAccessMask =
                                         VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
                                     .dstAccessMask = dst_access,
                                     .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                                     .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                                     .buffer = p->arena->buffer,
                                     .offset = 0,
                                     .size = VK_WHOLE_SIZE};
    vk->vkCmdPipelineBarrier(p->commands,
                             VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                             dst_stage, 0, 0, NULL, 1, &barrier, 0, NULL);
}

#define DEVICE_ACCESS                                                                              \
    (VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT |        \
     VK_ACCESS_TRANSFER_WRITE_BIT)
#define DEVICE_STAGES (VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT)

/* ---- prepare ---- */

static lo_status plan_io(lo_prepared *p, const lo_plan *plan, size_t *staging_bytes, lo_error *err)
{
    *staging_bytes = 0;
    p->num_inputs = plan->num_inputs;
    p->num_outputs = plan->num_outputs;
    p->inputs = lo_calloc((size_t)(plan->num_inputs ? plan->num_inputs : 1), sizeof *p->inputs);
    p->outputs = lo_calloc((size_t)(plan->num_outputs ? plan->num_outputs : 1), sizeof *p->outputs);
    if (!p->inputs || !p->outputs)
        return lo_fail(err, LO_ERR_NO_MEMORY, "vulkan: out of host memory");
    for (int side = 0; side < 2; side++) {
        const lo_tensor_ref *refs = side ? plan->outputs : plan->inputs;
        lo_vk_io *io = side ? p->outputs : p->inputs;
        const int count = side ? plan->num_outputs : plan->num_inputs;
        for (int i = 0; i < count; i++) {
            if (refs[i].buffer != LO_BUFFER_ARENA) {
                if (!side)
                    return lo_fail(err, LO_ERR_ARGUMENT,
                                   "vulkan: graph input %d is not in the "
                                   "arena",
                                   i);
                io[i].skip = true;
                continue;
            }
            io[i].offset = refs[i].offset;
            io[i].bytes = lo_tensor_ref_bytes(&refs[i]);
            if (io[i].offset > plan->arena_bytes || io[i].bytes > plan->arena_bytes - io[i].offset)
                return lo_fail(err, LO_ERR_ARGUMENT,
                               "vulkan: graph %s %d lies outside the arena of %zu bytes",
                               side ? "output" : "input", i, plan->arena_bytes);
            io[i].staging_offset = *staging_bytes;
            *staging_bytes += (io[i].bytes + 15) / 16 * 16;
        }
    }
    return LO_OK;
}

static lo_status upload_constants(lo_prepared *p, const lo_vk_program *prog, lo_error *err)
{
    const size_t bytes = prog->constant_bytes ? prog->constant_bytes : 16;
    lo_status st = lo_vk_buffer_create(p->ctx, bytes, LO_VK_MEMORY_DEVICE, &p->constants, err);
    if (st != LO_OK || prog->constant_bytes == 0) return st;
    p->constant_bytes = prog->constant_bytes;
    if (p->constants->mapped) {
        lo_vk_program_fill_constants(prog, p->constants->mapped);
        return LO_OK;
    }
    unsigned char *image = lo_calloc(1, prog->constant_bytes);
    if (!image) return lo_fail(err, LO_ERR_NO_MEMORY, "vulkan: out of host memory");
    lo_vk_program_fill_constants(prog, image);
    st = lo_vk_buffer_write(p->constants, 0, image, prog->constant_bytes, err);
    lo_free(image);
    return st;
}

static lo_status make_pipelines(lo_prepared *p, const lo_vk_program *prog,
                                VkPipeline pipelines[LO_VK_NUM_SHADERS], lo_error *err)
{
    lo_backend_context *ctx = p->ctx;
    lo_status st = LO_OK;
    pthread_mutex_lock(&ctx->lock);
    for (int i = 0; i < prog->num_dispatches && st == LO_OK; i++) {
        const lo_vk_shader s = prog->dispatches[i].shader;
        if (s != LO_VK_BUFFER_COPY && !pipelines[s])
            st = lo_vk_pipeline(ctx, s, &pipelines[s], err);
    }
    lo_vk_pipeline_cache_save(ctx);
    pthread_mutex_unlock(&ctx->lock);
    return st;
}

static lo_status make_descriptor_sets(lo_prepared *p, const lo_vk_program *prog,
                                      VkDescriptorSet *sets, lo_error *err)
{
    lo_backend_context *ctx = p->ctx;
    const lo_vk_api *vk = &ctx->api;
    uint32_t num_sets = 0, num_descriptors = 0;
    for (int i = 0; i < prog->num_dispatches; i++)
        if (prog->dispatches[i].shader != LO_VK_BUFFER_COPY) {
            num_sets++;
            num_descriptors += prog->dispatches[i].num_bindings;
        }
    if (num_sets == 0) return LO_OK;
    VkDescriptorPoolSize size = {.type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                 .descriptorCount = num_descriptors};
    VkDescriptorPoolCreateInfo pool_info = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                            .maxSets = num_sets,
                                            .poolSizeCount = 1,
                                            .pPoolSizes = &size};
    VkResult r = vk->vkCreateDescriptorPool(ctx->device, &pool_info, NULL, &p->descriptor_pool);
    if (r != VK_SUCCESS) {
        p->descriptor_pool = VK_NULL_HANDLE;
        return lo_vk_fail(err, r, "vkCreateDescriptorPool");
    }
    for (int i = 0; i < prog->num_dispatches; i++) {
        const lo_vk_dispatch *d = &prog->dispatches[i];
        if (d->shader == LO_VK_BUFFER_COPY) continue;
        VkDescriptorSetAllocateInfo alloc = {.sType =
                                                 VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                             .descriptorPool = p->descriptor_pool,
                                             .descriptorSetCount = 1,
                                             .pSetLayouts = &ctx->set_layouts[d->num_bindings]};
        if ((r = vk->vkAllocateDescriptorSets(ctx->device, &alloc, &sets[i])) != VK_SUCCESS)
            return lo_vk_fail(err, r, "vkAllocateDescriptorSets");
        VkDescriptorBufferInfo infos[LO_VK_MAX_BINDINGS];
        VkWriteDescriptorSet writes[LO_VK_MAX_BINDINGS];
        for (uint32_t b = 0; b < d->num_bindings; b++) {
            /* Whole 32-bit words (uint8 tensors are read as words); the buffers are padded. */
            const size_t range = d->bindings[b].bytes ? (d->bindings[b].bytes + 3) / 4 * 4 : 4;
            infos[b] = (VkDescriptorBufferInfo){.buffer = buffer_of(p, d->bindings[b].buffer),
                                                .offset = d->bindings[b].offset,
                                                .range = range};
            writes[b] = (VkWriteDescriptorSet){.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                               .dstSet = sets[i],
                                               .dstBinding = b,
                                               .descriptorCount = 1,
                                               .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                               .pBufferInfo = &infos[b]};
        }
        vk->vkUpdateDescriptorSets(ctx->device, d->num_bindings, writes, 0, NULL);
    }
    return LO_OK;
}

static void record_io_copies(lo_prepared *p, bool in)
{
    const lo_vk_api *vk = &p->ctx->api;
    const lo_vk_io *io = in ? p->inputs : p->outputs;
    const int count = in ? p->num_inputs : p->num_outputs;
    for (int i = 0; i < count; i++) {
        if (io[i].skip || io[i].bytes == 0) continue;
        VkBufferCopy region = {.srcOffset = in ? io[i].staging_offset : io[i].offset,
                               .dstOffset = in ? io[i].offset : io[i].staging_offset,
                               .size = io[i].bytes};
        vk->vkCmdCopyBuffer(p->commands, in ? p->staging->buffer : p->arena->buffer,
                            in ? p->arena->buffer : p->staging->buffer, 1, &region);
    }
}

static void record_dispatch(lo_prepared *p, const lo_vk_dispatch *d, VkDescriptorSet set,
                            VkPipeline pipeline)
{
    const lo_vk_api *vk = &p->ctx->api;
    VkCommandBuffer cmd = p->commands;
    if (d->shader == LO_VK_BUFFER_COPY) {
        VkBufferCopy region = {.srcOffset = d->bindings[1].offset,
                               .dstOffset = d->bindings[0].offset,
                               .size = d->bindings[0].bytes};
        vk->vkCmdCopyBuffer(cmd, buffer_of(p, d->bindings[1].buffer),
                            buffer_of(p, d->bindings[0].buffer), 1, &region);
        return;
    }
    const lo_vk_shader_info *info = lo_vk_shader_get(d->shader);
    VkPipelineLayout layout = p->ctx->pipeline_layouts[info->bindings];
    vk->vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
    vk->vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1, &set, 0, NULL);
    vk->vkCmdPushConstants(cmd, layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, info->push_bytes, d->push);
    vk->vkCmdDispatch(cmd, d->groups[0], d->groups[1], d->groups[2]);
}

static lo_status record(lo_prepared *p, const lo_vk_program *prog, const VkDescriptorSet *sets,
                        const VkPipeline *pipelines, lo_error *err)
{
    lo_backend_context *ctx = p->ctx;
    const lo_vk_api *vk = &ctx->api;
    VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    VkResult r = vk->vkBeginCommandBuffer(p->commands, &begin);
    if (r != VK_SUCCESS) return lo_vk_fail(err, r, "vkBeginCommandBuffer");
    if (p->queries)
        vk->vkCmdResetQueryPool(p->commands, p->queries, 0, 2u * (uint32_t)p->num_steps);
    if (p->staging) {
        record_io_copies(p, true);
        arena_barrier(p, DEVICE_ACCESS, DEVICE_STAGES);
    }
    hazards h = {.num_written = 0};
    int next = 0;
    for (int s = 0; s < p->num_steps || next < prog->num_dispatches; s++) {
        if (p->queries && s < p->num_steps) {
            arena_barrier(p, DEVICE_ACCESS, DEVICE_STAGES);
            h.num_written = h.num_read = 0;
            vk->vkCmdWriteTimestamp(p->commands, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, p->queries,
                                    2u * (uint32_t)s);
        }
        for (; next < prog->num_dispatches && prog->dispatches[next].step <= s; next++) {
            const lo_vk_dispatch *d = &prog->dispatches[next];
            if (needs_barrier(&h, d)) {
                arena_barrier(p, DEVICE_ACCESS, DEVICE_STAGES);
                h.num_written = h.num_read = 0;
            }
            note_access(&h, d);
            record_dispatch(p, d, sets[next],
                            d->shader == LO_VK_BUFFER_COPY ? VK_NULL_HANDLE : pipelines[d->shader]);
        }
        if (p->queries && s < p->num_steps)
            vk->vkCmdWriteTimestamp(p->commands, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, p->queries,
                                    2u * (uint32_t)s + 1u);
    }
    if (p->staging) {
        arena_barrier(p, VK_ACCESS_TRANSFER_READ_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT);
        record_io_copies(p, false);
        VkMemoryBarrier to_host = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                                   .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                                   .dstAccessMask = VK_ACCESS_HOST_READ_BIT};
        vk->vkCmdPipelineBarrier(p->commands, VK_PIPELINE_STAGE_TRANSFER_BIT,
                                 VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &to_host, 0, NULL, 0, NULL);
    } else {
        arena_barrier(p, VK_ACCESS_HOST_READ_BIT, VK_PIPELINE_STAGE_HOST_BIT);
    }
    if ((r = vk->vkEndCommandBuffer(p->commands)) != VK_SUCCESS)
        return lo_vk_fail(err, r, "vkEndCommandBuffer");
    return LO_OK;
}

static lo_status make_commands(lo_prepared *p, bool profiling, lo_error *err)
{
    lo_backend_context *ctx = p->ctx;
    const lo_vk_api *vk = &ctx->api;
    VkCommandPoolCreateInfo pool_info = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                         .queueFamilyIndex = ctx->queue_family};
    VkResult r = vk->vkCreateCommandPool(ctx->device, &pool_info, NULL, &p->command_pool);
    if (r != VK_SUCCESS) {
        p->command_pool = VK_NULL_HANDLE;
        return lo_vk_fail(err, r, "vkCreateCommandPool");
    }
    VkCommandBufferAllocateInfo alloc = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                         .commandPool = p->command_pool,
                                         .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                         .commandBufferCount = 1};
    if ((r = vk->vkAllocateCommandBuffers(ctx->device, &alloc, &p->commands)) != VK_SUCCESS)
        return lo_vk_fail(err, r, "vkAllocateCommandBuffers");
    VkFenceCreateInfo fence_info = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    if ((r = vk->vkCreateFence(ctx->device, &fence_info, NULL, &p->fence)) != VK_SUCCESS) {
        p->fence = VK_NULL_HANDLE;
        return lo_vk_fail(err, r, "vkCreateFence");
    }
    if (profiling && p->num_steps > 0) {
        if (ctx->timestamp_bits == 0) {
            lo_log(LENET_ONNX_LOG_WARNING,
                   "vulkan: device '%s' cannot time its compute queue; step times read 0",
                   ctx->desc.name);
            return LO_OK;
        }
        VkQueryPoolCreateInfo query_info = {.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                            .queryType = VK_QUERY_TYPE_TIMESTAMP,
                                            .queryCount = 2u * (uint32_t)p->num_steps};
        if ((r = vk->vkCreateQueryPool(ctx->device, &query_info, NULL, &p->queries)) !=
            VK_SUCCESS) {
            p->queries = VK_NULL_HANDLE;
            return lo_vk_fail(err, r, "vkCreateQueryPool");
        }
    }
    return LO_OK;
}

lo_status lo_vk_prepare(lo_backend_context *ctx, const lo_plan *plan, lo_backend_buffer *arena,
                        lo_prepared **out, lo_error *err)
{
    *out = NULL;
    if (arena->bytes < plan->arena_bytes)
        return lo_fail(err, LO_ERR_ARGUMENT,
                       "vulkan: the arena holds %zu bytes; the plan needs %zu", arena->bytes,
                       plan->arena_bytes);
    lo_prepared *p = lo_calloc(1, sizeof *p);
    if (!p) return lo_fail(err, LO_ERR_NO_MEMORY, "vulkan: out of host memory");
    p->ctx = ctx;
    p->arena = arena;
    p->num_steps = plan->num_steps;
    lo_vk_program prog;
    VkDescriptorSet *sets = NULL;
    VkPipeline pipelines[LO_VK_NUM_SHADERS] = {VK_NULL_HANDLE};
    size_t staging_bytes = 0;
    lo_status st = lo_vk_program_build(ctx, plan, &prog, err);
    if (st != LO_OK) {
        lo_vk_release(p);
        return st;
    }
    sets = lo_calloc((size_t)(prog.num_dispatches ? prog.num_dispatches : 1), sizeof *sets);
    if (!sets) {
        st = lo_fail(err, LO_ERR_NO_MEMORY, "vulkan: out of host memory");
        goto done;
    }
    if ((st = plan_io(p, plan, &staging_bytes, err)) != LO_OK ||
        (st = upload_constants(p, &prog, err)) != LO_OK ||
        (st = make_pipelines(p, &prog, pipelines, err)) != LO_OK ||
        (st = make_descriptor_sets(p, &prog, sets, err)) != LO_OK)
        goto done;
    if (!arena->mapped && staging_bytes &&
        (st = lo_vk_buffer_create(ctx, staging_bytes, LO_VK_MEMORY_HOST, &p->staging, err)) !=
            LO_OK)
        goto done;
    if ((st = make_commands(p, plan->profiling, err)) != LO_OK ||
        (st = record(p, &prog, sets, pipelines, err)) != LO_OK)
        goto done;
    lo_trace("vulkan: prepared %d steps as %d dispatches, %zu bytes of constants; inputs and "
             "outputs by %s",
             plan->num_steps, prog.num_dispatches, prog.constant_bytes,
             p->staging ? "staging copies" : "memcpy into the mapped arena");
done:
    lo_free(sets);
    lo_vk_program_free(&prog);
    if (st != LO_OK) {
        lo_vk_release(p);
        return st;
    }
    *out = p;
    return LO_OK;
}

/* ---- run ---- */

static void step_times(const lo_prepared *p, double *step_ms)
{
    for (int s = 0; s < p->num_steps; s++)
        step_ms[s] = 0.0;
    if (!p->queries) return;
    const lo_backend_context *ctx = p->ctx;
    const size_t count = 2u * (size_t)p->num_steps;
    uint64_t *ticks = lo_calloc(count, sizeof *ticks);
    if (!ticks) return;
    if (ctx->api.vkGetQueryPoolResults(
            ctx->device, p->queries, 0, (uint32_t)count, count * sizeof *ticks, ticks,
            sizeof *ticks, VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT) == VK_SUCCESS) {
        const uint64_t mask =
            ctx->timestamp_bits >= 64 ? UINT64_MAX : (UINT64_C(1) << ctx->timestamp_bits) - 1;
        const double ns_per_tick = (double)ctx->properties.limits.timestampPeriod;
        for (int s = 0; s < p->num_steps; s++)
            step_ms[s] = (double)((ticks[2 * s + 1] - ticks[2 * s]) & mask) * ns_per_tick * 1e-6;
    }
    lo_free(ticks);
}

lo_status lo_vk_run(lo_prepared *p, const void *const *inputs, void *const *outputs,
                    double *step_ms, lo_error *err)
{
    lo_backend_context *ctx = p->ctx;
    const lo_vk_api *vk = &ctx->api;
    unsigned char *host = p->staging ? p->staging->mapped : p->arena->mapped;
    for (int i = 0; i < p->num_inputs; i++)
        if (p->inputs[i].bytes)
            memcpy(host + (p->staging ? p->inputs[i].staging_offset : p->inputs[i].offset),
                   inputs[i], p->inputs[i].bytes);
    VkResult r = vk->vkResetFences(ctx->device, 1, &p->fence);
    if (r != VK_SUCCESS) return lo_vk_fail(err, r, "vkResetFences");
    VkSubmitInfo submit = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                           .commandBufferCount = 1,
                           .pCommandBuffers = &p->commands};
    pthread_mutex_lock(&ctx->lock); /* the queue is shared by every prepared plan */
    r = vk->vkQueueSubmit(ctx->queue, 1, &submit, p->fence);
    pthread_mutex_unlock(&ctx->lock);
    if (r != VK_SUCCESS) return lo_vk_fail(err, r, "vkQueueSubmit");
    if ((r = vk->vkWaitForFences(ctx->device, 1, &p->fence, VK_TRUE, UINT64_MAX)) != VK_SUCCESS)
        return lo_vk_fail(err, r, "vkWaitForFences");
    for (int i = 0; i < p->num_outputs; i++)
        if (!p->outputs[i].skip && p->outputs[i].bytes)
            memcpy(outputs[i],
                   host + (p->staging ? p->outputs[i].staging_offset : p->outputs[i].offset),
                   p->outputs[i].bytes);
    if (step_ms) step_times(p, step_ms);
    return LO_OK;
}
