/* OAuth2 tokens for the connectors: the ServiceNow password and refresh
 * grants (/oauth_token.do) and Entra's client-credentials grant. One form
 * POST to the token endpoint; the caller caches the token and asks again
 * shortly before it expires or once after a 401. */
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

#endif
