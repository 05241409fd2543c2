#ifndef COURIER_CLMDB_SHIM_H
#define COURIER_CLMDB_SHIM_H
#include <lmdb.h>
#endif
