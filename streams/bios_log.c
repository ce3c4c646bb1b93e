/*
 * bios_log.c — the bios-log appraiser: the measured-boot log's events
 * arrive in raw TCG form, a chunk at a time, and are fed to the engine's
 * incremental parser from the state saved after the previous one; at each
 * quote the replayed PCRs replace the reported ones where the log touches
 * them (a reported value that differs fails), and the quote's digest must
 * cover the result.
 */
#include <stdlib.h>
#include <string.h>

#include "bootlog.h"
#include "json.h"
#include "stream.h"

/* The boot-log state of one TPM. */
struct bios_tpm {
	struct bootlog_state st;
};

/* A fresh state. */
static void *
bios_tpm_new(struct appraisal *ap)
{
	struct bios_tpm *b;

	(void)ap;
	if ((b = calloc(1, sizeof(*b))) != NULL)
		bootlog_init(&b->st);
	return b;
}

/* The TPM was reset: its log starts again. */
static void
bios_tpm_restart(void *t)
{
	bootlog_init(&((struct bios_tpm *)t)->st);
}

/* Feed the raw events of a TPM entry to the parser. */
static int
bios_entries(struct appraisal *ap, void *t, struct tpm_part *tp,
    struct verdict *v)
{
	struct bios_tpm *b = t;
	const uint8_t *raw;
	const char *first;
	struct riv_err err;
	size_t len, used = 0;

	(void)ap;
	if ((first = xnode_text(tp->node, "first-event-number")) == NULL)
		return 0;
	if (xnode_child(tp->node, "bios-event-entry") != NULL) {
		verdict_error(v, "malformed");
		verdict_reason(v, "TPM %s: structured boot-log entries; rivd "
		    "subscribes with raw ones", tp->tpm->name);
		return -1;
	}
	if (strtoull(first, NULL, 10) != b->st.nevents) {
		verdict_fail(v, "log");
		verdict_reason(v, "TPM %s: boot-log entries start at %s, "
		    "expected %u", tp->tpm->name, first, b->st.nevents);
		return -1;
	}
	if ((raw = xnode_bin(tp->node, "raw-entries", &len)) == NULL)
		return 0;
	if (bootlog_feed(&b->st, raw, len, 0, &used, NULL, NULL, &err) !=
	    RIV_OK || used != len) {
		verdict_fail(v, "log");
		verdict_reason(v, "TPM %s: boot log: %s", tp->tpm->name,
		    used != len ? "an event is cut between notifications" :
		    err.msg);
		bootlog_init(&b->st);
		return -1;
	}
	return 0;
}

/*
 * A subscribed PCR the boot log never extended must still hold its reset
 * value (all zero; PCRs 17-22 are not subscribed): anything else was
 * measured where the log does not say.
 */
static void
unexplained(struct appraisal *ap, const struct bootlog *log,
    const struct tpm_part *tp, struct verdict *v)
{
	int bank = ap->sub->conf->bank;
	const uint8_t *val;
	unsigned p;

	if (ap->sub->conf->pcrs == 0)
		return;
	for (p = 0; p < 17; p++) {
		if (!(ap->sub->conf->pcrs & (1u << p)) ||
		    pcrset_get(&log->pcrs, bank, p) != NULL ||
		    (val = pcrset_get(&tp->reported, bank, p)) == NULL)
			continue;
		if (!all_zero(val, bank_get(bank)->size)) {
			verdict_fail(v, "log");
			verdict_reason(v, "TPM %s %s PCR %u was extended but no "
			    "boot-log event explains it", tp->tpm->name,
			    bank_get(bank)->name, p);
		}
	}
}

/* Merge the replay into the reported values and check the digest. */
static int
bios_pcrs(struct appraisal *ap, void *t, struct tpm_part *tp,
    struct verdict *v)
{
	struct bios_tpm *b = t;
	struct bootlog log;
	const uint8_t *rep, *claimed;
	struct riv_err err;
	struct pcrset merged = tp->reported;
	char h1[2 * DIGEST_MAX + 1], h2[2 * DIGEST_MAX + 1];
	unsigned p;
	int bank;

	(void)ap;
	bootlog_result(&b->st, &log);
	for (bank = 0; bank < BANK_COUNT; bank++)
		for (p = 0; p < PCR_COUNT; p++) {
			if ((rep = pcrset_get(&log.pcrs, bank, p)) == NULL)
				continue;
			claimed = pcrset_get(&tp->reported, bank, p);
			if (claimed != NULL && memcmp(claimed, rep,
			    bank_get(bank)->size) != 0) {
				hex_encode(rep, bank_get(bank)->size, h1);
				hex_encode(claimed, bank_get(bank)->size, h2);
				verdict_fail(v, "log");
				verdict_reason(v, "TPM %s %s PCR %u: the boot "
				    "log replays to %s, the TPM reports %s",
				    tp->tpm->name, bank_get(bank)->name, p, h1,
				    h2);
			}
			pcrset_set(&merged, bank, p, rep);
		}
	unexplained(ap, &log, tp, v);
	if (quote_check_pcrs(&tp->quote, &merged, &err) != RIV_OK) {
		verdict_fail(v, "pcr-digest");
		verdict_reason(v, "TPM %s: %s", tp->tpm->name, err.msg);
		return -1;
	}
	tp->verified = merged;
	return 0;
}

/* Save: the parser state, as hex. */
static void
bios_save(FILE *f, const void *t)
{
	const struct bios_tpm *b = t;
	const unsigned char *p = (const unsigned char *)&b->st;
	size_t i;

	fprintf(f, "\"next\":%u,\"boot\":\"", b->st.nevents);
	for (i = 0; i < sizeof(b->st); i++)
		fprintf(f, "%02x", p[i]);
	fprintf(f, "\"");
}

/* Load what bios_save wrote (same build: the struct's size must match). */
static int
bios_load(void *t, const struct json *j, struct riv_err *err)
{
	struct bios_tpm *b = t;
	const struct json *h = json_get(j, "boot");
	size_t n;

	if (h == NULL || h->type != JSON_STRING ||
	    h->len != 2 * sizeof(b->st) ||
	    hex_decode(h->str, h->len, (uint8_t *)&b->st, sizeof(b->st),
	    &n) != 0 || n != sizeof(b->st)) {
		bootlog_init(&b->st);
		return err_set(err, -1, "saved boot-log state does not fit "
		    "this build");
	}
	return 0;
}

/* The next event number. */
static uint64_t
bios_position(const void *t)
{
	return ((const struct bios_tpm *)t)->st.nevents;
}

const struct stream_ops bios_log_ops = {
	"bios-log",
	bios_tpm_new, bios_tpm_restart, free,
	bios_entries, bios_pcrs, bios_save, bios_load, bios_position
};
