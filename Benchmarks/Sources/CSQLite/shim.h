#ifndef WALBENCH_CSQLITE_SHIM_H
#define WALBENCH_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
