/* SPDX-License-Identifier: Apache-2.0 */
/* The audit trail: every decision and action accessd takes, append-only and
 * tamper-evident, for the people who must later answer "who approved what,
 * when, under which rule, and what was executed".
 *
 * The file holds one record per line, each a JSON object:
 *
 *   {"seq":1,"time":"2026-11-25T07:36:00.000Z","request":{"number":"RITM0010001",
 *    "id":"..."},"event":"approval_seen","who":"...","rule":"...",...,
 *    "hash":"<64 hex digits>"}
 *
 * The members before "hash" are the record's content C: the exact bytes of
 * the line up to (not including) ',"hash":', followed by "}". The hash is
 *
 *   hash(n) = hex(SHA-256(hash(n-1) || C(n)))      hash(0) = AUDIT_GENESIS
 *
 * with the previous hash as its 64 ASCII hex digits. Changing, deleting,
 * inserting or reordering any record breaks the chain at that line. Cutting
 * whole records off the end leaves a valid shorter chain: only an anchor kept
 * elsewhere (a (seq, hash) pair the caller journals or an operator writes
 * down, see audit_head and audit_verify) detects that.
 *
 * Every string comes from tickets and APIs and is hostile: it is cut to a
 * fixed size on a UTF-8 boundary, invalid UTF-8 becomes '?', and cJSON
 * escapes quotes and control characters, so no value can break the one-line
 * format or forge a record. Never pass a secret. */
#ifndef ACCESSD_AUDIT_H
#define ACCESSD_AUDIT_H

#include <stddef.h>
#include <stdint.h>

/* The audit file's name in the state directory. */
#define AUDIT_FILE_NAME "audit.log"

/* The hash the first record chains to. */
#define AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"
#define AUDIT_HASH_LEN 64

/* Caps on what one record may hold; longer strings are cut, marked "...". */
#define AUDIT_ID_MAX 128      /* request number and id, action id, object ids */
#define AUDIT_TEXT_MAX 256    /* who, rule */
#define AUDIT_DETAIL_MAX 1024 /* detail */
#define AUDIT_MAX_IDS 8       /* Graph request ids of one event */
/* The longest line a reader accepts (the caps above, fully escaped, fit). */
#define AUDIT_LINE_MAX 32768

/* What happened. The names (audit_kind_name) are what the file stores. */
enum audit_kind {
	AUDIT_DECISION,           /* the core decided the next step ("detail" says what) */
	AUDIT_SENT_BACK,          /* the request is incomplete; returned to the requester */
	AUDIT_APPROVAL_REQUESTED, /* an approval record was created for "who" */
	AUDIT_APPROVAL_SEEN,      /* "who" approved, counted for stage "rule" */
	AUDIT_APPROVAL_IGNORED,   /* a decision that does not count (not an approver, self-approval) */
	AUDIT_REJECTED,           /* "who" rejected; the request ends */
	AUDIT_REMINDER,           /* an approver was reminded */
	AUDIT_ESCALATION,         /* a backup approver was added or substituted */
	AUDIT_EXPIRED,            /* no decision in time; the request ends */
	AUDIT_GRANT_EXECUTED,     /* access granted: group/user/role and Graph request ids */
	AUDIT_GRANT_FAILED,       /* a grant step failed */
	AUDIT_ROLLBACK,           /* a step that succeeded was undone */
	AUDIT_COMPENSATION,       /* a compensating task was created */
	AUDIT_TICKET_UPDATED,     /* state, work note or comment written to the ticket */
	AUDIT_EVIDENCE_ATTACHED,  /* the evidence file was attached */
	AUDIT_INCIDENT_OPENED,    /* an incident went to the IAM team */
	AUDIT_NOTIFICATION_SENT,  /* Teams or the requester was told */
	AUDIT_COMPLETED,          /* the request ended completed */
	AUDIT_REMOVAL,            /* time-bound access was removed */
	AUDIT_WITHDRAWN,          /* the ITSM closed the ticket before any grant; the request ends */
	AUDIT_KIND_COUNT
};

/* One event. Every pointer may be NULL (then the member is left out of the
 * record); the strings need only live during audit_append. */
struct audit_event {
	enum audit_kind kind;
	const char *request_number; /* the ITSM's reference, e.g. RITM0010001 */
	const char *request_id;     /* the ITSM's record id */
	const char *action_id;      /* the journal's stable action id */
	const char *who;            /* approver or actor UPN; "accessd" for its own decisions */
	const char *rule;           /* what required it: policy item and stage */
	const char *group_id;       /* what was executed: directory object ids */
	const char *user_id;
	const char *role_id;
	const char *const *graph_request_ids; /* n_graph_request_ids of them, at most AUDIT_MAX_IDS */
	size_t n_graph_request_ids;
	const char *detail; /* free text */
};

/* The name of KIND as stored ("approval_seen"), or NULL when out of range. */
const char *audit_kind_name(enum audit_kind kind);

/* The kind NAME stands for; 0 or -EINVAL. */
int audit_kind_parse(const char *name, enum audit_kind *ret);

struct audit;

/* Open PATH for appending, creating it (mode 0640, and the directory entry
 * made durable) when missing, and take an exclusive lock on it. The last
 * record is read and its hash checked against the record before it, so the
 * chain continues where it ended (only the tail: `accessctl audit verify`
 * checks the whole file). Returns 0 and a handle the caller owns
 * (free with audit_close), or -EBADMSG when the tail is damaged (the reason is
 * logged; the file is left alone, never extended: repair it first, see
 * `accessctl audit verify`), -EBUSY when another process holds the lock, or
 * another negative errno from the file system. */
int audit_open(const char *path, struct audit **ret);

/* Close the file; NULL is fine. Returns NULL. */
struct audit *audit_close(struct audit *a);

/* Append EV at time NOW_MS (milliseconds since the epoch, from the injected
 * clock): one write() of the whole line, then fdatasync. Returns 0 once the
 * record is durable, -EINVAL for an out-of-range kind, too many Graph
 * request ids or a time before the epoch, -ENOMEM, or the errno of a failed
 * write or sync (-ENOSPC, -EFBIG, -EIO, ...). After a
 * failed write the file is cut back to its last whole record; when that or
 * the sync fails the handle refuses every further append (-EIO): a failed
 * sync may have lost the data, so the caller must stop and reopen. */
int audit_append(struct audit *a, int64_t now_ms, const struct audit_event *ev);

/* The sequence number and hash of the last record (0 and AUDIT_GENESIS for
 * an empty file): an anchor to keep elsewhere, so that cutting records off
 * the end can be detected later. HASH receives AUDIT_HASH_LEN + 1 bytes. */
void audit_head(const struct audit *a, uint64_t *ret_seq, char hash[AUDIT_HASH_LEN + 1]);

/* One record as read back. The event's strings point into the reader's
 * parsed copy and live only during the callback. */
struct audit_record {
	size_t line; /* 1-based line number in the file */
	uint64_t seq;
	const char *time; /* "YYYY-MM-DDTHH:MM:SS.mmmZ" */
	const char *hash;
	struct audit_event ev;
	const char *graph_ids[AUDIT_MAX_IDS]; /* storage for ev.graph_request_ids */
	const char *text; /* the record's line as stored, without its newline */
	size_t len;       /* the length of TEXT */
};

/* Where and why a chain is broken. */
struct audit_problem {
	size_t line;      /* 1-based line of the first bad record */
	char reason[200]; /* "hash mismatch", "bad JSON", "sequence gap: ..." */
};

/* Called for each record whose chain link has been checked; a negative
 * return stops the reading and is returned by audit_read. */
typedef int (*audit_record_cb)(const struct audit_record *rec, void *userdata);

/* An anchor for audit_read: record SEQ must exist and have HASH. */
struct audit_anchor {
	uint64_t seq;
	const char *hash;
};

/* Read PATH from the first record, checking each record's sequence number
 * and hash against the chain, and call CB (may be NULL) for each good one in
 * order. When ANCHOR is not NULL, the record it names must be in the file
 * with its hash. Returns 0 with *RET_COUNT records read and HEAD (may be
 * NULL; AUDIT_HASH_LEN + 1 bytes) the last hash; -EBADMSG when the chain is
 * broken, with PROBLEM saying where and why (records before it were passed
 * to CB); the callback's error; or the errno of opening or reading PATH. */
int audit_read(const char *path, const struct audit_anchor *anchor, audit_record_cb cb, void *userdata,
	       uint64_t *ret_count, char head[AUDIT_HASH_LEN + 1], struct audit_problem *problem);

#endif
