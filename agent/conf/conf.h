/* SPDX-License-Identifier: Apache-2.0 */
/* The configuration: daemon settings, connections to external systems, and
 * the policy. Parsed from a libconfig file into typed, validated structures;
 * every problem is reported with its file and line. */
#ifndef ACCESSD_CONF_H
#define ACCESSD_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"
#include "util/log.h"

/* The most steps one grant has: its target and the targets of its "also". */
#define CONF_MAX_GRANT_STEPS 16

enum auth_method {
	AUTH_BASIC,              /* username + password on every request */
	AUTH_OAUTH2,             /* OAuth2 password grant (ServiceNow /oauth_token.do) */
	AUTH_CLIENT_CREDENTIALS, /* OAuth2 client credentials (Entra) */
	AUTH_API_KEY,            /* a key or token the connector sends as its API wants */
};

/* Where a secret comes from: exactly one of the two is set. */
struct secret_ref {
	char *file;       /* a path readable only by its owner */
	char *credential; /* a systemd credential name, in $CREDENTIALS_DIRECTORY */
};

struct conf_parser;
struct config_setting_t;

/* A connector as the configuration sees it: its kind, and the settings of
 * its own beside those every connection has (struct conn_config). */
struct conf_connector {
	const char *kind;
	const char *const *keys; /* its own settings, NULL-terminated; NULL: none */
	/* Read those settings of GROUP into *RET (NULL: nothing to keep),
	 * reporting each mistake through P (conf_parse.h) with its line, as
	 * every other setting is. Returns 0, or -ENOMEM. NULL: no settings. */
	int (*parse)(struct conf_parser *p, const struct config_setting_t *group, void **ret);
	void (*free)(void *settings);
	/* The base URL the connector's own settings give (*RET, caller frees)
	 * when the group names none, as a region does; 0 or -ENOMEM. NULL:
	 * base_url is required. */
	int (*default_base_url)(const void *settings, char **ret);
	/* The same for each item of the policy (ITSM connectors only): the
	 * settings it adds to an item (where a catalog item's variables are
	 * read, for instance), parsed into item_config.settings. */
	const char *const *item_keys;
	int (*parse_item)(struct conf_parser *p, const struct config_setting_t *item, void **ret);
	void (*free_item)(void *settings);
};

/* The connectors built in, one list per role: entry I of the list, NULL
 * past the last. The shell hands them to conf_load (the configuration sits
 * below the connectors and cannot name them), so the registry of each role
 * is the one list of the kinds a configuration may name. */
typedef const struct conf_connector *(*conf_connector_list)(size_t i);
struct conf_connectors {
	conf_connector_list itsm;
	conf_connector_list directory;
	conf_connector_list notify;
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
	struct secret_ref api_key;   /* api_key */
	char *scope;                 /* client_credentials; NULL: the connector's default */
	char *tenant_id;             /* directory: the Entra tenant (GUID); NULL: not given */
	char *ca_bundle; /* NULL: the system's CA store */
	char *proxy;     /* NULL: the standard proxy variables */
	char *no_proxy;  /* hosts reached without the proxy; NULL: the no_proxy variable */
	int64_t connect_timeout_ms;
	int64_t timeout_ms;
	size_t max_response_bytes;
	/* ITSM only: how the ITSM's users map to the directory ("user_name" or
	 * "email" to the UPN), the overlap subtracted from a watermark for clock
	 * skew, and the page size of listings. */
	char *user_attribute;
	int64_t poll_overlap_ms;
	int page_size;
	const struct conf_connector *connector; /* the connector kind names */
	void *settings; /* what its parse read (its own type), or NULL */
	int line; /* where the group starts, for messages */
};

/* What the service-desk channel is told about; notify.events names them. */
enum notify_event {
	NOTIFY_COMPLETED, /* the access was granted and the request completed */
	NOTIFY_BLOCKED,   /* implementation is blocked; an incident was opened */
	NOTIFY_ESCALATED, /* an approval stage went to its backup approver */
	NOTIFY_REMINDER,  /* an approval stage is still waiting past remind_after */
	NOTIFY_REJECTED,  /* an approver rejected the request */
	NOTIFY_EXPIRED,   /* an approval stage expired unanswered: the request is closed */
	NOTIFY_EVENT_COUNT
};

/* The notification channel (Teams workflow webhook). The webhook URL embeds
 * a signature, so it is a secret: read from a file or a credential. */
struct notify_config {
	char *kind; /* "teams"; NULL when not configured */
	struct secret_ref webhook_url;
	unsigned events; /* bit (1u << event) set: that kind is sent (default: all) */
	char *ca_bundle; /* as in struct conn_config */
	char *proxy;
	char *no_proxy;
	int line;
};

/* How transient failures are retried (HTTP layer, then workflow). */
struct retry_config {
	int max_attempts;          /* attempts of one HTTP request, >= 1 */
	int64_t initial_backoff_ms; /* first backoff; doubles each attempt */
	int64_t max_backoff_ms;     /* cap of one backoff */
	int64_t budget_ms;          /* cap of all the waiting for one request */
};

/* What the policy may grant. Graph cannot change mail-enabled groups, so a
 * shared mailbox is granted through the plain security group that holds the
 * mailbox permission. */
enum target_kind {
	TARGET_GROUP,    /* membership of an Entra security group */
	TARGET_APP_ROLE, /* an app role of an enterprise application */
	TARGET_MAILBOX,  /* membership of the mailbox's access group */
};

enum target_class {
	TARGET_STANDARD,
	TARGET_PRIVILEGED, /* adds the privileged stages (security) to the chain */
};

struct target_config {
	char *name;        /* how requests and notes name it, e.g. "VPN-Users"; unique */
	enum target_kind kind;
	char *group_id;    /* group, mailbox: the group's object id (GUID) */
	char *resource_id; /* app_role: the resource service principal's object id */
	char *app_role_id; /* app_role: the app role's id */
	char *mailbox;     /* mailbox: the mailbox's address, for notes; may be NULL */
	enum target_class class;
	char *owner;        /* object id of the owner; NULL: none */
	char *backup_owner; /* object id of the owner's stand-in; NULL: none */
	/* Granted with it, in order, as further steps of the same grant (a
	 * partial failure is rolled back or compensated as the policy says);
	 * point into policy.targets. */
	const struct target_config **also;
	size_t n_also;
	int line;
};

/* Who approves: written "manager", "target_owner", "backup_owner",
 * "user:<object id>" or "group:<object id>". */
enum approver_kind {
	APPROVER_MANAGER,      /* the manager of the person the access is for */
	APPROVER_TARGET_OWNER, /* the target's owner */
	APPROVER_BACKUP_OWNER, /* the target's backup owner */
	APPROVER_USER,         /* a named directory user */
	APPROVER_GROUP,        /* every member of a directory group */
};

struct approver_ref {
	enum approver_kind kind;
	char *id; /* user, group: the object id; NULL otherwise */
};

enum quorum {
	QUORUM_ANY, /* one approval decides the stage */
	QUORUM_ALL, /* every approver asked must approve */
};

/* Rules as data: a closed vocabulary of conditions over facts accessd
 * gathers when it validates a request, evaluated by the pure policy
 * (core/rules.h). A fact that is missing never matches. */
enum rule_kind {
	RULE_ALL,           /* every child holds */
	RULE_ANY,           /* at least one child holds */
	RULE_DEPARTMENT,    /* the person's department is one of values */
	RULE_COMPANY,       /* their companyName is one of values */
	RULE_EMPLOYEE_TYPE, /* their employeeType is one of values */
	RULE_USER_TYPE,     /* their userType is one of values ("Member", "Guest") */
	RULE_MEMBER_OF,     /* a direct member of one of the groups values (object ids) */
	RULE_REQUESTER,     /* the requester is one of requester (RULE_BY_*) */
	RULE_TARGET,        /* the target is one of targets */
	RULE_TARGET_CLASS,  /* the target is of target_class */
	RULE_DURATION,      /* the access ends, at most duration_ms after it begins */
	RULE_TIME,          /* now, in zone, is on one of days, between from and to */
	RULE_HOLDS,         /* the person already holds one of targets */
};

/* RULE_REQUESTER's values, a bit mask. */
#define RULE_BY_SUBJECT 1u /* the person asked for themselves */
#define RULE_BY_MANAGER 2u /* their manager asked for them */

/* The deepest nesting of all / any a rule may have. */
#define RULE_MAX_DEPTH 4

struct rule_cond {
	enum rule_kind kind;
	char **values; /* NULL-terminated: the strings, or group object ids */
	size_t n_values;
	const struct target_config **targets; /* point into policy.targets */
	size_t n_targets;
	unsigned requester;
	enum target_class target_class;
	int64_t duration_ms;
	char *zone;   /* IANA or Windows name */
	unsigned days; /* bit 0 Monday .. bit 6 Sunday */
	int from_min, to_min; /* minutes of the day: [from, to), wrapping midnight when to < from */
	struct rule_cond *children; /* RULE_ALL, RULE_ANY */
	size_t n_children;
	int line;
};

/* A named rule: it matches when its conditions (a RULE_ALL) hold. */
struct rule_config {
	char *name;
	struct rule_cond when;
	int line;
};

/* One approval stage; stages run in order and each must be approved. */
struct stage_config {
	char *name; /* unique within its chain, e.g. "manager", "security" */
	struct approver_ref *approvers;
	size_t n_approvers; /* >= 1 */
	struct approver_ref *backups; /* stand-ins, in order of preference */
	size_t n_backups;
	enum quorum quorum;
	int64_t remind_after_ms;   /* 0: never; all three count from the stage's start */
	int64_t escalate_after_ms; /* 0: never; the backups are added then */
	int64_t expire_after_ms;   /* 0: never; the request is closed then */
	/* Rules that approve the stage instead of a person: the first that
	 * matches decides. On a privileged stage only with
	 * auto_approve_privileged. */
	struct rule_config *auto_approve;
	size_t n_auto_approve;
	int privileged;              /* one of the privileged stages */
	int auto_approve_privileged; /* its rules may approve it */
	int line;
};

/* Who may ask for access for a person, written "subject" (the person
 * themselves), "manager" (their manager in the directory) or
 * "group:<object id>" (any member of that group, e.g. the service desk). */
enum requester_kind {
	REQUESTER_SUBJECT,
	REQUESTER_MANAGER,
	REQUESTER_GROUP,
};

struct requester_rule {
	enum requester_kind kind;
	char *group_id; /* group: the object id; NULL otherwise */
};

/* The catalog variables that carry each part of a request (their names in
 * the ITSM); NULL when the item does not use one. */
struct item_variables {
	char *target;        /* the target's name or object id */
	char *justification; /* set: a justification is required */
	char *start_date;    /* "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS", UTC */
	char *end_date;      /* the same */
	char *duration;      /* "30d", "12h", or a whole number of days */
	char *sponsor;       /* the sponsor of a contractor */
};

/* A catalog item the policy governs. An item with nothing on its allow list
 * is polled but can grant nothing. */
struct item_config {
	char *name;   /* catalog item name, as the ITSM shows it */
	char *sys_id; /* catalog item id ("id", or "sys_id" as before); NULL: match by name */
	void *settings; /* what the ITSM connector's parse_item read, or NULL */
	int line;
	const struct target_config **allow; /* the allow list; point into policy.targets */
	size_t n_allow;
	const struct target_config *target;            /* fixed or default target; NULL: from vars.target */
	const struct target_config *contractor_target; /* replaces it for contractors; NULL: none */
	struct item_variables vars;
	int time_bound;          /* the request must give an end date or a duration */
	int64_t max_duration_ms; /* 0: no limit for this item */
	struct stage_config *stages; /* for every request of the item */
	size_t n_stages;
	/* Added for a privileged target; when the item has none, the policy's. */
	struct stage_config *privileged_stages;
	size_t n_privileged_stages;
	/* Who may request it; NULL: the policy's requesters. */
	struct requester_rule *requesters;
	size_t n_requesters;
	int sponsor_required; /* -1: as policy.contractors.sponsor_required */
	/* The requester's identity must be verified: VARIABLE names the
	 * service-desk agent who verified it, a member of GROUP (object id)
	 * and never the requester. NULL: no verification. */
	char *verification_variable;
	char *verification_group;
	/* Rules that reject a valid request before anyone is asked. */
	struct rule_config *auto_reject;
	size_t n_auto_reject;
};

/* One way to recognise a contractor: a directory attribute with one of the
 * listed values (compared ignoring case). "employeeType" and "userType" are
 * the person's own fields; other names are looked up in person.attrs. */
struct person_match {
	char *attribute;
	char **values; /* NULL-terminated */
	size_t n_values;
	int line;
};

/* Rules for contractors, decided from the directory, never from the ticket. */
struct contractor_config {
	struct person_match *match; /* any match makes the person a contractor */
	size_t n_match;
	int64_t max_duration_ms;    /* 0: no limit */
	int end_date_required;
	int sponsor_required;       /* the default of every item */
	/* An item without a sponsor variable takes the person's manager in
	 * the directory as the sponsor. */
	int manager_as_sponsor;
};

/* Where incidents for the IAM team go. NULL members: the ITSM's defaults. */
struct incident_config {
	char *assignment_group;
	char *category;
	char *subcategory;
	int impact;  /* 1 (high) .. 3 (low); 0: the ITSM's default */
	int urgency; /* 1 (high) .. 3 (low); 0: the ITSM's default */
};

enum approvals_mode {
	APPROVALS_CREATE,  /* accessd creates the approval records in the ITSM */
	APPROVALS_OBSERVE, /* the ITSM's own flow creates them; accessd checks them */
};

enum partial_failure {
	PARTIAL_ROLLBACK,   /* remove the steps that succeeded */
	PARTIAL_COMPENSATE, /* leave them and open a task for the IAM team */
};

struct policy_config {
	enum approvals_mode approvals;
	enum partial_failure partial_failure;
	struct incident_config incident;
	struct contractor_config contractor;
	struct target_config *targets;
	size_t n_targets;
	struct stage_config *privileged_stages; /* the default security stages */
	size_t n_privileged_stages;
	/* Who may request, unless an item says otherwise; never empty: the
	 * person and their manager when the file says nothing. */
	struct requester_rule *requesters;
	size_t n_requesters;
	int line;
};

struct config {
	char *path;
	char *state_directory;
	int64_t poll_interval_ms;
	enum log_level log_level;
	char *metrics_file; /* Prometheus text written after each cycle; NULL: none */
	struct conn_config itsm;
	struct conn_config directory; /* directory.kind is NULL when not configured */
	struct notify_config notify;
	struct retry_config retry;
	struct item_config *items;
	size_t n_items;
	struct policy_config policy;
};

/* Parse and validate PATH, whose connections may name the kinds of
 * CONNECTORS (and have the settings those connectors read). On success
 * returns 0 and a config the caller owns (free with conf_free). On failure
 * returns -EINVAL (problems in the file, each appended to DIAG), or another
 * negative errno when the file cannot be read (also described in DIAG);
 * *ret is left untouched. */
int conf_load(const char *path, const struct conf_connectors *connectors, struct config **ret, struct diag *diag);

/* Free a configuration; NULL is fine. Returns NULL. */
struct config *conf_free(struct config *cfg);

/* Parse a duration such as "90s", "15m", "24h" or "7d" into milliseconds.
 * Returns 0, or -EINVAL for anything else (no unit, negative, overflow). */
int conf_parse_duration(const char *s, int64_t *ret_ms);

/* Format MS as the largest whole unit ("24h", "90s", "7d") into BUF. */
void conf_format_duration(int64_t ms, char *buf, size_t size);

/* The stages a request for ITEM goes through when its target is of CLASS:
 * the item's stages, then (privileged) the item's privileged stages or the
 * policy's. Fills two spans (pointers into CFG); returns the total count. */
size_t conf_item_chain(const struct config *cfg, const struct item_config *item, enum target_class class,
		       const struct stage_config **first, size_t *n_first, const struct stage_config **second,
		       size_t *n_second);

/* Who may request ITEM (its own rules, or the policy's), N of them. */
const struct requester_rule *conf_item_requesters(const struct config *cfg, const struct item_config *item,
						  size_t *n);

/* Whether a contractor needs a sponsor for ITEM. */
int conf_item_sponsor_required(const struct config *cfg, const struct item_config *item);

/* The configured item a request belongs to: by catalog item id when the
 * item names one, else by name. NULL when the policy does not govern it. */
const struct item_config *conf_find_item(const struct config *cfg, const char *item_id, const char *item_name);

/* The target named NAME (exactly), or NULL. */
const struct target_config *conf_find_target(const struct policy_config *pol, const char *name);

/* Call EACH for every condition of KIND in the N rules V, nested ones too. */
void conf_rules_each(const struct rule_config *v, size_t n, enum rule_kind kind,
		     void (*each)(const struct rule_cond *c, void *ud), void *ud);

/* Whether any rule of CFG has a condition of KIND. */
int conf_rules_use(const struct config *cfg, enum rule_kind kind);

/* The names of the N targets V, SKIP left out, joined by ", " into BUF
 * (each in double quotes when QUOTE), for messages. */
void conf_target_list(const struct target_config *const *v, size_t n, const struct target_config *skip, int quote,
		      char *buf, size_t size);

/* The word for EVENT as notify.events, the logs and the audit write it
 * ("completed", "blocked", ...), or NULL. */
const char *notify_event_name(enum notify_event event);

/* Read the secret a reference names. Ownership as secret_read_file. */
int conf_read_secret(const struct secret_ref *ref, char **ret);

#endif
