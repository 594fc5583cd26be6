#ifndef TRAILMARK_CCRC32C_H
#define TRAILMARK_CCRC32C_H
#include <stddef.h>
#include <stdint.h>
/// Extends `crc` (pass 0 to start) with `length` bytes at `data`. CRC32C (Castagnoli).
uint32_t trailmark_crc32c_extend(uint32_t crc, const void *data, size_t length);
#endif
