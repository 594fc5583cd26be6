#ifndef TRAILMARK_CCRC32C_H
#define TRAILMARK_CCRC32C_H
#include <stddef.h>
#include <stdint.h>

/// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI (RFC 3720 §B.4).
///
/// `trailmark_crc32c_extend(0, p, n)` is the CRC of `n` bytes; passing a previous result as
/// `crc` continues it over more bytes (the pre/post inversion is handled inside).
/// Dispatches once, at the first call, to the SSE4.2 `crc32` instruction when the CPU has it,
/// otherwise to the portable slicing-by-8 table implementation. Thread-safe.
uint32_t trailmark_crc32c_extend(uint32_t crc, const void *data, size_t length);

/// The portable slicing-by-8 implementation, always available (tests compare both paths).
uint32_t trailmark_crc32c_extend_portable(uint32_t crc, const void *data, size_t length);

/// 1 when `trailmark_crc32c_extend` uses the CPU instruction, 0 when it uses the table.
int trailmark_crc32c_hardware_available(void);

#endif
