/*
 * cmd_appraise.c — `rivctl appraise`: one verdict from a quote, the PCR
 * values the attester reports, its measured-boot log and reference values.
 *
 * Every input is read and validated first (exit 2 if any is malformed or
 * unreadable), then the checks run in order of trust: the quote's signature
 * and structure first (nothing else counts without them), then its nonce,
 * then the PCR values: replayed from the boot log where the log touches a
 * PCR, else as reported, and all of them only once the quote's pcrDigest
 * covers them.  Reference values are compared with those covered values
 * only: the attester's own claims never pass on their own.
 *
 * A boot log that disagrees with the quote is tried once more under each
 * known firmware defect (quirk, bootlog.h): if the log with the quirk's
 * unlogged events is exactly what the quote covers, the quirk is named in
 * the verdict, and it fails unless the reference values accept it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootlog.h"
#include "quote.h"
#include "refvals.h"
#include "rivctl.h"

#define FAILURES_MAX	64

/* One failed check, for the report. */
struct failure {
	char	check[16];
	int	bank;		/* -1 if not about one PCR */
	int	pcr;
	char	reason[RIV_ERR_MAX];
};

struct appraisal {
	const char	*attest_path, *sig_path, *ak_path;
	const char	*nonce_hex, *pcrs_path, *log_path, *ref_path;
	int		 json;

	/* The inputs, read and validated before any check. */
	struct quote_input in;
	struct pcrset	 reported;	/* --pcrs */
	struct bootlog	 log;		/* --bios-log, replayed */
	struct refvals	*ref;		/* --reference */

	struct quote	 quote;
	const char	*check_signature, *check_structure, *check_nonce;
	const char	*check_pcrs, *check_log, *check_reference;
	struct pcrset	 verified;	/* values the quote covers */
	int		 quirk;		/* quirk table index the log needed,
					   or -1 */
	int		 quirk_accepted;	/* the reference values accept it */
	size_t		 nref;
	struct failure	 failures[FAILURES_MAX];
	size_t		 nfailures;
};

static const char usage[] =
    "usage: rivctl appraise --attest FILE --sig FILE --ak FILE [--nonce HEX]\n"
    "                       [--pcrs FILE] [--bios-log FILE] [--reference FILE]\n"
    "                       [--json]\n"
    "Verify a TPM quote, tie the reported PCR values and the measured-boot\n"
    "log to it, compare the covered values with reference values, and print\n"
    "one verdict.  Exit 0 pass, 1 fail, 2 malformed input.  See rivctl(1).\n";

/* Record a failed check. */
static void
add_failure(struct appraisal *a, const char *check, int bank, int pcr,
    const char *reason)
{
	struct failure *f;

	if (a->nfailures >= FAILURES_MAX)
		return;
	f = &a->failures[a->nfailures++];
	snprintf(f->check, sizeof(f->check), "%s", check);
	f->bank = bank;
	f->pcr = pcr;
	snprintf(f->reason, sizeof(f->reason), "%s", reason);
}

/*
 * refvals_check callback: record a reference failure.  A PCR without a
 * covered value whose boot-log replay is incomplete cannot be decided:
 * say so, and why.
 */
static void
note_reference_failure(int bank, unsigned pcr, const char *msg, void *arg)
{
	struct appraisal *a = arg;
	char why[256], reason[RIV_ERR_MAX];

	if (a->log_path != NULL && !pcrset_has(&a->verified, bank, pcr) &&
	    bootlog_incomplete(&a->log, bank, pcr, why, sizeof(why))) {
		snprintf(reason, sizeof(reason), "%s PCR %u: cannot decide: "
		    "%s, and the quote covers no reported value for it",
		    bank_get(bank)->name, pcr, why);
		msg = reason;
	}
	add_failure(a, "reference", bank, (int)pcr, msg);
}

/* Parse the command line into a; returns -1 (after a message) on error. */
static int
parse_args(struct appraisal *a, int argc, char **argv, int *help)
{
	static const struct option opts[] = {
		{ "attest", required_argument, NULL, 'a' },
		{ "sig", required_argument, NULL, 's' },
		{ "ak", required_argument, NULL, 'k' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "pcrs", required_argument, NULL, 'p' },
		{ "bios-log", required_argument, NULL, 'l' },
		{ "reference", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a': a->attest_path = optarg; break;
		case 's': a->sig_path = optarg; break;
		case 'k': a->ak_path = optarg; break;
		case 'n': a->nonce_hex = optarg; break;
		case 'p': a->pcrs_path = optarg; break;
		case 'l': a->log_path = optarg; break;
		case 'r': a->ref_path = optarg; break;
		case 'j': a->json = 1; break;
		case 'h': *help = 1; return 0;
		default:
			fputs(usage, stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "rivctl appraise: unexpected argument \"%s\"\n",
		    argv[optind]);
		return -1;
	}
	if (a->attest_path == NULL || a->sig_path == NULL ||
	    a->ak_path == NULL) {
		fprintf(stderr, "rivctl appraise: --attest, --sig and --ak "
		    "are required\n%s", usage);
		return -1;
	}
	if (a->nonce_hex != NULL && *a->nonce_hex == '\0') {
		fprintf(stderr, "rivctl appraise: --nonce is empty (leave it "
		    "out to skip the nonce check)\n");
		return -1;
	}
	return 0;
}

/* Read and validate every input; RIV_MALFORMED (with a reason) or RIV_OK. */
static int
load_inputs(struct appraisal *a, struct riv_err *err)
{
	struct riv_err sub;
	uint8_t *buf;
	size_t len;
	int rc;

	if (quote_input_load(&a->in, a->attest_path, a->sig_path, a->ak_path,
	    a->nonce_hex, err) != RIV_OK)
		return RIV_MALFORMED;
	if (a->pcrs_path != NULL &&
	    pcrset_load(a->pcrs_path, &a->reported, err) != RIV_OK)
		return RIV_MALFORMED;
	if (a->log_path != NULL) {
		if (file_read(a->log_path, RIV_FILE_MAX, &buf, &len, err) !=
		    RIV_OK)
			return RIV_MALFORMED;
		rc = bootlog_replay(buf, len, &a->log, NULL, NULL, &sub);
		free(buf);
		if (rc != RIV_OK)
			return err_set(err, RIV_MALFORMED, "%s: %s",
			    a->log_path, sub.msg);
	}
	if (a->ref_path != NULL &&
	    (a->ref = refvals_load(a->ref_path, err)) == NULL)
		return RIV_MALFORMED;
	return RIV_OK;
}

/*
 * With PCR values to check, fail (RIV_MALFORMED) unless rivd can check
 * every PCR the quote selects and --pcrs or --bios-log gives its value.
 */
static int
check_selection(struct appraisal *a, struct riv_err *err)
{
	char why[RIV_ERR_MAX - 128];
	const struct quote_sel *s;
	size_t i;
	unsigned p;

	if (a->pcrs_path == NULL && a->log_path == NULL)
		return RIV_OK;
	if (quote_check_selection(&a->quote, err) != RIV_OK)
		return RIV_MALFORMED;
	for (i = 0; i < a->quote.nsel; i++) {
		s = &a->quote.sel[i];
		for (p = 0; p < PCR_COUNT; p++) {
			if (!(s->mask >> p & 1) ||
			    pcrset_has(&a->reported, s->bank, p) ||
			    pcrset_has(&a->log.pcrs, s->bank, p))
				continue;
			if (a->log_path != NULL && bootlog_incomplete(&a->log,
			    s->bank, p, why, sizeof(why)))
				return err_set(err, RIV_MALFORMED, "cannot "
				    "check the quote's PCR digest: it selects "
				    "%s PCR %u, but %s, and --pcrs does not "
				    "give its value", bank_get(s->bank)->name,
				    p, why);
			return err_set(err, RIV_MALFORMED, "the quote "
			    "selects %s PCR %u, but neither --pcrs nor "
			    "--bios-log gives its value",
			    bank_get(s->bank)->name, p);
		}
	}
	return RIV_OK;
}

/*
 * Parse the quote and verify its signature, whatever the structure says;
 * then its nonce.  RIV_MALFORMED if the quote, its selection or its
 * signature cannot be read or checked.
 */
static int
check_quote(struct appraisal *a, struct riv_err *err)
{
	struct riv_err why_structure, sub;
	int structure, rc;

	structure = quote_parse(a->in.attest, a->in.alen, &a->quote,
	    &why_structure);
	if (structure == RIV_MALFORMED)
		return err_set(err, RIV_MALFORMED, "%s: %s", a->attest_path,
		    why_structure.msg);
	if (check_selection(a, err) != RIV_OK)
		return RIV_MALFORMED;
	rc = quote_verify(a->in.attest, a->in.alen, a->in.sig, a->in.slen,
	    &a->in.ak, &a->quote, &sub);
	if (rc == RIV_MALFORMED)
		return err_set(err, RIV_MALFORMED, "%s: %s", a->sig_path,
		    sub.msg);
	a->check_signature = rc == RIV_OK ? "ok" : "fail";
	if (rc != RIV_OK)
		add_failure(a, "signature", -1, -1, sub.msg);
	a->check_structure = structure == RIV_OK ? "ok" : "fail";
	if (structure != RIV_OK)
		add_failure(a, "structure", -1, -1, why_structure.msg);
	if (rc != RIV_OK || structure != RIV_OK || a->nonce_hex == NULL)
		return RIV_OK;
	if (quote_check_nonce(&a->quote, a->in.nonce, a->in.nlen, &sub) == RIV_OK)
		a->check_nonce = "ok";
	else {
		a->check_nonce = "fail";
		add_failure(a, "nonce", -1, -1, sub.msg);
	}
	return RIV_OK;
}

/* Tell whether the quote selects PCR pcr of bank. */
static int
quote_selects(const struct quote *q, int bank, unsigned pcr)
{
	size_t i;

	for (i = 0; i < q->nsel; i++)
		if (q->sel[i].bank == bank && (q->sel[i].mask >> pcr & 1))
			return 1;
	return 0;
}

/*
 * Merge the replayed boot log (logv: its values, with a quirk's extends or
 * not) into the reported values: where the log touches a PCR its replay is
 * the value; a reported value that differs is a failure.  Where the log is
 * incomplete (an event lacked the bank's digest) it gives no value and
 * proves none: a reported value stays the attester's claim, which the quote
 * may still cover.  Fails, too, if the quote covers none of the PCRs the
 * log replays completely (the log could then not be tied to the TPM).
 * Failures are recorded only if record is set; returns 1 if none.
 */
static int
merge_log(struct appraisal *a, const struct pcrset *logv, struct pcrset *ev,
    int record)
{
	char reason[RIV_ERR_MAX], h1[2 * DIGEST_MAX + 1], h2[2 * DIGEST_MAX + 1];
	const uint8_t *rep, *claimed;
	size_t covered = 0, partial = 0, size;
	int b, ok = 1;
	unsigned p;

	for (b = 0; b < BANK_COUNT; b++) {
		size = bank_get(b)->size;
		for (p = 0; p < PCR_COUNT; p++) {
			if (bootlog_incomplete(&a->log, b, p, NULL, 0) &&
			    quote_selects(&a->quote, b, p))
				partial++;
			if ((rep = pcrset_get(logv, b, p)) == NULL)
				continue;
			if (quote_selects(&a->quote, b, p))
				covered++;
			claimed = pcrset_get(ev, b, p);
			if (claimed != NULL && memcmp(claimed, rep, size) != 0)
				ok = 0;
			if (claimed != NULL && memcmp(claimed, rep, size) != 0 &&
			    record) {
				hex_encode(rep, size, h1);
				hex_encode(claimed, size, h2);
				snprintf(reason, sizeof(reason), "%s PCR %u: "
				    "the log replays to %s but the attester "
				    "reports %s", bank_get(b)->name, p, h1, h2);
				add_failure(a, "bios-log", b, (int)p, reason);
			}
			pcrset_set(ev, b, p, rep);
		}
	}
	if (covered == 0) {
		ok = 0;
		if (record)
			add_failure(a, "bios-log", -1, -1, partial > 0 ? "the "
			    "quote covers only PCRs for which the log is "
			    "incomplete (events lack that bank's digest)" :
			    "the quote covers none of the PCRs the log "
			    "touches");
	}
	if (record)
		a->check_log = ok ? "ok" : "fail";
	return ok;
}

/*
 * The log disagrees with the quote: find the first quirk under which the
 * log agrees with the reported values and the quote's PCR digest covers
 * the result; leave that in ev and return its index, or -1.
 */
static int
find_quirk(struct appraisal *a, struct pcrset *ev)
{
	struct riv_err sub;
	struct pcrset alt;
	size_t i;

	for (i = 0; i < bootlog_quirk_count(); i++) {
		if (bootlog_quirk_apply(&a->log, i, &alt) == -1)
			continue;
		*ev = a->reported;
		if (merge_log(a, &alt, ev, 0) &&
		    quote_check_pcrs(&a->quote, ev, &sub) == RIV_OK)
			return (int)i;
	}
	return -1;
}

/*
 * Record the quirk the log needed; it fails unless the reference values
 * accept it by name.
 */
static void
note_quirk(struct appraisal *a, int i)
{
	const struct bootlog_quirk *q = bootlog_quirk_get((size_t)i);
	char reason[RIV_ERR_MAX];

	a->quirk = i;
	a->check_log = "ok";
	a->quirk_accepted = refvals_accepts_quirk(a->ref, q->name);
	if (a->quirk_accepted)
		return;
	snprintf(reason, sizeof(reason), "the boot log matches the quote only "
	    "with firmware defect %s (PCR %u extended with events the log "
	    "lacks), which %s", q->name, q->pcr, a->ref_path != NULL ?
	    "the reference values do not accept (accept_quirks)" :
	    "no reference values accept (--reference)");
	add_failure(a, "quirk", -1, -1, reason);
}

/* Keep in a->verified the evidence values the quote selects. */
static void
keep_covered(struct appraisal *a, const struct pcrset *ev)
{
	size_t i;
	int b;
	unsigned p;

	pcrset_init(&a->verified);
	for (i = 0; i < a->quote.nsel; i++) {
		if ((b = a->quote.sel[i].bank) < 0)
			continue;
		for (p = 0; p < PCR_COUNT; p++)
			if ((a->quote.sel[i].mask >> p & 1) &&
			    pcrset_has(ev, b, p))
				pcrset_set(&a->verified, b, p,
				    pcrset_get(ev, b, p));
	}
}

/*
 * Build the evidence PCR values and check them against the quote; a log
 * that disagrees is tried under each known quirk before it fails.
 */
static int
check_pcrs(struct appraisal *a, struct riv_err *err)
{
	struct riv_err sub;
	struct pcrset ev;
	int rc, ok = 1, q;

	if (a->pcrs_path == NULL && a->log_path == NULL)
		return RIV_OK;
	ev = a->reported;
	if (a->log_path != NULL)
		ok = merge_log(a, &a->log.pcrs, &ev, 0);
	rc = quote_check_pcrs(&a->quote, &ev, &sub);
	if (rc == RIV_MALFORMED)
		return err_set(err, RIV_MALFORMED, "%s", sub.msg);
	if (a->log_path != NULL && (!ok || rc != RIV_OK) &&
	    (q = find_quirk(a, &ev)) >= 0) {
		note_quirk(a, q);
		rc = RIV_OK;
	} else if (a->log_path != NULL) {
		ev = a->reported;
		merge_log(a, &a->log.pcrs, &ev, 1);
	}
	if (rc == RIV_FAIL) {
		a->check_pcrs = "fail";
		add_failure(a, "pcr-digest", -1, -1, sub.msg);
		return RIV_OK;
	}
	a->check_pcrs = "ok";
	keep_covered(a, &ev);
	return RIV_OK;
}

/* Compare the covered values with the reference values. */
static void
check_reference(struct appraisal *a)
{
	int rc;

	a->nref = refvals_count(a->ref);
	rc = refvals_check(a->ref, &a->verified, note_reference_failure, a);
	a->check_reference = rc == RIV_OK ? "ok" : "fail";
}

/* Print the result as one JSON object. */
static void
print_json(const struct appraisal *a)
{
	const struct bootlog_quirk *q;
	size_t i;

	printf("{\"verdict\":\"%s\",\"checks\":{\"signature\":\"%s\","
	    "\"structure\":\"%s\",\"nonce\":\"%s\",\"pcr_digest\":\"%s\","
	    "\"bios_log\":\"%s\",\"reference\":\"%s\"},",
	    a->nfailures ? "fail" : "pass", a->check_signature,
	    a->check_structure, a->check_nonce, a->check_pcrs, a->check_log,
	    a->check_reference);
	printf("\"failures\":[");
	for (i = 0; i < a->nfailures; i++) {
		printf("%s{\"check\":\"%s\"", i ? "," : "",
		    a->failures[i].check);
		if (a->failures[i].bank >= 0)
			printf(",\"bank\":\"%s\",\"pcr\":%d",
			    bank_get(a->failures[i].bank)->name,
			    a->failures[i].pcr);
		printf(",\"reason\":");
		json_put_string(stdout, a->failures[i].reason);
		putchar('}');
	}
	printf("],\"clock\":%llu,\"reset_count\":%u,\"restart_count\":%u,"
	    "\"safe\":%s,", (unsigned long long)a->quote.clock,
	    a->quote.reset_count, a->quote.restart_count,
	    a->quote.safe ? "true" : "false");
	if (a->log_path != NULL && a->log.nevents > 0) {
		printf("\"bios_log_events\":%u,\"incomplete\":",
		    a->log.nevents);
		bootlog_incomplete_json(stdout, &a->log);
		printf(",\"quirks\":[");
		if (a->quirk >= 0) {
			q = bootlog_quirk_get((size_t)a->quirk);
			printf("{\"name\":");
			json_put_string(stdout, q->name);
			printf(",\"pcr\":%u,\"accepted\":%s}", q->pcr,
			    a->quirk_accepted ? "true" : "false");
		}
		printf("],");
	}
	printf("\"reference_pcrs\":%zu,\"pcrs\":", a->nref);
	pcrset_write_json(stdout, &a->verified);
	printf("}\n");
}

/* Print the result for a person. */
static void
print_text(const struct appraisal *a)
{
	const char *sep;
	size_t i;
	int b, k;
	unsigned p;
	char hex[2 * DIGEST_MAX + 1];

	printf("signature:  %s\n", a->check_signature);
	printf("structure:  %s\n", a->check_structure);
	printf("nonce:      %s\n", a->check_nonce);
	printf("pcr digest: %s\n", a->check_pcrs);
	printf("bios log:   %s", a->check_log);
	if (a->log_path != NULL && a->log.nevents > 0)
		printf(" (%u events)", a->log.nevents);
	for (b = 0, sep = "; incomplete: "; a->log_path != NULL &&
	    b < BANK_COUNT; b++) {
		if (a->log.incomplete[b] == 0)
			continue;
		printf("%s%s PCR%s", sep, bank_get(b)->name,
		    (a->log.incomplete[b] & (a->log.incomplete[b] - 1)) ?
		    "s" : "");
		for (p = 0, k = 0; p < PCR_COUNT; p++)
			if (a->log.incomplete[b] & (1u << p))
				printf("%s%u", k++ ? "," : " ", p);
		sep = "; ";
	}
	if (a->quirk >= 0)
		printf("; quirk: %s (%s)",
		    bootlog_quirk_get((size_t)a->quirk)->name,
		    a->quirk_accepted ? "accepted" : "not accepted");
	printf("\nreference:  %s", a->check_reference);
	if (a->ref_path != NULL)
		printf(" (%zu PCRs)", a->nref);
	printf("\nclock %llu, reset count %u, restart count %u, safe %s\n",
	    (unsigned long long)a->quote.clock, a->quote.reset_count,
	    a->quote.restart_count, a->quote.safe ? "yes" : "no");
	for (b = 0; b < BANK_COUNT; b++)
		for (p = 0; p < PCR_COUNT; p++)
			if (pcrset_has(&a->verified, b, p)) {
				hex_encode(pcrset_get(&a->verified, b, p),
				    bank_get(b)->size, hex);
				printf("%s PCR %2u: %s\n", bank_get(b)->name, p,
				    hex);
			}
	for (i = 0; i < a->nfailures; i++)
		printf("FAIL %s: %s\n", a->failures[i].check,
		    a->failures[i].reason);
	printf("verdict: %s\n", a->nfailures ? "FAIL" : "pass");
}

/* Read every input, then run every check in order of trust. */
static int
run_checks(struct appraisal *a, struct riv_err *err)
{
	int rc;

	if ((rc = load_inputs(a, err)) != RIV_OK ||
	    (rc = check_quote(a, err)) != RIV_OK)
		return rc;
	if (strcmp(a->check_signature, "ok") != 0 ||
	    strcmp(a->check_structure, "ok") != 0)
		return RIV_OK;
	if ((rc = check_pcrs(a, err)) != RIV_OK)
		return rc;
	if (a->ref != NULL)
		check_reference(a);
	return RIV_OK;
}

/* rivctl appraise: see usage. */
int
cmd_appraise(int argc, char **argv)
{
	struct appraisal *a;
	struct riv_err err = { "" };
	int help = 0, rc;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		fprintf(stderr, "rivctl appraise: out of memory\n");
		return RIV_MALFORMED;
	}
	a->check_signature = a->check_structure = "fail";
	a->check_nonce = a->check_pcrs = a->check_log = "skipped";
	a->check_reference = "skipped";
	a->quirk = -1;
	pcrset_init(&a->reported);
	pcrset_init(&a->log.pcrs);
	pcrset_init(&a->verified);
	if (parse_args(a, argc, argv, &help) == -1) {
		rc = RIV_MALFORMED;
		goto done;
	}
	if (help) {
		fputs(usage, stdout);
		rc = RIV_OK;
		goto done;
	}
	if ((rc = run_checks(a, &err)) != RIV_OK) {
		fprintf(stderr, "rivctl appraise: %s\n", err.msg);
		goto done;
	}
	if (a->json)
		print_json(a);
	else
		print_text(a);
	rc = a->nfailures ? RIV_FAIL : RIV_OK;
done:
	quote_input_free(&a->in);
	refvals_free(a->ref);
	free(a);
	return rc;
}
