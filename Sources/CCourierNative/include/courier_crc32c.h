#ifndef COURIER_CRC32C_H
#define COURIER_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has a CRC-32C instruction this build can use (x86-64 SSE4.2), else 0.
int courier_crc32c_hardware_available(void);

/// Raw CRC-32C update (no pre- or post-inversion) over `length` bytes with the CPU instruction.
/// Only call when `courier_crc32c_hardware_available()` returned 1.
uint32_t courier_crc32c_hardware_update(uint32_t crc, const void *bytes, size_t length);

#endif
