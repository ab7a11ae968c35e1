// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78).
//
// Three paths: the SSE 4.2 crc32 instruction on x86-64, the ARMv8 CRC32
// extension on arm64, and slicing-by-8 tables everywhere. The hardware path
// is picked once, at first use, from what the CPU reports, so one binary
// runs on every machine of its architecture.

#include "crc32c.h"

#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>
#elif defined(__aarch64__)
#include <sys/auxv.h>
#if defined(__linux__)
#include <asm/hwcap.h>
#endif
#endif

static uint32_t table[8][256];
static int table_ready = 0;

static void build_tables(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t crc = i;
        for (int bit = 0; bit < 8; bit++) {
            crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        }
        table[0][i] = crc;
    }
    for (uint32_t i = 0; i < 256; i++) {
        for (int slice = 1; slice < 8; slice++) {
            uint32_t prev = table[slice - 1][i];
            table[slice][i] = (prev >> 8) ^ table[0][prev & 0xFF];
        }
    }
    __atomic_store_n(&table_ready, 1, __ATOMIC_RELEASE);
}

static uint32_t extend_portable(uint32_t crc, const uint8_t *p, size_t n) {
    if (!__atomic_load_n(&table_ready, __ATOMIC_ACQUIRE)) {
        // Building twice from two threads writes identical values, so the
        // race is benign; the release store publishes a complete table.
        build_tables();
    }
    crc = ~crc;
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        word = __builtin_bswap64(word);
#endif
        word ^= crc;
        crc = table[7][word & 0xFF] ^ table[6][(word >> 8) & 0xFF] ^
              table[5][(word >> 16) & 0xFF] ^ table[4][(word >> 24) & 0xFF] ^
              table[3][(word >> 32) & 0xFF] ^ table[2][(word >> 40) & 0xFF] ^
              table[1][(word >> 48) & 0xFF] ^ table[0][word >> 56];
        p += 8;
        n -= 8;
    }
    while (n--) {
        crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xFF];
    }
    return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t extend_hardware(uint32_t crc, const uint8_t *p, size_t n) {
    uint64_t c = ~crc;
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = _mm_crc32_u64(c, word);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--) {
        c32 = _mm_crc32_u8(c32, *p++);
    }
    return ~c32;
}

static int detect_hardware(void) {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    return (ecx & bit_SSE4_2) != 0;
}
#elif defined(__aarch64__)
__attribute__((target("crc")))
static uint32_t extend_hardware(uint32_t crc, const uint8_t *p, size_t n) {
    uint32_t c = ~crc;
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = __builtin_arm_crc32cd(c, word);
        p += 8;
        n -= 8;
    }
    while (n--) {
        c = __builtin_arm_crc32cb(c, *p++);
    }
    return ~c;
}

static int detect_hardware(void) {
#if defined(__linux__) && defined(HWCAP_CRC32)
    return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0;
#elif defined(__APPLE__)
    return 1; // every Apple arm64 CPU has the CRC32 extension
#else
    return 0;
#endif
}
#endif

// 0 = not probed yet, 1 = hardware, 2 = portable.
static int selected_path = 0;

static int use_hardware(void) {
    int path = __atomic_load_n(&selected_path, __ATOMIC_RELAXED);
    if (path == 0) {
#if defined(__x86_64__) || defined(__aarch64__)
        path = detect_hardware() ? 1 : 2;
#else
        path = 2;
#endif
        __atomic_store_n(&selected_path, path, __ATOMIC_RELAXED);
    }
    return path == 1;
}

uint32_t ccrc32c_extend(uint32_t crc, const void *data, size_t length) {
#if defined(__x86_64__) || defined(__aarch64__)
    if (use_hardware()) return extend_hardware(crc, (const uint8_t *)data, length);
#endif
    return extend_portable(crc, (const uint8_t *)data, length);
}

uint32_t ccrc32c_extend_portable(uint32_t crc, const void *data, size_t length) {
    return extend_portable(crc, (const uint8_t *)data, length);
}

int ccrc32c_hardware_available(void) {
    return use_hardware();
}
