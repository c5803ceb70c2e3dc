/* cleanup.h - remove registered temporary files when a fatal signal
 * (Ctrl-C, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGXFSZ) ends the process.
 *
 * pat_atomic_open registers each temporary it creates and
 * pat_atomic_commit/abort unregister it, so every output written through
 * report/atomic.h is covered. A program (the CLI's main) calls
 * pat_cleanup_on_signals() once; the handler unlinks the registered files
 * (async-signal-safe), restores the default action and re-raises the
 * signal, so the exit status still says which signal ended the run.
 *
 * The registry is the project's one mutable global (DEVELOPING.md): a
 * signal handler can reach nothing else. It is a fixed table of atomic
 * pointers; a full table only means that a temporary is not cleaned up.
 */
#ifndef PAT_REPORT_CLEANUP_H
#define PAT_REPORT_CLEANUP_H

/* Remember path (which must stay valid until unregistered). Returns the
 * slot, or -1 when the table is full. */
int pat_cleanup_register(const char *path);

/* Forget slot (-1 is ignored). */
void pat_cleanup_unregister(int slot);

/* Install the handler for the signals above, except those the process
 * inherited as ignored (nohup). Returns 0 on success. */
int pat_cleanup_on_signals(void);

#endif /* PAT_REPORT_CLEANUP_H */
