/* Memory for large arrays, shared by the modules (internal). */
#ifndef BF_CORE_MEMORY_H
#define BF_CORE_MEMORY_H

#include <stddef.h>

/* A block for a large array: >= 2 MiB rounded to and aligned on huge pages, which the kernel is
 * advised to use; smaller blocks 64-byte aligned. free() releases it; NULL when out of memory. */
void *bf__big_alloc(size_t bytes);

#endif
