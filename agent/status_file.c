/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "status_file.h"
#include "util/file.h"
#include "util/log.h"

/* Readable by the state directory's group, as the journal is. */
#define STATUS_FILE_MODE 0640

static cJSON *build(const struct agent *a)
{
	const struct health_status *st = &a->status;
	cJSON *o = cJSON_CreateObject(), *conns = NULL, *c = NULL;

	if (!o || !cJSON_AddStringToObject(o, "version", PACKAGE_VERSION) ||
	    !cJSON_AddNumberToObject(o, "pid", (double)getpid()) ||
	    !cJSON_AddNumberToObject(o, "started", (double)a->started_ms) ||
	    !cJSON_AddNumberToObject(o, "updated", (double)clock_now(a->clock)) ||
	    !cJSON_AddStringToObject(o, "log_level", log_level_name(log_get_level())) ||
	    !cJSON_AddBoolToObject(o, "reload_failed", st->reload_failed) ||
	    !(conns = cJSON_AddArrayToObject(o, "connections")) || !(c = cJSON_CreateObject()))
		goto oom;
	cJSON_AddItemToArray(conns, c);
	if (!cJSON_AddStringToObject(c, "name", a->cfg->itsm.kind) || !cJSON_AddStringToObject(c, "role", "itsm") ||
	    !cJSON_AddNumberToObject(c, "last_poll", (double)st->last_poll_ms) ||
	    !cJSON_AddStringToObject(c, "result", st->last_poll_result == 0 ? "ok" : "failed") ||
	    (st->last_poll_result < 0 && !cJSON_AddStringToObject(c, "error", strerror(-st->last_poll_result))) ||
	    !cJSON_AddNumberToObject(c, "last_ok", (double)st->last_ok_poll_ms))
		goto oom;
	return o;
oom:
	cJSON_Delete(o);
	return NULL;
}

void status_file_write(struct agent *a)
{
	cJSON *o = build(a);
	char *text = o ? cJSON_PrintUnformatted(o) : NULL, *path = NULL;
	int r = -ENOMEM;

	if (text && asprintf(&path, "%s/%s", a->cfg->state_directory, STATUS_FILE_NAME) >= 0)
		r = file_replace(path, text, strlen(text), STATUS_FILE_MODE);
	else
		path = NULL;
	if (r < 0 && r != a->status_error)
		log_warnx("cannot write the status file in %s: %s; accessctl status shows less", a->cfg->state_directory,
			  strerror(-r));
	else if (r == 0 && a->status_error)
		log_notice("the status file %s is written again", path);
	a->status_error = r;
	free(path);
	free(text);
	cJSON_Delete(o);
}
