#ifndef CCRC32C_H
#define CCRC32C_H

#include <stddef.h>
#include <stdint.h>

/// Extends a CRC-32C (Castagnoli) over `length` bytes at `data`.
///
/// `crc` is the running value as returned by a previous call, or 0 to start.
/// The result is the finished checksum of everything seen so far: the
/// pre- and post-inversion are applied inside, so calls chain directly.
/// Uses the SSE 4.2 `crc32` instruction on x86-64 and the ARMv8 CRC32
/// extension on arm64 when the CPU has them, a table otherwise.
uint32_t ccrc32c_extend(uint32_t crc, const void *data, size_t length);

/// The same computation through the portable table path only, so tests can
/// check the hardware path against it on any machine.
uint32_t ccrc32c_extend_portable(uint32_t crc, const void *data, size_t length);

/// 1 when `ccrc32c_extend` uses a hardware instruction on this CPU.
int ccrc32c_hardware_available(void);

#endif
