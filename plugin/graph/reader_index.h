/* Which nodes read each tensor, so that "how many read it" and "who is its only reader" cost
 * the number of its readers rather than a scan of the graph (the passes ask per node: quadratic
 * for 100,000-node models otherwise).
 *
 * Built lazily on the first question, then kept current by the graph's mutators: a node added
 * or rewired is noted as a reader of its new inputs. Entries are never removed; each answer
 * checks that a listed node is live and still reads the tensor, so stale entries (dropped
 * nodes, rewired inputs) cost only their own visit. */
#ifndef LO_READER_INDEX_H
#define LO_READER_INDEX_H

struct lo_graph;
typedef struct lo_reader_index lo_reader_index;

/* An empty, unbuilt index, or NULL when out of memory. */
lo_reader_index *lo_reader_index_create(void);
void lo_reader_index_free(lo_reader_index *index);

/* Node `node` now reads tensor `tensor` (ignored until the index is built). */
void lo_reader_index_note(lo_reader_index *index, int tensor, int node);

/* The number of live nodes reading `tensor` (a node reading it twice counts once), and in
 * *first (when not NULL) the lowest such node index, -1 if none. -1 when the index cannot be
 * built (out of memory): the caller then scans the graph. */
int lo_reader_index_count(lo_reader_index *index, const struct lo_graph *graph, int tensor,
                          int *first);

#endif
