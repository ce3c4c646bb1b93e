/*
 * fuzz_bootlog.c — libFuzzer target for the measured-boot log parser and
 * replay, one-shot and fed in two chunks.
 */
#include <stdint.h>
#include <stdlib.h>

#include "bootlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Callback: touch every field so sanitizers see the event. */
static int
touch_event(const struct bootlog_event *ev, void *arg)
{
	size_t *sum = arg;

	if (ev->data_len > 0)
		*sum += ev->data[0] + ev->data[ev->data_len - 1];
	*sum += ev->pcr + ev->type + (size_t)ev->extended;
	return 0;
}

/* Replay the input whole, then fed as two chunks split at its first byte. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct bootlog_state *st;
	struct bootlog *log;
	struct riv_err err;
	size_t sum = 0, split, used;

	if ((log = malloc(sizeof(*log))) == NULL)
		return 0;
	bootlog_replay(data, len, log, touch_event, &sum, &err);
	if ((st = malloc(sizeof(*st))) != NULL) {
		split = len > 0 ? data[0] % (len + 1) : 0;
		bootlog_init(st);
		if (bootlog_feed(st, data, split, 0, &used, touch_event, &sum,
		    &err) == RIV_OK)
			bootlog_feed(st, data + used, len - used, 1, &used,
			    touch_event, &sum, &err);
		bootlog_result(st, log);
		free(st);
	}
	free(log);
	return 0;
}
