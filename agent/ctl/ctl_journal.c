/* SPDX-License-Identifier: Apache-2.0 */
/* accessctl's "journal" commands: verify and dump the journal. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl_journal.h"
#include "store/journal.h"
#include "store/state.h"
#include "util/exitcode.h"
#include "util/json.h"

void ctl_journal_usage(FILE *out)
{
	fprintf(out,
		"  journal verify [PATH]  check the journal: records, last sequence number,\n"
		"                         size; or the offset and kind of damage\n"
		"  journal dump [PATH]    print each record as one JSON object a line\n"
		"                         PATH is the journal file or the state directory\n"
		"                         holding it (default " CTL_JOURNAL_DEFAULT_PATH ")\n");
}

char *ctl_journal_path(const char *path)
{
	struct stat st;
	char *p;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return asprintf(&p, "%s/%s", path, JOURNAL_FILE_NAME) < 0 ? NULL : p;
	return strdup(path);
}

static void print_damage(const char *path, const struct journal_scan *scan)
{
	if (scan->damage == JOURNAL_INVALID)
		fprintf(stderr, "%s: %s at offset %llu: %s (%s)\n", path, journal_damage_name(scan->damage),
			(unsigned long long)scan->offset, scan->reason, strerror(-scan->apply_error));
	else
		fprintf(stderr, "%s: %s at offset %llu: %s; %llu bytes from there to the end\n", path,
			journal_damage_name(scan->damage), (unsigned long long)scan->offset, scan->reason,
			(unsigned long long)(scan->size - scan->offset));
}

static int journal_verify(const char *path)
{
	struct journal_scan scan;
	struct state *s = NULL;
	int r;

	r = state_new(&s);
	if (r == 0)
		r = journal_scan_file(path, state_apply_record, s, &scan);
	state_free(s);
	if (r < 0)
		return ctl_read_error(path, r);
	printf("%s: %llu records, last sequence %llu, %llu bytes\n", path, (unsigned long long)scan.records,
	       (unsigned long long)scan.last_seq, (unsigned long long)scan.size);
	if (scan.damage == JOURNAL_SOUND) {
		printf("%s: sound\n", path);
		return EXIT_OK;
	}
	print_damage(path, &scan);
	return EXIT_RUNTIME;
}

/* One line per record; a payload that is not JSON is printed as a string. */
static int dump_record(const struct journal_record *rec, void *userdata)
{
	const char *name = state_type_name(rec->type);
	cJSON *line = cJSON_CreateObject(), *payload = NULL;
	char *text = NULL;
	int r = -ENOMEM;

	if (!line)
		return -ENOMEM;
	if (json_parse(rec->payload, rec->len, &payload) < 0) {
		text = strndup(rec->payload, rec->len);
		payload = text ? cJSON_CreateString(text) : NULL;
		free(text);
		text = NULL;
	}
	if (!payload)
		goto done;
	if (!cJSON_AddNumberToObject(line, "offset", (double)rec->offset) ||
	    !cJSON_AddNumberToObject(line, "seq", (double)rec->seq) ||
	    !(name ? cJSON_AddStringToObject(line, "type", name) : cJSON_AddNumberToObject(line, "type", rec->type)))
		goto done;
	cJSON_AddItemToObject(line, "payload", payload);
	payload = NULL;
	text = cJSON_PrintUnformatted(line);
	if (!text)
		goto done;
	printf("%s\n", text);
	r = 0;
done:
	free(text);
	cJSON_Delete(payload);
	cJSON_Delete(line);
	return r;
}

static int journal_dump(const char *path)
{
	struct journal_scan scan;
	int r;

	r = journal_scan_file(path, dump_record, NULL, &scan);
	fflush(stdout);
	if (r < 0)
		return ctl_read_error(path, r);
	if (scan.damage == JOURNAL_SOUND)
		return EXIT_OK;
	print_damage(path, &scan);
	return EXIT_RUNTIME;
}

int ctl_journal(int argc, char **argv)
{
	char *path;
	int r;

	if (argc < 2 || argc > 3 || (strcmp(argv[1], "verify") != 0 && strcmp(argv[1], "dump") != 0)) {
		fprintf(stderr, "accessctl: usage: accessctl journal verify|dump [PATH]\n"
				"Try 'accessctl --help' for more information.\n");
		return EXIT_USAGE;
	}
	path = ctl_journal_path(argc == 3 ? argv[2] : CTL_JOURNAL_DEFAULT_PATH);
	if (!path) {
		fprintf(stderr, "accessctl: out of memory\n");
		return EXIT_RUNTIME;
	}
	r = strcmp(argv[1], "verify") == 0 ? journal_verify(path) : journal_dump(path);
	free(path);
	return r;
}
