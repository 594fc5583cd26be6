#ifndef TRAILMARK_CNGHTTP2_SHIM_H
#define TRAILMARK_CNGHTTP2_SHIM_H
// libnghttp2 (1.52 on Debian bookworm) for Swift: the library imports directly. This header
// restates the few object-like macros Swift does not import.
#include <nghttp2/nghttp2.h>

/// RFC 9113 §6.9.2 initial flow-control window (NGHTTP2_INITIAL_WINDOW_SIZE does not import).
static inline int32_t tm_nghttp2_initial_window_size(void) { return NGHTTP2_INITIAL_WINDOW_SIZE; }
/// Largest legal flow-control window, 2^31-1 (NGHTTP2_MAX_WINDOW_SIZE).
static inline int32_t tm_nghttp2_max_window_size(void) { return NGHTTP2_MAX_WINDOW_SIZE; }
#endif
