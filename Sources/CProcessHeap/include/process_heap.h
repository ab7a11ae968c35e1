#ifndef CPROCESSHEAP_H
#define CPROCESSHEAP_H

#include <stddef.h>

/// Sets glibc's `M_TOP_PAD` to `bytes` with `mallopt`: how much memory
/// malloc takes from the kernel beyond a request whenever a heap grows.
/// Returns 1 when glibc took the setting; 0 when it refused it, when
/// `bytes` does not fit in an `int`, or when the C library is not glibc.
///
/// Swift's Glibc module does not export `mallopt`, hence this function.
int cprocess_heap_set_top_pad(size_t bytes);

#endif
