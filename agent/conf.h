/* The configuration: daemon settings, connections to external systems, and
 * the policy. Parsed from a libconfig file into typed, validated structures;
 * every problem is reported with its file and line. */
#ifndef ACCESSD_CONF_H
#define ACCESSD_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "log.h"

enum auth_method {
	AUTH_BASIC,              /* username + password on every request */
	AUTH_OAUTH2,             /* OAuth2 password grant (ServiceNow /oauth_token.do) */
	AUTH_CLIENT_CREDENTIALS, /* OAuth2 client credentials (Entra) */
};

/* Where a secret comes from: exactly one of the two is set. */
struct secret_ref {
	char *file;       /* a path readable only by its owner */
	char *credential; /* a systemd credential name, in $CREDENTIALS_DIRECTORY */
};

/* One external system (ITSM, directory, notification channel). */
struct conn_config {
	char *kind;     /* "servicenow", ... */
	char *base_url; /* scheme://host[:port], no trailing slash */
	enum auth_method auth;
	char *username;              /* basic, oauth2 */
	struct secret_ref password;  /* basic, oauth2 */
	char *client_id;             /* oauth2, client_credentials */
	struct secret_ref client_secret; /* oauth2, client_credentials */
	char *token_url;             /* NULL: the connector's default endpoint */
	char *scope;                 /* client_credentials; NULL: the connector's default */
	char *ca_bundle; /* NULL: the system's CA store */
	char *proxy;     /* NULL: the standard proxy variables */
	int64_t connect_timeout_ms;
	int64_t timeout_ms;
	size_t max_response_bytes;
	/* ITSM only: how the ITSM's users map to the directory ("user_name" or
	 * "email" to the UPN), the overlap subtracted from a watermark for clock
	 * skew, and the page size of listings. */
	char *user_attribute;
	int64_t poll_overlap_ms;
	int page_size;
	int line; /* where the group starts, for messages */
};

/* The notification channel (Teams workflow webhook). The webhook URL embeds
 * a signature, so it is a secret: read from a file or a credential. */
struct notify_config {
	char *kind; /* "teams"; NULL when not configured */
	struct secret_ref webhook_url;
	int line;
};

/* How transient failures are retried (HTTP layer, then workflow). */
struct retry_config {
	int max_attempts;          /* attempts of one HTTP request, >= 1 */
	int64_t initial_backoff_ms; /* first backoff; doubles each attempt */
	int64_t max_backoff_ms;     /* cap of one backoff */
	int64_t budget_ms;          /* cap of all the waiting for one request */
};

/* A catalog item the policy governs. */
struct item_config {
	char *name;   /* catalog item name, as the ITSM shows it */
	char *sys_id; /* catalog item id; NULL: match by name */
	int line;
};

struct config {
	char *path;
	char *state_directory;
	int64_t poll_interval_ms;
	enum log_level log_level;
	struct conn_config itsm;
	struct conn_config directory; /* directory.kind is NULL when not configured */
	struct notify_config notify;
	struct retry_config retry;
	struct item_config *items;
	size_t n_items;
};

/* Parse and validate PATH. On success returns 0 and a config the caller owns
 * (free with conf_free). On failure returns -EINVAL (problems in the file,
 * each appended to DIAG), or another negative errno when the file cannot be
 * read (also described in DIAG); *ret is left untouched. */
int conf_load(const char *path, struct config **ret, struct diag *diag);

/* Free a configuration; NULL is fine. Returns NULL. */
struct config *conf_free(struct config *cfg);

/* Parse a duration such as "90s", "15m", "24h" or "7d" into milliseconds.
 * Returns 0, or -EINVAL for anything else (no unit, negative, overflow). */
int conf_parse_duration(const char *s, int64_t *ret_ms);

/* Read the secret a reference names. Ownership as secret_read_file. */
int conf_read_secret(const struct secret_ref *ref, char **ret);

#endif
