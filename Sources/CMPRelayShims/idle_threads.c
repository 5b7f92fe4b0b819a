// Idle-class threads, and the thread creation they must not do themselves.
//
// A new thread inherits its creator's scheduling class, and an unprivileged thread cannot leave
// the idle class (sched(7), SCHED_IDLE). A thread in that class that starts another one, as
// Dispatch does from whichever thread enqueues work when its pool is short of workers, would
// leave a worker that runs any later work, the relay's included, below every other thread for
// the rest of its life. So pthread_create is wrapped: a call from an idle-class thread is handed
// to one helper thread of the normal class, started before the first thread turns idle, which
// creates the thread on its behalf; every other call goes straight to the C library.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include "CMPRelayShims.h"

typedef int (*create_function)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

/// A creation an idle-class thread asked the helper for.
struct creation {
    pthread_t *thread;
    const pthread_attr_t *attributes;
    void *(*start)(void *);
    void *argument;
    int result;
    int done;
    struct creation *next;
};

static __thread int this_thread_is_idle;
static pthread_once_t helper_once = PTHREAD_ONCE_INIT;
static int helper_status = -1;
static pthread_mutex_t helper_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t helper_wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t creations_done = PTHREAD_COND_INITIALIZER;
static struct creation *pending;

/// The pthread_create this one wraps, found once: a sanitizer's interceptor in a build with
/// --sanitize (its runtime's own pthread_create gives way to this definition), else the C
/// library's.
static create_function library_create(void) {
    static _Atomic(create_function) found;
    create_function function = atomic_load_explicit(&found, memory_order_acquire);
    if (function == NULL) {
        function = (create_function)dlsym(RTLD_DEFAULT, "__interceptor_pthread_create");
        if (function == NULL) {
            function = (create_function)dlsym(RTLD_NEXT, "pthread_create");
        }
        atomic_store_explicit(&found, function, memory_order_release);
    }
    return function;
}

/// The helper's loop: creates, in the normal class, the threads idle-class threads ask for.
static void *create_for_idle_threads(void *unused) {
    (void)unused;
    pthread_mutex_lock(&helper_lock);
    for (;;) {
        while (pending == NULL) {
            pthread_cond_wait(&helper_wake, &helper_lock);
        }
        struct creation *creation = pending;
        pending = creation->next;
        pthread_mutex_unlock(&helper_lock);
        int result = library_create()(creation->thread, creation->attributes, creation->start, creation->argument);
        pthread_mutex_lock(&helper_lock);
        creation->result = result;
        creation->done = 1;
        pthread_cond_broadcast(&creations_done);
    }
    return NULL;
}

static void start_helper(void) {
    pthread_t helper;
    create_function create = library_create();
    helper_status = create == NULL ? ENOSYS : create(&helper, NULL, create_for_idle_threads, NULL);
    if (helper_status == 0) {
        pthread_setname_np(helper, "mprelay-spawner");
        pthread_detach(helper);
    }
}

int pthread_create(pthread_t *thread, const pthread_attr_t *attributes, void *(*start)(void *), void *argument) {
    if (!this_thread_is_idle) {
        create_function create = library_create();
        return create == NULL ? ENOSYS : create(thread, attributes, start, argument);
    }
    struct creation creation = { thread, attributes, start, argument, 0, 0, NULL };
    pthread_mutex_lock(&helper_lock);
    creation.next = pending;
    pending = &creation;
    pthread_cond_signal(&helper_wake);
    while (!creation.done) {
        pthread_cond_wait(&creations_done, &helper_lock);
    }
    pthread_mutex_unlock(&helper_lock);
    return creation.result;
}

int mprelay_make_thread_idle(void) {
    pthread_once(&helper_once, start_helper);
    if (helper_status != 0) {
        errno = helper_status;
        return -1;
    }
    struct sched_param parameters = { .sched_priority = 0 };
    // pid 0 is the calling thread: on Linux a scheduling class belongs to a thread.
    if (sched_setscheduler(0, SCHED_IDLE, &parameters) != 0) {
        return -1;
    }
    this_thread_is_idle = 1;
    return 0;
}
