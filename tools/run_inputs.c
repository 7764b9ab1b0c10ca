/* Operands, folders and stdin lists as one stream of paths. */
#define _GNU_SOURCE /* getline */
#include "run_inputs.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

bool run_inputs_is_input_name(const char *name)
{
    static const char *const suffixes[] = {".png", ".jpg", ".jpeg", ".pb", ".npy"};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t m = strlen(suffixes[i]);
        if (n > m && strcasecmp(name + n - m, suffixes[i]) == 0) return true;
    }
    return false;
}

void run_inputs_init(run_inputs *in, char **operands, size_t count)
{
    memset(in, 0, sizeof *in);
    in->operands = operands;
    in->count = count;
}

static bool is_folder(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

size_t run_inputs_known_count(const run_inputs *in)
{
    for (size_t i = 0; i < in->count; i++)
        if (strcmp(in->operands[i], "-") == 0 || is_folder(in->operands[i])) return 0;
    return in->count;
}

static void free_folder(run_inputs *in)
{
    for (size_t i = 0; i < in->folder_count; i++)
        free(in->folder[i]);
    free(in->folder);
    in->folder = NULL;
    in->folder_count = in->folder_next = 0;
    in->folder_path = NULL;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The input names of a folder, sorted; folders inside are not entered. */
static int open_folder(run_inputs *in, const char *path, char *message, size_t size)
{
    DIR *dir = opendir(path);
    if (!dir) {
        snprintf(message, size, "%s: cannot read the folder: %s", path, strerror(errno));
        return -1;
    }
    size_t capacity = 0;
    struct dirent *entry;
    int rc = 0;
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.' || !run_inputs_is_input_name(entry->d_name)) continue;
        if (in->folder_count == capacity) {
            size_t grown = capacity ? capacity * 2 : 64;
            char **names = realloc(in->folder, grown * sizeof *names);
            if (!names) {
                rc = -1;
                break;
            }
            in->folder = names;
            capacity = grown;
        }
        in->folder[in->folder_count] = strdup(entry->d_name);
        if (!in->folder[in->folder_count]) {
            rc = -1;
            break;
        }
        in->folder_count++;
    }
    closedir(dir);
    if (rc) {
        snprintf(message, size, "%s: out of memory listing the folder", path);
        return -1;
    }
    if (in->folder_count == 0) {
        snprintf(message, size, "%s: the folder has no .png, .jpg, .jpeg, .pb or .npy file", path);
        return -1;
    }
    qsort(in->folder, in->folder_count, sizeof *in->folder, compare_names);
    in->folder_path = path;
    return 0;
}

static int set_current(run_inputs *in, const char *folder, const char *name, const char **path,
                       char *message, size_t size)
{
    free(in->current);
    size_t length = (folder ? strlen(folder) + 1 : 0) + strlen(name) + 1;
    in->current = malloc(length);
    if (!in->current) {
        snprintf(message, size, "out of memory");
        return -1;
    }
    if (folder) {
        size_t n = strlen(folder);
        bool slash = n > 0 && folder[n - 1] == '/';
        snprintf(in->current, length, "%s%s%s", folder, slash ? "" : "/", name);
    } else {
        snprintf(in->current, length, "%s", name);
    }
    *path = in->current;
    return 1;
}

int run_inputs_next(run_inputs *in, const char **path, char *message, size_t size)
{
    for (;;) {
        if (in->folder) {
            if (in->folder_next < in->folder_count)
                return set_current(in, in->folder_path, in->folder[in->folder_next++], path,
                                   message, size);
            free_folder(in);
        }
        if (in->list) {
            errno = 0;
            ssize_t n = getline(&in->line, &in->line_size, in->list);
            if (n >= 0) {
                while (n > 0 && (in->line[n - 1] == '\n' || in->line[n - 1] == '\r'))
                    in->line[--n] = '\0';
                if (n == 0) continue;
                return set_current(in, NULL, in->line, path, message, size);
            }
            if (ferror(in->list)) {
                snprintf(message, size, "-: cannot read the list of inputs on stdin: %s",
                         strerror(errno ? errno : EIO));
                return -1;
            }
            in->list = NULL;
        }
        if (in->next >= in->count) return 0;
        const char *operand = in->operands[in->next++];
        if (strcmp(operand, "-") == 0) {
            if (feof(stdin)) {
                snprintf(message, size, "-: stdin is given more than once");
                return -1;
            }
            in->list = stdin;
            continue;
        }
        if (is_folder(operand)) {
            if (open_folder(in, operand, message, size)) return -1;
            continue;
        }
        return set_current(in, NULL, operand, path, message, size);
    }
}

void run_inputs_release(run_inputs *in)
{
    free_folder(in);
    free(in->line);
    free(in->current);
    in->line = in->current = NULL;
}
