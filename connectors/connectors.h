/* SPDX-License-Identifier: Apache-2.0 */
/* The connectors built into accessd, as the configuration parser takes
 * them (conf_load): the registries of itsm.c, directory.c and notify.c,
 * each the one list of the kinds of its role. */
#ifndef ACCESSD_CONNECTORS_H
#define ACCESSD_CONNECTORS_H

#include "conf/conf.h"

extern const struct conf_connectors connectors_builtin;

#endif
