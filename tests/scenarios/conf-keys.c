/* SPDX-License-Identifier: Apache-2.0 */
/* conf-keys FILE...: load each configuration FILE through the real parser
 * and print every setting the parser would accept in each group it met,
 * one "WHERE<TAB>KEY" line each (WHERE as conf_check_keys names the
 * group), so that the documentation test reads the keys from the parser's
 * own lists. Exit 0, or 1 when a file does not load (its problems on
 * stderr). */
#include "config.h"

#include <stdio.h>

#include "conf/conf.h"
#include "conf/conf_parse.h"
#include "connectors/connectors.h"

static void print_keys(const char *where, const char *const *known)
{
	for (size_t i = 0; known[i]; i++)
		printf("%s\t%s\n", where, known[i]);
}

int main(int argc, char **argv)
{
	int status = 0;

	conf_keys_observer = print_keys;
	for (int i = 1; i < argc; i++) {
		struct diag diag = { 0 };
		struct config *cfg = NULL;

		if (conf_load(argv[i], &connectors_builtin, &cfg, &diag) < 0) {
			diag_print(&diag, stderr);
			status = 1;
		}
		diag_clear(&diag);
		conf_free(cfg);
	}
	return status;
}
