/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include "conf.h"

#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf_parse.h"
#include "conf_policy.h"
#include "util/secret.h"
#include "util/text.h"

/* The same default as accessctl and the unit's StateDirectory= (packages
 * configure --localstatedir=/var). */
#define DEFAULT_STATE_DIRECTORY LOCALSTATEDIR "/lib/accessd"
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

/* The settings each group accepts: anything else is a mistake to report. */
static const char *const root_keys[] = { "daemon", "itsm", "directory", "notify", "retry", "policy", NULL };
static const char *const daemon_keys[] = { "state_directory", "poll_interval", "log_level", "metrics_file",
					   NULL };
#define CONN_KEYS                                                                                          \
	"kind", "base_url", "auth", "ca_bundle", "proxy", "no_proxy", "connect_timeout", "timeout",        \
		"poll_overlap", "page_size", "max_response_size", "user_attribute"
static const char *const itsm_keys[] = { CONN_KEYS, NULL };
static const char *const directory_keys[] = { CONN_KEYS, "tenant_id", NULL };
static const char *const auth_keys[] = { "method", "username", "password_file", "password_credential",
					 "client_id", "client_secret_file", "client_secret_credential",
					 "token_url", "scope", "api_key_file", "api_key_credential", NULL };
static const char *const notify_keys[] = { "kind", "webhook_url_file", "webhook_url_credential", "events",
					   "ca_bundle", "proxy", "no_proxy", NULL };
static const char *const retry_keys[] = { "max_attempts", "initial_backoff", "max_backoff", "budget", NULL };
static const char *const auth_methods[] = { "basic", "oauth2", "client_credentials", "api_key", NULL };
static const char *const notify_events[NOTIFY_EVENT_COUNT + 1] = {
	[NOTIFY_COMPLETED] = "completed", [NOTIFY_BLOCKED] = "blocked", [NOTIFY_ESCALATED] = "escalated",
	[NOTIFY_REMINDER] = "reminder",   [NOTIFY_REJECTED] = "rejected", [NOTIFY_EXPIRED] = "expired",
};

const char *notify_event_name(enum notify_event event)
{
	return (unsigned)event < NOTIFY_EVENT_COUNT ? notify_events[event] : NULL;
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

/* The kind of GROUP, which must be one of LIST (ROLE names the list in
 * messages); *RET is its connector, NULL when it names none. */
static char *get_kind(struct conf_parser *p, const config_setting_t *group, const char *role, conf_connector_list list,
		      const struct conf_connector **ret)
{
	const config_setting_t *s = config_setting_get_member(group, "kind");
	char *kind = conf_get_string(p, group, "kind", 1);
	const char *kinds[16] = { 0 }, *near;
	char names[256] = "";
	size_t n = 0, used = 0;

	*ret = NULL;
	if (!kind)
		return NULL;
	for (size_t i = 0; list(i); i++)
		if (strcmp(kind, list(i)->kind) == 0) {
			*ret = list(i);
			return kind;
		}
	for (; n + 1 < sizeof(kinds) / sizeof(kinds[0]) && list(n); n++) {
		int w = snprintf(names + used, sizeof(names) - used, "%s%s", n ? ", " : "", list(n)->kind);

		kinds[n] = list(n)->kind;
		if (w < 0 || (size_t)w >= sizeof(names) - used)
			break;
		used += (size_t)w;
	}
	near = conf_nearest(kind, kinds);
	if (near)
		conf_problem(p, s, "unknown kind \"%s\"; write kind = \"%s\";", kind, near);
	else
		conf_problem(p, s, "no %s connector of kind \"%s\" is built in (built in: %s); write kind = \"%s\";",
			     role, kind, names, kinds[0] ? kinds[0] : "?");
	return kind;
}

static void parse_secret(struct conf_parser *p, const config_setting_t *group, const char *name,
			 struct secret_ref *ref)
{
	char file_key[64], cred_key[64];

	snprintf(file_key, sizeof(file_key), "%s_file", name);
	snprintf(cred_key, sizeof(cred_key), "%s_credential", name);
	ref->file = conf_get_string(p, group, file_key, 0);
	ref->credential = conf_get_string(p, group, cred_key, 0);
	if (!ref->file && !ref->credential)
		conf_problem(p, group,
			     "no %s given; write %s = \"/etc/accessd/...\"; or %s = \"name\"; (a systemd credential)",
			     name, file_key, cred_key);
	else if (ref->file && ref->credential)
		conf_problem(p, group, "both %s and %s are set; keep one", file_key, cred_key);
}

/* Settings of the auth group that METHOD does not use are mistakes too:
 * a password next to client credentials means the method is wrong. */
static void check_auth_keys(struct conf_parser *p, const config_setting_t *auth, enum auth_method method,
			    const char *method_name)
{
	static const char *const password_keys[] = { "username", "password_file", "password_credential", NULL };
	static const char *const client_keys[] = { "client_id", "client_secret_file", "client_secret_credential",
						   "token_url", "scope", NULL };
	static const char *const key_keys[] = { "api_key_file", "api_key_credential", NULL };
	const char *const *unused[2] = {
		method == AUTH_BASIC ? client_keys : method == AUTH_OAUTH2 ? NULL : password_keys,
		method == AUTH_API_KEY ? client_keys : key_keys,
	};

	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; unused[k] && unused[k][i]; i++) {
			config_setting_t *s = config_setting_get_member(auth, unused[k][i]);

			if (s)
				conf_problem(p, s, "'%s' is not used with method \"%s\"; remove it, or change the method",
					     unused[k][i], method_name);
		}
}

static void parse_auth(struct conf_parser *p, const config_setting_t *auth, struct conn_config *c)
{
	int method = -1;

	conf_check_keys(p, auth, "auth", auth_keys);
	if (conf_get_word(p, auth, "method", auth_methods, &method) == 0)
		conf_problem(p, auth, "'method' is missing here; add method = \"basic\";, \"oauth2\";, "
				      "\"client_credentials\"; or \"api_key\";");
	if (method < 0)
		return;
	c->auth = (enum auth_method)method;
	check_auth_keys(p, auth, c->auth, auth_methods[method]);
	if (c->auth == AUTH_BASIC || c->auth == AUTH_OAUTH2) {
		c->username = conf_get_string(p, auth, "username", 1);
		parse_secret(p, auth, "password", &c->password);
	}
	if (c->auth == AUTH_OAUTH2 || c->auth == AUTH_CLIENT_CREDENTIALS) {
		c->client_id = conf_get_string(p, auth, "client_id", 1);
		parse_secret(p, auth, "client_secret", &c->client_secret);
		c->token_url = conf_get_string(p, auth, "token_url", 0);
		c->scope = conf_get_string(p, auth, "scope", 0);
	}
	if (c->auth == AUTH_API_KEY)
		parse_secret(p, auth, "api_key", &c->api_key);
}

/* The tenant's token endpoint, unless the configuration names one. */
static void apply_tenant(struct conf_parser *p, const config_setting_t *group, struct conn_config *c)
{
	const config_setting_t *s = config_setting_get_member(group, "tenant_id");

	c->tenant_id = conf_get_string(p, group, "tenant_id", 0);
	if (!c->tenant_id)
		return;
	if (!text_is_guid(c->tenant_id)) {
		conf_problem(p, s, "tenant_id \"%s\" is not a GUID; write the directory (tenant) id from the Entra "
				   "admin center, like \"72f988bf-86f1-41af-91ab-2d7cd011db47\"", c->tenant_id);
		return;
	}
	if (!c->token_url && c->auth == AUTH_CLIENT_CREDENTIALS &&
	    asprintf(&c->token_url, "https://login.microsoftonline.com/%s/oauth2/v2.0/token", c->tenant_id) < 0) {
		c->token_url = NULL;
		p->diag->oom = 1;
	}
}

static void parse_conn(struct conf_parser *p, const config_setting_t *group, const char *where,
		       const char *const *keys, conf_connector_list list, struct conn_config *c)
{
	int max_response = (int)DEFAULT_MAX_RESPONSE_BYTES;
	config_setting_t *auth;

	c->line = conf_line(group);
	c->kind = get_kind(p, group, where, list, &c->connector);
	conf_check_connector_keys(p, group, where, keys, list, c->connector, 0);
	if (c->connector && c->connector->parse && c->connector->parse(p, group, &c->settings) < 0)
		p->diag->oom = 1;
	c->connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
	c->timeout_ms = DEFAULT_TIMEOUT_MS;
	c->max_response_bytes = DEFAULT_MAX_RESPONSE_BYTES;
	c->base_url = conf_get_string(p, group, "base_url", !(c->connector && c->connector->default_base_url));
	if (!c->base_url && c->connector && c->connector->default_base_url && c->settings &&
	    c->connector->default_base_url(c->settings, &c->base_url) < 0)
		p->diag->oom = 1;
	else if (c->base_url) {
		size_t n = strlen(c->base_url);

		while (n > 0 && c->base_url[n - 1] == '/')
			c->base_url[--n] = '\0';
		if (strncmp(c->base_url, "https://", 8) != 0 && strncmp(c->base_url, "http://", 7) != 0)
			conf_problem(p, config_setting_get_member(group, "base_url"),
				     "base_url must start with https://; write base_url = \"https://instance.example.com\";");
	}
	c->poll_overlap_ms = DEFAULT_POLL_OVERLAP_MS;
	c->page_size = DEFAULT_PAGE_SIZE;
	conf_get_duration(p, group, "poll_overlap", &c->poll_overlap_ms);
	conf_get_int(p, group, "page_size", 1, 10000, &c->page_size);
	conf_get_int(p, group, "max_response_size", 1024, 1 << 30, &max_response);
	c->max_response_bytes = (size_t)max_response;
	c->user_attribute = conf_get_string(p, group, "user_attribute", 0);
	if (!c->user_attribute)
		c->user_attribute = strdup("user_name");
	if (!c->user_attribute)
		p->diag->oom = 1;
	c->ca_bundle = conf_get_string(p, group, "ca_bundle", 0);
	c->proxy = conf_get_string(p, group, "proxy", 0);
	c->no_proxy = conf_get_string(p, group, "no_proxy", 0);
	conf_get_duration(p, group, "connect_timeout", &c->connect_timeout_ms);
	conf_get_duration(p, group, "timeout", &c->timeout_ms);

	auth = config_setting_get_member(group, "auth");
	if (!auth || !config_setting_is_group(auth)) {
		conf_problem(p, auth ? auth : group,
			     "'auth' must be a group; write auth = { method = \"basic\"; username = \"...\"; password_file = \"...\"; };");
		return;
	}
	parse_auth(p, auth, c);
	if (keys == directory_keys)
		apply_tenant(p, group, c);
}

static void parse_retry(struct conf_parser *p, const config_setting_t *group, struct retry_config *r)
{
	conf_check_keys(p, group, "retry", retry_keys);
	conf_get_int(p, group, "max_attempts", 1, 100, &r->max_attempts);
	conf_get_duration(p, group, "initial_backoff", &r->initial_backoff_ms);
	conf_get_duration(p, group, "max_backoff", &r->max_backoff_ms);
	conf_get_duration(p, group, "budget", &r->budget_ms);
	if (r->initial_backoff_ms > r->max_backoff_ms)
		conf_problem(p, config_setting_get_member(group, "initial_backoff"),
			     "initial_backoff is longer than max_backoff; make it shorter than max_backoff, "
			     "e.g. initial_backoff = \"1s\";");
}

/* notify.events: the kinds of card the channel gets; absent, every kind. */
static void parse_events(struct conf_parser *p, const config_setting_t *group, struct notify_config *n)
{
	const config_setting_t *s = config_setting_get_member(group, "events");
	char **words;
	size_t count;

	n->events = (1u << NOTIFY_EVENT_COUNT) - 1;
	conf_get_strings(p, group, "events", &words, &count);
	if (!words)
		return;
	n->events = 0;
	for (size_t i = 0; i < count; i++) {
		const char *near;
		size_t e = 0;

		while (e < NOTIFY_EVENT_COUNT && strcmp(words[i], notify_events[e]) != 0)
			e++;
		if (e < NOTIFY_EVENT_COUNT) {
			n->events |= 1u << e;
			continue;
		}
		near = conf_nearest(words[i], notify_events);
		if (near)
			conf_problem(p, s, "unknown kind \"%s\" in events; write \"%s\" instead", words[i], near);
		else
			conf_problem(p, s,
				     "unknown kind \"%s\" in events; write some of \"completed\", \"blocked\", "
				     "\"escalated\", \"reminder\", \"rejected\", \"expired\"",
				     words[i]);
	}
	conf_strings_free(words);
}

static void parse_notify(struct conf_parser *p, const config_setting_t *group, conf_connector_list list,
			 struct notify_config *n)
{
	const struct conf_connector *c;

	conf_check_keys(p, group, "notify", notify_keys);
	n->line = conf_line(group);
	n->kind = get_kind(p, group, "notify", list, &c);
	parse_secret(p, group, "webhook_url", &n->webhook_url);
	parse_events(p, group, n);
	n->ca_bundle = conf_get_string(p, group, "ca_bundle", 0);
	n->proxy = conf_get_string(p, group, "proxy", 0);
	n->no_proxy = conf_get_string(p, group, "no_proxy", 0);
}

/* node_exporter's textfile collector reads only *.prom files of its
 * directory, and the file is replaced by a rename, which needs a path that
 * names one directory whatever the working directory. */
static void parse_metrics_file(struct conf_parser *p, const config_setting_t *daemon, struct config *cfg)
{
	static const char suffix[] = ".prom";
	char *v = conf_get_string(p, daemon, "metrics_file", 0);
	size_t n = v ? strlen(v) : 0, k = sizeof(suffix) - 1;

	if (!v)
		return;
	if (v[0] != '/' || n <= k + 1 || strcmp(v + n - k, suffix) != 0 || v[n - k - 1] == '/') {
		conf_problem(p, config_setting_get_member(daemon, "metrics_file"),
			     "metrics_file must be an absolute path ending in .prom; write metrics_file = "
			     "\"/var/lib/prometheus/node-exporter/accessd.prom\";");
		free(v);
		return;
	}
	cfg->metrics_file = v;
}

static void parse_daemon(struct conf_parser *p, const config_setting_t *daemon, struct config *cfg)
{
	static const char *const levels[] = { "error", "warning", "notice", "info", "debug", NULL };
	static const enum log_level level_of[] = { LOG_LEVEL_ERR, LOG_LEVEL_WARNING, LOG_LEVEL_NOTICE,
						   LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };
	int level = -1;

	conf_check_keys(p, daemon, "daemon", daemon_keys);
	cfg->state_directory = conf_get_string(p, daemon, "state_directory", 0);
	if (conf_get_duration(p, daemon, "poll_interval", &cfg->poll_interval_ms) > 0 && cfg->poll_interval_ms < 1000)
		conf_problem(p, config_setting_get_member(daemon, "poll_interval"),
			     "poll_interval must be at least 1s; write poll_interval = \"60s\";");
	if (conf_get_word(p, daemon, "log_level", levels, &level) > 0)
		cfg->log_level = level_of[level];
	parse_metrics_file(p, daemon, cfg);
}

/* Each top-level group: parsed when it is a group, reported otherwise. */
static const config_setting_t *group_of(struct conf_parser *p, const config_setting_t *root, const char *name,
					int required, const char *example)
{
	const config_setting_t *s = config_setting_get_member(root, name);

	if (s && config_setting_is_group(s))
		return s;
	if (s || required)
		conf_problem(p, s, "'%s' must be a group; write %s", name, example);
	return NULL;
}

int conf_load(const char *path, const struct conf_connectors *connectors, struct config **ret, struct diag *diag)
{
	struct conf_parser p = { .file = path, .diag = diag, .connectors = connectors };
	size_t before = diag->n;
	const config_setting_t *root, *s;
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

	conf_check_keys(&p, root, "the top level", root_keys);
	s = group_of(&p, root, "daemon", 0, "daemon = { poll_interval = \"60s\"; };");
	if (s)
		parse_daemon(&p, s, cfg);
	s = config_setting_get_member(root, "itsm");
	if (s && config_setting_is_group(s))
		parse_conn(&p, s, "itsm", itsm_keys, connectors->itsm, &cfg->itsm);
	else
		conf_problem(&p, s, "'itsm' must be a group naming the ITSM connection; write itsm = { kind = \"servicenow\"; ... };");
	s = group_of(&p, root, "directory", 0, "directory = { kind = \"entra\"; ... };");
	if (s)
		parse_conn(&p, s, "directory", directory_keys, connectors->directory, &cfg->directory);
	s = group_of(&p, root, "notify", 0, "notify = { kind = \"teams\"; webhook_url_file = \"...\"; };");
	if (s)
		parse_notify(&p, s, connectors->notify, &cfg->notify);
	s = group_of(&p, root, "retry", 0, "retry = { max_attempts = 5; ... };");
	if (s)
		parse_retry(&p, s, &cfg->retry);
	s = group_of(&p, root, "policy", 1, "policy = { items = ( ... ); };");
	if (s)
		conf_policy_parse(&p, s, cfg);

	if (!cfg->state_directory) {
		cfg->state_directory = strdup(DEFAULT_STATE_DIRECTORY);
		if (!cfg->state_directory)
			diag->oom = 1;
	}
	if (diag->n > before || diag->oom) {
		r = diag->oom ? -ENOMEM : -EINVAL;
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
	if (c->connector && c->connector->free)
		c->connector->free(c->settings);
	free(c->kind);
	free(c->base_url);
	free(c->username);
	free(c->password.file);
	free(c->password.credential);
	free(c->client_id);
	free(c->client_secret.file);
	free(c->client_secret.credential);
	free(c->token_url);
	free(c->api_key.file);
	free(c->api_key.credential);
	free(c->scope);
	free(c->tenant_id);
	free(c->ca_bundle);
	free(c->proxy);
	free(c->no_proxy);
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
	free(cfg->notify.ca_bundle);
	free(cfg->notify.proxy);
	free(cfg->notify.no_proxy);
	free(cfg->metrics_file);
	conf_policy_free(cfg);
	free(cfg->state_directory);
	free(cfg->path);
	free(cfg);
	return NULL;
}

void conf_format_duration(int64_t ms, char *buf, size_t size)
{
	static const struct {
		char unit;
		int64_t ms;
	} units[] = { { 'd', 86400 * 1000 }, { 'h', 3600 * 1000 }, { 'm', 60 * 1000 }, { 's', 1000 } };

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		/* "24h" reads better than "1d". */
		if (ms % units[i].ms == 0 && !(units[i].unit == 'd' && ms == units[i].ms)) {
			snprintf(buf, size, "%lld%c", (long long)(ms / units[i].ms), units[i].unit);
			return;
		}
	}
	snprintf(buf, size, "%lldms", (long long)ms);
}

size_t conf_item_chain(const struct config *cfg, const struct item_config *item, enum target_class class,
		       const struct stage_config **first, size_t *n_first, const struct stage_config **second,
		       size_t *n_second)
{
	*first = item->stages;
	*n_first = item->n_stages;
	*second = NULL;
	*n_second = 0;
	if (class == TARGET_PRIVILEGED) {
		int own = item->n_privileged_stages > 0;

		*second = own ? item->privileged_stages : cfg->policy.privileged_stages;
		*n_second = own ? item->n_privileged_stages : cfg->policy.n_privileged_stages;
	}
	return *n_first + *n_second;
}

const struct requester_rule *conf_item_requesters(const struct config *cfg, const struct item_config *item,
						  size_t *n)
{
	*n = item->n_requesters ? item->n_requesters : cfg->policy.n_requesters;
	return item->n_requesters ? item->requesters : cfg->policy.requesters;
}

int conf_item_sponsor_required(const struct config *cfg, const struct item_config *item)
{
	return item->sponsor_required >= 0 ? item->sponsor_required : cfg->policy.contractor.sponsor_required;
}

const struct target_config *conf_find_target(const struct policy_config *pol, const char *name)
{
	for (size_t i = 0; name && i < pol->n_targets; i++)
		if (pol->targets[i].name && strcmp(pol->targets[i].name, name) == 0)
			return &pol->targets[i];
	return NULL;
}

const struct item_config *conf_find_item(const struct config *cfg, const char *item_id, const char *item_name)
{
	for (size_t i = 0; i < cfg->n_items; i++) {
		const struct item_config *it = &cfg->items[i];

		if (it->sys_id ? item_id && strcasecmp(it->sys_id, item_id) == 0
			       : item_name && it->name && strcmp(it->name, item_name) == 0)
			return it;
	}
	return NULL;
}

void conf_target_list(const struct target_config *const *v, size_t n, const struct target_config *skip, int quote,
		      char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < size; i++) {
		int w;

		if (v[i] == skip)
			continue;
		w = snprintf(buf + used, size - used, "%s%s%s%s", used ? ", " : "", quote ? "\"" : "", v[i]->name,
			     quote ? "\"" : "");
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

int conf_read_secret(const struct secret_ref *ref, char **ret)
{
	if (ref->file)
		return secret_read_file(ref->file, ret);
	if (ref->credential)
		return secret_read_credential(ref->credential, ret);
	return -ENOENT;
}
