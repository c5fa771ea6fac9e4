/* SPDX-License-Identifier: Apache-2.0 */
/* The Entra connector against the emulator's Graph: every call, the
 * idempotent cases, $batch, throttling, tokens, errors, eventual
 * consistency and hostile input. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "connectors/directory.h"
#include "connectors/entra/odata.h"
#include "emu.h"
#include "net/oauth.h"
#include "util/text.h"

#define U_ADA "11111111-1111-4111-8111-111111111111"
#define U_BOB "22222222-2222-4222-8222-222222222222"
#define U_CAROL "33333333-3333-4333-8333-333333333333"
#define U_DAN "44444444-4444-4444-8444-444444444444"
#define U_EVE "55555555-5555-4555-8555-555555555555"
#define U_FAY "66666666-6666-4666-8666-666666666666"
#define U_GUS "77777777-7777-4777-8777-777777777777"
#define U_HAL "88888888-8888-4888-8888-888888888888"
#define U_IVY "89898989-8989-4898-8989-898989898989"
#define U_NOBODY "12121212-1212-4121-8121-121212121212"
#define G_VPN "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
#define G_MAIL "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
#define G_ONPREM "cccccccc-cccc-4ccc-8ccc-cccccccccccc"
#define G_ROLE "dddddddd-dddd-4ddd-8ddd-dddddddddddd"
#define G_GONE "eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee"
#define SP "ffffffff-ffff-4fff-8fff-ffffffffffff"
#define SP_BIG "f0f0f0f0-f0f0-4f0f-8f0f-f0f0f0f0f0f0"
#define ROLE "99999999-9999-4999-8999-999999999999"
#define ROLE_2 "98989898-9898-4989-8989-989898989898"

/* 2026-11-25T09:00:00Z */
#define NOW_MS INT64_C(1795597200000)
#define DAY_MS INT64_C(86400000)

static const char seed[] =
	"{\"graph\": {"
	"\"clients\": {\"accessd-app\": \"s3cret-value\"},"
	"\"users\": ["
	"{\"id\": \"" U_ADA "\", \"userPrincipalName\": \"ada@contoso.com\", \"mail\": \"ada.lovelace@contoso.com\","
	" \"accountEnabled\": true, \"userType\": \"Member\", \"employeeType\": \"Contractor\","
	" \"displayName\": \"Ada Lovelace\", \"department\": \"Engineering\", \"manager\": \"" U_BOB "\", \"mailbox\": {\"status\": \"disabled\"}},"
	"{\"id\": \"" U_BOB "\", \"userPrincipalName\": \"bob@contoso.com\", \"mail\": \"bob@contoso.com\","
	" \"accountEnabled\": true, \"userType\": \"Member\", \"employeeType\": \"Employee\","
	" \"mailbox\": {\"status\": \"scheduled\","
	"  \"scheduledStartDateTime\": {\"dateTime\": \"2026-11-24T00:00:00.0000000\", \"timeZone\": \"UTC\"},"
	"  \"scheduledEndDateTime\": {\"dateTime\": \"2026-11-27T00:00:00.0000000\", \"timeZone\": \"UTC\"}}},"
	"{\"id\": \"" U_CAROL "\", \"userPrincipalName\": \"carol@contoso.com\", \"mail\": \"shared@contoso.com\","
	" \"accountEnabled\": false, \"userType\": \"Guest\"},"
	"{\"id\": \"" U_DAN "\", \"userPrincipalName\": \"$dan@contoso.com\", \"mail\": \"shared@contoso.com\","
	" \"accountEnabled\": true, \"mailbox\": {\"status\": \"alwaysEnabled\"}},"
	"{\"id\": \"" U_EVE "\", \"userPrincipalName\": \"eve#ext@contoso.com\", \"mail\": \"o'neil@contoso.com\","
	" \"accountEnabled\": true},"
	"{\"id\": \"" U_FAY "\", \"userPrincipalName\": \"o'brien@contoso.com\", \"accountEnabled\": true},"
	"{\"id\": \"" U_GUS "\", \"userPrincipalName\": \"gus@contoso.com\", \"accountEnabled\": true},"
	/* Out of office 09:30-11:00 Berlin time, 08:30-10:00 UTC, as Exchange
	 * gives it: in the mailbox's Windows time zone. */
	"{\"id\": \"" U_HAL "\", \"userPrincipalName\": \"hal@contoso.com\", \"accountEnabled\": true,"
	" \"mailbox\": {\"status\": \"scheduled\","
	"  \"scheduledStartDateTime\": {\"dateTime\": \"2026-11-25T09:30:00.0000000\", \"timeZone\": \"W. Europe Standard Time\"},"
	"  \"scheduledEndDateTime\": {\"dateTime\": \"2026-11-25T11:00:00.0000000\", \"timeZone\": \"W. Europe Standard Time\"}}},"
	"{\"id\": \"" U_IVY "\", \"userPrincipalName\": \"ivy@contoso.com\", \"accountEnabled\": true,"
	" \"mailbox\": {\"status\": \"scheduled\","
	"  \"scheduledStartDateTime\": {\"dateTime\": \"2026-11-24T00:00:00\", \"timeZone\": \"Customized Time Zone\"},"
	"  \"scheduledEndDateTime\": {\"dateTime\": \"2026-11-27T00:00:00\", \"timeZone\": \"Customized Time Zone\"}}}"
	"],"
	"\"groups\": ["
	"{\"id\": \"" G_VPN "\", \"displayName\": \"VPN Contractors\", \"securityEnabled\": true,"
	" \"mailEnabled\": false, \"owners\": [\"" U_BOB "\", \"" U_CAROL "\", \"" U_GUS "\"], \"members\": [\"" U_BOB "\"]},"
	"{\"id\": \"" G_MAIL "\", \"displayName\": \"Sales DL\", \"mailEnabled\": true, \"securityEnabled\": true,"
	" \"members\": [\"" U_BOB "\"]},"
	"{\"id\": \"" G_ONPREM "\", \"displayName\": \"Synced\", \"securityEnabled\": true,"
	" \"onPremisesSyncEnabled\": true},"
	"{\"id\": \"" G_ROLE "\", \"displayName\": \"Helpdesk admins\", \"securityEnabled\": true,"
	" \"isAssignableToRole\": true}"
	"],"
	"\"servicePrincipals\": [{\"id\": \"" SP "\", \"appId\": \"0a0a0a0a-0a0a-40a0-80a0-0a0a0a0a0a0a\","
	" \"displayName\": \"Payroll\", \"appRoles\": [{\"id\": \"" ROLE "\", \"value\": \"Payroll.User\"}]}]"
	"}}";

static const char *const extra_attributes[] = { "department", "companyName" };

struct fixture {
	struct emu emu;
	char dir[64];
	char secret_path[128];
	char base_url[128];
	char token_url[160];
	int64_t now;
	struct clock clock;
	struct conn_config conf;
	struct directory_params params;
	struct directory *d;
	struct directory_result res;
};

static int64_t fake_now(void *ctx)
{
	return *(int64_t *)ctx;
}

static int write_secret(struct fixture *f, const char *value)
{
	int fd = open(f->secret_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, value, strlen(value)) == (ssize_t)strlen(value);
	close(fd);
	return ok ? 0 : -1;
}

static int group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/accessd-entra-XXXXXX");
	if (!mkdtemp(f->dir) || emu_start(&f->emu) < 0) {
		free(f);
		return -1;
	}
	snprintf(f->secret_path, sizeof(f->secret_path), "%s/client-secret", f->dir);
	snprintf(f->base_url, sizeof(f->base_url), "%s/v1.0", f->emu.url);
	snprintf(f->token_url, sizeof(f->token_url), "%s/contoso.onmicrosoft.com/oauth2/v2.0/token", f->emu.url);
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;

	emu_stop(&f->emu);
	unlink(f->secret_path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int setup(void **state)
{
	struct fixture *f = *state;

	if (emu_post(&f->emu, "/_emu/reset", "{}") < 0 || emu_post(&f->emu, "/_emu/seed", seed) < 0 ||
	    write_secret(f, "s3cret-value\n") < 0)
		return -1;
	f->now = NOW_MS;
	f->clock = (struct clock){ .now_ms = fake_now, .ctx = &f->now };
	f->conf = (struct conn_config){
		.kind = "entra",
		.base_url = f->base_url,
		.auth = AUTH_CLIENT_CREDENTIALS,
		.client_id = "accessd-app",
		.client_secret = { .file = f->secret_path },
		.token_url = f->token_url,
		.connect_timeout_ms = 5000,
		.timeout_ms = 20000,
		.max_response_bytes = 1 << 20,
	};
	f->params = (struct directory_params){
		.clock = &f->clock,
		.attributes = extra_attributes,
		.n_attributes = 2,
	};
	memset(&f->res, 0, sizeof(f->res));
	return directory_open(&f->conf, &f->params, &f->d) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	f->d = directory_close(f->d);
	directory_result_clear(&f->res);
	emu_call(&f->emu, "DELETE", "/_emu/faults", NULL, NULL);
	return 0;
}

static int graph_requests(struct fixture *f)
{
	return emu_count(&f->emu, NULL, "/v1.0/");
}

static int token_requests(struct fixture *f)
{
	return emu_count(&f->emu, "POST", "/oauth2/v2.0/token");
}

static void clear_log(struct fixture *f)
{
	assert_int_equal(emu_call(&f->emu, "DELETE", "/_emu/requests", NULL, NULL), 200);
}

static void configure(struct fixture *f, const char *json)
{
	assert_int_equal(emu_post(&f->emu, "/_emu/config/graph", json), 0);
}

/* How many objects of LIST in the emulator's store have KEY_1 = VALUE_1
 * and KEY_2 = VALUE_2. */
static int stored(struct fixture *f, const char *list, const char *key_1, const char *value_1, const char *key_2,
		  const char *value_2)
{
	cJSON *state = NULL, *m;
	char *body = NULL;
	int n = 0;

	assert_int_equal(emu_call(&f->emu, "GET", "/_emu/state/graph", NULL, &body), 200);
	state = cJSON_Parse(body);
	free(body);
	assert_non_null(state);
	cJSON_ArrayForEach(m, cJSON_GetObjectItem(state, list)) {
		const char *v1 = cJSON_GetStringValue(cJSON_GetObjectItem(m, key_1));
		const char *v2 = cJSON_GetStringValue(cJSON_GetObjectItem(m, key_2));

		n += v1 && v2 && strcasecmp(v1, value_1) == 0 && strcasecmp(v2, value_2) == 0;
	}
	cJSON_Delete(state);
	return n;
}

static int stored_memberships(struct fixture *f, const char *group, const char *user)
{
	return stored(f, "memberships", "group", group, "member", user);
}

/* Assignments of ROLE to PRINCIPAL, on any resource. */
static int stored_assignments(struct fixture *f, const char *principal, const char *role)
{
	return stored(f, "appRoleAssignments", "principalId", principal, "appRoleId", role);
}

/* The query string of the last logged request, as the emulator decoded it. */
static char *last_query_value(struct fixture *f, const char *name)
{
	cJSON *log = emu_requests(&f->emu);
	const char *v;
	char *out;

	assert_non_null(log);
	v = cJSON_GetStringValue(
		cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(log, cJSON_GetArraySize(log) - 1), "query"),
				    name));
	out = v ? strdup(v) : NULL;
	cJSON_Delete(log);
	return out;
}

static void add_member(struct fixture *f, const char *group, const char *user)
{
	struct directory_change c = { .kind = DIRECTORY_ADD_MEMBER, .target_id = group, .principal_id = user };

	directory_apply(f->d, &c, &f->res);
}

/* F->res is Graph's 429 with RETRY_AFTER_MS from its Retry-After. */
static void assert_throttled(const struct fixture *f, int64_t retry_after_ms)
{
	assert_int_equal(f->res.error, -EAGAIN);
	assert_int_equal(f->res.outcome, DIRECTORY_TRANSIENT);
	assert_int_equal(f->res.status, 429);
	assert_int_equal(f->res.retry_after_ms, retry_after_ms);
	assert_string_equal(f->res.error_code, "TooManyRequests");
	assert_non_null(f->res.request_id);
}

/* -- token ------------------------------------------------------------- */

static void test_token_cached_and_renewed_before_expiry(void **state)
{
	struct fixture *f = *state;
	struct person p;

	assert_int_equal(directory_get_user(f->d, DIRECTORY_BY_ID, U_ADA, &p, &f->res), 0);
	person_clear(&p);
	assert_int_equal(directory_get_user(f->d, DIRECTORY_BY_ID, U_BOB, &p, &f->res), 0);
	person_clear(&p);
	assert_int_equal(token_requests(f), 1);
	/* 3599 s tokens are renewed a margin before they expire, by the injected clock. */
	f->now += 3599 * 1000 - OAUTH_EXPIRY_MARGIN_MS + 1;
	assert_int_equal(directory_get_user(f->d, DIRECTORY_BY_ID, U_ADA, &p, &f->res), 0);
	person_clear(&p);
	assert_int_equal(token_requests(f), 2);
	assert_int_equal(graph_requests(f), 3);
}

static void test_expired_token_is_renewed_once(void **state)
{
	struct fixture *f = *state;
	struct person p;

	assert_int_equal(directory_get_user(f->d, DIRECTORY_BY_ID, U_ADA, &p, &f->res), 0);
	person_clear(&p);
	/* The server drops the token before our clock says so: one 401, one
	 * new token, the same call again, and success. */
	configure(f, "{\"revoke_tokens\": true}");
	clear_log(f);
	assert_int_equal(directory_get_user(f->d, DIRECTORY_BY_ID, U_ADA, &p, &f->res), 0);
	assert_true(p.exists);
	person_clear(&p);
	assert_int_equal(token_requests(f), 1);
	assert_int_equal(graph_requests(f), 2);
	assert_int_equal(emu_count(&f->emu, NULL, NULL), 3);
}

static void test_token_refused_is_permanent(void **state)
{
	struct fixture *f = *state;
	struct person p = { 0 };

	f->d = directory_close(f->d);
	assert_int_equal(write_secret(f, "wrong"), 0);
	assert_int_equal(directory_open(&f->conf, &f->params, &f->d), 0);
	assert_int_equal(directory_get_user(f->d, DIRECTORY_BY_ID, U_ADA, &p, &f->res), -EACCES);
	assert_int_equal(f->res.outcome, DIRECTORY_PERMANENT);
	assert_false(p.exists);
	assert_int_equal(graph_requests(f), 0);
}

static void test_secret_from_systemd_credential(void **state)
{
	struct fixture *f = *state;
	struct person p;

	f->d = directory_close(f->d);
	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", f->dir, 1), 0);
	f->conf.client_secret = (struct secret_ref){ .credential = "client-secret" };
	assert_int_equal(directory_open(&f->conf, &f->params, &f->d), 0);
	unsetenv("CREDENTIALS_DIRECTORY");
	assert_int_equal(directory_get_user(f->d, DIRECTORY_BY_ID, U_ADA, &p, &f->res), 0);
	assert_true(p.exists);
	person_clear(&p);
}

static void test_open_needs_a_token_endpoint(void **state)
{
	struct fixture *f = *state;
	struct directory *d = NULL;

	f->conf.token_url = NULL;
	f->params.tenant = "contoso.com/../evil";
	assert_int_equal(directory_open(&f->conf, &f->params, &d), -EINVAL);
	f->params.tenant = NULL;
	assert_int_equal(directory_open(&f->conf, &f->params, &d), -EINVAL);
	f->params.tenant = "contoso.onmicrosoft.com";
	assert_int_equal(directory_open(&f->conf, &f->params, &d), 0);
	directory_close(d);
	f->conf.kind = "ldap";
	assert_int_equal(directory_open(&f->conf, &f->params, &d), -ENOENT);
}

/* -- facts ------------------------------------------------------------- */

static void test_user_by_id_upn_and_mail(void **state)
{
	struct fixture *f = *state;
	struct person p;
	char *select;

	assert_int_equal(directory_get_user(f->d, DIRECTORY_BY_ID, U_ADA, &p, &f->res), 0);
	assert_true(p.exists);
	assert_string_equal(p.id, U_ADA);
	assert_string_equal(p.upn, "ada@contoso.com");
	assert_string_equal(p.mail, "ada.lovelace@contoso.com");
	assert_true(p.enabled);
	assert_string_equal(p.user_type, "Member");
	assert_string_equal(p.employee_type, "Contractor");
	assert_string_equal(p.display_name, "Ada Lovelace");
	assert_string_equal(variable_get(p.attrs, p.n_attrs, "department"), "Engineering");
	assert_null(variable_get(p.attrs, p.n_attrs, "companyName"));
	person_clear(&p);
	select = last_query_value(f, "$select");
	assert_string_equal(select, "id,accountEnabled,userType,employeeType,mail,userPrincipalName,displayName,"
				    "employeeHireDate,employeeLeaveDateTime,department,companyName");
	free(select);
	assert_non_null(f->res.request_id);

	assert_int_equal(directory_get_user(f->d, DIRECTORY_BY_UPN, "carol@contoso.com", &p, &f->res), 0);
	assert_string_equal(p.id, U_CAROL);
	assert_false(p.enabled);
	assert_string_equal(p.user_type, "Guest");
	assert_null(p.display_name);
	person_clear(&p);

	assert_int_equal(directory_get_user(f->d, DIRECTORY_BY_MAIL, "ada.lovelace@contoso.com", &p, &f->res), 0);
	assert_string_equal(p.id, U_ADA);
	person_clear(&p);

	assert_int_equal(directory_get_user(f->d, DIRECTORY_BY_UPN, "nobody@contoso.com", &p, &f->res), 0);
	assert_false(p.exists);
	assert_int_equal(f->res.status, 404);
	assert_int_equal(directory_get_user(f->d, DIRECTORY_BY_ID, U_NOBODY, &p, &f->res), 0);
	assert_false(p.exists);
	assert_int_equal(directory_get_user(f->d, DIRECTORY_BY_MAIL, "nobody@contoso.com", &p, &f->res), 0);
	assert_false(p.exists);
	assert_int_equal(directory_get_user(f->d, DIRECTORY_BY_MAIL, "shared@contoso.com", &p, &f->res), -ENOTUNIQ);
	assert_int_equal(f->res.outcome, DIRECTORY_PERMANENT);
}

/* Hire and leave dates as Graph writes them (only when $select-ed), and a
 * value that could be cut short by U+0000 or does not parse is refused,
 * never read as a shorter or another value. */
static void test_lifecycle_dates_and_refused_values(void **state)
{
	struct fixture *f = *state;
	struct person p;

	assert_int_equal(emu_post(&f->emu, "/_emu/seed",
				  "{\"graph\": {\"users\": ["
				  "{\"id\": \"" U_GUS "\", \"userPrincipalName\": \"gus@contoso.com\", \"accountEnabled\": true,"
				  " \"employeeHireDate\": \"2026-12-01T00:00:00Z\","
				  " \"employeeLeaveDateTime\": \"2024-06-30T23:59:59.123Z\"},"
				  "{\"id\": \"" U_FAY "\", \"userPrincipalName\": \"o'brien@contoso.com\", \"accountEnabled\": true,"
				  " \"employeeType\": \"Contractor\\u0000\", \"department\": \"Eng\\u0000ineering\"},"
				  "{\"id\": \"" U_EVE "\", \"userPrincipalName\": \"eve#ext@contoso.com\", \"accountEnabled\": true,"
				  " \"employeeLeaveDateTime\": \"30/06/2024\"}]}}"),
			 0);
	assert_int_equal(directory_get_user(f->d, DIRECTORY_BY_ID, U_GUS, &p, &f->res), 0);
	assert_true(p.hire_ms == NOW_MS + 6 * DAY_MS - 9 * 3600 * INT64_C(1000));
	assert_true(p.leave_ms == INT64_C(1719791999000));
	assert_null(p.refused);
	assert_false(person_current(&p, NOW_MS));
	person_clear(&p);
	/* "Contractor\0": not "Contractor", and not a contractor either. */
	assert_int_equal(directory_get_user(f->d, DIRECTORY_BY_ID, U_FAY, &p, &f->res), 0);
	assert_true(p.exists);
	assert_null(p.employee_type);
	assert_string_equal(p.refused, "employeeType");
	assert_null(variable_get(p.attrs, p.n_attrs, "department"));
	assert_false(person_current(&p, NOW_MS));
	person_clear(&p);
	assert_int_equal(directory_get_user(f->d, DIRECTORY_BY_ID, U_EVE, &p, &f->res), 0);
	assert_string_equal(p.refused, "employeeLeaveDateTime");
	assert_true(p.leave_ms == 0);
	person_clear(&p);
	/* Without User-LifeCycleInfo.Read.All Graph answers null: not known. */
	configure(f, "{\"lifecycle_permission\": false}");
	assert_int_equal(directory_get_user(f->d, DIRECTORY_BY_ID, U_GUS, &p, &f->res), 0);
	assert_true(p.leave_ms == 0);
	assert_true(p.hire_ms > 0);
	person_clear(&p);
	/* The current ones. */
	assert_int_equal(directory_get_user(f->d, DIRECTORY_BY_ID, U_ADA, &p, &f->res), 0);
	assert_true(person_current(&p, NOW_MS));
	person_clear(&p);
}

static void test_special_upns(void **state)
{
	struct fixture *f = *state;
	struct person p;

	/* '$' first: addressed as users('$dan@...'), else Graph reads a segment. */
	assert_int_equal(directory_get_user(f->d, DIRECTORY_BY_UPN, "$dan@contoso.com", &p, &f->res), 0);
	assert_true(p.exists);
	assert_string_equal(p.id, U_DAN);
	person_clear(&p);
	/* '#' would start a fragment: it travels as %23. */
	assert_int_equal(directory_get_user(f->d, DIRECTORY_BY_UPN, "eve#ext@contoso.com", &p, &f->res), 0);
	assert_string_equal(p.id, U_EVE);
	person_clear(&p);
	assert_int_equal(directory_get_user(f->d, DIRECTORY_BY_UPN, "o'brien@contoso.com", &p, &f->res), 0);
	assert_string_equal(p.id, U_FAY);
	person_clear(&p);
	/* A quote in a mail is doubled inside the OData literal. */
	assert_int_equal(directory_get_user(f->d, DIRECTORY_BY_MAIL, "o'neil@contoso.com", &p, &f->res), 0);
	assert_string_equal(p.id, U_EVE);
	person_clear(&p);
}

static void test_hostile_values_cannot_change_the_query(void **state)
{
	static const char *const upns[] = {
		"../groups/" G_VPN "@contoso.com",
		"ada@contoso.com/../../groups/" G_VPN,
		"ada@contoso.com?$select=id",
		"ada@contoso.com#x",
		"x%2f..%2fgroups@contoso.com",
		"ada@contoso.com\r\nX-Injected: 1",
		"",
	};
	static const char *const ids[] = {
		U_ADA "/manager", "../users/" U_ADA, U_ADA "?$select=id", "'" U_ADA "'", "not-a-guid",
	};
	struct fixture *f = *state;
	struct person p = { 0 };
	char *filter;

	for (size_t i = 0; i < sizeof(upns) / sizeof(upns[0]); i++) {
		assert_int_equal(directory_get_user(f->d, DIRECTORY_BY_UPN, upns[i], &p, &f->res), -EINVAL);
		assert_int_equal(f->res.outcome, DIRECTORY_PERMANENT);
	}
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		assert_int_equal(directory_get_user(f->d, DIRECTORY_BY_ID, ids[i], &p, &f->res), -EINVAL);
	assert_int_equal(directory_get_user(f->d, DIRECTORY_BY_MAIL, "a\nb@contoso.com", &p, &f->res), -EINVAL);
	/* Nothing at all was sent for those. */
	assert_int_equal(emu_count(&f->emu, NULL, NULL), 0);

	/* A mail that tries to widen the filter stays one literal: it matches
	 * nobody, and the emulator saw exactly one comparison. */
	assert_int_equal(directory_get_user(f->d, DIRECTORY_BY_MAIL, "x' or mail ne 'y", &p, &f->res), 0);
	assert_false(p.exists);
	filter = last_query_value(f, "$filter");
	assert_string_equal(filter, "mail eq 'x'' or mail ne ''y'");
	free(filter);
	assert_int_equal(directory_get_user(f->d, DIRECTORY_BY_MAIL, "bob@contoso.com'&$filter=mail ne '", &p, &f->res),
			 0);
	assert_false(p.exists);
	filter = last_query_value(f, "$filter");
	assert_string_equal(filter, "mail eq 'bob@contoso.com''&$filter=mail ne '''");
	free(filter);
}

static void test_manager(void **state)
{
	struct fixture *f = *state;
	char *manager = (char *)"untouched";

	assert_int_equal(directory_get_manager(f->d, U_ADA, &manager, &f->res), 0);
	assert_string_equal(manager, U_BOB);
	free(manager);
	assert_int_equal(directory_get_manager(f->d, U_BOB, &manager, &f->res), 0);
	assert_null(manager);
	assert_int_equal(f->res.outcome, DIRECTORY_OK);
	manager = (char *)"untouched";
	assert_int_equal(directory_get_manager(f->d, U_NOBODY, &manager, &f->res), -ENOENT);
	assert_int_equal(f->res.outcome, DIRECTORY_PERMANENT);
	assert_string_equal(manager, "untouched");
}

static void test_presence(void **state)
{
	struct fixture *f = *state;
	enum presence p;

	assert_int_equal(directory_get_presence(f->d, U_ADA, &p, &f->res), 0);
	assert_int_equal(p, PRESENCE_AVAILABLE);
	assert_int_equal(directory_get_presence(f->d, U_DAN, &p, &f->res), 0);
	assert_int_equal(p, PRESENCE_AWAY);
	/* Scheduled 24th to 27th: away at the injected now, back after. */
	assert_int_equal(directory_get_presence(f->d, U_BOB, &p, &f->res), 0);
	assert_int_equal(p, PRESENCE_AWAY);
	f->now += 3 * DAY_MS;
	assert_int_equal(directory_get_presence(f->d, U_BOB, &p, &f->res), 0);
	assert_int_equal(p, PRESENCE_AVAILABLE);
	/* No mailbox: unknown, not away. */
	assert_int_equal(directory_get_presence(f->d, U_CAROL, &p, &f->res), 0);
	assert_int_equal(p, PRESENCE_UNKNOWN);
	assert_int_equal(f->res.status, 404);
	assert_string_equal(f->res.error_code, "MailboxNotEnabledForRESTAPI");
	/* No MailboxSettings.Read: unknown as well. */
	configure(f, "{\"mailbox_permission\": false}");
	assert_int_equal(directory_get_presence(f->d, U_DAN, &p, &f->res), 0);
	assert_int_equal(p, PRESENCE_UNKNOWN);
	assert_int_equal(f->res.status, 403);
}

/* A schedule in the mailbox's Windows time zone, converted through the
 * system's time zone database: read as UTC, each answer would flip. */
static void test_presence_time_zone(void **state)
{
	struct fixture *f = *state;
	enum presence p;

	/* 09:00Z is 10:00 in Berlin: inside. */
	assert_int_equal(directory_get_presence(f->d, U_HAL, &p, &f->res), 0);
	assert_int_equal(p, PRESENCE_AWAY);
	/* 10:30Z is 11:30 in Berlin: after. */
	f->now = NOW_MS + 90 * 60000;
	assert_int_equal(directory_get_presence(f->d, U_HAL, &p, &f->res), 0);
	assert_int_equal(p, PRESENCE_AVAILABLE);
	/* 08:15Z is 09:15 in Berlin: before. */
	f->now = NOW_MS - 45 * 60000;
	assert_int_equal(directory_get_presence(f->d, U_HAL, &p, &f->res), 0);
	assert_int_equal(p, PRESENCE_AVAILABLE);
	/* The end is exclusive: 10:00Z is 11:00 in Berlin. */
	f->now = NOW_MS + 60 * 60000;
	assert_int_equal(directory_get_presence(f->d, U_HAL, &p, &f->res), 0);
	assert_int_equal(p, PRESENCE_AVAILABLE);
	f->now = NOW_MS + 60 * 60000 - 1;
	assert_int_equal(directory_get_presence(f->d, U_HAL, &p, &f->res), 0);
	assert_int_equal(p, PRESENCE_AWAY);
	/* A zone no database knows: unknown, never a guess. */
	f->now = NOW_MS;
	assert_int_equal(directory_get_presence(f->d, U_IVY, &p, &f->res), 0);
	assert_int_equal(p, PRESENCE_UNKNOWN);
	assert_int_equal(f->res.outcome, DIRECTORY_OK);
}

/* Without tzdata (an empty zoneinfo directory), a zoned schedule is
 * unknown, while UTC schedules still work. */
static void test_presence_without_tzdata(void **state)
{
	struct fixture *f = *state;
	struct directory *d = NULL;
	enum presence p;

	f->params.zoneinfo_dir = f->dir;
	assert_int_equal(directory_open(&f->conf, &f->params, &d), 0);
	assert_int_equal(directory_get_presence(d, U_HAL, &p, &f->res), 0);
	assert_int_equal(p, PRESENCE_UNKNOWN);
	assert_int_equal(directory_get_presence(d, U_BOB, &p, &f->res), 0);
	assert_int_equal(p, PRESENCE_AWAY);
	directory_close(d);
}

static void test_group_and_owners_across_pages(void **state)
{
	struct fixture *f = *state;
	struct directory_group g;

	configure(f, "{\"page_size\": 2}");
	assert_int_equal(directory_get_group(f->d, G_VPN, &g, &f->res), 0);
	assert_true(g.exists);
	assert_string_equal(g.display_name, "VPN Contractors");
	assert_true(g.security_enabled);
	assert_false(g.mail_enabled);
	assert_false(g.on_premises_synced);
	assert_int_equal(g.n_owners, 3);
	assert_string_equal(g.owners[0].id, U_BOB);
	assert_string_equal(g.owners[0].upn, "bob@contoso.com");
	assert_string_equal(g.owners[2].id, U_GUS);
	directory_group_clear(&g);
	assert_int_equal(emu_count(&f->emu, "GET", "/owners"), 2);

	assert_int_equal(directory_get_group(f->d, G_ONPREM, &g, &f->res), 0);
	assert_true(g.on_premises_synced);
	directory_group_clear(&g);
	assert_int_equal(directory_get_group(f->d, G_MAIL, &g, &f->res), 0);
	assert_true(g.mail_enabled);
	directory_group_clear(&g);
	assert_int_equal(directory_get_group(f->d, G_GONE, &g, &f->res), 0);
	assert_false(g.exists);
}

static void test_membership(void **state)
{
	struct fixture *f = *state;
	int member = -1;

	assert_int_equal(directory_is_member(f->d, G_VPN, U_BOB, &member, &f->res), 0);
	assert_int_equal(member, 1);
	assert_int_equal(directory_is_member(f->d, G_VPN, U_ADA, &member, &f->res), 0);
	assert_int_equal(member, 0);
	assert_int_equal(directory_is_member(f->d, G_VPN, "x", &member, &f->res), -EINVAL);
}

/* Graph's memberOf: direct groups only, followed across pages; a user
 * Graph does not know is -ENOENT; refusals and outages are told apart. */
static void test_direct_groups(void **state)
{
	struct fixture *f = *state;
	char **ids = NULL, *q;
	size_t n = 0;

	/* A group holding VPN Contractors: Bob is in it only through nesting. */
	assert_int_equal(emu_post(&f->emu, "/_emu/seed",
				  "{\"graph\": {\"groups\": [{\"id\": \"" G_GONE "\", \"displayName\": \"Outer\","
				  " \"members\": [\"" G_VPN "\"]}]}}"),
			 0);
	configure(f, "{\"page_size\": 1}");
	clear_log(f);
	assert_int_equal(directory_get_member_of(f->d, U_BOB, &ids, &n, &f->res), 0);
	assert_int_equal(n, 2);
	assert_string_equal(ids[0], G_VPN);
	assert_string_equal(ids[1], G_MAIL);
	directory_ids_free(ids, n);
	assert_int_equal(emu_count(&f->emu, "GET", "/users/" U_BOB "/memberOf/microsoft.graph.group"), 2);
	q = last_query_value(f, "$select");
	assert_string_equal(q, "id");
	free(q);

	ids = NULL;
	assert_int_equal(directory_get_member_of(f->d, U_ADA, &ids, &n, &f->res), 0);
	assert_int_equal(n, 0);
	directory_ids_free(ids, n);
	assert_int_equal(directory_get_member_of(f->d, U_NOBODY, &ids, &n, &f->res), -ENOENT);
	assert_int_equal(f->res.outcome, DIRECTORY_PERMANENT);
	clear_log(f);
	assert_int_equal(directory_get_member_of(f->d, "bob@contoso.com", &ids, &n, &f->res), -EINVAL);
	assert_int_equal(graph_requests(f), 0);

	assert_int_equal(emu_post(&f->emu, "/_emu/faults", "{\"kind\": \"status\", \"status\": 403, \"path\": \"/memberOf\"}"),
			 0);
	assert_int_equal(directory_get_member_of(f->d, U_BOB, &ids, &n, &f->res), -EACCES);
	assert_int_equal(f->res.outcome, DIRECTORY_PERMANENT);
	assert_int_equal(emu_call(&f->emu, "DELETE", "/_emu/faults", NULL, NULL), 200);
	assert_int_equal(emu_post(&f->emu, "/_emu/faults", "{\"kind\": \"status\", \"status\": 503, \"path\": \"/memberOf\"}"),
			 0);
	assert_int_equal(directory_get_member_of(f->d, U_BOB, &ids, &n, &f->res), -EAGAIN);
	assert_int_equal(f->res.outcome, DIRECTORY_TRANSIENT);
}

/* -- changes ----------------------------------------------------------- */

static void test_add_member_and_already_member(void **state)
{
	struct fixture *f = *state;

	f->now = NOW_MS + 42;
	add_member(f, G_VPN, U_ADA);
	assert_int_equal(f->res.error, 0);
	assert_int_equal(f->res.outcome, DIRECTORY_OK);
	assert_false(f->res.unchanged);
	assert_int_equal(f->res.status, 204);
	assert_int_equal(f->res.at_ms, NOW_MS + 42);
	assert_non_null(f->res.request_id);
	assert_true(text_is_guid(f->res.request_id));
	assert_int_equal(stored_memberships(f, G_VPN, U_ADA), 1);

	add_member(f, G_VPN, U_ADA);
	assert_int_equal(f->res.error, 0);
	assert_true(f->res.unchanged);
	assert_int_equal(f->res.status, 400);
	assert_string_equal(f->res.error_code, "Request_BadRequest");
	assert_int_equal(stored_memberships(f, G_VPN, U_ADA), 1);
}

static void test_remove_member_and_not_a_member(void **state)
{
	struct fixture *f = *state;
	struct directory_change c = { .kind = DIRECTORY_REMOVE_MEMBER, .target_id = G_VPN, .principal_id = U_BOB };

	assert_int_equal(directory_apply(f->d, &c, &f->res), 0);
	assert_false(f->res.unchanged);
	assert_int_equal(stored_memberships(f, G_VPN, U_BOB), 0);
	assert_int_equal(directory_apply(f->d, &c, &f->res), 0);
	assert_true(f->res.unchanged);
	assert_int_equal(f->res.status, 404);
	/* A group that is gone is not "already removed". */
	c.target_id = G_GONE;
	assert_int_equal(directory_apply(f->d, &c, &f->res), -ENOENT);
	assert_int_equal(f->res.outcome, DIRECTORY_PERMANENT);
}

static void test_permanent_refusals(void **state)
{
	struct fixture *f = *state;

	add_member(f, G_MAIL, U_ADA);
	assert_int_equal(f->res.error, -EPERM);
	assert_int_equal(f->res.outcome, DIRECTORY_PERMANENT);
	assert_string_equal(f->res.error_message, "Cannot Update a mail-enabled security groups and or distribution list.");
	add_member(f, G_ONPREM, U_ADA);
	assert_int_equal(f->res.error, -EPERM);
	assert_int_equal(f->res.outcome, DIRECTORY_PERMANENT);
	/* Role-assignable groups need a permission we do not hold: 403. */
	add_member(f, G_ROLE, U_ADA);
	assert_int_equal(f->res.error, -EACCES);
	assert_int_equal(f->res.outcome, DIRECTORY_PERMANENT);
	assert_int_equal(f->res.status, 403);
	assert_string_equal(f->res.error_code, "Authorization_RequestDenied");
	assert_non_null(f->res.request_id);
	add_member(f, G_GONE, U_ADA);
	assert_int_equal(f->res.error, -ENOENT);
	assert_int_equal(f->res.outcome, DIRECTORY_PERMANENT);
	assert_int_equal(stored_memberships(f, G_MAIL, U_ADA) + stored_memberships(f, G_ONPREM, U_ADA) +
				 stored_memberships(f, G_ROLE, U_ADA),
			 0);
}

static void test_app_role_assign_and_remove(void **state)
{
	struct fixture *f = *state;
	struct directory_change c = {
		.kind = DIRECTORY_ASSIGN_APP_ROLE, .target_id = SP, .principal_id = U_ADA, .app_role_id = ROLE,
	};
	char *assignment;

	assert_int_equal(directory_apply(f->d, &c, &f->res), 0);
	assert_int_equal(f->res.status, 201);
	assert_false(f->res.unchanged);
	assert_true(odata_is_base64url(f->res.assignment_id));
	assignment = strdup(f->res.assignment_id);
	assert_non_null(assignment);

	assert_int_equal(directory_apply(f->d, &c, &f->res), 0);
	assert_true(f->res.unchanged);
	assert_int_equal(f->res.status, 400);
	assert_string_equal(f->res.assignment_id, assignment);

	c = (struct directory_change){ .kind = DIRECTORY_REMOVE_APP_ROLE, .target_id = SP, .assignment_id = assignment };
	assert_int_equal(directory_apply(f->d, &c, &f->res), 0);
	assert_false(f->res.unchanged);
	assert_int_equal(directory_apply(f->d, &c, &f->res), 0);
	assert_true(f->res.unchanged);
	free(assignment);

	clear_log(f);
	c.assignment_id = "abc/../../" U_ADA;
	assert_int_equal(directory_apply(f->d, &c, &f->res), -EINVAL);
	c = (struct directory_change){ .kind = DIRECTORY_ASSIGN_APP_ROLE, .target_id = SP, .principal_id = U_ADA,
				       .app_role_id = "Payroll.User" };
	assert_int_equal(directory_apply(f->d, &c, &f->res), -EINVAL);
	assert_int_equal(emu_count(&f->emu, NULL, NULL), 0);
}

static void assign(struct fixture *f, const char *resource, const char *principal, const char *role)
{
	struct directory_change c = {
		.kind = DIRECTORY_ASSIGN_APP_ROLE, .target_id = resource, .principal_id = principal, .app_role_id = role,
	};

	directory_apply(f->d, &c, &f->res);
}

static void test_assign_twice_returns_the_first_id(void **state)
{
	struct fixture *f = *state;
	char *first;

	assign(f, SP, U_ADA, ROLE);
	assert_int_equal(f->res.status, 201);
	assert_int_equal(graph_requests(f), 1);
	first = strdup(f->res.assignment_id);
	assert_non_null(first);

	/* Graph refuses the duplicate without naming it: one page of the
	 * resource's assignments finds it. The ids are matched whatever their
	 * case. */
	clear_log(f);
	assign(f, "FFFFFFFF-FFFF-4FFF-8FFF-FFFFFFFFFFFF", U_ADA, ROLE);
	assert_int_equal(f->res.error, 0);
	assert_int_equal(f->res.outcome, DIRECTORY_OK);
	assert_true(f->res.unchanged);
	assert_int_equal(f->res.status, 400);
	assert_string_equal(f->res.error_message, "Permission being assigned already exists on the object.");
	assert_true(text_is_guid(f->res.request_id));
	assert_string_equal(f->res.assignment_id, first);
	assert_int_equal(emu_count(&f->emu, "POST", "/appRoleAssignedTo"), 1);
	assert_int_equal(emu_count(&f->emu, "GET", "/appRoleAssignedTo"), 1);
	assert_int_equal(emu_count(&f->emu, NULL, NULL), 2);
	assert_int_equal(stored_assignments(f, U_ADA, ROLE), 1);
	free(first);
}

/* SP_BIG: 2,500 assignments of ROLE, the one to ada 2,301st, and one of
 * ROLE_2 to ada 11th. */
static void seed_big(struct fixture *f)
{
	enum { N = 2500, ADA_AT = 2300 };
	size_t size = 256 + N * 256, len;
	char *json = malloc(size);

	assert_non_null(json);
	len = (size_t)snprintf(json, size,
			       "{\"graph\": {\"servicePrincipals\": [{\"id\": \"" SP_BIG "\", \"displayName\": \"Intranet\","
			       " \"appRoles\": [{\"id\": \"" ROLE "\"}, {\"id\": \"" ROLE_2 "\"}]}],"
			       " \"appRoleAssignments\": [");
	for (int i = 0; i < N; i++) {
		char principal[40];

		snprintf(principal, sizeof(principal), "%08x-0000-4000-8000-000000000000", (unsigned)i + 1);
		len += (size_t)snprintf(json + len, size - len,
					"%s{\"id\": \"big-assignment-%05d\", \"principalId\": \"%s\","
					" \"resourceId\": \"" SP_BIG "\", \"appRoleId\": \"%s\"}",
					i ? "," : "", i, i == 10 || i == ADA_AT ? U_ADA : principal,
					i == 10 ? ROLE_2 : ROLE);
		assert_true(len < size);
	}
	snprintf(json + len, size - len, "]}}");
	assert_int_equal(emu_post(&f->emu, "/_emu/seed", json), 0);
	free(json);
}

static void test_find_assignment_on_a_large_paged_listing(void **state)
{
	struct fixture *f = *state;
	struct directory_change removal = { .kind = DIRECTORY_REMOVE_APP_ROLE, .target_id = SP_BIG };
	char *id = NULL, *v;

	seed_big(f);
	/* A duplicate deep in the listing: the POST, then three pages of 999. */
	assign(f, SP_BIG, U_ADA, ROLE);
	assert_int_equal(f->res.outcome, DIRECTORY_OK);
	assert_string_equal(f->res.assignment_id, "big-assignment-02300");
	assert_int_equal(emu_count(&f->emu, "GET", "/appRoleAssignedTo"), 3);
	assert_int_equal(graph_requests(f), 4);
	/* Each page asks for the largest page and three properties; the later
	 * ones are Graph's nextLinks. */
	v = last_query_value(f, "$top");
	assert_string_equal(v, "999");
	free(v);
	v = last_query_value(f, "$select");
	assert_string_equal(v, "id,principalId,appRoleId");
	free(v);
	v = last_query_value(f, "$skiptoken");
	assert_string_equal(v, "1998");
	free(v);

	clear_log(f);
	assert_int_equal(directory_find_assignment(f->d, SP_BIG, U_ADA, ROLE_2, &id, &f->res), 0);
	assert_string_equal(id, "big-assignment-00010");
	free(id);
	assert_int_equal(graph_requests(f), 1);
	/* None: every page read, and NULL. */
	clear_log(f);
	id = (char *)"untouched";
	assert_int_equal(directory_find_assignment(f->d, SP_BIG, U_BOB, ROLE, &id, &f->res), 0);
	assert_null(id);
	assert_int_equal(f->res.outcome, DIRECTORY_OK);
	assert_int_equal(graph_requests(f), 3);

	/* A server that pages finer than asked is followed to the 24th page. */
	configure(f, "{\"page_size\": 100}");
	clear_log(f);
	assert_int_equal(directory_find_assignment(f->d, SP_BIG, U_ADA, ROLE, &id, &f->res), 0);
	assert_string_equal(id, "big-assignment-02300");
	assert_int_equal(graph_requests(f), 24);

	/* At the end date: remove it by the id found; then there is none. */
	removal.assignment_id = id;
	assert_int_equal(directory_apply(f->d, &removal, &f->res), 0);
	assert_false(f->res.unchanged);
	free(id);
	assert_int_equal(stored_assignments(f, U_ADA, ROLE), 0);
	assert_int_equal(directory_find_assignment(f->d, SP_BIG, U_ADA, ROLE, &id, &f->res), 0);
	assert_null(id);

	/* More pages than we read: refused, not taken for "none". */
	configure(f, "{\"page_size\": 12}");
	clear_log(f);
	id = (char *)"untouched";
	assert_int_equal(directory_find_assignment(f->d, SP_BIG, U_BOB, ROLE, &id, &f->res), -E2BIG);
	assert_int_equal(f->res.outcome, DIRECTORY_PERMANENT);
	assert_string_equal(id, "untouched");
	assert_int_equal(graph_requests(f), 200);
}

static void test_assignment_lookup_never_sends_a_hostile_id(void **state)
{
	static const char *const bad[] = {
		SP "/../../groups/" G_VPN, U_ADA "?$filter=x", "Payroll.User", "'" U_ADA "'", "", NULL,
	};
	struct fixture *f = *state;
	char *id = (char *)"untouched";
	char next_link_base[160];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(directory_find_assignment(f->d, bad[i], U_ADA, ROLE, &id, &f->res), -EINVAL);
		assert_int_equal(f->res.outcome, DIRECTORY_PERMANENT);
		assert_int_equal(directory_find_assignment(f->d, SP, bad[i], ROLE, &id, &f->res), -EINVAL);
		assert_int_equal(directory_find_assignment(f->d, SP, U_ADA, bad[i], &id, &f->res), -EINVAL);
	}
	assert_string_equal(id, "untouched");
	assert_int_equal(emu_count(&f->emu, NULL, NULL), 0);

	/* The existing assignment's id as Graph sent it would change the
	 * DELETE's path: it is refused, never returned. */
	assert_int_equal(emu_post(&f->emu, "/_emu/seed",
				  "{\"graph\": {\"appRoleAssignments\": [{\"id\": \"../../../groups/" G_VPN "/members\","
				  " \"principalId\": \"" U_GUS "\", \"resourceId\": \"" SP "\", \"appRoleId\": \"" ROLE "\"}]}}"),
			 0);
	assign(f, SP, U_GUS, ROLE);
	assert_int_equal(f->res.error, -EBADMSG);
	assert_int_equal(f->res.outcome, DIRECTORY_TRANSIENT);
	assert_null(f->res.assignment_id);
	assert_int_equal(directory_find_assignment(f->d, SP, U_GUS, ROLE, &id, &f->res), -EBADMSG);
	assert_string_equal(id, "untouched");
	assert_int_equal(emu_count(&f->emu, "DELETE", NULL), 0);
	assert_int_equal(emu_count(&f->emu, NULL, "/groups/"), 0);

	/* A nextLink that leaves base_url would carry our token elsewhere: not
	 * followed, and nothing more is sent. */
	assign(f, SP, U_ADA, ROLE);
	assign(f, SP, U_CAROL, ROLE);
	configure(f, "{\"page_size\": 1}");
	snprintf(next_link_base, sizeof(next_link_base), "%s/v1.0.evil", f->emu.url);
	for (int i = 0; i < 2; i++) {
		char config[256];

		snprintf(config, sizeof(config), "{\"next_link_base\": \"%s\"}",
			 i == 0 ? next_link_base : "https://graph.example.net/v1.0");
		configure(f, config);
		clear_log(f);
		assert_int_equal(directory_find_assignment(f->d, SP, U_CAROL, ROLE, &id, &f->res), -EINVAL);
		assert_int_equal(f->res.outcome, DIRECTORY_PERMANENT);
		assert_int_equal(emu_count(&f->emu, NULL, NULL), 1);
	}
	assert_string_equal(id, "untouched");
}

static void test_assignment_not_listed_yet_is_transient(void **state)
{
	struct fixture *f = *state;
	char *first, *id = NULL;

	configure(f, "{\"replication_delay\": 600}");
	assign(f, SP, U_ADA, ROLE);
	assert_int_equal(f->res.status, 201);
	first = strdup(f->res.assignment_id);
	assert_non_null(first);
	/* Graph knows it exists but does not list it yet: try again later,
	 * never OK without the id its removal needs. */
	assign(f, SP, U_ADA, ROLE);
	assert_int_equal(f->res.error, -EAGAIN);
	assert_int_equal(f->res.outcome, DIRECTORY_TRANSIENT);
	assert_false(f->res.unchanged);
	assert_int_equal(f->res.status, 400);
	assert_null(f->res.assignment_id);
	assert_int_equal(directory_find_assignment(f->d, SP, U_ADA, ROLE, &id, &f->res), 0);
	assert_null(id);
	assert_int_equal(stored_assignments(f, U_ADA, ROLE), 1);
	configure(f, "{\"replicate\": true}");
	assign(f, SP, U_ADA, ROLE);
	assert_int_equal(f->res.outcome, DIRECTORY_OK);
	assert_string_equal(f->res.assignment_id, first);
	free(first);
}

static void test_assignment_lookup_throttled(void **state)
{
	struct fixture *f = *state;

	/* Requests 1 (201) and 3 (the duplicate) pass; 2 and 4 (the listing)
	 * are throttled, and the caller gets the listing's Retry-After. */
	configure(f, "{\"throttle_every\": 2, \"retry_after\": 9}");
	assign(f, SP, U_ADA, ROLE);
	assert_int_equal(f->res.status, 201);
	assign(f, SP, U_ADA, ROLE);
	assert_int_equal(f->res.status, 429);
	assign(f, SP, U_ADA, ROLE);
	assert_throttled(f, 9000);
	assert_null(f->res.assignment_id);
	assert_int_equal(emu_count(&f->emu, "GET", "/appRoleAssignedTo"), 1);
}

static void test_batch_with_mixed_results(void **state)
{
	struct fixture *f = *state;
	struct directory_change c[25];
	struct directory_result res[25];
	static const char *const users[] = { U_ADA, U_CAROL, U_DAN, U_EVE, U_FAY, U_GUS };
	size_t n = 0;

	memset(res, 0, sizeof(res));
	c[n++] = (struct directory_change){ DIRECTORY_ADD_MEMBER, G_VPN, U_ADA, NULL, NULL };   /* 0: added */
	c[n++] = (struct directory_change){ DIRECTORY_ADD_MEMBER, G_VPN, U_BOB, NULL, NULL };   /* 1: already */
	c[n++] = (struct directory_change){ DIRECTORY_ADD_MEMBER, G_MAIL, U_ADA, NULL, NULL };  /* 2: refused */
	c[n++] = (struct directory_change){ DIRECTORY_REMOVE_MEMBER, G_VPN, U_GUS, NULL, NULL }; /* 3: not a member */
	c[n++] = (struct directory_change){ DIRECTORY_ADD_MEMBER, "bad-id", U_ADA, NULL, NULL }; /* 4: not sent */
	c[n++] = (struct directory_change){ DIRECTORY_ASSIGN_APP_ROLE, SP, U_ADA, ROLE, NULL };  /* 5: assigned */
	c[n++] = (struct directory_change){ DIRECTORY_ADD_MEMBER, G_GONE, U_ADA, NULL, NULL };  /* 6: no group */
	/* 7..24: more than one batch's worth. */
	while (n < 25) {
		c[n] = (struct directory_change){ DIRECTORY_ADD_MEMBER, G_ONPREM, users[n % 6], NULL, NULL };
		if (n >= 12)
			c[n] = (struct directory_change){ DIRECTORY_ASSIGN_APP_ROLE, SP, users[n % 6], ROLE, NULL };
		n++;
	}
	assert_int_equal(directory_apply_batch(f->d, c, n, res), -EPERM);
	assert_int_equal(emu_count(&f->emu, "POST", "/v1.0/$batch"), 2);
	/* Each batch's duplicate assignments are looked up in one listing. */
	assert_int_equal(emu_count(&f->emu, "GET", "/appRoleAssignedTo"), 2);
	assert_int_equal(graph_requests(f), 4);

	assert_int_equal(res[0].outcome, DIRECTORY_OK);
	assert_false(res[0].unchanged);
	assert_int_equal(res[0].status, 204);
	assert_non_null(res[0].request_id);
	assert_int_equal(res[0].at_ms, NOW_MS);
	assert_int_equal(res[1].outcome, DIRECTORY_OK);
	assert_true(res[1].unchanged);
	assert_int_equal(res[2].outcome, DIRECTORY_PERMANENT);
	assert_int_equal(res[2].error, -EPERM);
	assert_int_equal(res[3].outcome, DIRECTORY_OK);
	assert_true(res[3].unchanged);
	assert_int_equal(res[4].error, -EINVAL);
	assert_int_equal(res[4].status, 0);
	assert_int_equal(res[5].status, 201);
	assert_true(odata_is_base64url(res[5].assignment_id));
	assert_int_equal(res[6].error, -ENOENT);
	for (size_t i = 7; i < 12; i++)
		assert_int_equal(res[i].error, -EPERM);
	/* 12..24 assign the role to six users, some twice, one already (ada,
	 * 5): each has its one assignment's id. */
	for (size_t i = 12; i < 25; i++) {
		assert_int_equal(res[i].outcome, DIRECTORY_OK);
		assert_int_equal(res[i].unchanged, i >= 18 || strcmp(users[i % 6], U_ADA) == 0);
		assert_true(odata_is_base64url(res[i].assignment_id));
		assert_string_equal(res[i].assignment_id, res[i % 6 == 0 ? 5 : 12 + i % 6].assignment_id);
		assert_int_equal(stored_assignments(f, users[i % 6], ROLE), 1);
	}
	assert_int_equal(stored_memberships(f, G_VPN, U_ADA), 1);
	for (size_t i = 0; i < n; i++)
		directory_result_clear(&res[i]);
}

static void test_throttling(void **state)
{
	static const char *const users[] = { U_ADA, U_CAROL, U_DAN, U_EVE, U_FAY, U_GUS };
	struct fixture *f = *state;
	struct directory_change c[6];
	struct directory_result res[6];
	int throttled = 0;

	/* Every request throttled: transient, with Graph's Retry-After. */
	configure(f, "{\"throttle_every\": 1, \"retry_after\": 7}");
	add_member(f, G_VPN, U_ADA);
	assert_throttled(f, 7000);
	assert_int_equal(stored_memberships(f, G_VPN, U_ADA), 0);

	/* Inside a batch, each request is throttled on its own. */
	configure(f, "{\"throttle_every\": 2, \"retry_after\": 3}");
	memset(res, 0, sizeof(res));
	for (size_t i = 0; i < 6; i++)
		c[i] = (struct directory_change){ DIRECTORY_ADD_MEMBER, G_VPN, users[i], NULL, NULL };
	assert_int_equal(directory_apply_batch(f->d, c, 6, res), -EAGAIN);
	for (size_t i = 0; i < 6; i++) {
		if (res[i].outcome == DIRECTORY_TRANSIENT) {
			throttled++;
			assert_int_equal(res[i].status, 429);
			assert_int_equal(res[i].retry_after_ms, 3000);
		} else {
			assert_int_equal(res[i].outcome, DIRECTORY_OK);
			assert_int_equal(stored_memberships(f, G_VPN, c[i].principal_id), 1);
		}
		directory_result_clear(&res[i]);
	}
	assert_int_equal(throttled, 3);

	/* The whole batch throttled: every change in it is transient. */
	configure(f, "{\"throttle_every\": 0}");
	assert_int_equal(emu_post(&f->emu, "/_emu/faults", "{\"kind\": \"ratelimit\", \"path\": \"batch\", \"retry_after\": 5}"),
			 0);
	memset(res, 0, sizeof(res));
	assert_int_equal(directory_apply_batch(f->d, c, 6, res), -EAGAIN);
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(res[i].outcome, DIRECTORY_TRANSIENT);
		assert_int_equal(res[i].status, 429);
		assert_int_equal(res[i].retry_after_ms, 5000);
		assert_non_null(res[i].request_id);
		directory_result_clear(&res[i]);
	}
}

static void test_transient_faults(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(emu_post(&f->emu, "/_emu/faults",
				  "{\"kind\": \"status\", \"status\": 503, \"path\": \"/members/\","
				  " \"headers\": {\"Retry-After\": \"4\"}}"),
			 0);
	add_member(f, G_VPN, U_ADA);
	assert_int_equal(f->res.outcome, DIRECTORY_TRANSIENT);
	assert_int_equal(f->res.status, 503);
	assert_int_equal(f->res.retry_after_ms, 4000);
	assert_int_equal(emu_post(&f->emu, "/_emu/faults", "{\"kind\": \"status\", \"status\": 504, \"path\": \"/members/\"}"), 0);
	add_member(f, G_VPN, U_ADA);
	assert_int_equal(f->res.outcome, DIRECTORY_TRANSIENT);
	assert_int_equal(f->res.retry_after_ms, -1);
	/* Transport failures, every time (libcurl itself retries once on a
	 * reused connection that died). */
	assert_int_equal(emu_post(&f->emu, "/_emu/faults", "{\"kind\": \"reset\", \"path\": \"/members/\", \"times\": 0}"),
			 0);
	add_member(f, G_VPN, U_ADA);
	assert_int_equal(f->res.error, -EAGAIN);
	assert_int_equal(f->res.outcome, DIRECTORY_TRANSIENT);
	assert_int_equal(f->res.status, 0);
	assert_int_equal(stored_memberships(f, G_VPN, U_ADA), 0);
	assert_int_equal(emu_call(&f->emu, "DELETE", "/_emu/faults", NULL, NULL), 200);
	/* The change took effect but the answer was lost: trying again is
	 * safe, and says so. */
	assert_int_equal(emu_post(&f->emu, "/_emu/faults",
				  "{\"kind\": \"drop_response\", \"path\": \"/members/\", \"times\": 0}"),
			 0);
	add_member(f, G_VPN, U_ADA);
	assert_int_equal(f->res.outcome, DIRECTORY_TRANSIENT);
	assert_int_equal(emu_call(&f->emu, "DELETE", "/_emu/faults", NULL, NULL), 200);
	add_member(f, G_VPN, U_ADA);
	assert_int_equal(f->res.outcome, DIRECTORY_OK);
	assert_true(f->res.unchanged);
	assert_int_equal(stored_memberships(f, G_VPN, U_ADA), 1);
	/* An injected 403 is permanent. */
	assert_int_equal(emu_post(&f->emu, "/_emu/faults", "{\"kind\": \"status\", \"status\": 403, \"path\": \"/members/\"}"), 0);
	add_member(f, G_VPN, U_CAROL);
	assert_int_equal(f->res.error, -EACCES);
	assert_int_equal(f->res.outcome, DIRECTORY_PERMANENT);
}

static void test_replication_delay(void **state)
{
	struct fixture *f = *state;
	int member = -1;

	configure(f, "{\"replication_delay\": 600}");
	add_member(f, G_VPN, U_ADA);
	assert_int_equal(f->res.outcome, DIRECTORY_OK);
	assert_false(f->res.unchanged);
	/* Reads lag behind the write ... */
	assert_int_equal(directory_is_member(f->d, G_VPN, U_ADA, &member, &f->res), 0);
	assert_int_equal(member, 0);
	/* ... so a workflow that checks again and adds again gets "already
	 * there" rather than a second membership or a failure. */
	add_member(f, G_VPN, U_ADA);
	assert_int_equal(f->res.outcome, DIRECTORY_OK);
	assert_true(f->res.unchanged);
	assert_int_equal(stored_memberships(f, G_VPN, U_ADA), 1);
	configure(f, "{\"replicate\": true}");
	assert_int_equal(directory_is_member(f->d, G_VPN, U_ADA, &member, &f->res), 0);
	assert_int_equal(member, 1);
}

static void test_grant_costs_at_most_two_requests(void **state)
{
	struct fixture *f = *state;
	int member = -1;

	/* Warm the token cache, then count one grant: check, then add. */
	assert_int_equal(directory_is_member(f->d, G_VPN, U_BOB, &member, &f->res), 0);
	clear_log(f);
	assert_int_equal(directory_is_member(f->d, G_VPN, U_ADA, &member, &f->res), 0);
	assert_int_equal(member, 0);
	add_member(f, G_VPN, U_ADA);
	assert_int_equal(f->res.outcome, DIRECTORY_OK);
	assert_int_equal(graph_requests(f), 2);
	assert_int_equal(token_requests(f), 0);
	assert_int_equal(emu_count(&f->emu, NULL, NULL), 2);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_token_cached_and_renewed_before_expiry),
		T(test_expired_token_is_renewed_once),
		T(test_token_refused_is_permanent),
		T(test_secret_from_systemd_credential),
		T(test_open_needs_a_token_endpoint),
		T(test_user_by_id_upn_and_mail),
		T(test_lifecycle_dates_and_refused_values),
		T(test_special_upns),
		T(test_hostile_values_cannot_change_the_query),
		T(test_manager),
		T(test_presence),
		T(test_presence_time_zone),
		T(test_presence_without_tzdata),
		T(test_group_and_owners_across_pages),
		T(test_membership),
		T(test_direct_groups),
		T(test_add_member_and_already_member),
		T(test_remove_member_and_not_a_member),
		T(test_permanent_refusals),
		T(test_app_role_assign_and_remove),
		T(test_assign_twice_returns_the_first_id),
		T(test_find_assignment_on_a_large_paged_listing),
		T(test_assignment_lookup_never_sends_a_hostile_id),
		T(test_assignment_not_listed_yet_is_transient),
		T(test_assignment_lookup_throttled),
		T(test_batch_with_mixed_results),
		T(test_throttling),
		T(test_transient_faults),
		T(test_replication_delay),
		T(test_grant_costs_at_most_two_requests),
	};
#undef T

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
