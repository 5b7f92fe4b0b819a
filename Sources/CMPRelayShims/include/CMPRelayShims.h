#ifndef CMPRELAYSHIMS_H
#define CMPRELAYSHIMS_H

#include <sys/types.h>
#include <sys/socket.h>

/// accept4(2), which glibc declares only under _GNU_SOURCE.
int mprelay_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);

/// The SO_PEERCRED credentials of a connected AF_UNIX socket; returns 0 or -1 with errno.
int mprelay_peer_credentials(int fd, pid_t *pid, uid_t *uid, gid_t *gid);

#endif
