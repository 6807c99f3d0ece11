/* cb_store_posix.h - the host simulator's storage port: the journal slots as
 * files in the data directory. The simulator's main calls init before the
 * server starts (and close at exit); the core then uses cb_port_store_*. */
#ifndef CB_STORE_POSIX_H
#define CB_STORE_POSIX_H

#include <stdbool.h>
#include <stdint.h>

/* Sets the data directory (created 0700 with its missing parents, each new
 * directory fsynced into its parent; the journal slots are
 * <data_dir>/journal-a.log and journal-b.log, created 0600), the capacity of
 * each slot in bytes (appends past it get CB_ERR_NOSPC), and whether syncs
 * and erases are flushed (fdatasync / fsync; false only for benchmarks).
 * Reads the test hook CHATBELL_FAULT_STORE: "enospc:N" or "eio:N" makes every
 * append after the first N successful ones fail as if the disk were full or
 * failing. CB_OK, CB_ERR_INVAL (bad argument or hook value) or
 * CB_ERR_STORAGE (the directory cannot be made). Closes any open slots. */
int cb_store_posix_init(const char *data_dir, uint32_t slot_capacity, bool fsync);

/* Closes the slot files; safe twice, and before init. */
void cb_store_posix_close(void);

#endif
