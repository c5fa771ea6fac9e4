/* SPDX-License-Identifier: Apache-2.0 */
/* Internals of the Entra connector, shared by its files: the connection
 * (token, one HTTP client, paging) in entra.c, the reads in entra_read.c,
 * the changes and $batch in entra_change.c, finding app role assignments
 * in entra_assignment.c. Not for other modules: use directory.h. */
#ifndef ACCESSD_ENTRA_H
#define ACCESSD_ENTRA_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "connectors/directory.h"
#include "graph_error.h"
#include "net/http.h"
#include "net/oauth.h"
#include "util/tzdb.h"

/* Cap on the pages of one listing (owners), so a server that keeps
 * sending nextLinks cannot keep us busy. */
#define ENTRA_MAX_PAGES 50

/* The largest page Graph serves ($top), and the cap on the pages of an
 * application's role assignments: about 200,000 of them. */
#define ENTRA_PAGE_MAX 999
#define ENTRA_MAX_ASSIGNMENT_PAGES 200

struct entra {
	const struct conn_config *conf;
	const struct clock *clock;
	struct http_client *http;
	char *secret;    /* the client secret; wiped when freed */
	char *token_url;
	char *scope;
	char *select;    /* $select of a user: the policy's fields and the extra attributes */
	const char *const *attrs;
	size_t n_attrs;
	struct oauth_token token;
	struct tzdb *tzdb; /* the time zones of mailbox settings */
};

int64_t entra_now(const struct entra *e);

/* Send METHOD to Graph: URL is either a path under base_url ("users/...")
 * or, for paging, an absolute URL that must start with base_url (a
 * nextLink elsewhere would receive our token: -EINVAL). BODY is JSON or
 * NULL. Gets a token first when the cached one is not fresh, and after a
 * 401 gets a new one and sends once more. Returns 0 with RESP filled (the
 * caller clears it) when Graph answered, else a negative errno with RES
 * filled by graph_result_fail. */
int entra_send(struct entra *e, const char *method, const char *url, const char *body, struct http_response *resp,
	       struct directory_result *res);

/* entra_send, then RES filled by graph_result_set for CALL on TARGET_ID.
 * Returns RES->error; on 0, *RET_BODY (when RET_BODY is not NULL) holds
 * the parsed answer (NULL for an empty body), which the caller frees. */
int entra_call(struct entra *e, enum graph_call call, const char *target_id, const char *method, const char *url,
	       const char *body, cJSON **ret_body, struct directory_result *res);

/* Called by entra_list for each object of a listing: 0 to go on, 1 to
 * stop (found what it wanted), or a negative errno to fail the listing. */
typedef int (*entra_item_fn)(const cJSON *item, void *ctx);

/* GET the listing at FIRST (a path under base_url), then each page its
 * @odata.nextLink names (under base_url only, see entra_send), calling
 * EACH for every object of "value" until EACH stops or the pages end.
 * More than MAX_PAGES pages is -E2BIG. Returns 0 with RES holding the
 * last page's answer, or a negative errno with RES filled. */
int entra_list(struct entra *e, const char *first, int max_pages, entra_item_fn each, void *ctx,
	       struct directory_result *res);

/* After the changes C[0..N) were answered in RES: for each app role
 * assignment Graph refused as a duplicate, which leaves RES without its
 * id, find the existing assignment and put its id in RES (one listing per
 * resource for up to DIRECTORY_BATCH_MAX of them). When it cannot be found, RES becomes
 * TRANSIENT (Graph lists new assignments with a delay); when the listing
 * fails, RES becomes the listing's failure. */
void entra_assignment_resolve(struct entra *e, const struct directory_change *c, size_t n,
			      struct directory_result *res);

/* The directory_ops members, by file. */
int entra_get_user(void *impl, enum directory_user_key key, const char *value, struct person *ret,
		   struct directory_result *res);
int entra_get_manager(void *impl, const char *user_id, char **ret_manager_id, struct directory_result *res);
int entra_get_presence(void *impl, const char *user_id, enum presence *ret, struct directory_result *res);
int entra_get_group(void *impl, const char *group_id, struct directory_group *ret, struct directory_result *res);
int entra_get_members(void *impl, const char *group_id, struct directory_owner **ret, size_t *ret_n,
		      struct directory_result *res);
int entra_is_member(void *impl, const char *group_id, const char *user_id, int *ret, struct directory_result *res);
int entra_get_member_of(void *impl, const char *user_id, char ***ret, size_t *ret_n, struct directory_result *res);
int entra_apply(void *impl, const struct directory_change *c, struct directory_result *res);
int entra_apply_batch(void *impl, const struct directory_change *c, size_t n, struct directory_result *res);
int entra_find_assignment(void *impl, const char *resource_id, const char *principal_id, const char *app_role_id,
			  char **ret_assignment_id, struct directory_result *res);

#endif
