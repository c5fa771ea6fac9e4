/* SPDX-License-Identifier: Apache-2.0 */
/* Input safety for Microsoft Graph URLs: every value that goes into a path
 * or an OData query is checked by its syntax or quoted by OData's rules
 * first, so a hostile value (from a ticket, from the ITSM) can never change
 * which object a request addresses or what a query selects. */
#ifndef ACCESSD_ODATA_H
#define ACCESSD_ODATA_H

/* Longest UPN or mail accepted (Entra's own limit is 113 for a UPN). */
#define ODATA_MAX_NAME 256

/* Whether S is a base64url string (A-Z a-z 0-9 - _, 16 to 128 characters,
 * no padding): the syntax of an app role assignment id. */
int odata_is_base64url(const char *s);

/* Whether S is a UPN Entra accepts: one '@', a local part of letters,
 * digits and ' . - _ ! # ^ ~ (and a leading $), a domain of letters,
 * digits, '.' and '-'. */
int odata_is_upn(const char *s);

/* The path that addresses a user by object id or UPN: "users/<guid>",
 * "users/<upn percent-encoded>" ('#' becomes %23), or "users('<upn>')" for a
 * UPN that starts with '$' (Graph would read "/users/$x" as a system
 * segment), the quote doubled. Returns 0 and a string the caller frees,
 * -EINVAL when ID_OR_UPN is neither a GUID nor a valid UPN, or -ENOMEM. */
int odata_user_path(const char *id_or_upn, char **ret);

/* VALUE as an OData string literal ready for a query string: in single
 * quotes, a quote inside doubled, then percent-encoded. Returns 0 and a
 * string the caller frees, -EINVAL when VALUE is empty, longer than
 * ODATA_MAX_NAME or holds a control character, or -ENOMEM. */
int odata_string_literal(const char *value, char **ret);

#endif
