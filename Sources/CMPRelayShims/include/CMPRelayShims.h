#ifndef CMPRELAYSHIMS_H
#define CMPRELAYSHIMS_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/epoll.h>

/// accept4(2), which glibc declares only under _GNU_SOURCE.
int mprelay_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);

/// The SO_PEERCRED credentials of a connected AF_UNIX socket; returns 0 or -1 with errno.
int mprelay_peer_credentials(int fd, pid_t *pid, uid_t *uid, gid_t *gid);

/// epoll_wait(2), which Swift does not import (struct epoll_event is packed on x86_64).
int mprelay_epoll_wait(int epfd, struct epoll_event *events, int capacity, int timeout);

/// Names the calling thread (pthread_setname_np, _GNU_SOURCE only), for top -H and perf.
void mprelay_name_thread(const char *name);

/// Moves the calling thread to SCHED_IDLE (sched(7), _GNU_SOURCE only): it then runs only on
/// a core no other thread wants. Returns 0 or -1 with errno.
int mprelay_make_thread_idle(void);

#endif
