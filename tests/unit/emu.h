/* SPDX-License-Identifier: Apache-2.0 */
/* The API emulator for C tests of connectors: started on a free loopback
 * port in setup, always stopped in teardown, driven through its control API
 * (/_emu/...). Needs PYTHON3 and ACCESSD_SRCDIR, which `make check` sets. */
#ifndef ACCESSD_TEST_EMU_H
#define ACCESSD_TEST_EMU_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <sys/types.h>

struct emu {
	pid_t pid;
	int port;
	char url[64]; /* "http://127.0.0.1:PORT" */
	char tls_url[64]; /* "https://127.0.0.1:PORT" after emu_start_tls; "" otherwise */
	char dir[64]; /* private temporary directory */
};

/* Start the emulator. Returns 0, or a negative errno. */
int emu_start(struct emu *e);

/* Start it serving HTTPS too, with the PEM certificate CERT and key KEY, at
 * e->tls_url (control calls stay on e->url). Returns 0 or a negative errno. */
int emu_start_tls(struct emu *e, const char *cert, const char *key);

/* Stop it and remove its directory; safe to call twice. */
void emu_stop(struct emu *e);

/* Call the emulator: METHOD PATH with an optional JSON BODY. Returns the
 * HTTP status, or a negative errno. When RET_BODY is not NULL it receives
 * the response body (caller frees). */
int emu_call(struct emu *e, const char *method, const char *path, const char *body, char **ret_body);

/* Write VALUE and a newline to the file NAME in the emulator's private
 * directory, readable by its owner only (a connector's secret file); its
 * path into PATH (SIZE bytes). Returns 0 or a negative errno. */
int emu_secret_file(struct emu *e, const char *name, const char *value, char *path, size_t size);

/* POST a JSON body to a control path; 0 when the emulator answered 200. */
int emu_post(struct emu *e, const char *path, const char *json);

/* The request log (GET /_emu/requests) as a JSON array; caller frees with
 * cJSON_Delete. NULL on failure. */
cJSON *emu_requests(struct emu *e);

/* How many logged requests have METHOD (NULL: any) and a path containing
 * PATH_PART (NULL: any). -1 on failure. */
int emu_count(struct emu *e, const char *method, const char *path_part);

#endif
