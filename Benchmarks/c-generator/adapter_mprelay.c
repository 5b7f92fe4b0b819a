/* adapter_mprelay.c - mprelay envelope protocol v1 over multiprocessing framing. */
#include "bench.h"
#include "mpc.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int mprelay_open(endpoint_t *ep)
{
    ep->fd = tcp_connect(ep->tgt, ep->err, sizeof ep->err);
    if (ep->fd < 0) return -1;
    const char *k = ep->tgt->authkey;
    if (k && mpc_client_auth(ep->fd, k, strlen(k), ep->err, sizeof ep->err)) return -1;
    uint8_t hello[3 + NAME_MAX_LEN], welcome[64];
    size_t nl = strlen(ep->name);
    hello[0] = 0x01; hello[1] = 1; hello[2] = (uint8_t)nl; memcpy(hello + 3, ep->name, nl);
    if (mpc_send_bytes(ep->fd, hello, nl + 3)) { snprintf(ep->err, sizeof ep->err, "hello: %s", strerror(errno)); return -1; }
    ssize_t n = mpc_recv_bytes(ep->fd, welcome, sizeof welcome);
    if (n != 10 || welcome[0] != 0x02) { snprintf(ep->err, sizeof ep->err, "no welcome (n=%zd kind=%d)", n, n > 0 ? welcome[0] : -1); return -1; }
    return 0;
}

static size_t mprelay_encode(endpoint_t *ep, const char *dest, size_t dlen, const uint8_t *p, size_t n, uint8_t *out)
{
    (void)ep;
    uint8_t *o = out + mpc_put_hdr(out, 12 + dlen + n);
    *o++ = 0x03; *o++ = 0; *o++ = 0;
    memset(o, 0, 8); o += 8;
    *o++ = (uint8_t)dlen;
    memcpy(o, dest, dlen); o += dlen;
    memcpy(o, p, n); o += n;
    return (size_t)(o - out);
}

static ssize_t mprelay_decode(endpoint_t *ep, const uint8_t *in, size_t n, const uint8_t **msg, size_t *mlen)
{
    uint64_t len;
    int h = mpc_get_hdr(in, n, &len);
    if (h == 0) return 0;
    if (h < 0) { snprintf(ep->err, sizeof ep->err, "bad frame header"); return -1; }
    if (n - (size_t)h < len) return 0;
    const uint8_t *b = in + h;
    if (len >= 13 && b[0] == 0x04 && (size_t)12 + b[11] <= len) {
        *msg = b + 12 + b[11];
        *mlen = (size_t)len - 12 - b[11];
    } else {
        if (len >= 1 && b[0] == 0x05) { snprintf(ep->err, sizeof ep->err, "broker error frame"); }
        *msg = NULL;
    }
    return (ssize_t)(h + len);
}

const adapter_t adapter_mprelay = {
    .name = "mprelay",
    .help = "mprelay envelope protocol v1",
    .max_overhead = MPC_HDR_MAX + 12 + NAME_MAX_LEN,
    .open = mprelay_open,
    .ready = NULL,
    .encode = mprelay_encode,
    .decode = mprelay_decode,
};
