#ifndef TRAILMARK_COPENSSL_SHIM_H
#define TRAILMARK_COPENSSL_SHIM_H
// OpenSSL 3 for Swift. Swift imports OpenSSL's functions directly; this header only adds
// `static inline` wrappers for the function-like macros and bit constants Swift cannot
// import. Every wrapper is a one-line forward with the same contract as the macro it names.
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>

// MARK: SSL_CTX configuration macros
static inline int tm_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}
static inline int tm_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_max_proto_version(ctx, version);
}
static inline long tm_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline long tm_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}
static inline int tm_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list) {
    return (int)SSL_CTX_set1_groups_list(ctx, list);
}
static inline int tm_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

// MARK: SSL_OP_* / SSL_MODE_* / SSL_SESS_* bits (defined through SSL_OP_BIT, not importable)
static inline uint64_t tm_SSL_OP_NO_COMPRESSION(void) { return SSL_OP_NO_COMPRESSION; }
static inline uint64_t tm_SSL_OP_NO_RENEGOTIATION(void) { return SSL_OP_NO_RENEGOTIATION; }
static inline uint64_t tm_SSL_OP_CIPHER_SERVER_PREFERENCE(void) { return SSL_OP_CIPHER_SERVER_PREFERENCE; }
static inline uint64_t tm_SSL_OP_NO_TLSv1_1_AND_OLDER(void) {
    return SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1;
}
static inline long tm_SSL_MODE_RELEASE_BUFFERS(void) { return SSL_MODE_RELEASE_BUFFERS; }
static inline long tm_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER(void) { return SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER; }
static inline long tm_SSL_MODE_ENABLE_PARTIAL_WRITE(void) { return SSL_MODE_ENABLE_PARTIAL_WRITE; }
static inline long tm_SSL_SESS_CACHE_SERVER(void) { return SSL_SESS_CACHE_SERVER; }

// MARK: memory BIO macros
/// Makes an empty memory BIO report "retry" (want read) instead of EOF.
static inline long tm_BIO_set_mem_eof_return(BIO *bio, int value) { return BIO_set_mem_eof_return(bio, value); }
static inline size_t tm_BIO_pending(BIO *bio) { return BIO_ctrl_pending(bio); }

// MARK: key generation (EVP_EC_gen is a macro over a variadic function)
static inline EVP_PKEY *tm_EVP_EC_gen_P256(void) { return EVP_EC_gen("P-256"); }

// MARK: X509v3 context (X509V3_set_ctx_nodb is a macro)
static inline void tm_X509V3_set_ctx_nodb(X509V3_CTX *ctx) { X509V3_set_ctx_nodb(ctx); }

static inline void tm_OPENSSL_free(void *p) { OPENSSL_free(p); }

#endif
