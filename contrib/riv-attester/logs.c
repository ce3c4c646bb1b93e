/*
 * logs.c — the logs a TPM's PCRs follow: the measured-boot log replayed
 * into the TPM at every (simulated) boot, and the IMA measurement list,
 * extended into its PCRs the way Linux 5.8 and later does (each bank
 * hashes the template data with its own algorithm; a violation extends
 * all-ones), grown at run time by `measure`.
 *
 * Lists are served as entries: the boot log's own bytes per event, and
 * the kernel's binary_runtime_measurements records for IMA.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attester.h"
#include "bootlog.h"
#include "ima.h"

#define LOG_ENTRIES_MAX	(4u * 1024 * 1024)	/* entries of one log */

/* Empty a log, keeping its memory. */
void
log_clear(struct att_log *l)
{
	l->len = 0;
	l->n = 0;
	if (l->off != NULL)
		l->off[0] = 0;
}

/* Free a log's memory. */
void
log_free(struct att_log *l)
{
	free(l->buf);
	free(l->off);
	free(l->ev);
	memset(l, 0, sizeof(*l));
}

/* Append one entry of len bytes.  Return 0 or -1 (out of memory). */
int
log_append(struct att_log *l, const uint8_t *p, size_t len)
{
	uint8_t *nb;
	size_t *no, cap;

	if (l->n + 2 > l->ncap) {
		if (l->n >= LOG_ENTRIES_MAX)
			return -1;
		cap = l->ncap ? l->ncap * 2 : 256;
		if ((no = realloc(l->off, cap * sizeof(*no))) == NULL)
			return -1;
		l->off = no;
		l->ncap = cap;
		if (l->n == 0)
			l->off[0] = 0;
	}
	if (l->len + len > l->cap) {
		cap = l->cap ? l->cap : 4096;
		while (cap < l->len + len)
			cap *= 2;
		if ((nb = realloc(l->buf, cap)) == NULL)
			return -1;
		l->buf = nb;
		l->cap = cap;
	}
	memcpy(l->buf + l->len, p, len);
	l->len += len;
	l->off[++l->n] = l->len;
	return 0;
}

/* Remember one boot-log event (bootlog_replay callback). */
static int
bios_event(const struct bootlog_event *ev, void *arg)
{
	struct att_log *l = arg;
	struct bootlog_event *ne;
	size_t cap;

	if (l->n >= l->evcap) {
		cap = l->evcap ? l->evcap * 2 : 256;
		if (cap > LOG_ENTRIES_MAX ||
		    (ne = realloc(l->ev, cap * sizeof(*ne))) == NULL)
			return -1;
		l->ev = ne;
		l->evcap = cap;
	}
	l->ev[l->n] = *ev;
	if (l->n + 2 > l->ncap) {
		cap = l->ncap ? l->ncap * 2 : 256;
		if ((l->off = realloc(l->off, cap * sizeof(*l->off))) == NULL)
			return -1;
		l->ncap = cap;
	}
	l->off[l->n] = ev->offset;
	l->n++;
	return 0;
}

/*
 * Load the measured-boot log in file for TPM t: its events (with their
 * offsets and digests) into t->bios, and what the TPM needs to reproduce
 * it (the startup locality).  A log that starts PCR 0 with an H-CRTM
 * sequence cannot be reproduced in a TPM: refused.
 */
int
bios_load(struct att_tpm *t, const char *file, struct riv_err *err)
{
	struct bootlog res;
	uint8_t *buf = NULL;
	size_t len;
	uint32_t i;

	log_free(&t->bios);
	if (file_read(file, RIV_FILE_MAX, &buf, &len, err) != RIV_OK)
		return -1;
	t->bios.buf = buf;
	t->bios.len = t->bios.cap = len;
	if (bootlog_replay(buf, len, &res, bios_event, &t->bios, err) !=
	    RIV_OK) {
		log_free(&t->bios);
		return err_set(err, -1, "%s: %s", file, err->msg);
	}
	if (res.hcrtm) {
		log_free(&t->bios);
		return err_set(err, -1, "%s: PCR 0 starts with an H-CRTM "
		    "sequence, which riv-attester cannot reproduce in a TPM",
		    file);
	}
	if (t->bios.n == 0 || t->bios.off == NULL) {
		log_free(&t->bios);
		return err_set(err, -1, "%s: no events", file);
	}
	t->bios.off[t->bios.n] = res.length;
	for (i = 0; i < t->bios.n; i++)
		if (t->bios.off[i + 1] < t->bios.off[i]) {
			log_free(&t->bios);
			return err_set(err, -1, "%s: events out of order",
			    file);
		}
	t->bios_locality = res.startup_locality < 0 ? 0 :
	    res.startup_locality;
	free(t->bios_name);
	t->bios_name = strdup(file);
	return 0;
}

/* Extend every event of t's boot log that extends a PCR into the TPM. */
int
bios_replay(struct att_tpm *t, struct riv_err *err)
{
	const struct bootlog_event *ev;
	uint32_t i;

	for (i = 0; i < t->bios.n; i++) {
		ev = &t->bios.ev[i];
		if (!ev->extended)
			continue;
		if (tpm_extend(t->tpm, ev->pcr, ev->digests,
		    ev->bank_mask & t->banks, err) != 0)
			return err_set(err, -1, "TPM %s: boot log event %u: %s",
			    t->name, ev->number, err->msg);
		t->pcr_changes[ev->pcr]++;
	}
	return 0;
}

/* Put a little-endian u32 at p. */
static void
put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

/*
 * Append one IMA entry as a kernel binary record: pcr, template digest,
 * template name, template data.  Return 0 or -1.
 */
static int
ima_append(struct att_log *l, uint32_t pcr, const uint8_t *digest,
    size_t dlen, const char *name, const uint8_t *data, size_t datalen)
{
	size_t nlen = strlen(name), len = 12 + dlen + nlen + datalen;
	uint8_t *rec;
	int rc;

	if ((rec = malloc(len)) == NULL)
		return -1;
	put_le32(rec, pcr);
	memcpy(rec + 4, digest, dlen);
	put_le32(rec + 4 + dlen, (uint32_t)nlen);
	memcpy(rec + 8 + dlen, name, nlen);
	put_le32(rec + 8 + dlen + nlen, (uint32_t)datalen);
	memcpy(rec + 12 + dlen + nlen, data, datalen);
	rc = log_append(l, rec, len);
	free(rec);
	return rc;
}

/*
 * Extend one IMA entry into TPM t as Linux 5.8+ does: the list's bank gets
 * the logged digest, every other bank the template data hashed with its
 * algorithm; a violation (zero digest) extends all-ones.
 */
static int
ima_extend_entry(struct att_tpm *t, const struct ima_entry *e, int list_bank,
    struct riv_err *err)
{
	uint8_t d[BANK_COUNT][DIGEST_MAX];
	uint32_t mask = 0;
	int b;

	if (e->pcr >= PCR_COUNT)
		return err_set(err, -1, "IMA entry %llu extends PCR %u",
		    (unsigned long long)e->index, e->pcr);
	for (b = 0; b < BANK_COUNT; b++) {
		if (!(t->banks & (1u << b)))
			continue;
		if (e->violation)
			memset(d[b], 0xff, bank_get(b)->size);
		else if (b == list_bank)
			memcpy(d[b], e->template_digest, bank_get(b)->size);
		else if (ima_template_hash(NULL, b, e, d[b]) != 0)
			return err_set(err, -1, "IMA entry %llu: cannot hash",
			    (unsigned long long)e->index);
		mask |= 1u << b;
	}
	if (tpm_extend(t->tpm, e->pcr, (const uint8_t (*)[DIGEST_MAX])d,
	    mask, err) != 0)
		return -1;
	t->pcr_changes[e->pcr]++;
	return 0;
}

/*
 * Walk the IMA list buf (binary or ASCII): append each entry to t->ima
 * as a binary record, and extend it into the TPM when extend is set.
 */
static int
ima_take(struct att_tpm *t, const uint8_t *buf, size_t len, int extend,
    struct riv_err *err)
{
	struct ima_reader r;
	struct ima_entry e;
	int rc;

	if (ima_reader_open(&r, buf, len, IMA_FORMAT_AUTO, -1, 0, err) !=
	    RIV_OK)
		return -1;
	while ((rc = ima_reader_next(&r, &e, err)) == 1) {
		if (e.legacy) {
			ima_reader_close(&r);
			return err_set(err, -1, "IMA entry %llu: the old "
			    "\"ima\" template is not served; use ima-ng",
			    (unsigned long long)e.index);
		}
		if (ima_append(&t->ima, e.pcr, e.template_digest,
		    e.template_digest_len, e.template_name, e.template_data,
		    e.template_data_len) != 0) {
			ima_reader_close(&r);
			return err_set(err, -1, "IMA list: out of memory");
		}
		if (extend && ima_extend_entry(t, &e, r.list_bank, err) != 0) {
			ima_reader_close(&r);
			return -1;
		}
	}
	ima_reader_close(&r);
	return rc == 0 ? 0 : -1;
}

/* Load the IMA list in file for TPM t (not extended yet). */
int
ima_load(struct att_tpm *t, const char *file, struct riv_err *err)
{
	uint8_t *buf = NULL;
	size_t len;
	int rc;

	if (file_read(file, RIV_FILE_MAX, &buf, &len, err) != RIV_OK)
		return -1;
	log_clear(&t->ima);
	rc = ima_take(t, buf, len, 0, err);
	free(buf);
	if (rc != 0)
		return err_set(err, -1, "%s: %s", file, err->msg);
	return 0;
}

/* Extend every entry of t's IMA list into the TPM. */
int
ima_replay(struct att_tpm *t, struct riv_err *err)
{
	struct att_log copy = t->ima;
	int rc;

	if (t->ima.n == 0)
		return 0;
	memset(&t->ima, 0, sizeof(t->ima));
	rc = ima_take(t, copy.buf, copy.len, 1, err);
	log_free(&copy);
	return rc;
}

/*
 * Append an ima-ng entry for (digest algorithm algo, digest d, path) to
 * t's list and extend it.
 */
static int
ima_add_ng(struct att_tpm *t, const char *algo, const uint8_t *d, size_t dlen,
    const char *path, struct riv_err *err)
{
	uint8_t data[8 + 32 + DIGEST_MAX + 4096 + 1], sha1[20];
	size_t alen = strlen(algo) + 2, plen = strlen(path) + 1, n = 0;
	struct ima_reader r;
	struct ima_entry e;
	int rc;

	if (plen > 4096)
		return err_set(err, -1, "%s: path too long", path);
	put_le32(data, (uint32_t)(alen + dlen));
	snprintf((char *)data + 4, sizeof(data) - 4, "%s:", algo);
	data[4 + alen - 1] = '\0';
	memcpy(data + 4 + alen, d, dlen);
	n = 4 + alen + dlen;
	put_le32(data + n, (uint32_t)plen);
	memcpy(data + n + 4, path, plen);
	n += 4 + plen;
	if (bank_hash(BANK_SHA1, data, n, sha1) != 0 ||
	    ima_append(&t->ima, ATT_IMA_PCR, sha1, sizeof(sha1), "ima-ng",
	    data, n) != 0)
		return err_set(err, -1, "IMA: cannot add an entry");
	/* Read the record back through the engine, then extend it. */
	if (ima_reader_open(&r, t->ima.buf + t->ima.off[t->ima.n - 1],
	    t->ima.off[t->ima.n] - t->ima.off[t->ima.n - 1],
	    IMA_FORMAT_BINARY, BANK_SHA1, t->ima.n - 1, err) != RIV_OK)
		return -1;
	rc = ima_reader_next(&r, &e, err) == 1 ?
	    ima_extend_entry(t, &e, BANK_SHA1, err) : -1;
	ima_reader_close(&r);
	return rc;
}

/*
 * Start a new IMA list for TPM t with the kernel's boot_aggregate: the
 * SHA-256 of PCRs 0-9 of the sha256 bank (Linux 5.8+), or the SHA-1 of
 * PCRs 0-7 of the sha1 bank if the TPM has no sha256 bank.
 */
int
ima_boot_aggregate(struct att_tpm *t, struct riv_err *err)
{
	uint8_t buf[10 * DIGEST_MAX], d[DIGEST_MAX];
	struct pcrset pcrs;
	int bank = (t->banks & (1u << BANK_SHA256)) ? BANK_SHA256 : BANK_SHA1;
	unsigned i, n = bank == BANK_SHA256 ? 10 : 8;
	size_t sz = bank_get(bank)->size;

	if (tpm_pcr_read(t->tpm, bank, (1u << n) - 1, &pcrs, err) != 0)
		return -1;
	for (i = 0; i < n; i++)
		memcpy(buf + i * sz, pcrset_get(&pcrs, bank, i), sz);
	if (bank_hash(bank, buf, n * sz, d) != 0)
		return err_set(err, -1, "cannot hash the boot aggregate");
	log_clear(&t->ima);
	return ima_add_ng(t, bank_get(bank)->name, d, sz, "boot_aggregate",
	    err);
}

/*
 * Measure the file at path as IMA would on execution: an ima-ng entry
 * with its SHA-256, appended and extended into PCR 10.
 */
int
ima_measure_file(struct att_tpm *t, const char *path, struct riv_err *err)
{
	uint8_t *buf = NULL, d[DIGEST_MAX];
	size_t len;
	int rc;

	if (file_read(path, RIV_FILE_MAX, &buf, &len, err) != RIV_OK)
		return -1;
	rc = bank_hash(BANK_SHA256, buf, len, d);
	free(buf);
	if (rc != 0)
		return err_set(err, -1, "%s: cannot hash", path);
	return ima_add_ng(t, "sha256", d, 32, path, err);
}
