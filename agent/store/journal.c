/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "util/crc32c.h"
#include "util/log.h"

/* Queued records are written out early, unsynced, past this size so that a
 * long batch does not hold all of itself in memory. */
#define FLUSH_BYTES (4u * 1024 * 1024)
#define MAX_DAMAGED_COPIES 100

struct buf {
	char *data;
	size_t len, cap;
};

struct journal {
	char *path, *tmp_path, *dir_path;
	int fd;
	const struct journal_io *io;
	uint64_t size;     /* bytes in the file */
	uint64_t last_seq; /* of the last record queued */
	uint64_t records;  /* in the file and queued */
	struct buf queue;  /* records appended but not yet written */
	bool unsynced;     /* written since the last fdatasync */
	bool broken;       /* a failed write could not be cut off: write no more */
	int status;        /* 0, or why appends are refused */
	uint64_t compact_bytes;
	uint64_t compacted_size; /* after the last compaction in this process */
	journal_snapshot_fn snapshot;
	void *snapshot_userdata;
};

static ssize_t sys_write(int fd, const void *buf, size_t len)
{
	return write(fd, buf, len);
}

static int sys_fdatasync(int fd)
{
	return fdatasync(fd);
}

static int sys_fsync(int fd)
{
	return fsync(fd);
}

const struct journal_io journal_io_system = {
	.write = sys_write,
	.fdatasync = sys_fdatasync,
	.fsync = sys_fsync,
};

static void put_le16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put_le64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint16_t get_le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const unsigned char *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* A CRC over data that itself holds CRCs is weak, so the stored value is
 * masked, as in LevelDB's log. */
static uint32_t crc_mask(uint32_t crc)
{
	return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

static void file_header(unsigned char h[JOURNAL_HEADER_SIZE])
{
	memcpy(h, JOURNAL_MAGIC, 8);
	put_le32(h + 8, JOURNAL_VERSION);
	put_le32(h + 12, 0);
}

const char *journal_damage_name(enum journal_damage d)
{
	switch (d) {
	case JOURNAL_SOUND:
		return "sound";
	case JOURNAL_TORN_TAIL:
		return "torn tail";
	case JOURNAL_CORRUPT:
		return "corruption";
	case JOURNAL_BAD_HEADER:
		return "bad header";
	case JOURNAL_INVALID:
		return "invalid record";
	}
	return "?";
}

enum frame { FRAME_OK, FRAME_INCOMPLETE, FRAME_BAD };

/* Check the record at OFF; the whole frame is verified before any of it is
 * believed, so a torn record is never half-applied. */
static enum frame parse_frame(const unsigned char *data, size_t len, size_t off, uint64_t last_seq,
			      struct journal_record *rec, const char **reason)
{
	const unsigned char *p = data + off;
	size_t left = len - off;
	uint32_t plen;

	if (left < JOURNAL_RECORD_HEADER_SIZE) {
		*reason = "incomplete record header";
		return FRAME_INCOMPLETE;
	}
	plen = get_le32(p + 4);
	if (plen > JOURNAL_MAX_PAYLOAD) {
		*reason = "record length exceeds the maximum";
		return FRAME_BAD;
	}
	if (left - JOURNAL_RECORD_HEADER_SIZE < plen) {
		*reason = "record extends past the end of the file";
		return FRAME_INCOMPLETE;
	}
	if (crc_mask(crc32c(0, p + 4, JOURNAL_RECORD_HEADER_SIZE - 4 + plen)) != get_le32(p)) {
		*reason = "checksum mismatch";
		return FRAME_BAD;
	}
	rec->type = get_le16(p + 8);
	rec->seq = get_le64(p + 12);
	if (rec->type == 0 || rec->type > JOURNAL_TYPE_MAX || get_le16(p + 10) != 0) {
		*reason = "unknown record type or flags";
		return FRAME_BAD;
	}
	if (rec->seq <= last_seq) {
		*reason = "sequence number does not increase";
		return FRAME_BAD;
	}
	rec->payload = (const char *)p + JOURNAL_RECORD_HEADER_SIZE;
	rec->len = plen;
	rec->offset = off;
	return FRAME_OK;
}

/* A bad frame followed by a good one is corruption; with nothing good after
 * it, it is where the writer died. */
static bool good_frame_after(const unsigned char *data, size_t len, size_t off, uint64_t last_seq)
{
	struct journal_record rec;
	const char *reason;

	for (size_t p = off + 1; p + JOURNAL_RECORD_HEADER_SIZE <= len; p++) {
		if (get_le32(data + p + 4) > JOURNAL_MAX_PAYLOAD || get_le16(data + p + 10) != 0)
			continue;
		if (parse_frame(data, len, p, last_seq, &rec, &reason) == FRAME_OK)
			return true;
	}
	return false;
}

/* Replaying a large file touches each page once: with RELEASE (DATA is a
 * file mapping) the pages behind the scan are dropped from memory as it
 * goes, so replay does not hold the whole file resident. */
#define RELEASE_BYTES (8u * 1024 * 1024)

static void release_behind(const unsigned char *data, size_t *released, size_t off)
{
	size_t page, upto;

	if (off - *released < RELEASE_BYTES)
		return;
	page = (size_t)sysconf(_SC_PAGESIZE);
	upto = off / page * page;
	(void)madvise((void *)(data + *released), upto - *released, MADV_DONTNEED);
	*released = upto;
}

static void scan(const unsigned char *data, size_t len, bool release, journal_apply_fn apply, void *userdata,
		 struct journal_scan *ret)
{
	unsigned char header[JOURNAL_HEADER_SIZE];
	struct journal_scan s = { .damage = JOURNAL_SOUND, .size = len };
	size_t off = JOURNAL_HEADER_SIZE, released = 0;

	file_header(header);
	if (len < JOURNAL_HEADER_SIZE) {
		/* the header is written whole to a temporary file, so only a
		 * copy cut short shows a prefix of it */
		s.damage = memcmp(data, header, len) == 0 ? JOURNAL_TORN_TAIL : JOURNAL_BAD_HEADER;
		s.reason = "incomplete file header";
		goto done;
	}
	if (memcmp(data, header, 8) != 0) {
		s.damage = JOURNAL_BAD_HEADER;
		s.reason = "not an accessd journal (bad magic)";
		goto done;
	}
	if (memcmp(data + 8, header + 8, JOURNAL_HEADER_SIZE - 8) != 0) {
		s.damage = JOURNAL_BAD_HEADER;
		s.reason = "unsupported journal version";
		goto done;
	}
	s.good_size = off;
	while (off < len) {
		struct journal_record rec;
		enum frame f = parse_frame(data, len, off, s.last_seq, &rec, &s.reason);
		int r;

		if (f != FRAME_OK) {
			s.damage = good_frame_after(data, len, off, s.last_seq) ? JOURNAL_CORRUPT : JOURNAL_TORN_TAIL;
			break;
		}
		if (apply) {
			r = apply(&rec, userdata);
			if (r < 0) {
				s.damage = JOURNAL_INVALID;
				s.reason = "the record cannot be applied to the state";
				s.apply_error = r;
				break;
			}
		}
		s.records++;
		s.last_seq = rec.seq;
		off += JOURNAL_RECORD_HEADER_SIZE + rec.len;
		s.good_size = off;
		if (release)
			release_behind(data, &released, off);
	}
done:
	s.offset = s.good_size;
	*ret = s;
}

int journal_scan_buffer(const void *data, size_t len, journal_apply_fn apply, void *userdata,
			struct journal_scan *ret)
{
	scan(data, len, false, apply, userdata, ret);
	return 0;
}

/* Map PATH read-only; *ret_data is NULL for an empty file. */
static int map_file(int fd, const void **ret_data, size_t *ret_len)
{
	struct stat st;
	void *p = NULL;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (st.st_size > 0) {
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED)
			return -errno;
		(void)madvise(p, (size_t)st.st_size, MADV_WILLNEED);
	}
	*ret_data = p;
	*ret_len = (size_t)st.st_size;
	return 0;
}

static void unmap_file(const void *data, size_t len)
{
	if (data)
		munmap((void *)data, len);
}

int journal_scan_file(const char *path, journal_apply_fn apply, void *userdata, struct journal_scan *ret)
{
	const void *data;
	size_t len;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = map_file(fd, &data, &len);
	close(fd);
	if (r < 0)
		return r;
	if (data)
		scan(data, len, true, apply, userdata, ret);
	else
		scan((const unsigned char *)"", 0, false, apply, userdata, ret);
	unmap_file(data, len);
	return 0;
}

static int buf_reserve(struct buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *p;

	if (b->cap - b->len >= more)
		return 0;
	while (cap - b->len < more)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

static int buf_add_record(struct buf *b, uint16_t type, uint64_t seq, const char *payload, size_t len)
{
	unsigned char *p;
	int r;

	r = buf_reserve(b, JOURNAL_RECORD_HEADER_SIZE + len);
	if (r < 0)
		return r;
	p = (unsigned char *)b->data + b->len;
	put_le32(p + 4, (uint32_t)len);
	put_le16(p + 8, type);
	put_le16(p + 10, 0);
	put_le64(p + 12, seq);
	if (len)
		memcpy(p + JOURNAL_RECORD_HEADER_SIZE, payload, len);
	put_le32(p, crc_mask(crc32c(0, p + 4, JOURNAL_RECORD_HEADER_SIZE - 4 + len)));
	b->len += JOURNAL_RECORD_HEADER_SIZE + len;
	return 0;
}

static int write_all(const struct journal_io *io, int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = io->write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_dir(const struct journal *j)
{
	int fd, r = 0;

	fd = open(j->dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (j->io->fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Nothing is retried after a failed fsync: the journal is done. */
static int fsync_failed(struct journal *j, const char *what, int err)
{
	log_error("%s of %s failed: %s; the journal cannot be trusted any more, exiting so that a restart replays it",
		  what, j->path, strerror(-err));
	j->status = -ENOTRECOVERABLE;
	j->broken = true;
	return -ENOTRECOVERABLE;
}

/* The compaction's state: the new file and the records bound for it. */
struct rewrite {
	struct journal *j;
	int fd;
	struct buf buf;
	uint64_t size;
	uint64_t seq;
	uint64_t records;
};

static int rewrite_flush(struct rewrite *w)
{
	int r = write_all(w->j->io, w->fd, w->buf.data, w->buf.len);

	if (r < 0)
		return r;
	w->size += w->buf.len;
	w->buf.len = 0;
	return 0;
}

static int rewrite_emit(uint16_t type, const char *payload, size_t len, void *ctx)
{
	struct rewrite *w = ctx;
	int r;

	if (type == 0 || type > JOURNAL_TYPE_MAX)
		return -EINVAL;
	if (len > JOURNAL_MAX_PAYLOAD)
		return -EMSGSIZE;
	r = buf_add_record(&w->buf, type, w->seq + 1, payload, len);
	if (r < 0)
		return r;
	w->seq++;
	w->records++;
	return w->buf.len >= FLUSH_BYTES ? rewrite_flush(w) : 0;
}

/* Write a new journal file holding a snapshot (SNAPSHOT may be NULL for an
 * empty one) and rename it over the journal: a crash at any point leaves
 * either the old file or the new one, and both replay to the same state.
 * On success the journal appends to the new file. */
static int replace_file(struct journal *j, journal_snapshot_fn snapshot, void *userdata)
{
	struct rewrite w = { .j = j, .fd = -1, .seq = j->last_seq };
	unsigned char header[JOURNAL_HEADER_SIZE];
	int r;

	/* Readable by the state directory's group: accessctl reads it there. */
	w.fd = open(j->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
	if (w.fd < 0)
		return -errno;
	file_header(header);
	r = buf_reserve(&w.buf, sizeof(header));
	if (r < 0)
		goto fail;
	memcpy(w.buf.data, header, sizeof(header));
	w.buf.len = sizeof(header);
	if (snapshot) {
		r = snapshot(userdata, rewrite_emit, &w);
		if (r < 0)
			goto fail;
	}
	r = rewrite_flush(&w);
	if (r < 0)
		goto fail;
	/* the new file is not in use yet, so a failed fsync here costs only
	 * this attempt */
	if (j->io->fdatasync(w.fd) < 0) {
		r = -errno;
		goto fail;
	}
	if (rename(j->tmp_path, j->path) < 0) {
		r = -errno;
		goto fail;
	}
	r = fsync_dir(j);
	if (r < 0) {
		close(w.fd);
		free(w.buf.data);
		return fsync_failed(j, "fsync of the directory", r);
	}
	if (j->fd >= 0)
		close(j->fd);
	j->fd = w.fd;
	j->size = w.size;
	j->compacted_size = w.size;
	j->last_seq = w.seq;
	j->records = w.records;
	free(w.buf.data);
	return 0;
fail:
	close(w.fd);
	(void)unlink(j->tmp_path);
	free(w.buf.data);
	return r;
}

/* Write the queue out; on failure cut the file back to where it was so the
 * next attempt does not land behind half a record. */
static int flush_queue(struct journal *j)
{
	int r;

	if (j->broken)
		return j->status;
	if (j->queue.len == 0)
		return 0;
	r = write_all(j->io, j->fd, j->queue.data, j->queue.len);
	if (r < 0) {
		j->status = r;
		if (ftruncate(j->fd, (off_t)j->size) < 0) {
			log_warn("cannot cut the failed write off %s; the journal takes no more records", j->path);
			j->broken = true;
		}
		return r;
	}
	j->size += j->queue.len;
	j->queue.len = 0;
	j->unsynced = true;
	j->status = 0;
	return 0;
}

static int sync_queue(struct journal *j)
{
	int r = flush_queue(j);

	if (r < 0)
		return r;
	if (j->unsynced) {
		if (j->io->fdatasync(j->fd) < 0)
			return fsync_failed(j, "fdatasync", -errno);
		j->unsynced = false;
	}
	return 0;
}

int journal_append(struct journal *j, uint16_t type, const char *payload, size_t len, uint64_t *ret_seq)
{
	int r;

	if (type == 0 || type > JOURNAL_TYPE_MAX || (!payload && len))
		return -EINVAL;
	if (len > JOURNAL_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (j->status < 0)
		return j->status;
	if (j->queue.len >= FLUSH_BYTES) {
		r = flush_queue(j);
		if (r < 0)
			return r;
	}
	r = buf_add_record(&j->queue, type, j->last_seq + 1, payload, len);
	if (r < 0)
		return r;
	j->last_seq++;
	j->records++;
	if (ret_seq)
		*ret_seq = j->last_seq;
	return 0;
}

int journal_compact(struct journal *j)
{
	int r;

	r = sync_queue(j);
	if (r < 0)
		return r;
	if (!j->snapshot)
		return -EOPNOTSUPP;
	return replace_file(j, j->snapshot, j->snapshot_userdata);
}

int journal_sync(struct journal *j)
{
	int r;

	r = sync_queue(j);
	if (r < 0)
		return r;
	/* a state bigger than the threshold would otherwise be rewritten on
	 * every sync: wait for the file to double as well */
	if (j->snapshot && j->size >= j->compact_bytes && j->size >= 2 * j->compacted_size) {
		uint64_t before = j->size;

		r = journal_compact(j);
		if (r == -ENOTRECOVERABLE)
			return r;
		if (r < 0)
			log_warnx("compaction of %s failed: %s; continuing with the journal as it is", j->path,
				  strerror(-r));
		else
			log_info("compacted %s from %llu to %llu bytes", j->path, (unsigned long long)before,
				 (unsigned long long)j->size);
	}
	return 0;
}

bool journal_writable(const struct journal *j)
{
	return j->status == 0 && !j->broken;
}

int journal_status(const struct journal *j)
{
	return j->status;
}

uint64_t journal_last_seq(const struct journal *j)
{
	return j->last_seq;
}

uint64_t journal_size(const struct journal *j)
{
	return j->size;
}

uint64_t journal_records(const struct journal *j)
{
	return j->records;
}

struct journal *journal_close(struct journal *j)
{
	if (!j)
		return NULL;
	if (j->fd >= 0)
		close(j->fd);
	free(j->queue.data);
	free(j->path);
	free(j->tmp_path);
	free(j->dir_path);
	free(j);
	return NULL;
}

static int set_paths(struct journal *j, const char *path)
{
	const char *slash = strrchr(path, '/');

	j->path = strdup(path);
	if (asprintf(&j->tmp_path, "%s.tmp", path) < 0)
		j->tmp_path = NULL;
	if (!slash)
		j->dir_path = strdup(".");
	else if (slash == path)
		j->dir_path = strdup("/");
	else
		j->dir_path = strndup(path, (size_t)(slash - path));
	return j->path && j->tmp_path && j->dir_path ? 0 : -ENOMEM;
}

/* Keep the damaged file as PATH.damaged (or .damaged.N) before cutting it. */
static int keep_damaged_copy(struct journal *j, const void *data, size_t len)
{
	char *name = NULL;
	int fd = -1, r;

	for (int n = 0; n < MAX_DAMAGED_COPIES; n++) {
		free(name);
		r = n == 0 ? asprintf(&name, "%s.damaged", j->path) : asprintf(&name, "%s.damaged.%d", j->path, n);
		if (r < 0)
			return -ENOMEM;
		fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0) {
		r = -errno;
		log_error("cannot keep a copy of the damaged journal as %s: %s", name, strerror(-r));
		goto done;
	}
	r = write_all(j->io, fd, data, len);
	if (r == 0 && j->io->fsync(fd) < 0)
		r = -errno;
	if (r == 0)
		r = fsync_dir(j);
	if (r < 0)
		log_error("cannot write the copy of the damaged journal %s: %s", name, strerror(-r));
	else
		log_notice("kept a copy of the damaged journal as %s", name);
	close(fd);
done:
	free(name);
	return r;
}

static int cut_at(struct journal *j, uint64_t offset)
{
	if (ftruncate(j->fd, (off_t)offset) < 0) {
		int r = -errno;

		log_error("cannot cut the journal %s at offset %llu: %s", j->path, (unsigned long long)offset,
			  strerror(-r));
		return r;
	}
	/* before appending again, or new records land behind garbage */
	if (j->io->fdatasync(j->fd) < 0)
		return fsync_failed(j, "fdatasync after cutting", -errno);
	j->size = offset;
	return 0;
}

/* Replay the open file and decide what its damage allows. */
static int replay(struct journal *j, bool repair, journal_apply_fn apply, void *userdata)
{
	struct journal_scan s;
	const void *data;
	size_t len;
	int r;

	r = map_file(j->fd, &data, &len);
	if (r < 0) {
		log_error("cannot read the journal %s: %s", j->path, strerror(-r));
		return r;
	}
	if (data)
		scan(data, len, true, apply, userdata, &s);
	else
		scan((const unsigned char *)"", 0, false, apply, userdata, &s);
	j->last_seq = s.last_seq;
	j->records = s.records;
	j->size = len;
	switch (s.damage) {
	case JOURNAL_SOUND:
		r = 0;
		break;
	case JOURNAL_TORN_TAIL:
		log_warnx("journal %s: torn tail at offset %llu (%s), dropping %llu bytes", j->path,
			  (unsigned long long)s.offset, s.reason, (unsigned long long)(s.size - s.offset));
		if (s.offset >= JOURNAL_HEADER_SIZE) {
			r = cut_at(j, s.offset);
			break;
		}
		r = replace_file(j, NULL, NULL);
		if (r < 0 && r != -ENOTRECOVERABLE)
			log_error("cannot rewrite the journal %s: %s", j->path, strerror(-r));
		break;
	case JOURNAL_BAD_HEADER:
		log_error("journal %s: %s; refusing to use it", j->path, s.reason);
		r = -EPROTONOSUPPORT;
		break;
	case JOURNAL_CORRUPT:
	case JOURNAL_INVALID:
		if (s.damage == JOURNAL_INVALID)
			log_error("journal %s: record %llu at offset %llu cannot be applied: %s", j->path,
				  (unsigned long long)s.records + 1, (unsigned long long)s.offset,
				  strerror(-s.apply_error));
		else
			log_error("journal %s: corruption at offset %llu (%s), with good records after it", j->path,
				  (unsigned long long)s.offset, s.reason);
		if (!repair) {
			log_error("refusing to start; 'accessd --repair' keeps a copy of the journal and cuts it at offset %llu, dropping %llu bytes",
				  (unsigned long long)s.offset, (unsigned long long)(s.size - s.offset));
			r = s.damage == JOURNAL_INVALID ? s.apply_error : -EBADMSG;
			break;
		}
		r = keep_damaged_copy(j, data, len);
		if (r < 0)
			break;
		r = cut_at(j, s.offset);
		if (r == 0)
			log_warnx("journal %s: repaired by cutting at offset %llu, %llu bytes dropped", j->path,
				  (unsigned long long)s.offset, (unsigned long long)(s.size - s.offset));
		break;
	}
	unmap_file(data, len);
	return r;
}

int journal_open(const char *path, const struct journal_options *opts, journal_apply_fn apply, void *userdata,
		 struct journal **ret)
{
	static const struct journal_options defaults = { 0 };
	struct journal *j;
	int r;

	if (!opts)
		opts = &defaults;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->fd = -1;
	j->io = opts->io ? opts->io : &journal_io_system;
	j->compact_bytes = opts->compact_bytes ? opts->compact_bytes : JOURNAL_DEFAULT_COMPACT_BYTES;
	j->snapshot = opts->snapshot;
	j->snapshot_userdata = opts->snapshot_userdata;
	r = set_paths(j, path);
	if (r < 0)
		goto fail;
	/* a compaction that died before its rename left this behind */
	if (unlink(j->tmp_path) == 0)
		log_notice("removed %s, left by an interrupted compaction", j->tmp_path);

	j->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
	if (j->fd < 0 && errno == ENOENT) {
		r = replace_file(j, NULL, NULL);
		if (r < 0) {
			log_error("cannot create the journal %s: %s", path, strerror(-r));
			goto fail;
		}
		log_notice("created the journal %s", path);
	} else if (j->fd < 0) {
		r = -errno;
		log_error("cannot open the journal %s: %s", path, strerror(-r));
		goto fail;
	} else {
		r = replay(j, opts->repair, apply, userdata);
		if (r < 0)
			goto fail;
	}
	*ret = j;
	return 0;
fail:
	journal_close(j);
	return r;
}
