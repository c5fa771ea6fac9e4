/* SPDX-License-Identifier: Apache-2.0 */
/* audit-append PATH: append the events read from stdin, one JSON object a
 * line, to the audit file PATH through the real audit module, so scenario
 * tests check accessctl against files the daemon's code wrote. Members:
 * now_ms, kind (as audit_kind_name), and the struct audit_event fields by
 * name (graph_request_ids a list). Exit 0, or 1 with a message. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/audit.h"
#include "util/json.h"

static int append_one(struct audit *a, const char *line)
{
	const char *ids[AUDIT_MAX_IDS + 1];
	struct audit_event ev = { 0 };
	cJSON *root = NULL, *id;
	int r;

	r = json_parse(line, strlen(line), &root);
	if (r < 0)
		return r;
	r = audit_kind_parse(json_str(root, "kind"), &ev.kind);
	if (r < 0)
		goto done;
	ev.request_number = json_str(root, "request_number");
	ev.request_id = json_str(root, "request_id");
	ev.action_id = json_str(root, "action_id");
	ev.who = json_str(root, "who");
	ev.rule = json_str(root, "rule");
	ev.group_id = json_str(root, "group_id");
	ev.user_id = json_str(root, "user_id");
	ev.role_id = json_str(root, "role_id");
	ev.detail = json_str(root, "detail");
	cJSON_ArrayForEach(id, cJSON_GetObjectItemCaseSensitive(root, "graph_request_ids")) {
		if (ev.n_graph_request_ids == AUDIT_MAX_IDS + 1 || !cJSON_IsString(id)) {
			r = -1;
			goto done;
		}
		ids[ev.n_graph_request_ids++] = id->valuestring;
	}
	ev.graph_request_ids = ids;
	r = audit_append(a, (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(root, "now_ms")), &ev);
done:
	cJSON_Delete(root);
	return r;
}

int main(int argc, char **argv)
{
	struct audit *a = NULL;
	char *line = NULL;
	size_t size = 0;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: audit-append PATH < events\n");
		return 1;
	}
	r = audit_open(argv[1], &a);
	if (r < 0) {
		fprintf(stderr, "audit-append: %s: %s\n", argv[1], strerror(-r));
		return 1;
	}
	while (getline(&line, &size, stdin) > 0) {
		r = append_one(a, line);
		if (r < 0) {
			fprintf(stderr, "audit-append: cannot append %s", line);
			break;
		}
	}
	free(line);
	audit_close(a);
	return r < 0 ? 1 : 0;
}
