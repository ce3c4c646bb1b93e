#!/bin/sh
# cli_ima_log.sh — rivctl ima_log command-line tests (being written).
. "${RIV_SRCDIR:-.}/tests/cli_lib.sh"
finish
