/* Opening files the library reads by itself (caches, models): regular files only, so a FIFO or
 * a device left in their place can neither block the open or a read nor feed endless bytes. */
#ifndef LO_REGULAR_FILE_H
#define LO_REGULAR_FILE_H

#include <stdio.h>

/* The file at `path` opened for reading, or NULL when it is absent, unreadable or not a
 * regular file. Never blocks on a FIFO. */
FILE *lo_fopen_regular(const char *path);

#endif
