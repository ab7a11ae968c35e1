#ifndef WALBENCH_CROCKSDB_SHIM_H
#define WALBENCH_CROCKSDB_SHIM_H
#include <rocksdb/c.h>
#endif
