/*
 * notif_harness.h — what the libFuzzer targets of rivd's notification path
 * (fuzz_pcr_evidence.c, fuzz_bios_log.c, fuzz_ima_log.c) share: a fake
 * daemon with one attester, its two TPMs and one subscription, the
 * session's message dispatch, and stubs for the session, the store, the
 * log and libevent (notif_harness.c).
 */
#ifndef RIV_NOTIF_HARNESS_H
#define RIV_NOTIF_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "rivd.h"

int	 notif_harness_run(enum stream_kind, const uint8_t *, size_t);

#endif
