#!/bin/sh
# cli_appraise.sh — rivctl appraise command-line tests (being written).
. "${RIV_SRCDIR:-.}/tests/cli_lib.sh"
finish
