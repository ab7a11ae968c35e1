#ifndef CEVENTCOUNT_H
#define CEVENTCOUNT_H

#include <stdint.h>

/// An event count: threads wait for "something changed" and one call wakes
/// them all.
///
/// A waiter takes a ticket, checks its condition, and waits with the ticket
/// only if the condition does not hold. A notifier changes the condition,
/// then calls `cevent_count_notify_all`. A notification after the ticket was
/// taken is never lost: the wait returns at once. On Linux this is one futex
/// word, so a notification is one system call however many threads wake,
/// and none when nobody waits; elsewhere a mutex and a condition variable.
typedef struct cevent_count cevent_count;

/// A new event count, or NULL when memory or the OS primitives ran out.
cevent_count *cevent_count_create(void);

void cevent_count_destroy(cevent_count *count);

/// The ticket to pass to `cevent_count_wait`: take it before checking the
/// condition.
uint32_t cevent_count_prepare_wait(cevent_count *count);

/// Blocks until a notification after `ticket` (returns at once if one
/// already happened). May also return spuriously: callers recheck.
void cevent_count_wait(cevent_count *count, uint32_t ticket);

/// Wakes every thread waiting now.
void cevent_count_notify_all(cevent_count *count);

/// Wakes one thread waiting now. Threads that took their ticket before this
/// call and have not yet begun to wait return at once instead.
void cevent_count_notify_one(cevent_count *count);

#endif
