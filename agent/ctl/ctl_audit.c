/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_audit.h"
#include "ctl_state.h"
#include "store/audit.h"
#include "util/exitcode.h"

void ctl_audit_usage(FILE *out)
{
	fprintf(out,
		"  audit verify [--anchor SEQ:HASH] [PATH]\n"
		"                   check the audit file's hash chain; with --anchor, also\n"
		"                   that record SEQ is still there with HASH (detects records\n"
		"                   cut off the end)\n"
		"  audit show REQUEST [PATH]\n"
		"                   print one request's events in order (REQUEST is its\n"
		"                   number or id)\n"
		"  audit export [PATH]\n"
		"                   print the records as stored, one JSON object a line, once\n"
		"                   their whole chain checks out\n"
		"                   PATH defaults to " CTL_AUDIT_DEFAULT_PATH "\n");
}

static int usage_error(const char *msg)
{
	fprintf(stderr, "accessctl: %s\nTry 'accessctl --help' for more information.\n", msg);
	return EXIT_USAGE;
}

/* Parse "SEQ:HASH" into ANCHOR (pointing into TEXT); 0 or -EINVAL. */
static int parse_anchor(const char *text, struct audit_anchor *anchor)
{
	const char *colon = strchr(text, ':');
	char *end;

	if (!colon || colon == text || text[0] == '-')
		return -EINVAL;
	errno = 0;
	anchor->seq = strtoull(text, &end, 10);
	if (errno || end != colon || anchor->seq == 0)
		return -EINVAL;
	anchor->hash = colon + 1;
	if (strlen(anchor->hash) != AUDIT_HASH_LEN || strspn(anchor->hash, "0123456789abcdef") != AUDIT_HASH_LEN)
		return -EINVAL;
	return 0;
}

/* Report why reading PATH stopped, a broken chain on OUT; returns the exit
 * status. */
static int report_failure(FILE *out, const char *path, int r, const struct audit_problem *problem)
{
	if (r == -EBADMSG)
		fprintf(out, "%s:%zu: %s\n", path, problem->line, problem->reason);
	else
		ctl_read_error(path, r);
	return EXIT_RUNTIME;
}

static int cmd_verify(int argc, char **argv)
{
	struct audit_anchor anchor, *use_anchor = NULL;
	struct audit_problem problem = { 0 };
	char head[AUDIT_HASH_LEN + 1];
	const char *path = CTL_AUDIT_DEFAULT_PATH;
	uint64_t count = 0;
	int i = 1, r;

	if (i < argc && strcmp(argv[i], "--anchor") == 0) {
		if (i + 1 >= argc || parse_anchor(argv[i + 1], &anchor) < 0)
			return usage_error("--anchor takes SEQ:HASH, as 'audit verify' printed it");
		use_anchor = &anchor;
		i += 2;
	}
	if (i < argc)
		path = argv[i++];
	if (i < argc)
		return usage_error("audit verify takes at most one PATH");
	r = audit_read(path, use_anchor, NULL, NULL, &count, head, &problem);
	if (r < 0)
		return report_failure(stdout, path, r, &problem);
	printf("%s: %" PRIu64 " records, chain intact; head %" PRIu64 ":%s\n", path, count, count, head);
	return EXIT_OK;
}

/* Print " NAME=VALUE", quoted when it has spaces or is empty, with control
 * characters shown as '?' so that ticket text cannot move the terminal. */
static void print_field(const char *name, const char *value)
{
	int quote;

	if (!value)
		return;
	quote = !*value || strpbrk(value, " \"\t") != NULL;
	printf(" %s=%s", name, quote ? "\"" : "");
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			putchar('?');
		else if (quote && (*p == '"' || *p == '\\'))
			printf("\\%c", *p);
		else
			putchar(*p);
	}
	if (quote)
		putchar('"');
}

struct show {
	const char *request;
	uint64_t shown;
};

static int show_record(const struct audit_record *rec, void *userdata)
{
	struct show *s = userdata;
	const struct audit_event *ev = &rec->ev;

	if (!(ev->request_number && strcmp(ev->request_number, s->request) == 0) &&
	    !(ev->request_id && strcmp(ev->request_id, s->request) == 0))
		return 0;
	printf("%s #%" PRIu64 " %s", rec->time, rec->seq, audit_kind_name(ev->kind));
	print_field("who", ev->who);
	print_field("rule", ev->rule);
	print_field("group", ev->group_id);
	print_field("user", ev->user_id);
	print_field("role", ev->role_id);
	for (size_t i = 0; i < ev->n_graph_request_ids; i++)
		print_field("graph_request_id", ev->graph_request_ids[i]);
	print_field("action", ev->action_id);
	print_field("detail", ev->detail);
	putchar('\n');
	s->shown++;
	return 0;
}

static int cmd_show(int argc, char **argv)
{
	struct audit_problem problem = { 0 };
	struct show s = { 0 };
	const char *path = CTL_AUDIT_DEFAULT_PATH;
	uint64_t count = 0;
	int r;

	if (argc < 2)
		return usage_error("audit show needs a REQUEST (its number or id)");
	if (argc > 3)
		return usage_error("audit show takes REQUEST and at most one PATH");
	s.request = argv[1];
	if (argc == 3)
		path = argv[2];
	r = audit_read(path, NULL, show_record, &s, &count, NULL, &problem);
	fflush(stdout);
	if (r < 0)
		return report_failure(stdout, path, r, &problem);
	if (s.shown == 0) {
		fprintf(stderr, "accessctl: %s: no event of request '%s' in %" PRIu64 " records\n", path, s.request,
			count);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/* Export the first LIMIT records: those the first pass found intact. */
static int export_record(const struct audit_record *rec, void *userdata)
{
	const uint64_t *limit = userdata;

	if (rec->seq > *limit)
		return -ECANCELED;
	fwrite(rec->text, 1, rec->len, stdout);
	putchar('\n');
	return 0;
}

static int cmd_export(int argc, char **argv)
{
	struct audit_problem problem = { 0 };
	char head[AUDIT_HASH_LEN + 1];
	const char *path = CTL_AUDIT_DEFAULT_PATH;
	uint64_t count = 0, again;
	int r;

	if (argc > 2)
		return usage_error("audit export takes at most one PATH");
	if (argc == 2)
		path = argv[1];
	/* Check everything before printing anything; records appended in
	 * between are left for the next export. */
	r = audit_read(path, NULL, NULL, NULL, &count, head, &problem);
	if (r == 0)
		r = audit_read(path, NULL, export_record, &count, &again, NULL, &problem);
	if (r == -ECANCELED)
		r = 0;
	if (r < 0)
		return report_failure(stderr, path, r, &problem);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "accessctl: writing the export failed: %s\n", strerror(errno));
		return EXIT_RUNTIME;
	}
	fprintf(stderr, "accessctl: exported %" PRIu64 " records of %s; head %" PRIu64 ":%s\n", count, path, count,
		head);
	return EXIT_OK;
}

int ctl_audit(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("audit needs a command: verify, show or export");
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return cmd_show(argc - 1, argv + 1);
	if (strcmp(argv[1], "export") == 0)
		return cmd_export(argc - 1, argv + 1);
	fprintf(stderr, "accessctl: unknown audit command '%s'\nTry 'accessctl --help' for more information.\n",
		argv[1]);
	return EXIT_USAGE;
}
