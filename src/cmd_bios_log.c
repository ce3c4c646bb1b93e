/*
 * cmd_bios_log.c — `rivctl bios-log`: parse a TCG PC Client measured-boot
 * event log, list its events and print the PCR values it replays to.
 *
 * The log is parsed twice: once to validate it (so nothing reaches stdout
 * for a malformed log), once to print its events through the callback.
 * With --pcrs the replay is held against given PCR values (a quote's):
 * exit 0 when every PCR both give matches, naming a known firmware defect
 * (quirk) if one was needed for that, 1 otherwise.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootlog.h"
#include "rivctl.h"

static const char usage[] =
    "usage: rivctl bios-log FILE [--pcrs FILE] [--json]\n"
    "Parse a TCG PC Client measured-boot event log (legacy SHA1 or\n"
    "crypto-agile), list its events and print the PCR values it replays\n"
    "to; with --pcrs, compare them with the given values.  Exit 0 when\n"
    "parsed (and matched), 1 when a given value differs, 2 when malformed\n"
    "or unreadable.  See rivctl(1).\n";

/* What the event printers need. */
struct printer {
	int	json;
	int	first;		/* no event printed yet */
};

/* Return the lowest bank set in mask, or -1. */
static int
first_bank(uint32_t mask)
{
	int b;

	for (b = 0; b < BANK_COUNT; b++)
		if (mask & (1u << b))
			return b;
	return -1;
}

/* Print the names of the banks in mask as a JSON array. */
static void
print_bank_array(uint32_t mask)
{
	int b, first = 1;

	putchar('[');
	for (b = 0; b < BANK_COUNT; b++)
		if (mask & (1u << b)) {
			printf("%s\"%s\"", first ? "" : ",", bank_get(b)->name);
			first = 0;
		}
	putchar(']');
}

/* Print an event as a member of the JSON "events" array. */
static void
print_event_json(const struct bootlog_event *ev, struct printer *pr)
{
	const char *name = bootlog_event_type_name(ev->type);
	int b, first = 1;

	printf("%s{\"number\":%u,\"offset\":%zu,\"pcr\":%u,\"type\":",
	    pr->first ? "" : ",", ev->number, ev->offset, ev->pcr);
	json_put_string(stdout, name != NULL ? name : "unknown");
	printf(",\"type_id\":%u,\"digests\":{", ev->type);
	for (b = 0; b < BANK_COUNT; b++) {
		if (!(ev->bank_mask & (1u << b)))
			continue;
		printf("%s\"%s\":", first ? "" : ",", bank_get(b)->name);
		json_put_hex(stdout, ev->digests[b], bank_get(b)->size);
		first = 0;
	}
	printf("},\"data_size\":%u,\"extended\":%s", ev->data_len,
	    ev->extended ? "true" : "false");
	if (ev->missing_mask != 0) {
		printf(",\"missing\":");
		print_bank_array(ev->missing_mask);
	}
	putchar('}');
}

/* Print an event as one line for a person. */
static void
print_event_text(const struct bootlog_event *ev)
{
	const char *name = bootlog_event_type_name(ev->type);
	char hex[2 * DIGEST_MAX + 1] = "-", pcr[16], type[48];
	int b;

	if ((b = first_bank(ev->bank_mask)) >= 0)
		hex_encode(ev->digests[b], bank_get(b)->size, hex);
	if (ev->pcr == BOOTLOG_PCR_NONE)
		snprintf(pcr, sizeof(pcr), "none");
	else
		snprintf(pcr, sizeof(pcr), "%u", ev->pcr);
	if (name != NULL)
		snprintf(type, sizeof(type), "%s", name);
	else
		snprintf(type, sizeof(type), "unknown (0x%08x)", ev->type);
	printf("%5u  %4s  %-34s %s%s%s", ev->number, pcr, type,
	    b >= 0 ? bank_get(b)->name : "", b >= 0 ? ":" : "", hex);
	for (b = 0; b < BANK_COUNT; b++)
		if (ev->missing_mask & (1u << b))
			printf(" (no %s)", bank_get(b)->name);
	putchar('\n');
}

/* bootlog callback: print one event. */
static int
print_event(const struct bootlog_event *ev, void *arg)
{
	struct printer *pr = arg;

	if (pr->json)
		print_event_json(ev, pr);
	else
		print_event_text(ev);
	pr->first = 0;
	return 0;
}

/* Print the part of the JSON object that comes before the events. */
static void
print_head_json(const struct bootlog *log)
{
	size_t i;

	printf("{\"format\":\"%s\",\"banks\":",
	    log->format == BOOTLOG_AGILE ? "agile" : "legacy");
	print_bank_array(log->bank_mask);
	printf(",\"unreplayed_banks\":");
	print_bank_array(log->unavailable_mask);
	printf(",\"unknown_algs\":[");
	for (i = 0; i < log->nunknown_algs; i++)
		printf("%s\"0x%04x\"", i ? "," : "", log->unknown_algs[i]);
	printf("],\"startup_locality\":");
	if (log->startup_locality >= 0)
		printf("%d", log->startup_locality);
	else
		printf("null");
	printf(",\"hcrtm\":%s,\"incomplete\":", log->hcrtm ? "true" : "false");
	bootlog_incomplete_json(stdout, log);
	printf(",\"events\":[");
}

/* Print the PCRs of a mask as " 11, 12". */
static void
print_pcr_list(uint32_t mask)
{
	unsigned p;
	int k = 0;

	for (p = 0; p < PCR_COUNT; p++)
		if (mask & (1u << p))
			printf("%s %u", k++ ? "," : "", p);
}

/* Print the header lines for a person. */
static void
print_head_text(const struct bootlog *log)
{
	size_t i;
	int b;

	printf("format: %s\nbanks:",
	    log->format == BOOTLOG_AGILE ? "crypto-agile" : "legacy (SHA1)");
	for (b = 0; b < BANK_COUNT; b++)
		if (log->bank_mask & (1u << b))
			printf(" %s%s", bank_get(b)->name,
			    log->unavailable_mask & (1u << b) ?
			    " (not replayed: no digest in OpenSSL)" : "");
	for (i = 0; i < log->nunknown_algs; i++)
		printf(" 0x%04x (unknown, skipped)", log->unknown_algs[i]);
	printf("\nstartup locality: ");
	if (log->startup_locality >= 0)
		printf("%d\n", log->startup_locality);
	else
		printf("none\n");
	if (log->hcrtm)
		printf("H-CRTM: PCR 0 started at 4\n");
	for (b = 0; b < BANK_COUNT; b++)
		if (log->incomplete[b] != 0) {
			printf("incomplete: %s PCR%s", bank_get(b)->name,
			    (log->incomplete[b] & (log->incomplete[b] - 1)) ?
			    "s" : "");
			print_pcr_list(log->incomplete[b]);
			printf(" (events without a %s digest: no value)\n",
			    bank_get(b)->name);
		}
	printf("events: %u\n\n%5s  %4s  %-34s %s\n", log->nevents, "#",
	    "PCR", "type", "digest");
}

/* Print the replayed PCR values for a person. */
static void
print_pcrs_text(const struct bootlog *log)
{
	char hex[2 * DIGEST_MAX + 1];
	const uint8_t *v;
	uint32_t any = 0;
	unsigned p;
	int b;

	for (b = 0; b < BANK_COUNT; b++)
		any |= log->pcrs.mask[b] | log->incomplete[b];
	printf("\nreplayed PCRs:%s\n", any ? "" : " none");
	for (b = 0; b < BANK_COUNT; b++)
		for (p = 0; p < PCR_COUNT; p++)
			if ((v = pcrset_get(&log->pcrs, b, p)) != NULL) {
				hex_encode(v, bank_get(b)->size, hex);
				printf("%-7s PCR %2u: %s\n", bank_get(b)->name,
				    p, hex);
			} else if (log->incomplete[b] & (1u << p))
				printf("%-7s PCR %2u: incomplete (event %u "
				    "has no %s digest)\n", bank_get(b)->name,
				    p, log->gap[b][p].event,
				    bank_get(b)->name);
}

/* Print the PCRs of each bank in masks as {"sha1":[0,5],...}. */
static void
print_mask_json(const uint32_t *masks)
{
	int b, first = 1, k;
	unsigned p;

	putchar('{');
	for (b = 0; b < BANK_COUNT; b++) {
		if (masks[b] == 0)
			continue;
		printf("%s\"%s\":[", first ? "" : ",", bank_get(b)->name);
		for (p = 0, k = 0; p < PCR_COUNT; p++)
			if (masks[b] & (1u << p))
				printf("%s%u", k++ ? "," : "", p);
		putchar(']');
		first = 0;
	}
	putchar('}');
}

/* Print the comparison with --pcrs as the JSON member "match". */
static void
print_match_json(const struct bootlog *log, const struct pcrset *want,
    const struct bootlog_match *m)
{
	size_t size;
	unsigned p;
	int b, first = 1;

	printf(",\"match\":{\"matched\":%s,\"compared\":",
	    m->matched ? "true" : "false");
	print_mask_json(m->compared);
	printf(",\"quirks\":[");
	if (m->quirk >= 0)
		bootlog_quirk_json(stdout, (size_t)m->quirk);
	printf("],\"mismatches\":[");
	for (b = 0; b < BANK_COUNT && m->quirk < 0; b++) {
		size = bank_get(b)->size;
		for (p = 0; p < PCR_COUNT; p++) {
			if (!(m->mismatched[b] & (1u << p)))
				continue;
			printf("%s{\"bank\":\"%s\",\"pcr\":%u,\"log\":",
			    first ? "" : ",", bank_get(b)->name, p);
			json_put_hex(stdout, pcrset_get(&log->pcrs, b, p), size);
			printf(",\"given\":");
			json_put_hex(stdout, pcrset_get(want, b, p), size);
			putchar('}');
			first = 0;
		}
	}
	printf("]}");
}

/* Print the comparison with --pcrs for a person. */
static void
print_match_text(const struct bootlog *log, const struct pcrset *want,
    const char *wpath, const struct bootlog_match *m)
{
	char h1[2 * DIGEST_MAX + 1], h2[2 * DIGEST_MAX + 1];
	const struct bootlog_quirk *q;
	size_t size, j;
	unsigned p;
	int b;

	printf("\n%s: %s, %zu PCR%s compared\n", wpath,
	    m->matched ? "match" : "MISMATCH", m->ncompared,
	    m->ncompared == 1 ? "" : "s");
	if (m->ncompared == 0)
		printf("no PCR has both a replayed and a given value\n");
	if (m->quirk >= 0) {
		q = bootlog_quirk_get((size_t)m->quirk);
		printf("quirk: %s: PCR %u extended after the log with", q->name,
		    q->pcr);
		for (j = 0; j < q->nextends; j++)
			printf("%s \"%s\"", j ? "," : "", q->extends[j]);
		printf(" (not logged)\n");
		return;
	}
	for (b = 0; b < BANK_COUNT; b++) {
		size = bank_get(b)->size;
		for (p = 0; p < PCR_COUNT; p++) {
			if (!(m->mismatched[b] & (1u << p)))
				continue;
			hex_encode(pcrset_get(&log->pcrs, b, p), size, h1);
			hex_encode(pcrset_get(want, b, p), size, h2);
			printf("mismatch: %s PCR %u: log %s, given %s\n",
			    bank_get(b)->name, p, h1, h2);
		}
	}
}

/* Parse the command line; -1 (after a message) on error. */
static int
parse_args(int argc, char **argv, const char **path, const char **pcrs,
    int *json, int *help)
{
	static const struct option opts[] = {
		{ "pcrs", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			*pcrs = optarg;
			break;
		case 'j':
			*json = 1;
			break;
		case 'h':
			*help = 1;
			return 0;
		default:
			fputs(usage, stderr);
			return -1;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "rivctl bios-log: expected one FILE\n%s",
		    usage);
		return -1;
	}
	*path = argv[optind];
	return 0;
}

/* rivctl bios-log: see usage. */
int
cmd_bios_log(int argc, char **argv)
{
	struct printer pr = { 0, 1 };
	struct bootlog *log = NULL;
	struct bootlog_match *m = NULL;
	struct pcrset *want = NULL;
	struct riv_err err = { "" };
	const char *path = NULL, *wpath = NULL;
	uint8_t *buf = NULL;
	size_t len;
	int help = 0, rc = RIV_MALFORMED;

	if (parse_args(argc, argv, &path, &wpath, &pr.json, &help) == -1)
		return RIV_MALFORMED;
	if (help) {
		fputs(usage, stdout);
		return RIV_OK;
	}
	if (file_read(path, RIV_FILE_MAX, &buf, &len, &err) != RIV_OK) {
		fprintf(stderr, "rivctl bios-log: %s\n", err.msg);
		return RIV_MALFORMED;
	}
	if (wpath != NULL && ((want = malloc(sizeof(*want))) == NULL ||
	    (m = malloc(sizeof(*m))) == NULL)) {
		fprintf(stderr, "rivctl bios-log: out of memory\n");
		goto done;
	}
	if (wpath != NULL && pcrset_load(wpath, want, &err) != RIV_OK) {
		fprintf(stderr, "rivctl bios-log: %s\n", err.msg);
		goto done;
	}
	if ((log = malloc(sizeof(*log))) == NULL) {
		fprintf(stderr, "rivctl bios-log: out of memory\n");
		goto done;
	}
	if (bootlog_replay(buf, len, log, NULL, NULL, &err) != RIV_OK) {
		fprintf(stderr, "rivctl bios-log: %s: %s\n", path, err.msg);
		goto done;
	}
	if (pr.json)
		print_head_json(log);
	else
		print_head_text(log);
	if (bootlog_replay(buf, len, log, print_event, &pr, &err) != RIV_OK) {
		fprintf(stderr, "rivctl bios-log: %s: %s\n", path, err.msg);
		goto done;
	}
	rc = RIV_OK;
	if (wpath != NULL)
		rc = bootlog_match(log, want, m);
	if (pr.json) {
		printf("],\"pcrs\":");
		pcrset_write_json(stdout, &log->pcrs);
		if (wpath != NULL)
			print_match_json(log, want, m);
		printf("}\n");
	} else {
		print_pcrs_text(log);
		if (wpath != NULL)
			print_match_text(log, want, wpath, m);
	}
done:
	free(m);
	free(want);
	free(log);
	free(buf);
	return rc;
}
