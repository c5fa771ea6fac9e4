/* SPDX-License-Identifier: Apache-2.0 */
/* CRC-32C (Castagnoli), the checksum of journal records. */
#ifndef ACCESSD_CRC32C_H
#define ACCESSD_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extend CRC (0 to start) over LEN bytes of DATA. */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);

#endif
