#!/bin/sh
# cli_bios_log.sh — rivctl bios_log command-line tests (being written).
. "${RIV_SRCDIR:-.}/tests/cli_lib.sh"
finish
