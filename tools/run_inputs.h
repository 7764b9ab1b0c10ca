/* The inputs of lenet-onnx-run, one path at a time, so that any number of them streams through
 * in bounded memory: files as given, the image files of a folder (sorted by name, not
 * recursive), and "-", a list of paths on stdin (one per line, blank lines skipped). */
#ifndef LENET_ONNX_TOOLS_RUN_INPUTS_H
#define LENET_ONNX_TOOLS_RUN_INPUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct run_inputs {
    char **operands;
    size_t count;
    size_t next;   /* the operand read next */
    FILE *list;    /* stdin while "-" is being read */
    char **folder; /* names of the folder being read, sorted */
    size_t folder_count, folder_next;
    const char *folder_path;
    char *line; /* getline's buffer */
    size_t line_size;
    char *current; /* the path returned last */
} run_inputs;

/* The operands after the model. */
void run_inputs_init(run_inputs *in, char **operands, size_t count);

/* The number of inputs when every operand is a plain path (no folder, no "-"), else 0. */
size_t run_inputs_known_count(const run_inputs *in);

/* 1 with *path (valid until the next call), 0 at the end, -1 with a message (a folder that
 * cannot be read or has no input file, stdin unreadable, "-" given twice). */
int run_inputs_next(run_inputs *in, const char **path, char *message, size_t size);

void run_inputs_release(run_inputs *in);

/* True for the names a folder contributes: .png, .jpg, .jpeg, .pb, .npy (any case). */
bool run_inputs_is_input_name(const char *name);

#endif
