// OpenSSL 3 (Debian's libssl-dev) for Swift: the headers, plus functions for what OpenSSL
// declares only as macros, which Swift cannot call.
#ifndef MPRELAY_COPENSSL_SHIM_H
#define MPRELAY_COPENSSL_SHIM_H

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/// SSL_CTX_set_min_proto_version: 1 on success.
static inline int mprelay_ssl_ctx_set_min_version(SSL_CTX *context, int version) {
    return (int)SSL_CTX_set_min_proto_version(context, version);
}

/// SSL_CTX_set_max_proto_version: 1 on success.
static inline int mprelay_ssl_ctx_set_max_version(SSL_CTX *context, int version) {
    return (int)SSL_CTX_set_max_proto_version(context, version);
}

/// SSL_CTX_set_options with the options every mprelay context wants: no renegotiation, no
/// compression, no session tickets, the server's cipher order.
static inline void mprelay_ssl_ctx_set_safe_options(SSL_CTX *context) {
    SSL_CTX_set_options(context, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
}

/// SSL_set_tlsext_host_name: the server name a client sends (SNI). 1 on success.
static inline int mprelay_ssl_set_server_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

/// BIO_get_mem_data: how many bytes a memory BIO holds, and where.
static inline long mprelay_bio_pending_data(BIO *bio, char **data) {
    return BIO_get_mem_data(bio, data);
}

/// SSL_CTX_set_session_cache_mode(SSL_SESS_CACHE_OFF): no session cache.
static inline void mprelay_ssl_ctx_disable_session_cache(SSL_CTX *context) {
    SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_OFF);
}

/// XN_FLAG_RFC2253, a composite of macros Swift cannot import.
static inline unsigned long mprelay_name_flags_rfc2253(void) { return XN_FLAG_RFC2253; }

/// TLS1_2_VERSION and TLS1_3_VERSION, which Swift sees only as macros of macros.
static inline int mprelay_tls12_version(void) { return TLS1_2_VERSION; }
static inline int mprelay_tls13_version(void) { return TLS1_3_VERSION; }

#endif
