// CRC32C (Castagnoli): SSE4.2 instruction when the CPU has it (three interleaved streams on
// long inputs), slicing-by-8 table otherwise.
//
// Invariants: both paths compute the same function (checked against the RFC 3720 §B.4 vectors
// and against each other in TrailmarkStorageTests); neither reads outside [data, data+length);
// unaligned heads and tails are processed byte by byte, the body 8 bytes at a time through
// memcpy (no unaligned dereference).
#include "ccrc32c.h"
#include <pthread.h>
#include <string.h>

#define CRC32C_POLY_REFLECTED 0x82F63B78u

// Slicing-by-8 tables, built exactly once under pthread_once (which also publishes them).
static uint32_t table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void build_table(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t crc = n;
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (CRC32C_POLY_REFLECTED & (0u - (crc & 1u)));
        table[0][n] = crc;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t crc = table[0][n];
        for (int s = 1; s < 8; s++) {
            crc = table[0][crc & 0xFF] ^ (crc >> 8);
            table[s][n] = crc;
        }
    }
}

uint32_t trailmark_crc32c_extend_portable(uint32_t crc, const void *data, size_t length) {
    pthread_once(&table_once, build_table);
    const uint8_t *p = (const uint8_t *)data;
    crc = ~crc;
    while (length > 0 && ((uintptr_t)p & 7) != 0) {
        crc = table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
        length--;
    }
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        // Little-endian load: the reflected CRC consumes the lowest-addressed byte first.
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        word = __builtin_bswap64(word);
#endif
        uint32_t lo = (uint32_t)word ^ crc;
        uint32_t hi = (uint32_t)(word >> 32);
        crc = table[7][lo & 0xFF] ^ table[6][(lo >> 8) & 0xFF] ^ table[5][(lo >> 16) & 0xFF] ^
              table[4][lo >> 24] ^ table[3][hi & 0xFF] ^ table[2][(hi >> 8) & 0xFF] ^
              table[1][(hi >> 16) & 0xFF] ^ table[0][hi >> 24];
        p += 8;
        length -= 8;
    }
    while (length-- > 0) crc = table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

#if defined(__x86_64__)
#include <nmmintrin.h>

// Shift operators for the 3-way interleaved hardware path: shift_X[k][n] is the CRC register
// after feeding X zero bytes to the register value n << 8k. Feeding zeros is linear over GF(2),
// so shifting any register is the XOR of its four bytes' entries. With them, three streams
// over consecutive blocks A, B, C of X bytes combine as reg(ABC) = shift(shift(reg(A)) ^
// reg(B)) ^ reg(C), where B's and C's registers start at 0 (registers here are raw: no
// pre/post inversion). Built once under pthread_once, after the slicing tables they use.
#define CRC32C_SHORT 256
#define CRC32C_LONG 4096
static uint32_t shift_short[4][256];
static uint32_t shift_long[4][256];
static pthread_once_t shift_once = PTHREAD_ONCE_INIT;

static void build_shift(uint32_t op[4][256], size_t zeros) {
    for (int k = 0; k < 4; k++) {
        for (uint32_t n = 0; n < 256; n++) {
            uint32_t reg = n << (8 * k);
            for (size_t i = 0; i < zeros; i++) reg = table[0][reg & 0xFF] ^ (reg >> 8);
            op[k][n] = reg;
        }
    }
}

static inline uint64_t crc32c_shift(uint32_t op[4][256], uint64_t reg) {
    return op[0][reg & 0xFF] ^ op[1][(reg >> 8) & 0xFF] ^ op[2][(reg >> 16) & 0xFF] ^ op[3][(reg >> 24) & 0xFF];
}

static void build_shift_tables(void) {
    pthread_once(&table_once, build_table);
    build_shift(shift_short, CRC32C_SHORT);
    // LONG zeros = SHORT zeros applied LONG / SHORT times.
    for (int k = 0; k < 4; k++) {
        for (uint32_t n = 0; n < 256; n++) {
            uint64_t reg = (uint64_t)n << (8 * k);
            for (int i = 0; i < CRC32C_LONG / CRC32C_SHORT; i++) reg = crc32c_shift(shift_short, reg);
            shift_long[k][n] = (uint32_t)reg;
        }
    }
}

// Compiled for SSE4.2 only in this function; called only after the runtime CPU check below.
__attribute__((target("sse4.2")))
static uint64_t crc32c_sse42_three(uint64_t c, const uint8_t **pp, size_t *lengthp, size_t block, uint32_t op[4][256]) {
    const uint8_t *p = *pp;
    size_t length = *lengthp;
    while (length >= 3 * block) {
        // Three independent streams hide the instruction's 3-cycle latency.
        uint64_t c1 = 0, c2 = 0;
        const uint8_t *end = p + block;
        do {
            uint64_t w0, w1, w2;
            memcpy(&w0, p, 8); memcpy(&w1, p + block, 8); memcpy(&w2, p + 2 * block, 8);
            c = _mm_crc32_u64(c, w0);
            c1 = _mm_crc32_u64(c1, w1);
            c2 = _mm_crc32_u64(c2, w2);
            p += 8;
        } while (p < end);
        c = crc32c_shift(op, c) ^ c1;
        c = crc32c_shift(op, c) ^ c2;
        p += 2 * block;
        length -= 3 * block;
    }
    *pp = p;
    *lengthp = length;
    return c;
}

__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t crc, const void *data, size_t length) {
    const uint8_t *p = (const uint8_t *)data;
    uint64_t c = ~crc;
    while (length > 0 && ((uintptr_t)p & 7) != 0) {
        c = _mm_crc32_u8((uint32_t)c, *p++);
        length--;
    }
    if (length >= 3 * CRC32C_SHORT) {
        pthread_once(&shift_once, build_shift_tables);
        c = crc32c_sse42_three(c, &p, &length, CRC32C_LONG, shift_long);
        c = crc32c_sse42_three(c, &p, &length, CRC32C_SHORT, shift_short);
    }
    while (length >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = _mm_crc32_u64(c, w);
        p += 8;
        length -= 8;
    }
    while (length-- > 0) c = _mm_crc32_u8((uint32_t)c, *p++);
    return ~(uint32_t)c;
}

static int hardware_checked = 0; // 0 unknown, 1 absent, 2 present

int trailmark_crc32c_hardware_available(void) {
    int state = __atomic_load_n(&hardware_checked, __ATOMIC_RELAXED);
    if (state == 0) {
        __builtin_cpu_init();
        state = __builtin_cpu_supports("sse4.2") ? 2 : 1;
        __atomic_store_n(&hardware_checked, state, __ATOMIC_RELAXED);
    }
    return state == 2;
}

uint32_t trailmark_crc32c_extend(uint32_t crc, const void *data, size_t length) {
    if (trailmark_crc32c_hardware_available()) return crc32c_sse42(crc, data, length);
    return trailmark_crc32c_extend_portable(crc, data, length);
}
#else
int trailmark_crc32c_hardware_available(void) { return 0; }

uint32_t trailmark_crc32c_extend(uint32_t crc, const void *data, size_t length) {
    return trailmark_crc32c_extend_portable(crc, data, length);
}
#endif
