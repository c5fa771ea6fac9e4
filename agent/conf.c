#include "config.h"

#include "conf.h"

#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "secret.h"

#define DEFAULT_STATE_DIRECTORY "/var/lib/accessd"
#define DEFAULT_POLL_INTERVAL_MS (60 * 1000)
#define DEFAULT_CONNECT_TIMEOUT_MS (5 * 1000)
#define DEFAULT_TIMEOUT_MS (20 * 1000)
#define DEFAULT_MAX_RESPONSE_BYTES (8u * 1024 * 1024)
#define DEFAULT_POLL_OVERLAP_MS (60 * 1000)
#define DEFAULT_PAGE_SIZE 100
#define DEFAULT_RETRY_ATTEMPTS 5
#define DEFAULT_RETRY_INITIAL_MS 500
#define DEFAULT_RETRY_MAX_MS (30 * 1000)
#define DEFAULT_RETRY_BUDGET_MS (60 * 1000)

/* The parse context: the file's name for messages and the problem list. */
struct parser {
	const char *file;
	struct diag *diag;
};

static int line_of(const config_setting_t *s)
{
	return s ? (int)config_setting_source_line(s) : 0;
}

int conf_parse_duration(const char *s, int64_t *ret_ms)
{
	static const struct {
		char unit;
		int64_t ms;
	} units[] = { { 's', 1000 }, { 'm', 60 * 1000 }, { 'h', 3600 * 1000 }, { 'd', 86400 * 1000 } };
	char *end;
	long long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || end[0] == '\0' || end[1] != '\0')
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (*end != units[i].unit)
			continue;
		if (v > INT64_MAX / units[i].ms)
			return -EINVAL;
		*ret_ms = v * units[i].ms;
		return 0;
	}
	return -EINVAL;
}

/* A string member; reports a wrong type. Returns a copy the caller owns, or
 * NULL when absent or wrong (check diag). */
static char *get_string(struct parser *p, const config_setting_t *group, const char *name, int required)
{
	config_setting_t *s = config_setting_get_member(group, name);
	const char *v;
	char *copy;

	if (!s) {
		if (required)
			diag_add(p->diag, p->file, line_of(group), "'%s' is missing here; add %s = \"...\";", name, name);
		return NULL;
	}
	v = config_setting_get_string(s);
	if (!v) {
		diag_add(p->diag, p->file, line_of(s), "'%s' must be a string; write %s = \"...\";", name, name);
		return NULL;
	}
	copy = strdup(v);
	if (!copy)
		diag_add(p->diag, p->file, line_of(s), "out of memory");
	return copy;
}

static void get_duration(struct parser *p, const config_setting_t *group, const char *name, int64_t *ms)
{
	config_setting_t *s = config_setting_get_member(group, name);
	const char *v;

	if (!s)
		return;
	v = config_setting_get_string(s);
	if (!v || conf_parse_duration(v, ms) < 0)
		diag_add(p->diag, p->file, line_of(s),
			 "'%s' must be a duration; write it as a string like \"90s\", \"15m\", \"24h\" or \"7d\"", name);
}

static void get_int(struct parser *p, const config_setting_t *group, const char *name, int min, int max, int *ret)
{
	config_setting_t *s = config_setting_get_member(group, name);
	int v;

	if (!s)
		return;
	v = config_setting_get_int(s);
	if (config_setting_type(s) != CONFIG_TYPE_INT || v < min || v > max)
		diag_add(p->diag, p->file, line_of(s), "'%s' must be a whole number from %d to %d; write %s = %d;", name,
			 min, max, name, v < min ? min : max);
	else
		*ret = v;
}

static void parse_secret(struct parser *p, const config_setting_t *group, const char *name, struct secret_ref *ref)
{
	char file_key[64], cred_key[64];

	snprintf(file_key, sizeof(file_key), "%s_file", name);
	snprintf(cred_key, sizeof(cred_key), "%s_credential", name);
	ref->file = get_string(p, group, file_key, 0);
	ref->credential = get_string(p, group, cred_key, 0);
	if (!ref->file && !ref->credential)
		diag_add(p->diag, p->file, line_of(group),
			 "no %s given; write %s = \"/etc/accessd/...\"; or %s = \"name\"; (a systemd credential)",
			 name, file_key, cred_key);
	else if (ref->file && ref->credential)
		diag_add(p->diag, p->file, line_of(group), "both %s and %s are set; keep one", file_key, cred_key);
}

static void parse_conn(struct parser *p, const config_setting_t *group, struct conn_config *c)
{
	int max_response = (int)DEFAULT_MAX_RESPONSE_BYTES;
	config_setting_t *auth;
	char *method;

	c->line = line_of(group);
	c->connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
	c->timeout_ms = DEFAULT_TIMEOUT_MS;
	c->max_response_bytes = DEFAULT_MAX_RESPONSE_BYTES;
	c->kind = get_string(p, group, "kind", 1);
	c->base_url = get_string(p, group, "base_url", 1);
	if (c->base_url) {
		size_t n = strlen(c->base_url);

		while (n > 0 && c->base_url[n - 1] == '/')
			c->base_url[--n] = '\0';
		if (strncmp(c->base_url, "https://", 8) != 0 && strncmp(c->base_url, "http://", 7) != 0)
			diag_add(p->diag, p->file, line_of(config_setting_get_member(group, "base_url")),
				 "base_url must start with https://; write base_url = \"https://instance.example.com\";");
	}
	c->poll_overlap_ms = DEFAULT_POLL_OVERLAP_MS;
	c->page_size = DEFAULT_PAGE_SIZE;
	get_duration(p, group, "poll_overlap", &c->poll_overlap_ms);
	get_int(p, group, "page_size", 1, 10000, &c->page_size);
	get_int(p, group, "max_response_size", 1024, 1 << 30, &max_response);
	c->max_response_bytes = (size_t)max_response;
	c->user_attribute = get_string(p, group, "user_attribute", 0);
	if (!c->user_attribute)
		c->user_attribute = strdup("user_name");
	if (!c->user_attribute)
		diag_add(p->diag, p->file, line_of(group), "out of memory");
	c->ca_bundle = get_string(p, group, "ca_bundle", 0);
	c->proxy = get_string(p, group, "proxy", 0);
	get_duration(p, group, "connect_timeout", &c->connect_timeout_ms);
	get_duration(p, group, "timeout", &c->timeout_ms);

	auth = config_setting_get_member(group, "auth");
	if (!auth || !config_setting_is_group(auth)) {
		diag_add(p->diag, p->file, line_of(auth ? auth : group),
			 "'auth' must be a group; write auth = { method = \"basic\"; username = \"...\"; password_file = \"...\"; };");
		return;
	}
	method = get_string(p, auth, "method", 1);
	if (!method)
		return;
	if (strcmp(method, "basic") == 0)
		c->auth = AUTH_BASIC;
	else if (strcmp(method, "oauth2") == 0)
		c->auth = AUTH_OAUTH2;
	else if (strcmp(method, "client_credentials") == 0)
		c->auth = AUTH_CLIENT_CREDENTIALS;
	else {
		diag_add(p->diag, p->file, line_of(config_setting_get_member(auth, "method")),
			 "unknown auth method \"%s\"; write method = \"basic\";, \"oauth2\"; or \"client_credentials\";",
			 method);
		free(method);
		return;
	}
	free(method);
	if (c->auth == AUTH_BASIC || c->auth == AUTH_OAUTH2) {
		c->username = get_string(p, auth, "username", 1);
		parse_secret(p, auth, "password", &c->password);
	}
	if (c->auth == AUTH_OAUTH2 || c->auth == AUTH_CLIENT_CREDENTIALS) {
		c->client_id = get_string(p, auth, "client_id", 1);
		parse_secret(p, auth, "client_secret", &c->client_secret);
		c->token_url = get_string(p, auth, "token_url", 0);
		c->scope = get_string(p, auth, "scope", 0);
	}
}

static void parse_retry(struct parser *p, const config_setting_t *group, struct retry_config *r)
{
	get_int(p, group, "max_attempts", 1, 100, &r->max_attempts);
	get_duration(p, group, "initial_backoff", &r->initial_backoff_ms);
	get_duration(p, group, "max_backoff", &r->max_backoff_ms);
	get_duration(p, group, "budget", &r->budget_ms);
}

static void parse_items(struct parser *p, const config_setting_t *policy, struct config *cfg)
{
	config_setting_t *items = config_setting_get_member(policy, "items");
	int n;

	if (!items || !config_setting_is_list(items)) {
		diag_add(p->diag, p->file, line_of(items ? items : policy),
			 "'items' must be a list of catalog items; write items = ( { name = \"VPN Access\"; } );");
		return;
	}
	n = config_setting_length(items);
	if (n == 0) {
		diag_add(p->diag, p->file, line_of(items), "the policy governs no catalog item; add one to items");
		return;
	}
	cfg->items = calloc((size_t)n, sizeof(*cfg->items));
	if (!cfg->items) {
		diag_add(p->diag, p->file, line_of(items), "out of memory");
		return;
	}
	cfg->n_items = (size_t)n;
	for (int i = 0; i < n; i++) {
		config_setting_t *it = config_setting_get_elem(items, (unsigned)i);

		cfg->items[i].line = line_of(it);
		if (!config_setting_is_group(it)) {
			diag_add(p->diag, p->file, line_of(it), "each item must be a group; write { name = \"...\"; }");
			continue;
		}
		cfg->items[i].name = get_string(p, it, "name", 1);
		cfg->items[i].sys_id = get_string(p, it, "sys_id", 0);
	}
}

static void parse_daemon(struct parser *p, const config_setting_t *daemon, struct config *cfg)
{
	char *level;

	cfg->state_directory = get_string(p, daemon, "state_directory", 0);
	get_duration(p, daemon, "poll_interval", &cfg->poll_interval_ms);
	level = get_string(p, daemon, "log_level", 0);
	if (level && log_level_parse(level, &cfg->log_level) < 0)
		diag_add(p->diag, p->file, line_of(config_setting_get_member(daemon, "log_level")),
			 "unknown log_level \"%s\"; write one of \"error\", \"warning\", \"notice\", \"info\", \"debug\"",
			 level);
	free(level);
}

int conf_load(const char *path, struct config **ret, struct diag *diag)
{
	struct parser p = { .file = path, .diag = diag };
	size_t before = diag->n;
	config_setting_t *root, *s;
	struct config *cfg;
	config_t lc;
	int r;

	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return -ENOMEM;
	cfg->poll_interval_ms = DEFAULT_POLL_INTERVAL_MS;
	cfg->log_level = LOG_LEVEL_INFO;
	cfg->retry = (struct retry_config){
		.max_attempts = DEFAULT_RETRY_ATTEMPTS,
		.initial_backoff_ms = DEFAULT_RETRY_INITIAL_MS,
		.max_backoff_ms = DEFAULT_RETRY_MAX_MS,
		.budget_ms = DEFAULT_RETRY_BUDGET_MS,
	};

	config_init(&lc);
	if (config_read_file(&lc, path) != CONFIG_TRUE) {
		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO) {
			r = errno ? -errno : -EIO;
			diag_add(diag, path, 0, "cannot read the configuration file: %s", strerror(-r));
		} else {
			r = -EINVAL;
			diag_add(diag, config_error_file(&lc) ? config_error_file(&lc) : path, config_error_line(&lc),
				 "syntax error: %s", config_error_text(&lc));
		}
		goto fail;
	}
	root = config_root_setting(&lc);
	cfg->path = strdup(path);
	if (!cfg->path) {
		r = -ENOMEM;
		goto fail;
	}

	s = config_setting_get_member(root, "daemon");
	if (s)
		parse_daemon(&p, s, cfg);
	s = config_setting_get_member(root, "itsm");
	if (s && config_setting_is_group(s))
		parse_conn(&p, s, &cfg->itsm);
	else
		diag_add(diag, path, line_of(s), "'itsm' must be a group naming the ITSM connection; write itsm = { kind = \"servicenow\"; ... };");
	s = config_setting_get_member(root, "directory");
	if (s && config_setting_is_group(s))
		parse_conn(&p, s, &cfg->directory);
	else if (s)
		diag_add(diag, path, line_of(s), "'directory' must be a group; write directory = { kind = \"entra\"; ... };");
	s = config_setting_get_member(root, "notify");
	if (s && config_setting_is_group(s)) {
		cfg->notify.line = line_of(s);
		cfg->notify.kind = get_string(&p, s, "kind", 1);
		parse_secret(&p, s, "webhook_url", &cfg->notify.webhook_url);
	} else if (s)
		diag_add(diag, path, line_of(s), "'notify' must be a group; write notify = { kind = \"teams\"; webhook_url_file = \"...\"; };");
	s = config_setting_get_member(root, "retry");
	if (s && config_setting_is_group(s))
		parse_retry(&p, s, &cfg->retry);
	else if (s)
		diag_add(diag, path, line_of(s), "'retry' must be a group; write retry = { max_attempts = 5; ... };");
	s = config_setting_get_member(root, "policy");
	if (s && config_setting_is_group(s))
		parse_items(&p, s, cfg);
	else
		diag_add(diag, path, line_of(s), "'policy' must be a group; write policy = { items = ( ... ); };");

	if (!cfg->state_directory) {
		cfg->state_directory = strdup(DEFAULT_STATE_DIRECTORY);
		if (!cfg->state_directory)
			diag_add(diag, path, 0, "out of memory");
	}
	if (diag->n > before || diag->oom) {
		r = -EINVAL;
		goto fail;
	}
	config_destroy(&lc);
	*ret = cfg;
	return 0;
fail:
	config_destroy(&lc);
	conf_free(cfg);
	return r;
}

static void conn_free(struct conn_config *c)
{
	free(c->kind);
	free(c->base_url);
	free(c->username);
	free(c->password.file);
	free(c->password.credential);
	free(c->client_id);
	free(c->client_secret.file);
	free(c->client_secret.credential);
	free(c->token_url);
	free(c->scope);
	free(c->ca_bundle);
	free(c->proxy);
	free(c->user_attribute);
}

struct config *conf_free(struct config *cfg)
{
	if (!cfg)
		return NULL;
	conn_free(&cfg->itsm);
	conn_free(&cfg->directory);
	free(cfg->notify.kind);
	free(cfg->notify.webhook_url.file);
	free(cfg->notify.webhook_url.credential);
	for (size_t i = 0; i < cfg->n_items; i++) {
		free(cfg->items[i].name);
		free(cfg->items[i].sys_id);
	}
	free(cfg->items);
	free(cfg->state_directory);
	free(cfg->path);
	free(cfg);
	return NULL;
}

int conf_read_secret(const struct secret_ref *ref, char **ret)
{
	if (ref->file)
		return secret_read_file(ref->file, ret);
	if (ref->credential)
		return secret_read_credential(ref->credential, ret);
	return -ENOENT;
}
