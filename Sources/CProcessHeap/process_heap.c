#include "process_heap.h"

#include <limits.h>
#if defined(__linux__)
#include <features.h>
#endif
#if defined(__GLIBC__)
#include <malloc.h>
#endif

int cprocess_heap_set_top_pad(size_t bytes) {
#if defined(__GLIBC__)
    if (bytes > (size_t)INT_MAX) return 0;
    return mallopt(M_TOP_PAD, (int)bytes) == 1 ? 1 : 0;
#else
    (void)bytes;
    return 0;
#endif
}
