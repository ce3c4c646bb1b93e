#!/bin/sh
# cli_quote.sh — rivctl quote command-line tests (being written).
. "${RIV_SRCDIR:-.}/tests/cli_lib.sh"
finish
