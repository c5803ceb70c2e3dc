/* cleanup.c - the registry of temporaries removed on fatal signals (see
 * cleanup.h). The only file of the project with mutable global state. */
#include "cleanup.h"

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <unistd.h>

#define CLEANUP_SLOTS 64

/* Registered paths; NULL marks a free slot. Lock-free atomics are
 * async-signal-safe (C11 7.14.1.1). */
static _Atomic(const char *) registry[CLEANUP_SLOTS];

int pat_cleanup_register(const char *path) {
    for (int i = 0; i < CLEANUP_SLOTS; i++) {
        const char *expected = NULL;
        if (atomic_compare_exchange_strong(&registry[i], &expected, path)) return i;
    }
    return -1;
}

void pat_cleanup_unregister(int slot) {
    if (slot >= 0 && slot < CLEANUP_SLOTS) atomic_store(&registry[slot], NULL);
}

static void on_fatal_signal(int sig) {
    for (int i = 0; i < CLEANUP_SLOTS; i++) {
        const char *path = atomic_exchange(&registry[i], NULL);
        if (path) unlink(path);
    }
    signal(sig, SIG_DFL);
    raise(sig); /* delivered when the handler returns: the default action */
}

int pat_cleanup_on_signals(void) {
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGXFSZ};
    int rc = 0;
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old, sa = {0};
        if (sigaction(sigs[i], NULL, &old) != 0) {
            rc = -1;
            continue;
        }
        if (old.sa_handler == SIG_IGN) continue; /* keep nohup's choice */
        sa.sa_handler = on_fatal_signal;
        sigfillset(&sa.sa_mask);
        if (sigaction(sigs[i], &sa, NULL) != 0) rc = -1;
    }
    return rc;
}
