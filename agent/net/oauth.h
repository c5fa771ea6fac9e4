/* SPDX-License-Identifier: Apache-2.0 */
/* OAuth2 tokens for the connectors: the ServiceNow password and refresh
 * grants (/oauth_token.do) and the client-credentials grant (Entra, and
 * ServiceNow where glide.oauth.inbound.client.credential.grant_type.enabled
 * is set). oauth_fetch is one form POST to the token endpoint; an
 * oauth_session caches the token until shortly before it expires, renews it
 * with the refresh token when it has one (falling back to the original
 * grant), and plugs into http_send as its http_auth. Tokens and secrets are
 * never logged, and are wiped when freed. */
#ifndef ACCESSD_OAUTH_H
#define ACCESSD_OAUTH_H

#include <stdint.h>

#include "http.h"

/* A token is renewed this long before it expires. */
#define OAUTH_EXPIRY_MARGIN_MS (60 * 1000)

struct oauth_params {
	const char *token_url;
	const char *grant_type; /* "password", "refresh_token", "client_credentials" */
	const char *client_id;
	const char *client_secret;
	const char *username;      /* password grant */
	const char *password;      /* password grant */
	const char *refresh_token; /* refresh_token grant */
	const char *scope;         /* NULL: none sent */
};

struct oauth_token {
	char *access_token;  /* wiped when cleared */
	char *refresh_token; /* NULL when the server gave none; wiped when cleared */
	int64_t expires_at_ms;
};

/* Ask the token endpoint for a token at NOW_MS. Returns 0 and fills RET
 * (the caller owns it: oauth_token_clear), -EACCES when the endpoint refuses
 * the credentials (400/401), -EBADMSG for an answer without a usable token,
 * -EIO for another HTTP status, or http_perform's error. RET is untouched on
 * failure. No secret is logged. */
int oauth_fetch(struct http_client *http, const struct oauth_params *p, int64_t now_ms, struct oauth_token *ret);

/* Whether T holds a token that is good for at least the margin at NOW_MS. */
int oauth_token_fresh(const struct oauth_token *t, int64_t now_ms);

void oauth_token_clear(struct oauth_token *t);

struct oauth_session;

/* Create a token cache for HTTP (whose env clock it reads) and the grant P
 * (password or client_credentials). P and the strings it points to must
 * outlive the session. No request is made yet. Returns 0 and a session the
 * caller owns (free with oauth_session_free), or -ENOMEM. */
int oauth_session_new(struct http_client *http, const struct oauth_params *p, struct oauth_session **ret);
struct oauth_session *oauth_session_free(struct oauth_session *s);

/* The access token, fetched when there is none, it is about to expire, or
 * FORCE is set (after a 401). Returns 0 and a pointer valid until the next
 * call, or oauth_fetch's error. */
int oauth_session_token(struct oauth_session *s, int force, const char **ret);

/* An http_auth that sends the session's token as a bearer token and
 * renews it once on a 401. */
void oauth_session_auth(struct oauth_session *s, struct http_auth *ret);

#endif
