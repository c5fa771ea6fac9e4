#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Stands in for the unit tests when configure did not find cmocka, so that
# "make check" fails with a clear message instead of skipping them.
echo "The unit tests need cmocka: apt-get install libcmocka-dev (Debian, Ubuntu)" >&2
echo "or dnf install libcmocka-devel (Fedora, RHEL), then run ./configure again." >&2
exit 1
