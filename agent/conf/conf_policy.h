/* SPDX-License-Identifier: Apache-2.0 */
/* The policy group of the configuration: targets, catalog items, approval
 * stages and person rules, parsed and cross-checked (allow lists, owners,
 * duplicates, GUIDs). Internal to the configuration parser. */
#ifndef ACCESSD_CONF_POLICY_H
#define ACCESSD_CONF_POLICY_H

#include "conf.h"
#include "conf_parse.h"

/* Parse the policy group into CFG->policy and CFG->items, reporting every
 * problem to P. Whatever was allocated is freed by conf_policy_free, also
 * after problems. */
void conf_policy_parse(struct conf_parser *p, const config_setting_t *policy, struct config *cfg);

/* Free the policy and the items of CFG (not CFG). */
void conf_policy_free(struct config *cfg);

#endif
