#include "event_count.h"

#include <stdatomic.h>
#include <stdlib.h>

#if defined(__linux__)
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

struct cevent_count {
    _Atomic uint32_t sequence;
    /// Threads inside `cevent_count_wait`: while 0, notifying needs no system call.
    _Atomic uint32_t waiters;
};

cevent_count *cevent_count_create(void) {
    cevent_count *count = malloc(sizeof *count);
    if (count == NULL) return NULL;
    atomic_init(&count->sequence, 0);
    atomic_init(&count->waiters, 0);
    return count;
}

void cevent_count_destroy(cevent_count *count) { free(count); }

uint32_t cevent_count_prepare_wait(cevent_count *count) {
    return atomic_load_explicit(&count->sequence, memory_order_seq_cst);
}

void cevent_count_wait(cevent_count *count, uint32_t ticket) {
    // The waiter count is raised before the kernel compares the sequence to
    // the ticket. A notifier bumps the sequence before it reads the count,
    // so either it sees this waiter and wakes it, or the kernel sees the
    // new sequence and the wait returns at once.
    atomic_fetch_add_explicit(&count->waiters, 1, memory_order_seq_cst);
    syscall(SYS_futex, &count->sequence, FUTEX_WAIT_PRIVATE, ticket, NULL, NULL, 0);
    atomic_fetch_sub_explicit(&count->waiters, 1, memory_order_seq_cst);
}

static void notify(cevent_count *count, int threads) {
    atomic_fetch_add_explicit(&count->sequence, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&count->waiters, memory_order_seq_cst) == 0) return;
    syscall(SYS_futex, &count->sequence, FUTEX_WAKE_PRIVATE, threads, NULL, NULL, 0);
}

void cevent_count_notify_all(cevent_count *count) { notify(count, INT_MAX); }

void cevent_count_notify_one(cevent_count *count) { notify(count, 1); }

#else
#include <pthread.h>

struct cevent_count {
    pthread_mutex_t mutex;
    pthread_cond_t changed;
    uint32_t sequence;
};

cevent_count *cevent_count_create(void) {
    cevent_count *count = malloc(sizeof *count);
    if (count == NULL) return NULL;
    count->sequence = 0;
    if (pthread_mutex_init(&count->mutex, NULL) != 0) {
        free(count);
        return NULL;
    }
    if (pthread_cond_init(&count->changed, NULL) != 0) {
        pthread_mutex_destroy(&count->mutex);
        free(count);
        return NULL;
    }
    return count;
}

void cevent_count_destroy(cevent_count *count) {
    pthread_cond_destroy(&count->changed);
    pthread_mutex_destroy(&count->mutex);
    free(count);
}

uint32_t cevent_count_prepare_wait(cevent_count *count) {
    pthread_mutex_lock(&count->mutex);
    uint32_t ticket = count->sequence;
    pthread_mutex_unlock(&count->mutex);
    return ticket;
}

void cevent_count_wait(cevent_count *count, uint32_t ticket) {
    pthread_mutex_lock(&count->mutex);
    while (count->sequence == ticket) pthread_cond_wait(&count->changed, &count->mutex);
    pthread_mutex_unlock(&count->mutex);
}

void cevent_count_notify_all(cevent_count *count) {
    pthread_mutex_lock(&count->mutex);
    count->sequence += 1;
    pthread_cond_broadcast(&count->changed);
    pthread_mutex_unlock(&count->mutex);
}

void cevent_count_notify_one(cevent_count *count) {
    pthread_mutex_lock(&count->mutex);
    count->sequence += 1;
    pthread_cond_signal(&count->changed);
    pthread_mutex_unlock(&count->mutex);
}
#endif
