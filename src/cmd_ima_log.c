/*
 * cmd_ima_log.c — `rivctl ima-log`: parse a Linux IMA measurement list
 * (binary or ASCII), verify its template digests, replay the PCRs it
 * extends, optionally appraise it against a runtime policy, continue from
 * a saved state, and compare the replay with quoted PCR values.
 *
 * Nothing reaches stdout until the whole list has been read, so a
 * malformed list prints only its error (on stderr).  The state file is
 * composed in save_state()/load_state() only:
 * {"version":1,"replay":{...},"appraiser":{...}}, "replay" being the IMA
 * replay state (ima_state_write) and "appraiser", present when the state
 * was made with --policy, what appraisal learned (ima_appraiser_write).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ima.h"
#include "ima_policy.h"
#include "rivctl.h"

#define TEMPLATE_KINDS	32	/* template names counted separately */
#define PATH_SHOWN_MAX	4096	/* bytes of a path kept for the report */
#define STATE_VERSION	1	/* of the state file's outer object */

static const char usage[] =
    "usage: rivctl ima-log FILE [--json] [--policy F] [--state F [--from N]]\n"
    "                     [--pcrs F] [--banks LIST]\n"
    "Parse a Linux IMA measurement list (binary_runtime_measurements or\n"
    "the ASCII form), verify every template digest, replay the PCRs it\n"
    "extends in each bank, and appraise it against a runtime policy\n"
    "(rivd-ima-policy(5)).\n"
    "  --json        print one JSON object\n"
    "  --policy F    appraise the entries against policy F\n"
    "  --state F     continue from the replay state in F (if it exists)\n"
    "                and write the updated state back to F; FILE is the\n"
    "                whole list, entries the state covers are checked\n"
    "  --from N      FILE is the list's tail from entry N, which must be\n"
    "                the state's next entry\n"
    "  --pcrs F      quoted PCR values ({\"pcrs\":{\"sha256\":{\"10\":..}}});\n"
    "                find the entry the quote covers and the pending ones\n"
    "  --banks LIST  banks to replay, e.g. sha1,sha256, or all (default:\n"
    "                the banks of --pcrs, else sha256; the list's own\n"
    "                bank always)\n"
    "Exit 0 when all is good, 1 on a template digest mismatch or a policy\n"
    "failure (in this run or, with --state, earlier in the boot), a list\n"
    "whose entry 0 is not boot_aggregate (unless the policy allows it) or\n"
    "a quote that does not cover the list, 2 when malformed.\n"
    "See rivctl(1).\n";

/* A failing entry, kept for the report. */
struct failure {
	uint64_t	 index;
	char		*path;
	char		*reason;
};

struct failures {
	struct failure	*v;
	size_t		 n, cap;
};

struct tcount {
	char		 name[IMA_NAME_MAX + 1];
	uint64_t	 n;
};

/* What the run collects from the entries. */
struct run {
	struct ima_state	*st;
	struct ima_appraiser	*ap;
	uint64_t		 entries, violations, other_templates;
	struct tcount		 templates[TEMPLATE_KINDS];
	size_t			 ntemplates;
	struct failures		 mismatches, policy;
	int			 oom;
};

/* Command-line options. */
struct opts {
	const char	*path, *policy, *state, *pcrs, *banks;
	int		 json, help, have_from;
	uint64_t	 from;
};

/* Copy an entry's path for the report (NUL bytes shown as '?'). */
static char *
dup_path(const struct ima_entry *e)
{
	size_t n = e->path_len > PATH_SHOWN_MAX ? PATH_SHOWN_MAX : e->path_len;
	size_t i;
	char *s;

	if ((s = malloc(n + 4)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		s[i] = e->path[i] != '\0' ? e->path[i] : '?';
	if (n < e->path_len) {
		memcpy(s + n, "...", 3);
		n += 3;
	}
	s[n] = '\0';
	return s;
}

/* Record a failing entry; -1 if out of memory. */
static int
failure_add(struct failures *f, const struct ima_entry *e, const char *why)
{
	struct failure *nv;
	size_t ncap;

	if (f->n == f->cap) {
		ncap = f->cap ? 2 * f->cap : 16;
		if ((nv = realloc(f->v, ncap * sizeof(*nv))) == NULL)
			return -1;
		f->v = nv;
		f->cap = ncap;
	}
	f->v[f->n].index = e->index;
	f->v[f->n].path = dup_path(e);
	f->v[f->n].reason = why != NULL ? strdup(why) : NULL;
	if (f->v[f->n].path == NULL || (why != NULL &&
	    f->v[f->n].reason == NULL)) {
		free(f->v[f->n].path);
		free(f->v[f->n].reason);
		return -1;
	}
	f->n++;
	return 0;
}

/* Free recorded failures. */
static void
failures_free(struct failures *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].path);
		free(f->v[i].reason);
	}
	free(f->v);
}

/* Count an entry's template. */
static void
count_template(struct run *run, const char *name)
{
	size_t i;

	for (i = 0; i < run->ntemplates; i++)
		if (strcmp(run->templates[i].name, name) == 0) {
			run->templates[i].n++;
			return;
		}
	if (run->ntemplates == TEMPLATE_KINDS) {
		run->other_templates++;
		return;
	}
	snprintf(run->templates[i].name, sizeof(run->templates[i].name), "%s",
	    name);
	run->templates[i].n = 1;
	run->ntemplates++;
}

/* ima_feed callback: count, record mismatches, appraise. */
static int
take_entry(const struct ima_entry *e, int mismatch, void *arg)
{
	struct run *run = arg;
	char reason[IMA_REASON_MAX];

	run->entries++;
	count_template(run, e->template_name);
	if (e->violation)
		run->violations++;
	if (mismatch && failure_add(&run->mismatches, e, NULL) == -1)
		goto oom;
	if (run->ap != NULL &&
	    ima_appraise_entry(run->ap, e, reason, sizeof(reason)) != RIV_OK) {
		ima_state_fail(run->st, e->index);
		if (failure_add(&run->policy, e, reason) == -1)
			goto oom;
	}
	return 0;
oom:
	run->oom = 1;
	return RIV_MALFORMED;
}

/*
 * Parse a comma-separated bank list, or "all" (every bank this OpenSSL
 * has), into a mask; -1 if a name is bad.
 */
static int
parse_banks(const char *s, uint32_t *mask)
{
	char name[16];
	size_t n;
	int b;

	*mask = 0;
	if (strcmp(s, "all") == 0) {
		*mask = ima_default_banks();
		return 0;
	}
	while (*s != '\0') {
		n = strcspn(s, ",");
		if (n == 0 || n >= sizeof(name))
			return -1;
		memcpy(name, s, n);
		name[n] = '\0';
		if ((b = bank_by_name(name)) == -1 || !bank_available(b))
			return -1;
		*mask |= 1u << b;
		s += n;
		if (*s == ',')
			s++;
	}
	return *mask != 0 ? 0 : -1;
}

/* Parse the command line; -1 (after a message) on error. */
static int
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "policy", required_argument, NULL, 'p' },
		{ "from", required_argument, NULL, 'f' },
		{ "state", required_argument, NULL, 's' },
		{ "pcrs", required_argument, NULL, 'q' },
		{ "banks", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = 1;
			break;
		case 'p':
			o->policy = optarg;
			break;
		case 'f':
			errno = 0;
			o->from = strtoull(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' ||
			    errno != 0) {
				fprintf(stderr, "rivctl ima-log: --from: not "
				    "an entry index: %s\n", optarg);
				return -1;
			}
			o->have_from = 1;
			break;
		case 's':
			o->state = optarg;
			break;
		case 'q':
			o->pcrs = optarg;
			break;
		case 'b':
			o->banks = optarg;
			break;
		case 'h':
			o->help = 1;
			return 0;
		default:
			fputs(usage, stderr);
			return -1;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "rivctl ima-log: expected one FILE\n%s", usage);
		return -1;
	}
	if (o->have_from && o->state == NULL) {
		fprintf(stderr, "rivctl ima-log: --from needs --state\n");
		return -1;
	}
	o->path = argv[optind];
	return 0;
}

/*
 * Read the state file: {"version":1,"replay":{...},"appraiser":{...}}
 * into st and, when a policy is in use, ap.  A state made with a policy
 * continues only with one (and the same: ima_appraiser_from_json checks),
 * one made without continues only without.  RIV_OK, or RIV_MALFORMED after
 * a message.
 */
static int
load_state(const char *path, struct ima_state *st, struct ima_appraiser *ap)
{
	struct riv_err err = { "" };
	const struct json *v, *a;
	unsigned long long n;
	struct json *doc;

	if ((doc = json_load(path, &err)) == NULL) {
		fprintf(stderr, "rivctl ima-log: %s\n", err.msg);
		return RIV_MALFORMED;
	}
	if (doc->type != JSON_OBJECT ||
	    json_uint(json_get(doc, "version"), 1000, &n) == -1 ||
	    n != STATE_VERSION) {
		fprintf(stderr, "rivctl ima-log: %s: not a state file of "
		    "version %d\n", path, STATE_VERSION);
		goto fail;
	}
	if ((v = json_get(doc, "replay")) == NULL) {
		fprintf(stderr, "rivctl ima-log: %s: no \"replay\" member\n",
		    path);
		goto fail;
	}
	if (ima_state_from_json(v, st, &err) != RIV_OK) {
		fprintf(stderr, "rivctl ima-log: %s: replay: %s\n", path,
		    err.msg);
		goto fail;
	}
	a = json_get(doc, "appraiser");
	if (a != NULL && ap == NULL) {
		fprintf(stderr, "rivctl ima-log: %s: the state was made with "
		    "a policy: give --policy\n", path);
		goto fail;
	}
	if (a == NULL && ap != NULL && st->next > 0) {
		fprintf(stderr, "rivctl ima-log: %s: the state was made "
		    "without a policy: entries 0-%llu were not appraised\n",
		    path, (unsigned long long)st->next - 1);
		goto fail;
	}
	if (a != NULL && ima_appraiser_from_json(ap, a, &err) != RIV_OK) {
		fprintf(stderr, "rivctl ima-log: %s: appraiser: %s\n", path,
		    err.msg);
		goto fail;
	}
	json_free(doc);
	return RIV_OK;
fail:
	json_free(doc);
	return RIV_MALFORMED;
}

/*
 * Write the state file (see load_state), replacing it atomically through a
 * new temporary file beside it (mkstemp, flushed to disk).  RIV_OK,
 * or RIV_MALFORMED after a message.
 */
static int
save_state(const char *path, const struct ima_state *st,
    const struct ima_appraiser *ap)
{
	char tmp[4096];
	FILE *f;
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		fprintf(stderr, "rivctl ima-log: %s: path too long\n", path);
		return RIV_MALFORMED;
	}
	if ((fd = mkstemp(tmp)) == -1) {
		fprintf(stderr, "rivctl ima-log: %s: %s\n", tmp,
		    strerror(errno));
		return RIV_MALFORMED;
	}
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		goto fail;
	}
	fprintf(f, "{\"version\":%d,\"replay\":", STATE_VERSION);
	ima_state_write(f, st);
	if (ap != NULL) {
		fputs(",\"appraiser\":", f);
		ima_appraiser_write(f, ap);
	}
	fputs("}\n", f);
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0) {
		fclose(f);
		goto fail;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		goto fail;
	return RIV_OK;
fail:
	fprintf(stderr, "rivctl ima-log: %s: %s\n", tmp, strerror(errno));
	remove(tmp);
	return RIV_MALFORMED;
}

/*
 * The banks replayed unless --banks says: those the quoted PCRs carry, or
 * without a quote sha256 (the list's own bank is always replayed).  A
 * bank no quote shows cannot be compared, only printed.
 */
static uint32_t
default_banks(const struct pcrset *quoted)
{
	uint32_t mask = 0;
	int b;

	for (b = 0; quoted != NULL && b < BANK_COUNT; b++)
		if (quoted->mask[b] != 0 && bank_available(b))
			mask |= 1u << b;
	return mask != 0 ? mask : 1u << BANK_SHA256;
}

/*
 * Start the replay state: from the state file if one is named and exists
 * (with its banks), else before entry 0.  RIV_OK or RIV_MALFORMED after a
 * message.
 */
static int
setup_state(const struct opts *o, struct ima_state *st,
    struct ima_appraiser *ap, const struct pcrset *quoted)
{
	uint32_t mask = 0;

	if (o->banks != NULL && parse_banks(o->banks, &mask) == -1) {
		fprintf(stderr, "rivctl ima-log: --banks: expected \"all\" or "
		    "names of banks this OpenSSL has (sha1,sha256,...): %s\n",
		    o->banks);
		return RIV_MALFORMED;
	}
	ima_state_init(st, mask != 0 ? mask : default_banks(quoted));
	if (o->state != NULL && access(o->state, F_OK) == 0) {
		if (load_state(o->state, st, ap) != RIV_OK)
			return RIV_MALFORMED;
		if (mask != 0 && (st->list_bank >= 0 ? mask |
		    1u << st->list_bank : mask) != st->bank_mask) {
			fprintf(stderr, "rivctl ima-log: --banks differs from "
			    "the banks of state %s\n", o->state);
			return RIV_MALFORMED;
		}
	}
	if (o->have_from && o->from != st->next) {
		fprintf(stderr, "rivctl ima-log: --from %llu, but %s covers "
		    "the entries before %llu\n", (unsigned long long)o->from,
		    o->state, (unsigned long long)st->next);
		return RIV_MALFORMED;
	}
	return RIV_OK;
}

/*
 * Print text from an attacker-chosen list for a terminal: bytes below 0x20,
 * 0x7f and the backslash escaped (\x1b, \\).
 */
static void
put_text(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", *p);
		else if (*p == '\\')
			fputs("\\\\", stdout);
		else
			putchar(*p);
}

/* Describe a mask of rules (enum ima_rule) for a person. */
static const char *
rules_text(unsigned rules)
{
	switch (rules) {
	case 1u << IMA_RULE_BANK:
		return "per-bank";
	case 1u << IMA_RULE_PAD | 1u << IMA_RULE_PADFF:
		return "padded sha1";
	case 1u << IMA_RULE_PAD:
		return "padded sha1 (before Linux 5.8)";
	case 1u << IMA_RULE_PADFF:
		return "padded sha1 (Linux 5.8+, no hash for the bank)";
	}
	return "per-bank or padded sha1, until a quote tells";
}

/* Print {"sha1":["per-bank"],...} for the banks with rules. */
static void
print_rules_json(const uint8_t *rules)
{
	int b, r, first = 1, k;

	putchar('{');
	for (b = 0; b < BANK_COUNT; b++) {
		if (rules[b] == 0)
			continue;
		printf("%s\"%s\":[", first ? "" : ",", bank_get(b)->name);
		for (r = 0, k = 0; r < IMA_RULES; r++)
			if (rules[b] & (1u << r))
				printf("%s\"%s\"", k++ ? "," : "",
				    ima_rule_name((unsigned)r));
		putchar(']');
		first = 0;
	}
	putchar('}');
}

/* The rules of the replayed banks (0 for the others). */
static void
state_rules(const struct ima_state *st, uint8_t *rules)
{
	int b;

	for (b = 0; b < BANK_COUNT; b++)
		rules[b] = st->bank_mask & (1u << b) ? st->rules[b] : 0;
}

/* Print recorded failures as a JSON array. */
static void
print_failures_json(const struct failures *f)
{
	size_t i;

	putchar('[');
	for (i = 0; i < f->n; i++) {
		printf("%s{\"index\":%llu,\"path\":", i ? "," : "",
		    (unsigned long long)f->v[i].index);
		json_put_string(stdout, f->v[i].path);
		if (f->v[i].reason != NULL) {
			printf(",\"reason\":");
			json_put_string(stdout, f->v[i].reason);
		}
		putchar('}');
	}
	putchar(']');
}

/* Print the quote's outcome as a JSON object. */
static void
print_quote_json(const struct ima_quote *q)
{
	unsigned p;
	int k = 0;

	printf(",\"quote\":{\"matched\":%s,\"checkpoint\":",
	    q->matched ? "true" : "false");
	if (q->found)
		printf("%llu,\"pending\":%llu",
		    (unsigned long long)q->checkpoint,
		    (unsigned long long)q->pending);
	else
		printf("null,\"pending\":null");
	printf(",\"lagging\":%s,\"full\":%s,\"rules\":",
	    q->lagging ? "true" : "false", q->found && q->full ? "true" :
	    "false");
	print_rules_json(q->rules);
	printf(",\"uncovered_pcrs\":[");
	for (p = 0; p < PCR_COUNT; p++)
		if (q->uncovered & (1u << p))
			printf("%s%u", k++ ? "," : "", p);
	putchar(']');
	if (!q->matched) {
		printf(",\"reason\":");
		json_put_string(stdout, q->reason);
	}
	putchar('}');
}

/* Print the report as one JSON object. */
static void
print_json(const struct run *run, const struct ima_state *st, uint64_t first,
    int format, const struct ima_quote *q, int policy)
{
	struct pcrset *v;
	uint8_t rules[BANK_COUNT];
	size_t i;

	printf("{\"format\":\"%s\",\"list_bank\":",
	    format == IMA_FORMAT_ASCII ? "ascii" : "binary");
	if (st->list_bank >= 0)
		printf("\"%s\"", bank_get(st->list_bank)->name);
	else
		printf("null");
	printf(",\"entries\":%llu,\"first\":%llu,\"next\":%llu,"
	    "\"templates\":{", (unsigned long long)run->entries,
	    (unsigned long long)first, (unsigned long long)st->next);
	for (i = 0; i < run->ntemplates; i++) {
		printf("%s", i ? "," : "");
		json_put_string(stdout, run->templates[i].name);
		printf(":%llu", (unsigned long long)run->templates[i].n);
	}
	if (run->other_templates > 0)
		printf("%s\"(other)\":%llu", i ? "," : "",
		    (unsigned long long)run->other_templates);
	printf("},\"violations\":%llu,\"digest_mismatches\":",
	    (unsigned long long)run->violations);
	print_failures_json(&run->mismatches);
	printf(",\"policy\":%s,\"policy_failures\":", policy ? "true" :
	    "false");
	print_failures_json(&run->policy);
	printf(",\"failed_entries\":%llu,\"first_failed\":",
	    (unsigned long long)st->failed);
	if (st->failed > 0)
		printf("%llu", (unsigned long long)st->first_failed);
	else
		printf("null");
	printf(",\"boot_aggregate\":%s", st->aggregate < 0 ? "null" :
	    st->aggregate ? "true" : "false");
	printf(",\"pcrs\":");
	if ((v = malloc(sizeof(*v))) != NULL) {
		ima_state_values(st, v);
		pcrset_write_json(stdout, v);
		free(v);
	} else
		printf("{}");
	printf(",\"rules\":");
	state_rules(st, rules);
	print_rules_json(rules);
	if (q != NULL)
		print_quote_json(q);
	printf("}\n");
}

/* Print one failing entry for a person. */
static void
print_failure(const struct failure *f)
{
	printf("  entry %llu: ", (unsigned long long)f->index);
	put_text(f->path);
	if (f->reason != NULL) {
		fputs(": ", stdout);
		put_text(f->reason);
	}
	putchar('\n');
}

/* Print the quote's outcome for a person. */
static void
print_quote_text(const struct ima_quote *q)
{
	const char *sep = "; compared ";
	unsigned p;
	int b;

	if (!q->matched) {
		printf("quote: FAILED: ");
		put_text(q->reason);
		putchar('\n');
		return;
	}
	printf("quote: covers entries up to %llu, %llu pending%s",
	    (unsigned long long)q->checkpoint,
	    (unsigned long long)q->pending,
	    q->lagging ? ", lagging further behind" : "");
	for (b = 0; b < BANK_COUNT; b++)
		if (q->rules[b] != 0) {
			printf("%s%s (%s)", sep, bank_get(b)->name,
			    rules_text(q->rules[b]));
			sep = ", ";
		}
	if (!q->full)
		printf("; not every quoted bank compared");
	putchar('\n');
	for (p = 0; p < PCR_COUNT; p++)
		if (q->uncovered & (1u << p))
			printf("quote: PCR %u not covered\n", p);
}

/* Print the report for a person. */
static void
print_text(const struct run *run, const struct ima_state *st, uint64_t first,
    int format, const struct ima_quote *q, int policy)
{
	char hex[2 * DIGEST_MAX + 1];
	struct pcrset *v;
	unsigned p;
	size_t i;
	int b;

	printf("format: %s, template digests %s\n",
	    format == IMA_FORMAT_ASCII ? "ASCII" : "binary",
	    st->list_bank >= 0 ? bank_get(st->list_bank)->name : "unknown");
	if (run->entries > 0)
		printf("entries: %llu (%llu-%llu)\n",
		    (unsigned long long)run->entries,
		    (unsigned long long)first,
		    (unsigned long long)st->next - 1);
	else
		printf("entries: 0 (none after %llu)\n",
		    (unsigned long long)first);
	printf("templates:");
	for (i = 0; i < run->ntemplates; i++)
		printf(" %s %llu", run->templates[i].name,
		    (unsigned long long)run->templates[i].n);
	if (run->other_templates > 0)
		printf(" (other) %llu",
		    (unsigned long long)run->other_templates);
	printf("\nviolations: %llu\ntemplate digest mismatches: %zu\n",
	    (unsigned long long)run->violations, run->mismatches.n);
	for (i = 0; i < run->mismatches.n; i++)
		print_failure(&run->mismatches.v[i]);
	if (policy) {
		printf("policy failures: %zu\n", run->policy.n);
		for (i = 0; i < run->policy.n; i++)
			print_failure(&run->policy.v[i]);
	}
	if (st->aggregate == 0)
		printf("entry 0 is not boot_aggregate: the list is not bound "
		    "to this boot%s\n", policy ? "" : " (FAILED)");
	if (st->failed > 0)
		printf("failed entries this boot: %llu (first: entry %llu)\n",
		    (unsigned long long)st->failed,
		    (unsigned long long)st->first_failed);
	printf("replayed PCRs:\n");
	if ((v = malloc(sizeof(*v))) == NULL)
		return;
	ima_state_values(st, v);
	for (b = 0; b < BANK_COUNT; b++)
		for (p = 0; p < PCR_COUNT; p++)
			if (pcrset_has(v, b, p)) {
				hex_encode(v->val[b][p], bank_get(b)->size,
				    hex);
				printf("%-7s PCR %2u: %s\n", bank_get(b)->name,
				    p, hex);
			}
	free(v);
	for (b = 0; b < BANK_COUNT; b++)
		if ((st->bank_mask & (1u << b)) && b != BANK_SHA1)
			printf("%-7s rule: %s\n", bank_get(b)->name,
			    rules_text(st->rules[b]));
	if (q != NULL)
		print_quote_text(q);
}

/* The list file, read in chunks by ima_feed_source. */
struct list_file {
	int	fd;
	int	errnum;		/* errno of a failed read, or 0 */
};

/* ima_source read callback: read(2) from the list file. */
static long
read_list(void *arg, uint8_t *buf, size_t len)
{
	struct list_file *lf = arg;
	ssize_t n;

	do
		n = read(lf->fd, buf, len);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		lf->errnum = errno;
	return (long)n;
}

/*
 * Run the list through the state, the policy and the quote, reading it in
 * bounded chunks (peak memory does not grow with the list).
 */
static int
run_list(const struct opts *o, int fd, struct ima_source *src,
    struct ima_state *st, struct run *run, struct ima_quote *q,
    const struct pcrset *quoted)
{
	struct list_file lf = { fd, 0 };
	struct riv_err err = { "" };
	struct hasher *h;
	int rc;

	if ((h = hasher_new()) == NULL) {
		fprintf(stderr, "rivctl ima-log: out of memory\n");
		return RIV_MALFORMED;
	}
	if (quoted != NULL)
		ima_quote_watch(st, quoted);
	src->read = read_list;
	src->arg = &lf;
	src->format = IMA_FORMAT_AUTO;
	rc = ima_feed_source(st, h, src, o->have_from ? o->from : 0,
	    take_entry, run, &err);
	hasher_free(h);
	if (rc == RIV_OK && src->bytes == 0 && !o->have_from) {
		fprintf(stderr, "rivctl ima-log: %s: empty measurement list "
		    "(entry 0 at byte offset 0)\n", o->path);
		return RIV_MALFORMED;
	}
	if (rc != RIV_OK) {
		if (run->oom)
			fprintf(stderr, "rivctl ima-log: out of memory\n");
		else if (lf.errnum != 0)
			fprintf(stderr, "rivctl ima-log: %s: %s: %s\n", o->path,
			    err.msg, strerror(lf.errnum));
		else
			fprintf(stderr, "rivctl ima-log: %s: %s\n", o->path,
			    err.msg);
		return RIV_MALFORMED;
	}
	if (quoted != NULL)
		(void)ima_quote_check(st, quoted, q);
	if (o->state != NULL && save_state(o->state, st, run->ap) != RIV_OK)
		return RIV_MALFORMED;
	return RIV_OK;
}

/* Load the policy and the quoted PCRs named on the command line. */
static int
load_inputs(const struct opts *o, struct ima_policy **pol,
    struct pcrset *quoted)
{
	struct riv_err err = { "" };

	if (o->policy != NULL &&
	    (*pol = ima_policy_load(o->policy, &err)) == NULL) {
		fprintf(stderr, "rivctl ima-log: %s\n", err.msg);
		return RIV_MALFORMED;
	}
	if (o->pcrs != NULL && pcrset_load(o->pcrs, quoted, &err) != RIV_OK) {
		fprintf(stderr, "rivctl ima-log: %s\n", err.msg);
		return RIV_MALFORMED;
	}
	return RIV_OK;
}

/* rivctl ima-log: see usage. */
int
cmd_ima_log(int argc, char **argv)
{
	struct opts o = { NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0 };
	struct ima_policy *pol = NULL;
	struct ima_state *st = NULL;
	struct pcrset *quoted = NULL;
	struct run *run = NULL;
	struct ima_source src;
	struct ima_quote q;
	uint64_t first;
	int fd, rc = RIV_MALFORMED;

	if (parse_args(argc, argv, &o) == -1)
		return RIV_MALFORMED;
	if (o.help) {
		fputs(usage, stdout);
		return RIV_OK;
	}
	if ((fd = open(o.path, O_RDONLY)) == -1) {
		fprintf(stderr, "rivctl ima-log: %s: %s\n", o.path,
		    strerror(errno));
		return RIV_MALFORMED;
	}
	memset(&src, 0, sizeof(src));
	st = ima_state_new(0);
	run = calloc(1, sizeof(*run));
	quoted = malloc(sizeof(*quoted));
	if (st == NULL || run == NULL || quoted == NULL) {
		fprintf(stderr, "rivctl ima-log: out of memory\n");
		goto done;
	}
	if (load_inputs(&o, &pol, quoted) != RIV_OK)
		goto done;
	if (pol != NULL && (run->ap = ima_appraiser_new(pol)) == NULL) {
		fprintf(stderr, "rivctl ima-log: out of memory\n");
		goto done;
	}
	if (run->ap != NULL && o.pcrs != NULL)
		ima_appraiser_set_pcrs(run->ap, quoted);
	if (setup_state(&o, st, run->ap, o.pcrs != NULL ? quoted : NULL) !=
	    RIV_OK)
		goto done;
	run->st = st;
	first = st->next;
	if (run_list(&o, fd, &src, st, run, &q,
	    o.pcrs != NULL ? quoted : NULL) != RIV_OK)
		goto done;
	if (o.json)
		print_json(run, st, first, src.format,
		    o.pcrs != NULL ? &q : NULL, pol != NULL);
	else
		print_text(run, st, first, src.format,
		    o.pcrs != NULL ? &q : NULL, pol != NULL);
	rc = run->mismatches.n > 0 || run->policy.n > 0 || st->failed > 0 ||
	    (o.pcrs != NULL && !q.matched) ||
	    (st->aggregate == 0 && pol == NULL) ? RIV_FAIL : RIV_OK;
done:
	if (run != NULL) {
		ima_appraiser_free(run->ap);
		failures_free(&run->mismatches);
		failures_free(&run->policy);
	}
	if (pol != NULL)
		ima_policy_unref(pol);
	free(run);
	free(quoted);
	ima_state_free(st);
	close(fd);
	return rc;
}
