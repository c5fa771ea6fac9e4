/* SPDX-License-Identifier: Apache-2.0 */
/* Rules as data (conf.h's struct rule_config): auto_approve_when on a
 * stage, auto_reject_when on an item, parsed and checked against the
 * policy they belong to. Internal to the configuration parser. */
#ifndef ACCESSD_CONF_RULES_H
#define ACCESSD_CONF_RULES_H

#include "conf.h"
#include "conf_parse.h"

/* Parse the member NAME of GROUP, one rule or a list of rules, into *RET
 * and *N (absent: NULL and 0). IT is the item the rules belong to, NULL
 * for the policy's privileged stages; its allow list and variables must be
 * parsed already, as must CFG's targets. Every problem is reported to P;
 * what was allocated is freed by conf_rules_free, also after problems. */
void conf_rules_parse(struct conf_parser *p, const config_setting_t *group, const char *name,
		      const struct config *cfg, const struct item_config *it, struct rule_config **ret, size_t *n);

/* Report two different rules of CFG that share a name: a decision names
 * its rule, so each name must say which. */
void conf_rules_check_names(struct conf_parser *p, const struct config *cfg);

/* Free N rules V; NULL is fine. */
void conf_rules_free(struct rule_config *v, size_t n);

#endif
