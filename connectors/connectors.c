/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include "connectors.h"
#include "directory.h"
#include "itsm.h"
#include "notify.h"

const struct conf_connectors connectors_builtin = {
	.itsm = itsm_connector,
	.directory = directory_connector,
	.notify = notify_connector,
};
