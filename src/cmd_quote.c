/*
 * cmd_quote.c — `rivctl quote`: verify a TPM 2.0 quote (TPMS_ATTEST and
 * TPMT_SIGNATURE) with an attestation key, optionally against the expected
 * nonce and PCR values, and report what the quote says.
 *
 * Every input is read and every check run before anything is printed, so
 * malformed input (exit 2) leaves stdout empty.  PCR values are shown only
 * when a valid signature and the PCR digest cover them.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quote.h"
#include "rivctl.h"

static const char usage[] =
    "usage: rivctl quote --attest F --sig F --ak F [--nonce HEX] [--pcrs F]\n"
    "                    [--json]\n"
    "Verify a TPM 2.0 quote: the TPMS_ATTEST (--attest), its TPMT_SIGNATURE\n"
    "(--sig) and the attestation key (--ak: PEM or DER SubjectPublicKeyInfo\n"
    "or X.509 certificate, or a marshalled TPMT_PUBLIC or TPM2B_PUBLIC).\n"
    "--nonce checks the quote's extraData; --pcrs (a JSON file\n"
    "{\"pcrs\":{\"sha256\":{\"0\":\"hex\"}}}) checks its PCR digest over the\n"
    "values of the quoted selection.\n"
    "Exit 0 when valid, 1 when verification fails, 2 when malformed or\n"
    "unreadable.  See rivctl(1).\n";

/* The command line. */
struct args {
	const char	*attest_path;
	const char	*sig_path;
	const char	*ak_path;
	const char	*nonce_hex;
	const char	*pcrs_path;
	int		 json;
};

/* The outcome of every check. */
struct result {
	struct quote	 q;
	int		 is_quote;	/* quote_parse succeeded */
	const char	*check_sig;	/* "ok", "fail" */
	const char	*check_nonce;	/* "ok", "fail", "skipped" */
	const char	*check_pcrs;	/* "ok", "fail", "skipped" */
	char		 why_sig[RIV_ERR_MAX];
	char		 why_quote[RIV_ERR_MAX];
	char		 why_nonce[RIV_ERR_MAX];
	char		 why_pcrs[RIV_ERR_MAX];
	struct pcrset	 shown;		/* covered values of the selection */
};

/* Parse the command line; -1 (after a message) on error. */
static int
parse_args(int argc, char **argv, struct args *a, int *help)
{
	static const struct option opts[] = {
		{ "attest", required_argument, NULL, 'a' },
		{ "sig", required_argument, NULL, 's' },
		{ "ak", required_argument, NULL, 'k' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "pcrs", required_argument, NULL, 'p' },
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
		case 'j': a->json = 1; break;
		case 'h': *help = 1; return 0;
		default:
			fputs(usage, stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "rivctl quote: unexpected argument \"%s\"\n%s",
		    argv[optind], usage);
		return -1;
	}
	if (a->attest_path == NULL || a->sig_path == NULL ||
	    a->ak_path == NULL) {
		fprintf(stderr, "rivctl quote: --attest, --sig and --ak are "
		    "required\n%s", usage);
		return -1;
	}
	if (a->nonce_hex != NULL && *a->nonce_hex == '\0') {
		fprintf(stderr, "rivctl quote: --nonce is empty (leave it out "
		    "to skip the nonce check)\n");
		return -1;
	}
	return 0;
}

/* Keep in r->shown the supplied values of the PCRs the quote selects. */
static void
keep_selected(struct result *r, const struct pcrset *set)
{
	const struct quote_sel *s;
	size_t i;
	unsigned p;

	pcrset_init(&r->shown);
	for (i = 0; i < r->q.nsel; i++) {
		s = &r->q.sel[i];
		for (p = 0; p < PCR_COUNT; p++)
			if ((s->mask >> p & 1) && pcrset_has(set, s->bank, p))
				pcrset_set(&r->shown, s->bank, p,
				    pcrset_get(set, s->bank, p));
	}
}

/*
 * Check nonce and PCR values of a parsed quote, keeping the PCR values to
 * show if the signature and the PCR digest cover them; RIV_MALFORMED or
 * RIV_OK.
 */
static int
check_claims(const struct args *a, struct result *r, const uint8_t *nonce,
    size_t nlen, const struct pcrset *set, struct riv_err *err)
{
	struct riv_err sub;
	int rc;

	if (a->nonce_hex != NULL) {
		r->check_nonce = "ok";
		if (quote_check_nonce(&r->q, nonce, nlen, &sub) != RIV_OK) {
			r->check_nonce = "fail";
			snprintf(r->why_nonce, sizeof(r->why_nonce), "%s",
			    sub.msg);
		}
	}
	if (a->pcrs_path == NULL)
		return RIV_OK;
	if (quote_check_selection(&r->q, &sub) != RIV_OK)
		return err_set(err, RIV_MALFORMED, "%s: %s", a->attest_path,
		    sub.msg);
	rc = quote_check_pcrs(&r->q, set, &sub);
	if (rc == RIV_MALFORMED)
		return err_set(err, RIV_MALFORMED, "%s: %s", a->pcrs_path,
		    sub.msg);
	r->check_pcrs = rc == RIV_OK ? "ok" : "fail";
	if (rc != RIV_OK)
		snprintf(r->why_pcrs, sizeof(r->why_pcrs), "%s", sub.msg);
	else if (strcmp(r->check_sig, "ok") == 0)
		keep_selected(r, set);
	return RIV_OK;
}

/* Verify the quote's structure and signature; RIV_MALFORMED or RIV_OK. */
static int
check_quote(const struct args *a, struct result *r,
    const struct quote_input *in, struct riv_err *err)
{
	struct riv_err sub;
	int rc;

	rc = quote_parse(in->attest, in->alen, &r->q, &sub);
	if (rc == RIV_MALFORMED)
		return err_set(err, rc, "%s: %s", a->attest_path, sub.msg);
	r->is_quote = rc == RIV_OK;
	if (rc != RIV_OK)
		snprintf(r->why_quote, sizeof(r->why_quote), "%s", sub.msg);
	rc = quote_verify(in->attest, in->alen, in->sig, in->slen, &in->ak,
	    &r->q, &sub);
	if (rc == RIV_MALFORMED)
		return err_set(err, rc, "%s: %s", a->sig_path, sub.msg);
	r->check_sig = rc == RIV_OK ? "ok" : "fail";
	if (rc != RIV_OK)
		snprintf(r->why_sig, sizeof(r->why_sig), "%s", sub.msg);
	return RIV_OK;
}

/* Read every input and run every check; RIV_MALFORMED or RIV_OK. */
static int
run_checks(const struct args *a, struct result *r, struct riv_err *err)
{
	struct quote_input in;
	struct pcrset *set = NULL;
	int rc = RIV_MALFORMED;

	if (quote_input_load(&in, a->attest_path, a->sig_path, a->ak_path,
	    a->nonce_hex, err) != RIV_OK)
		goto done;
	if ((set = malloc(sizeof(*set))) == NULL) {
		err_set(err, RIV_MALFORMED, "out of memory");
		goto done;
	}
	pcrset_init(set);
	if (a->pcrs_path != NULL && pcrset_load(a->pcrs_path, set, err))
		goto done;
	if ((rc = check_quote(a, r, &in, err)) != RIV_OK)
		goto done;
	if (r->is_quote)
		rc = check_claims(a, r, in.nonce, in.nlen, set, err);
done:
	quote_input_free(&in);
	free(set);
	return rc;
}

/* Return the first failure, in order of trust, or NULL if valid. */
static const char *
first_failure(const struct result *r)
{
	if (strcmp(r->check_sig, "ok") != 0)
		return r->why_sig;
	if (!r->is_quote)
		return r->why_quote;
	if (strcmp(r->check_nonce, "fail") == 0)
		return r->why_nonce;
	if (strcmp(r->check_pcrs, "fail") == 0)
		return r->why_pcrs;
	return NULL;
}

/* Write an algorithm's name, or its number when it has none. */
static void
alg_string(char *buf, size_t len, const char *name, uint16_t alg)
{
	if (name != NULL)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "0x%04x", alg);
}

/* Return the name of a selection entry's bank ("sha256" or "0x0027"). */
static const char *
sel_name(const struct quote_sel *s, char *buf, size_t len)
{
	alg_string(buf, len, s->bank >= 0 ? bank_get(s->bank)->name : NULL,
	    s->alg);
	return buf;
}

/* Print the selection as a JSON object of PCR index arrays. */
static void
print_selection_json(const struct quote *q)
{
	char name[16];
	size_t i;
	unsigned p;
	int first;

	putchar('{');
	for (i = 0; i < q->nsel; i++) {
		printf("%s\"%s\":[", i ? "," : "",
		    sel_name(&q->sel[i], name, sizeof(name)));
		first = 1;
		for (p = 0; p < 32; p++)
			if (q->sel[i].mask >> p & 1) {
				printf("%s%u", first ? "" : ",", p);
				first = 0;
			}
		putchar(']');
	}
	putchar('}');
}

/* Print the result as one JSON object. */
static void
print_json(const struct result *r)
{
	const struct quote *q = &r->q;
	const char *why = first_failure(r);
	char type[16], scheme[16], hash[16];

	alg_string(type, sizeof(type), quote_type_name(q->type), q->type);
	alg_string(scheme, sizeof(scheme), quote_scheme_name(q->sig_alg),
	    q->sig_alg);
	alg_string(hash, sizeof(hash), q->sig_bank >= 0 ?
	    bank_get(q->sig_bank)->name : NULL, q->sig_hash);
	printf("{\"verdict\":\"%s\",\"reason\":", why ? "invalid" : "valid");
	if (why != NULL)
		json_put_string(stdout, why);
	else
		printf("null");
	printf(",\"magic\":\"%08x\",\"type\":\"%s\",\"signer\":", q->magic,
	    type);
	json_put_hex(stdout, q->signer, q->signer_len);
	printf(",\"extra_data\":");
	json_put_hex(stdout, q->extra, q->extra_len);
	printf(",\"clock\":%llu,\"reset_count\":%u,\"restart_count\":%u,"
	    "\"safe\":%s,\"firmware_version\":\"%016llx\",",
	    (unsigned long long)q->clock, q->reset_count, q->restart_count,
	    q->safe ? "true" : "false",
	    (unsigned long long)q->firmware_version);
	printf("\"signature\":{\"scheme\":\"%s\",\"hash\":\"%s\"},"
	    "\"selection\":", scheme, hash);
	print_selection_json(q);
	printf(",\"pcr_digest\":");
	json_put_hex(stdout, q->pcr_digest, q->pcr_digest_len);
	printf(",\"checks\":{\"signature\":\"%s\",\"structure\":\"%s\","
	    "\"nonce\":\"%s\",\"pcrs\":\"%s\"},\"pcrs\":", r->check_sig,
	    r->is_quote ? "ok" : "fail", r->check_nonce, r->check_pcrs);
	pcrset_write_json(stdout, &r->shown);
	printf("}\n");
}

/* Print bytes as hex on a labelled line ("-" when empty). */
static void
print_hex_line(const char *label, const uint8_t *b, size_t len)
{
	char hex[2 * 68 + 1];

	hex_encode(b, len, hex);
	printf("%-18s%s\n", label, len ? hex : "-");
}

/* Print the selection, one line per bank, for a person. */
static void
print_selection_text(const struct quote *q)
{
	char name[16];
	size_t i;
	unsigned p;

	if (q->nsel == 0)
		printf("%-18s%s\n", "selection:", "none");
	for (i = 0; i < q->nsel; i++) {
		printf("%-18s%s:", "selection:",
		    sel_name(&q->sel[i], name, sizeof(name)));
		for (p = 0; p < 32; p++)
			if (q->sel[i].mask >> p & 1)
				printf(" %u", p);
		putchar('\n');
	}
}

/* Print one check's outcome and, if it failed, why. */
static void
print_check(const char *label, const char *outcome, const char *why)
{
	if (strcmp(outcome, "fail") == 0)
		printf("%-18sfail: %s\n", label, why);
	else
		printf("%-18s%s\n", label, outcome);
}

/* Print the result for a person, one fact a line, verdict last. */
static void
print_text(const struct result *r)
{
	const struct quote *q = &r->q;
	const char *why = first_failure(r), *name;
	char hex[2 * DIGEST_MAX + 1], label[32], scheme[16], hash[16];
	int b;
	unsigned p;

	printf("%-18s%08x%s\n", "magic:", q->magic,
	    q->magic == TPM_GENERATED_VALUE ? " (TPM_GENERATED_VALUE)" : "");
	name = quote_type_name(q->type);
	printf("%-18s%s (0x%04x)\n", "type:", name ? name : "unknown",
	    q->type);
	print_hex_line("qualified signer:", q->signer, q->signer_len);
	print_hex_line("extra data:", q->extra, q->extra_len);
	printf("%-18s%llu\n%-18s%u\n%-18s%u\n%-18s%s\n%-18s%016llx\n",
	    "clock:", (unsigned long long)q->clock, "reset count:",
	    q->reset_count, "restart count:", q->restart_count, "safe:",
	    q->safe ? "yes" : "no", "firmware version:",
	    (unsigned long long)q->firmware_version);
	print_selection_text(q);
	print_hex_line("pcr digest:", q->pcr_digest, q->pcr_digest_len);
	alg_string(scheme, sizeof(scheme), quote_scheme_name(q->sig_alg),
	    q->sig_alg);
	alg_string(hash, sizeof(hash), q->sig_bank >= 0 ?
	    bank_get(q->sig_bank)->name : NULL, q->sig_hash);
	printf("%-18s%s/%s\n", "signature scheme:", scheme, hash);
	print_check("signature:", r->check_sig, r->why_sig);
	if (!r->is_quote)
		print_check("structure:", "fail", r->why_quote);
	print_check("nonce:", r->check_nonce, r->why_nonce);
	print_check("pcrs:", r->check_pcrs, r->why_pcrs);
	for (b = 0; b < BANK_COUNT; b++)
		for (p = 0; p < PCR_COUNT; p++)
			if (pcrset_has(&r->shown, b, p)) {
				hex_encode(pcrset_get(&r->shown, b, p),
				    bank_get(b)->size, hex);
				snprintf(label, sizeof(label), "%s PCR %u:",
				    bank_get(b)->name, p);
				printf("%-18s%s\n", label, hex);
			}
	if (why != NULL)
		printf("quote: INVALID: %s\n", why);
	else
		printf("quote: valid\n");
}

/* rivctl quote: see usage. */
int
cmd_quote(int argc, char **argv)
{
	struct args a;
	struct result *r;
	struct riv_err err = { "" };
	int help = 0, rc;

	memset(&a, 0, sizeof(a));
	if (parse_args(argc, argv, &a, &help) == -1)
		return RIV_MALFORMED;
	if (help) {
		fputs(usage, stdout);
		return RIV_OK;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		fprintf(stderr, "rivctl quote: out of memory\n");
		return RIV_MALFORMED;
	}
	r->check_sig = "fail";
	r->check_nonce = r->check_pcrs = "skipped";
	pcrset_init(&r->shown);
	if ((rc = run_checks(&a, r, &err)) != RIV_OK) {
		fprintf(stderr, "rivctl quote: %s\n", err.msg);
		free(r);
		return RIV_MALFORMED;
	}
	if (a.json)
		print_json(r);
	else
		print_text(r);
	rc = first_failure(r) != NULL ? RIV_FAIL : RIV_OK;
	free(r);
	return rc;
}
