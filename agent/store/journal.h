/* SPDX-License-Identifier: Apache-2.0 */
/* The journal: accessd's only durable state, one append-only file of framed,
 * checksummed records (the format is in doc/journal.md).
 *
 * Durability: journal_append() only queues a record; journal_sync() writes
 * every queued record with one write() loop on an O_APPEND descriptor and
 * fdatasyncs once (group commit). A record is durable, and the action it
 * describes may be taken, only after journal_sync() returned 0.
 *
 * Failures:
 * - a failed write() (ENOSPC, EIO, ...) is cut back off the file and the
 *   queued records are kept; journal_writable() is false and further
 *   appends are refused until a journal_sync() manages to write them. The
 *   caller takes no action it has queued but not synced.
 * - a failed fsync is fatal: the kernel may have dropped the dirty pages, so
 *   a retry could falsely succeed. journal_sync() returns -ENOTRECOVERABLE,
 *   the journal refuses everything from then on, and the agent must exit
 *   non-zero so systemd restarts it and replay starts from what is on disk.
 *   The journal never retries an fsync.
 *
 * Not thread-safe: one journal belongs to one thread. */
#ifndef ACCESSD_JOURNAL_H
#define ACCESSD_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define JOURNAL_MAGIC "ACCESSDJ"
#define JOURNAL_VERSION 1
#define JOURNAL_HEADER_SIZE 16        /* magic, version, reserved */
#define JOURNAL_RECORD_HEADER_SIZE 20 /* crc, length, type, flags, seq */
#define JOURNAL_MAX_PAYLOAD (1024 * 1024)
#define JOURNAL_FILE_NAME "journal"
/* Compact once the file passes this size (journal_options.compact_bytes 0)
 * and has doubled since the last compaction. */
#define JOURNAL_DEFAULT_COMPACT_BYTES (64 * 1024 * 1024)

/* Record types 1..JOURNAL_TYPE_MAX are valid on disk; their meaning belongs
 * to the caller (agent/store/state.h). */
#define JOURNAL_TYPE_MAX 255

struct journal_record {
	uint16_t type;
	uint64_t seq;
	const char *payload; /* not NUL-terminated; points into the scanned data */
	size_t len;
	uint64_t offset;     /* of the record's first byte in the file */
};

/* Called for each good record in order. Returns 0, or a negative errno that
 * stops the scan (reported as JOURNAL_INVALID at that record). */
typedef int (*journal_apply_fn)(const struct journal_record *rec, void *userdata);

/* Where a scan stopped. */
enum journal_damage {
	JOURNAL_SOUND,      /* every byte belongs to a good record */
	JOURNAL_TORN_TAIL,  /* the tail is an unfinished record: the writer died */
	JOURNAL_CORRUPT,    /* a bad record with good records after it */
	JOURNAL_BAD_HEADER, /* not an accessd journal, or another version */
	JOURNAL_INVALID,    /* a good frame the apply function refused */
};

struct journal_scan {
	enum journal_damage damage;
	uint64_t records;   /* good records before the damage */
	uint64_t last_seq;  /* of the last good record; 0 when none */
	uint64_t good_size; /* bytes up to the end of the last good record */
	uint64_t size;      /* bytes scanned */
	uint64_t offset;    /* where the damage starts (== good_size) */
	const char *reason; /* what is wrong there, static text; NULL when sound */
	int apply_error;    /* the apply function's error, for JOURNAL_INVALID */
};

/* Scan LEN bytes of DATA as a journal file (header included), calling APPLY
 * (may be NULL) for each good record. Fills *RET and returns 0 whatever the
 * damage; never reads outside DATA. */
int journal_scan_buffer(const void *data, size_t len, journal_apply_fn apply, void *userdata,
			struct journal_scan *ret);

/* Scan the file at PATH like journal_scan_buffer. Returns 0, or a negative
 * errno when the file cannot be read (not logged). */
int journal_scan_file(const char *path, journal_apply_fn apply, void *userdata, struct journal_scan *ret);

/* A short name for a damage kind: "sound", "torn tail", "corruption", ... */
const char *journal_damage_name(enum journal_damage d);

/* The system calls the journal writes with; tests swap them to inject
 * ENOSPC and EIO. Each returns like the system call (-1 and errno). */
struct journal_io {
	ssize_t (*write)(int fd, const void *buf, size_t len);
	int (*fdatasync)(int fd);
	int (*fsync)(int fd); /* for directories */
};

extern const struct journal_io journal_io_system;

/* Writes every record of the current state with EMIT (compaction). Returns 0
 * or the first negative errno EMIT or it hit. */
typedef int (*journal_emit_fn)(uint16_t type, const char *payload, size_t len, void *emit_ctx);
typedef int (*journal_snapshot_fn)(void *userdata, journal_emit_fn emit, void *emit_ctx);

struct journal_options {
	const struct journal_io *io;   /* NULL: journal_io_system */
	bool repair;                   /* cut at corruption, keeping a copy */
	uint64_t compact_bytes;        /* 0: JOURNAL_DEFAULT_COMPACT_BYTES */
	journal_snapshot_fn snapshot;  /* NULL: never compact */
	void *snapshot_userdata;
};

struct journal;

/* Open (creating if missing, mode 0640) the journal file PATH, replay it
 * through APPLY, and return a journal ready to append after its last record.
 * A torn tail is cut off and fsynced (logged with offset and bytes dropped).
 * Corruption is refused with -EBADMSG unless OPTS->repair, which first keeps
 * a copy as PATH.damaged[.N] and then cuts there. A leftover temporary file
 * of an interrupted compaction is removed. Returns 0 and a journal the caller
 * owns (journal_close), -EBADMSG (damage, logged with the offset),
 * -EPROTONOSUPPORT (bad header, logged), the error of APPLY (logged), -ENOMEM
 * (not logged), or another negative errno (logged). */
int journal_open(const char *path, const struct journal_options *opts, journal_apply_fn apply, void *userdata,
		 struct journal **ret);

/* Close; records queued but not synced are dropped. NULL is fine. Returns
 * NULL. */
struct journal *journal_close(struct journal *j);

/* Queue one record of TYPE (1..JOURNAL_TYPE_MAX) with LEN bytes of PAYLOAD
 * (at most JOURNAL_MAX_PAYLOAD). On success stores its sequence number in
 * *ret_seq (may be NULL). Returns 0, -EINVAL, -EMSGSIZE, -ENOMEM, or the
 * journal's failure (journal_status) while it is not writable. */
int journal_append(struct journal *j, uint16_t type, const char *payload, size_t len, uint64_t *ret_seq);

/* Write and fdatasync every queued record, then compact when the file has
 * passed the threshold. Returns 0 when they are durable; the write's
 * negative errno (not logged; the records stay queued, see above); or
 * -ENOTRECOVERABLE after a failed fsync (fatal, see above; logged with the
 * fsync's error). A failed compaction is logged and leaves the journal as
 * it was: the records are durable all the same. */
int journal_sync(struct journal *j);

/* Rewrite the file as a snapshot of the state (temporary file, fsync,
 * rename, directory fsync); appending continues in the new file. Syncs the
 * queued records first. Returns 0; -EOPNOTSUPP without a snapshot
 * function; another negative errno, not logged (the old file stays in
 * use); or -ENOTRECOVERABLE (fatal, logged). */
int journal_compact(struct journal *j);

/* True while appends are accepted and the last write succeeded. */
bool journal_writable(const struct journal *j);

/* 0, or the negative errno that made the journal unwritable. */
int journal_status(const struct journal *j);

/* The sequence number of the last record appended (queued or durable). */
uint64_t journal_last_seq(const struct journal *j);

/* Bytes in the file, durable or written and awaiting fsync. */
uint64_t journal_size(const struct journal *j);

/* Records in the file and queued for it. */
uint64_t journal_records(const struct journal *j);

#endif
