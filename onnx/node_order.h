/* A topological order of a model's nodes (Kahn's algorithm), always taking the lowest ready
 * node index, so a graph already in order keeps its order. Linear in nodes and inputs. */
#ifndef LO_NODE_ORDER_H
#define LO_NODE_ORDER_H

#include "status.h"

/* Node c (0 <= c < n) depends on deps[dep_start[c] .. dep_start[c + 1]): node indices, or -1
 * for none. Fills order[0..n) and returns LO_OK; LO_ERR_MODEL with *cycle_node set to a node
 * on a cycle when there is one; LO_ERR_NO_MEMORY. */
lo_status lo_node_order(int n, const int *dep_start, const int *deps, int *order, int *cycle_node);

#endif
