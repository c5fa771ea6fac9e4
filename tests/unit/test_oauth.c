/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "emu.h"
#include "fake_env.h"
#include "net/http.h"
#include "net/oauth.h"
#include "util/log.h"

#define PASSWORD "Pa55-w0rd-XYZ"
#define CLIENT_SECRET "cl1ent-S3cret-QRS"

static struct emu emu;
static struct fake_env fake;
static char token_url[128], api_url[128];
static const struct retry_config once = { .max_attempts = 1, .budget_ms = 1000 };
static const struct oauth_params password_grant = {
	.token_url = token_url,
	.grant_type = "password",
	.client_id = "accessd",
	.client_secret = CLIENT_SECRET,
	.username = "svc",
	.password = PASSWORD,
};

/* Everything logged goes to this file, checked for secrets at the end. */
static char log_path[] = "/tmp/accessd-test-oauth-log-XXXXXX";
static int saved_stderr = -1;

static int setup(void **state)
{
	int fd;

	(void)state;
	if (emu_start(&emu) < 0)
		return -1;
	snprintf(token_url, sizeof(token_url), "%s/oauth_token.do", emu.url);
	snprintf(api_url, sizeof(api_url), "%s/api/now/table/sc_req_item", emu.url);
	fd = mkstemp(log_path);
	if (fd < 0)
		return -1;
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	log_init("test_oauth", LOG_LEVEL_DEBUG);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	unlink(log_path);
	emu_stop(&emu);
	return 0;
}

static struct http_client *fresh(void)
{
	struct http_options opts = { .connect_timeout_ms = 5000, .timeout_ms = 10000, .max_response_bytes = 1 << 20 };
	struct http_client *c = NULL;

	assert_int_equal(emu_post(&emu, "/_emu/reset", "{}"), 0);
	assert_int_equal(emu_post(&emu, "/_emu/config/servicenow",
				  "{\"users\": {\"svc\": \"" PASSWORD "\"}, \"oauth_clients\": {\"accessd\": \"" CLIENT_SECRET
				  "\"}, \"client_credentials\": {\"accessd\": \"svc\"}}"),
			 0);
	fake_env_init(&fake, (int64_t)time(NULL) * 1000);
	assert_int_equal(http_client_new(&opts, &c), 0);
	http_client_set_env(c, &fake.env);
	return c;
}

/* The grants the token endpoint saw, as "password,refresh_token,...". */
static void grants(char *out, size_t size)
{
	char *body = NULL;
	cJSON *root, *g;

	out[0] = '\0';
	assert_int_equal(emu_call(&emu, "GET", "/_emu/state/servicenow", NULL, &body), 200);
	root = cJSON_Parse(body);
	cJSON_ArrayForEach(g, cJSON_GetObjectItem(root, "grants"))
		snprintf(out + strlen(out), size - strlen(out), "%s%s", out[0] ? "," : "", g->valuestring);
	cJSON_Delete(root);
	free(body);
}

static long get_api(struct http_client *c)
{
	struct http_request req = { .method = "GET", .url = api_url };
	struct http_response resp;
	long status;

	assert_int_equal(http_send(c, &once, &req, &resp), 0);
	status = resp.status;
	http_response_clear(&resp);
	return status;
}

static void test_token_is_cached_until_shortly_before_expiry(void **state)
{
	struct http_client *c = fresh();
	struct oauth_session *s = NULL;
	struct http_auth auth;
	const char *t1, *t2;
	char g[256], first[128];

	(void)state;
	assert_int_equal(oauth_session_new(c, &password_grant, &s), 0);
	oauth_session_auth(s, &auth);
	http_client_set_auth(c, &auth);
	assert_int_equal(get_api(c), 200);
	assert_int_equal(get_api(c), 200);
	assert_int_equal(oauth_session_token(s, 0, &t1), 0);
	snprintf(first, sizeof(first), "%s", t1);
	grants(g, sizeof(g));
	assert_string_equal(g, "password");
	assert_int_equal(emu_count(&emu, "GET", "sc_req_item"), 2);

	/* The emulator's tokens live 1800 s; renewed a margin before. */
	fake.now_ms += 1800 * 1000 - OAUTH_EXPIRY_MARGIN_MS - 1000;
	assert_int_equal(oauth_session_token(s, 0, &t2), 0);
	assert_string_equal(t2, first);
	fake.now_ms += 2000;
	assert_int_equal(oauth_session_token(s, 0, &t2), 0);
	assert_string_not_equal(t2, first);
	grants(g, sizeof(g));
	assert_string_equal(g, "password,refresh_token");
	oauth_session_free(s);
	http_client_free(c);
}

static void test_401_refreshes_once(void **state)
{
	struct http_client *c = fresh();
	struct oauth_session *s = NULL;
	struct http_auth auth;
	char g[256];

	(void)state;
	assert_int_equal(oauth_session_new(c, &password_grant, &s), 0);
	oauth_session_auth(s, &auth);
	http_client_set_auth(c, &auth);
	assert_int_equal(get_api(c), 200);
	/* The server forgets the token before its time: one 401, a refresh,
	 * and the request goes through. */
	assert_int_equal(emu_post(&emu, "/_emu/config/servicenow", "{\"expire_tokens\": true}"), 0);
	assert_int_equal(get_api(c), 200);
	grants(g, sizeof(g));
	assert_string_equal(g, "password,refresh_token");
	assert_int_equal(emu_count(&emu, "GET", "sc_req_item"), 3);

	/* A refused refresh token falls back to the password grant. */
	assert_int_equal(emu_post(&emu, "/_emu/config/servicenow", "{\"expire_tokens\": true, \"revoke_refresh_tokens\": true}"),
			 0);
	assert_int_equal(get_api(c), 200);
	grants(g, sizeof(g));
	assert_string_equal(g, "password,refresh_token,refresh_token,password");

	/* Every token refused: one refresh, then the 401 stands. */
	assert_int_equal(emu_post(&emu, "/_emu/faults",
				  "{\"kind\": \"status\", \"status\": 401, \"path\": \"sc_req_item\", \"times\": 0}"),
			 0);
	assert_int_equal(emu_call(&emu, "DELETE", "/_emu/requests", NULL, NULL), 200);
	assert_int_equal(get_api(c), 401);
	assert_int_equal(emu_count(&emu, "GET", "sc_req_item"), 2);
	assert_int_equal(emu_count(&emu, "POST", "oauth_token"), 1);
	oauth_session_free(s);
	http_client_free(c);
}

static void test_refused_credentials(void **state)
{
	struct http_client *c = fresh();
	struct oauth_params wrong = password_grant;
	struct oauth_token tok = { .access_token = NULL };
	struct oauth_session *s = NULL;
	struct http_request req = { .method = "GET", .url = api_url };
	struct http_response resp;
	struct http_auth auth;

	(void)state;
	wrong.client_secret = "not-the-secret";
	assert_int_equal(oauth_fetch(c, &wrong, 0, &tok), -EACCES);
	assert_null(tok.access_token);
	assert_int_equal(oauth_session_new(c, &wrong, &s), 0);
	oauth_session_auth(s, &auth);
	http_client_set_auth(c, &auth);
	assert_int_equal(http_send(c, &once, &req, &resp), -EACCES);
	assert_int_equal(emu_count(&emu, "GET", "sc_req_item"), 0);
	oauth_session_free(s);
	http_client_free(c);
}

static void test_client_credentials_grant(void **state)
{
	struct http_client *c = fresh();
	struct oauth_params cc = {
		.token_url = token_url,
		.grant_type = "client_credentials",
		.client_id = "accessd",
		.client_secret = CLIENT_SECRET,
	};
	struct oauth_token tok = { 0 };

	(void)state;
	assert_int_equal(oauth_fetch(c, &cc, 1000, &tok), 0);
	assert_non_null(tok.access_token);
	assert_null(tok.refresh_token);
	assert_int_equal(tok.expires_at_ms, 1000 + 1800 * 1000);
	oauth_token_clear(&tok);
	http_client_free(c);
}

/* Runs last: nothing any test did may have logged a secret or a token. */
static void test_no_secret_in_the_log(void **state)
{
	char *log = NULL, *body = NULL;
	size_t len = 0;
	FILE *f;
	cJSON *root, *t;

	(void)state;
	fflush(stderr);
	f = fopen(log_path, "r");
	assert_non_null(f);
	assert_int_not_equal(getdelim(&log, &len, '\0', f), -1);
	fclose(f);
	/* The test logged something, or this proves nothing. */
	assert_non_null(strstr(log, "oauth: new access token"));
	assert_null(strstr(log, PASSWORD));
	assert_null(strstr(log, CLIENT_SECRET));
	assert_int_equal(emu_call(&emu, "GET", "/_emu/state/servicenow", NULL, &body), 200);
	root = cJSON_Parse(body);
	assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(root, "tokens")) > 0);
	cJSON_ArrayForEach(t, cJSON_GetObjectItem(root, "tokens"))
		assert_null(strstr(log, t->valuestring));
	cJSON_Delete(root);
	free(body);
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_is_cached_until_shortly_before_expiry),
		cmocka_unit_test(test_401_refreshes_once),
		cmocka_unit_test(test_refused_credentials),
		cmocka_unit_test(test_client_credentials_grant),
		cmocka_unit_test(test_no_secret_in_the_log),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
