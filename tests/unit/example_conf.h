/* SPDX-License-Identifier: Apache-2.0 */
/* The annotated example configuration (conf/accessd.conf, found through
 * $ACCESSD_SRCDIR), which the policy and plan tests run against. */
#ifndef ACCESSD_TEST_EXAMPLE_CONF_H
#define ACCESSD_TEST_EXAMPLE_CONF_H

#include "conf/conf.h"

/* Load it into *RET (free with conf_free); problems are printed. Returns 0
 * or conf_load's error. */
int example_conf_load(struct config **ret);

#endif
