#ifndef COURIER_FILE_H
#define COURIER_FILE_H

#include <stdint.h>

/// Starts write-back of `length` bytes at `offset` of `fd` (Linux `sync_file_range` with
/// SYNC_FILE_RANGE_WRITE); advisory, returns 0 or -1 with errno. Elsewhere a no-op returning 0.
int courier_file_start_writeback(int fd, int64_t offset, int64_t length);

/// Waits until write-back of `length` bytes at `offset` of `fd` is done (WAIT_BEFORE | WRITE |
/// WAIT_AFTER). Not a durability guarantee: metadata and the device cache need fsync.
int courier_file_wait_writeback(int fd, int64_t offset, int64_t length);

#endif
