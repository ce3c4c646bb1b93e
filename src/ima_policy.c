/*
 * ima_policy.c — IMA runtime policy (rivd-ima-policy(5)): parsing of the
 * native JSON format and of Keylime runtime policies, and appraisal of IMA
 * entries against it.
 *
 * A policy is immutable once parsed and reference counted, so any number of
 * appraisers (one per attester) share it.  Names (paths, keyring names,
 * buffer names) are kept in open-addressing hash tables mapping a name to its
 * allowed digests; appraising an ordinary file entry is one hash, one probe
 * sequence and a few memcmp calls, with no allocation.  Loading reads the
 * text once (after its SHA-256): the name maps go straight from the text
 * into the tables, one packed record per name with its digests in binary,
 * and only the small members become a JSON tree (json.c's reader with a
 * member hook, see policy_member).  The exclude patterns are combined into
 * one POSIX regular expression that is only run for an entry that would
 * otherwise fail.
 *
 * Policies loaded with ima_policy_get() are kept in a registry, keyed by the
 * SHA-256 of the file, so every attester using one version shares one copy.
 * The registry holds no reference: the last ima_policy_unref() removes the
 * policy from it (under the registry's lock) and frees it.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "json.h"
#include "ima_policy.h"
#include "pem.h"

/*
 * File digest algorithms, by the names the kernel logs and the numbers of its
 * enum hash_algo (include/uapi/linux/hash_info.h), used in IMA signatures.
 */
struct algo {
	const char	*name;
	uint8_t		 kid;		/* kernel enum hash_algo */
	uint8_t		 size;
	const char	*ossl;		/* OpenSSL name, NULL if unsupported */
};

static const struct algo algos[] = {
	{ "md5",	 1,	16,	"MD5" },
	{ "sha1",	 2,	20,	"SHA1" },
	{ "sha256",	 4,	32,	"SHA256" },
	{ "sha384",	 5,	48,	"SHA384" },
	{ "sha512",	 6,	64,	"SHA512" },
	{ "sha224",	 7,	28,	"SHA224" },
	{ "sm3",	17,	32,	"SM3" },
	{ "streebog256", 18,	32,	NULL },
	{ "streebog512", 19,	64,	NULL },
	{ "sha3-256",	20,	32,	"SHA3-256" },
	{ "sha3-384",	21,	48,	"SHA3-384" },
	{ "sha3-512",	22,	64,	"SHA3-512" },
};
#define ALGO_COUNT	((int)(sizeof(algos) / sizeof(algos[0])))
#define ALGO_ANY	0xff	/* Keylime digest: any algorithm of its size */
#define ALGO_SHA1	1
#define ALGO_SM3	6

/* IMA xattr types and signature header (security/integrity/integrity.h). */
#define EVM_IMA_XATTR_DIGSIG	3
#define IMA_VERITY_DIGSIG	6
#define SIG_HDR_LEN		9

/* One allowed digest, as decoded from the policy. */
struct digest {
	uint8_t		algo;		/* index into algos, or ALGO_ANY */
	uint8_t		len;
	uint8_t		d[IMA_DIGEST_MAX];
};

/*
 * A name and its allowed digests, packed in a table's arena: the name's
 * length (little endian), the number of digests, the name (not NUL ended),
 * then each digest as its algorithm, its length and its bytes.  Every
 * member is a byte, so a record needs no alignment.
 */
struct pname {
	uint8_t		len[2];
	uint8_t		count;
	uint8_t		name[];
};

/* A digest in a name's record. */
struct pdigest {
	uint8_t		algo;		/* index into algos, or ALGO_ANY */
	uint8_t		len;
	uint8_t		d[];
};

/* A slot of a table: a name's hash and 1 + its offset in the arena. */
struct slot {
	uint32_t	hash;
	uint32_t	ref;		/* 0 is empty */
};

/*
 * Names to allowed digests: an open-addressing table at most half full
 * over one arena of records (struct pname), in the order of the policy.
 * Appraising a name is one hash, a probe sequence and a memcmp, with no
 * allocation; loading one costs a record (a few bytes more than the
 * name and the binary digests) and two slots.  Beside the slots, a
 * filter of eight bits per slot (two set per name) answers most names
 * the table lacks without touching the slots: a list measures many files
 * a policy does not list (allow_unlisted, excludes), and the slots of a
 * big policy are not in cache while a list streams by, where the filter,
 * an eighth of their size, stays.
 */
struct table {
	struct slot	*slots;
	uint8_t		*filter;	/* mask + 1 bytes: see filter_bits */
	size_t		 mask;
	size_t		 nnames;
	uint8_t		*arena;
	size_t		 used;
	size_t		 cap;
	size_t		 last;		/* offset of the newest record */
	uint64_t	 seed;		/* of name_hash */
};

/* The first table size, in slots. */
#define TABLE_SLOTS_MIN	64

/* A public key trusted for IMA signatures. */
struct sigkey {
	uint32_t	 keyid;
	EVP_PKEY	*pkey;
	uint8_t		*der;		/* learned keys: as measured */
	size_t		 derlen;
	char		 keyring[8];	/* learned keys: ".ima" or "_ima" */
};

struct ima_policy {
	atomic_size_t		 refs;
	int			 registered;	/* in the registry (fixed) */
	struct ima_policy	*next;		/* registry list, under its lock */
	uint8_t			 digest[IMA_POLICY_DIGEST_LEN];
	char			 release[IMA_POLICY_RELEASE_MAX + 1];
	int			 has_release;
	enum ima_policy_format	 format;
	struct table		 files;		/* paths (and boot_aggregate) */
	struct table		 keyrings;	/* keyring -> key digests */
	struct table		 bufs;		/* ima-buf name -> digests */
	char			**ignored;	/* ignored keyrings */
	size_t			 nignored;
	int			 ignore_all;	/* "*" ignores every keyring */
	regex_t			 excl;
	int			 has_excl;
	struct sigkey		*keys;
	size_t			 nkeys;
	int			 accept_violations;
	int			 allow_unlisted;
	int			 allow_no_aggregate;	/* entry 0 may be
							   another entry */
};

struct ima_appraiser {
	struct ima_policy	*pol;
	struct sigkey		 learned[IMA_POLICY_LEARNED_MAX];
	size_t			 nlearned;
	char			 name[IMA_POLICY_NAME_MAX + 1];
	struct pcrset		 pcrs;		/* quoted PCRs (a copy) */
	int			 has_pcrs;
};

/* Policies loaded by ima_policy_get(), by digest. */
static pthread_mutex_t	 registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ima_policy *registry;

/* Longest name quoted in an error message or a reason. */
#define QUOTE_MAX	160

#define STR_(x)		#x
#define STR(x)		STR_(x)

/* Return the algorithm index for a kernel or policy name, or -1. */
static int
algo_by_name(const char *name, size_t len)
{
	int i;

	for (i = 0; i < ALGO_COUNT; i++)
		if (strlen(algos[i].name) == len &&
		    memcmp(algos[i].name, name, len) == 0)
			return i;
	/* Older kernels and the TPM name of SM3. */
	if ((len == 7 && memcmp(name, "sm3-256", 7) == 0) ||
	    (len == 7 && memcmp(name, "sm3_256", 7) == 0))
		return ALGO_SM3;
	return -1;
}

/* Return the algorithm index for a kernel enum hash_algo value, or -1. */
static int
algo_by_kid(unsigned kid)
{
	int i;

	for (i = 0; i < ALGO_COUNT; i++)
		if (algos[i].kid == kid)
			return i;
	return -1;
}

/* Return the algorithm of an entry's file digest, or -1 if unknown. */
static int
entry_algo(const struct ima_entry *e)
{
	size_t n = strnlen(e->file_algo, sizeof(e->file_algo));

	if (n > 0)
		return algo_by_name(e->file_algo, n);
	/* Template "ima": the d field has no algorithm prefix. */
	if (e->file_digest_len == 20)
		return 1;
	if (e->file_digest_len == 16)
		return 0;
	return -1;
}

/* Return a record's name length. */
static size_t
pname_len(const struct pname *p)
{
	return (size_t)p->len[0] | (size_t)p->len[1] << 8;
}

/* Return a record's first digest. */
static const struct pdigest *
pname_digests(const struct pname *p)
{
	return (const struct pdigest *)(const void *)(p->name + pname_len(p));
}

/* Return the digest after d in a record. */
static const struct pdigest *
pdigest_next(const struct pdigest *d)
{
	return (const struct pdigest *)(const void *)(d->d + d->len);
}

/*
 * Hash a name, eight bytes at a time, from a seed (a table's, taken from
 * the policy's SHA-256, so the names of a policy cannot be chosen to
 * collide without changing the seed).
 */
static uint32_t
name_hash(uint64_t seed, const char *s, size_t len)
{
	const uint64_t k = 0x9e3779b97f4a7c15ull;
	uint64_t h = seed ^ (len * k), w;

	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	if (len > 0) {
		w = 0;
		memcpy(&w, s, len);
		h = (h ^ w) * k;
	}
	h ^= h >> 32;
	h *= k;
	h ^= h >> 29;
	return (uint32_t)h;
}

/* Make room for n more bytes in a table's arena; -1 if out of memory. */
static int
arena_reserve(struct table *t, size_t n)
{
	uint8_t *a;
	size_t cap;

	if (n <= t->cap - t->used)
		return 0;
	if (n > UINT32_MAX - 1 - t->used)
		return -1;
	for (cap = t->cap ? t->cap : 4096; cap - t->used < n; cap *= 2)
		;
	if ((a = realloc(t->arena, cap)) == NULL)
		return -1;
	t->arena = a;
	t->cap = cap;
	return 0;
}

/* Give back the arena's unused tail. */
static void
arena_shrink(struct table *t)
{
	uint8_t *a;

	if (t->cap > t->used && t->used > 0 &&
	    (a = realloc(t->arena, t->used)) != NULL) {
		t->arena = a;
		t->cap = t->used;
	}
}

/*
 * The two bits of a filter of mask + 1 bytes that a name's hash sets,
 * from two multiplicative hashes of it (the slots use its low bits).
 */
static void
filter_bits(uint32_t h, size_t mask, size_t *b1, size_t *b2)
{
	uint64_t bits = 8 * ((uint64_t)mask + 1);

	*b1 = (size_t)(((uint64_t)(h * 0x9e3779b1u) * bits) >> 32);
	*b2 = (size_t)(((uint64_t)(h * 0x85ebca6bu) * bits) >> 32);
}

/* Set a name's bits in a filter. */
static void
filter_add(uint8_t *f, size_t mask, uint32_t h)
{
	size_t b1, b2;

	filter_bits(h, mask, &b1, &b2);
	f[b1 / 8] |= (uint8_t)(1u << (b1 % 8));
	f[b2 / 8] |= (uint8_t)(1u << (b2 % 8));
}

/* Tell whether a filter may hold a name: 0 means it surely does not. */
static int
filter_may(const uint8_t *f, size_t mask, uint32_t h)
{
	size_t b1, b2;

	filter_bits(h, mask, &b1, &b2);
	return (f[b1 / 8] >> (b1 % 8) & 1) && (f[b2 / 8] >> (b2 % 8) & 1);
}

/* Double a table's slots (or make the first ones); -1 if out of memory. */
static int
table_grow(struct table *t)
{
	struct slot *s;
	uint8_t *f;
	size_t cap = t->slots != NULL ? 2 * (t->mask + 1) : TABLE_SLOTS_MIN;
	size_t i, k;

	if ((s = calloc(cap, sizeof(*s))) == NULL)
		return -1;
	if ((f = calloc(cap, 1)) == NULL) {
		free(s);
		return -1;
	}
	for (i = 0; t->slots != NULL && i <= t->mask; i++) {
		if (t->slots[i].ref == 0)
			continue;
		for (k = t->slots[i].hash & (cap - 1); s[k].ref != 0;
		    k = (k + 1) & (cap - 1))
			;
		s[k] = t->slots[i];
		filter_add(f, cap - 1, s[k].hash);
	}
	free(t->slots);
	free(t->filter);
	t->slots = s;
	t->filter = f;
	t->mask = cap - 1;
	return 0;
}

/* Free a table's memory. */
static void
table_free(struct table *t)
{
	free(t->slots);
	free(t->filter);
	free(t->arena);
}

/* Find a name by its hash; NULL if absent. */
static const struct pname *
table_lookup(const struct table *t, const char *name, size_t len,
    uint32_t h)
{
	const struct pname *p;
	size_t i;

	if (!filter_may(t->filter, t->mask, h))
		return NULL;
	for (i = h & t->mask; t->slots[i].ref != 0; i = (i + 1) & t->mask) {
		if (t->slots[i].hash != h)
			continue;
		p = (const struct pname *)(const void *)(t->arena +
		    t->slots[i].ref - 1);
		if (pname_len(p) == len && memcmp(p->name, name, len) == 0)
			return p;
	}
	return NULL;
}

/* Find a name; NULL if absent. */
static const struct pname *
table_find(const struct table *t, const char *name, size_t len)
{
	if (t->slots == NULL || name == NULL || len > IMA_POLICY_NAME_MAX)
		return NULL;
	return table_lookup(t, name, len, name_hash(t->seed, name, len));
}

/*
 * Add the name already written at the end of the arena (after room for its
 * record header) as a record with no digests yet: 1 if it was added, 0 if
 * the table has it already, -1 if out of memory.
 */
static int
table_add_last(struct table *t, size_t len)
{
	struct pname *p = (struct pname *)(void *)(t->arena + t->used);
	uint32_t h = name_hash(t->seed, (const char *)p->name, len);
	size_t i;

	if (len > IMA_POLICY_NAME_MAX)
		return -1;
	if (t->slots != NULL && table_lookup(t, (const char *)p->name, len,
	    h) != NULL)
		return 0;
	if ((t->slots == NULL || 2 * (t->nnames + 1) > t->mask + 1) &&
	    table_grow(t) == -1)
		return -1;
	for (i = h & t->mask; t->slots[i].ref != 0; i = (i + 1) & t->mask)
		;
	p->len[0] = (uint8_t)len;
	p->len[1] = (uint8_t)(len >> 8);
	p->count = 0;
	t->slots[i].hash = h;
	t->slots[i].ref = (uint32_t)t->used + 1;
	filter_add(t->filter, t->mask, h);
	t->last = t->used;
	t->used += sizeof(*p) + len;
	t->nnames++;
	return 1;
}

/* Add a name (as table_add_last) from a buffer. */
static int
table_add(struct table *t, const char *name, size_t len)
{
	if (len > IMA_POLICY_NAME_MAX ||
	    arena_reserve(t, sizeof(struct pname) + len) == -1)
		return -1;
	memcpy(t->arena + t->used + sizeof(struct pname), name, len);
	return table_add_last(t, len);
}

/* Append a digest to the newest record; -1 if out of memory. */
static int
table_add_digest(struct table *t, const struct digest *d)
{
	struct pname *p;

	if (arena_reserve(t, 2 + (size_t)d->len) == -1)
		return -1;
	t->arena[t->used] = d->algo;
	t->arena[t->used + 1] = d->len;
	memcpy(t->arena + t->used + 2, d->d, d->len);
	t->used += 2 + (size_t)d->len;
	p = (struct pname *)(void *)(t->arena + t->last);
	p->count++;
	return 0;
}

/* Tell whether an entry's file digest is one of a name's allowed digests. */
static int
digest_allowed(const struct pname *p, const struct ima_entry *e)
{
	const struct pdigest *d;
	uint32_t i;
	int algo = -2;

	if (e->file_digest == NULL)
		return 0;
	for (i = 0, d = pname_digests(p); i < p->count;
	    i++, d = pdigest_next(d)) {
		if (d->len != e->file_digest_len ||
		    memcmp(d->d, e->file_digest, d->len) != 0)
			continue;
		if (d->algo == ALGO_ANY)
			return 1;
		if (algo == -2)
			algo = entry_algo(e);
		if (d->algo == algo)
			return 1;
	}
	return 0;
}

/*
 * The policy's text is read by json.c's reader (struct json_reader), with
 * its limits and its errors at the same offsets, but the big name maps of
 * the root object ("digests", "keyrings", "ima-buf") never become a tree:
 * the reader's member hook (policy_member) reads them with json_read_items,
 * their names go straight into a table's arena and their digests, decoded
 * to binary, beside them, so a policy costs little more than its binary
 * contents and one pass over its text.  Errors of the policy's rules found
 * in a map are kept (the first of each kind) and reported, in the order of
 * the rules, once the whole text is known to be JSON.
 */

/* The name maps of the root object: digests, keyrings, ima-buf. */
#define NMAPS		3

/* A name map of the root object read by the reader. */
struct smap {
	const char	*sect;		/* its member name */
	struct table	*t;
	const struct json *node;	/* its place in the tree (no members) */
	size_t		 names;		/* names read */
	size_t		 nameoff;	/* the name being read, in the arena */
	size_t		 namelen;
	int		 rec;		/* the name has a record */
	size_t		 ndigests;	/* items of its list read */
	char		 shape[RIV_ERR_MAX];	/* first error of shape */
	char		 content[RIV_ERR_MAX];	/* first error of contents */
};

/* Parsing context. */
struct pctx {
	struct ima_policy	*pol;
	struct riv_err		*err;
	int			 keylime;
	size_t			 vkoff;		/* offset of verification-keys */
	struct json_reader	 r;		/* the text; JSON errors */
	struct smap		 maps[NMAPS];
	struct smap		*cur;		/* the map being read */
};

static int	perr(struct pctx *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Record a policy error; errors name the member and the byte offset. */
static int
perr(struct pctx *c, const char *fmt, ...)
{
	char msg[RIV_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(c->err, RIV_MALFORMED, "IMA policy (%s): %s",
	    c->keylime ? "Keylime" : "rivd", msg);
}

/* Name a policy location, "section.name" or "name", for an error. */
static const char *
where(char *buf, size_t len, const char *sect, const char *name,
    size_t namelen)
{
	int n = namelen > QUOTE_MAX ? QUOTE_MAX : (int)namelen;

	if (sect == NULL)
		snprintf(buf, len, "%.*s", n, name);
	else
		snprintf(buf, len, "%s.%.*s", sect, n, name);
	return buf;
}

/* Hex digits: 1 + their value; 0 for anything else. */
static const uint8_t hexdigit[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6,
	['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16
};

/*
 * Decode slen hex digits into at most max bytes, as hex_decode does (a
 * policy holds a hundred thousand of them): -1 on an odd length, a
 * non-hex digit or overflow.
 */
static int
digest_hex(const char *s, size_t slen, uint8_t *out, size_t max,
    size_t *outlen)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i;
	unsigned hi, lo;

	if (slen % 2 != 0 || slen / 2 > max)
		return -1;
	for (i = 0; i < slen / 2; i++) {
		hi = hexdigit[u[2 * i]];
		lo = hexdigit[u[2 * i + 1]];
		if (hi == 0 || lo == 0)
			return -1;
		out[i] = (uint8_t)((hi - 1) << 4 | (lo - 1));
	}
	*outlen = slen / 2;
	return 0;
}

/* Count the values of a digest list: one string or an array. */
static size_t
count_values(const struct json *v)
{
	return v->type == JSON_ARRAY ? v->n : 1;
}

/*
 * Decode digest idx of a name, the string s at byte offset off:
 * "algorithm:hex" in the native format, plain hex (any algorithm of that
 * size) in a Keylime policy.  -1, with the reason in why (RIV_ERR_MAX
 * bytes), if it is not a digest.
 */
static int
read_digest(const struct pctx *c, const char *sect, const char *name,
    size_t namelen, size_t idx, const char *s, size_t slen, size_t off,
    struct digest *d, char *why)
{
	const char *hex = s, *colon;
	char w[QUOTE_MAX + 32];
	size_t hexlen = slen, n;
	int a, i;

	if (!c->keylime) {
		if ((colon = memchr(s, ':', slen)) == NULL) {
			snprintf(why, RIV_ERR_MAX, "%s[%zu]: expected "
			    "\"algorithm:hex\" at byte offset %zu", where(w,
			    sizeof(w), sect, name, namelen), idx, off);
			return -1;
		}
		if ((a = algo_by_name(s, (size_t)(colon - s))) < 0) {
			snprintf(why, RIV_ERR_MAX, "%s[%zu]: unknown digest "
			    "algorithm \"%.*s\" at byte offset %zu", where(w,
			    sizeof(w), sect, name, namelen), idx,
			    (int)(colon - s) > 32 ? 32 : (int)(colon - s), s,
			    off);
			return -1;
		}
		hex = colon + 1;
		hexlen = slen - (size_t)(colon + 1 - s);
		if (digest_hex(hex, hexlen, d->d, sizeof(d->d), &n) == -1 ||
		    n != algos[a].size) {
			snprintf(why, RIV_ERR_MAX, "%s[%zu]: expected %u bytes "
			    "of hex after \"%s:\" at byte offset %zu", where(w,
			    sizeof(w), sect, name, namelen), idx, algos[a].size,
			    algos[a].name, off);
			return -1;
		}
		d->algo = (uint8_t)a;
		d->len = (uint8_t)n;
		return 0;
	}
	if (digest_hex(hex, hexlen, d->d, sizeof(d->d), &n) == -1) {
		snprintf(why, RIV_ERR_MAX, "%s[%zu]: bad hex digest at byte "
		    "offset %zu", where(w, sizeof(w), sect, name, namelen), idx,
		    off);
		return -1;
	}
	for (i = 0; i < ALGO_COUNT; i++)
		if (algos[i].size == n)
			break;
	if (i == ALGO_COUNT) {
		snprintf(why, RIV_ERR_MAX, "%s[%zu]: %zu bytes is no digest "
		    "size at byte offset %zu", where(w, sizeof(w), sect, name,
		    namelen), idx, n, off);
		return -1;
	}
	d->algo = ALGO_ANY;
	d->len = (uint8_t)n;
	return 0;
}

/* Check the shape of a name and its digest list (the native boot_aggregate). */
static int
check_name(struct pctx *c, const char *name, const struct json *v)
{
	size_t len = strlen(name);
	char w[QUOTE_MAX + 32];

	if (len == 0 || len > IMA_POLICY_NAME_MAX)
		return perr(c, "%s: name of %zu bytes (1 to %d) at byte "
		    "offset %zu", name, len, IMA_POLICY_NAME_MAX, v->offset);
	if (v->type == JSON_STRING && !c->keylime)
		return RIV_OK;
	if (v->type != JSON_ARRAY)
		return perr(c, "%s: expected an array of digests, not %s, "
		    "at byte offset %zu", where(w, sizeof(w), NULL, name, len),
		    json_type_name(v->type), v->offset);
	if (v->n > IMA_POLICY_DIGESTS_MAX)
		return perr(c, "%s: more than %d digests at byte offset "
		    "%zu", where(w, sizeof(w), NULL, name, len),
		    IMA_POLICY_DIGESTS_MAX, v->offset);
	return RIV_OK;
}

/* Add a name and its digests (the native boot_aggregate) to a table. */
static int
add_name(struct pctx *c, struct table *t, const char *name,
    const struct json *v)
{
	const struct json *d;
	struct digest dg;
	char w[QUOTE_MAX + 32], why[RIV_ERR_MAX];
	size_t i, len = strlen(name), n = count_values(v);
	int rc;

	if ((rc = table_add(t, name, len)) == 0)
		return perr(c, "%s: listed twice (byte offset %zu)",
		    where(w, sizeof(w), NULL, name, len), v->offset);
	if (rc == -1)
		return perr(c, "%s: out of memory", name);
	for (i = 0; i < n; i++) {
		d = v->type == JSON_ARRAY ? v->items[i] : v;
		if (d->type != JSON_STRING)
			return perr(c, "%s[%zu]: expected a string, not %s, at "
			    "byte offset %zu", where(w, sizeof(w), NULL, name,
			    len), i, json_type_name(d->type), d->offset);
		if (read_digest(c, NULL, name, len, i, d->str, d->len,
		    d->offset, &dg, why) == -1)
			return perr(c, "%s", why);
		if (table_add_digest(t, &dg) == -1)
			return perr(c, "%s: out of memory", name);
	}
	return RIV_OK;
}

static int	merr(char *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Keep the first error of a kind (a map's shape or contents). */
static int
merr(char *slot, const char *fmt, ...)
{
	va_list ap;

	if (slot[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(slot, RIV_ERR_MAX, fmt, ap);
		va_end(ap);
	}
	return 0;
}

/* Return the name the map member being read has, for an error. */
static const char *
map_name(const struct smap *m)
{
	return (const char *)m->t->arena + m->nameoff;
}

/*
 * Read digest idx of the member being read (a string, at its quote) and, if
 * the member has a record and no error is known yet, add it there.
 */
static int
stream_digest(struct pctx *c, struct smap *m, size_t idx)
{
	char why[RIV_ERR_MAX];
	struct digest d;
	const char *s;
	size_t slen, off = c->r.pos;

	if (json_read_str(&c->r, &s, &slen) == -1)
		return -1;
	if (!m->rec || m->shape[0] != '\0' || m->content[0] != '\0' ||
	    idx >= IMA_POLICY_DIGESTS_MAX)
		return 0;
	if (read_digest(c, m->sect, map_name(m), m->namelen, idx, s, slen,
	    off, &d, why) == -1)
		return merr(m->content, "%s", why);
	if (table_add_digest(m->t, &d) == -1) {
		json_fail(&c->r, "out of memory");
		return -1;
	}
	return 0;
}

/* Read item idx of the digest list of the member being read. */
static int
stream_item(struct json_reader *r, void *arg, size_t idx, int depth)
{
	struct pctx *c = arg;
	struct smap *m = c->cur;
	char w[QUOTE_MAX + 32];
	struct json *v;

	m->ndigests = idx + 1;
	json_skip_space(r);
	if (r->pos < r->len && r->buf[r->pos] == '"')
		return stream_digest(c, m, idx);
	if ((v = json_read_value(r, depth)) == NULL)
		return -1;
	if (m->rec)
		merr(m->content, "%s[%zu]: expected a string, not %s, at byte "
		    "offset %zu", where(w, sizeof(w), m->sect, map_name(m),
		    m->namelen), idx, json_type_name(v->type), v->offset);
	json_free(v);
	return 0;
}

/*
 * Read one member of a map (at its name's quote): the name, copied into the
 * arena and added to the table, then its digests.
 */
static int
stream_member(struct json_reader *r, void *arg, size_t idx, int depth)
{
	struct pctx *c = arg;
	struct smap *m = c->cur;
	struct table *t = m->t;
	char w[QUOTE_MAX + 32];
	const char *name;
	struct json *v;
	size_t kpos = r->pos, voff;
	int rc;

	if (json_read_key(r, &name, &m->namelen) == -1)
		return -1;
	if (arena_reserve(t, sizeof(struct pname) + m->namelen) == -1) {
		json_fail(r, "out of memory");
		return -1;
	}
	m->nameoff = t->used + sizeof(struct pname);
	memcpy(t->arena + m->nameoff, name, m->namelen);
	m->names = idx + 1;
	m->rec = 0;
	if (m->names <= IMA_POLICY_NAMES_MAX &&
	    m->namelen <= IMA_POLICY_NAME_MAX) {
		if ((rc = table_add_last(t, m->namelen)) == -1) {
			json_fail(r, "out of memory");
			return -1;
		}
		if (rc == 0) {
			json_fail_repeated(r, map_name(m), m->namelen, kpos);
			return -1;
		}
		m->rec = 1;
	}
	if (json_read_colon(r) == -1)
		return -1;
	json_skip_space(r);
	voff = r->pos;
	if (m->namelen == 0 || m->namelen > IMA_POLICY_NAME_MAX)
		merr(m->shape, "%s: name of %zu bytes (1 to %d) at byte offset "
		    "%zu", m->sect, m->namelen, IMA_POLICY_NAME_MAX, voff);
	if (r->pos < r->len && r->buf[r->pos] == '"') {
		if (c->keylime)
			merr(m->shape, "%s: expected an array of digests, not "
			    "string, at byte offset %zu", where(w, sizeof(w),
			    m->sect, map_name(m), m->namelen), voff);
		return stream_digest(c, m, 0);
	}
	if (r->pos < r->len && r->buf[r->pos] == '[') {
		m->ndigests = 0;
		if (json_read_items(r, depth, stream_item, c) == -1)
			return -1;
		if (m->ndigests > IMA_POLICY_DIGESTS_MAX)
			merr(m->shape, "%s: more than %d digests at byte offset "
			    "%zu", where(w, sizeof(w), m->sect, map_name(m),
			    m->namelen), IMA_POLICY_DIGESTS_MAX, voff);
		return 0;
	}
	if ((v = json_read_value(r, depth)) == NULL)
		return -1;
	merr(m->shape, "%s: expected an array of digests, not %s, at byte "
	    "offset %zu", where(w, sizeof(w), m->sect, map_name(m),
	    m->namelen), json_type_name(v->type), v->offset);
	json_free(v);
	return 0;
}

/*
 * Read a name map of the root object (at its brace) into its table; the
 * tree gets an empty object in its place.  The arena is reserved for the
 * rest of the text at once: a record is never longer than the member's
 * text, and pages the records do not reach are never touched.
 */
static struct json *
stream_map(struct pctx *c, struct smap *m, int depth)
{
	struct json *v;

	if ((v = calloc(1, sizeof(*v))) == NULL ||
	    arena_reserve(m->t, c->r.len - c->r.pos) == -1) {
		free(v);
		return json_fail(&c->r, "out of memory");
	}
	v->type = JSON_OBJECT;
	v->offset = c->r.pos;
	c->cur = m;
	if (json_read_items(&c->r, depth, stream_member, c) == -1) {
		free(v);
		return NULL;
	}
	if (m->names > IMA_POLICY_NAMES_MAX)
		snprintf(m->shape, sizeof(m->shape), "%s: more than %d names "
		    "at byte offset %zu", m->sect, IMA_POLICY_NAMES_MAX,
		    v->offset);
	arena_shrink(m->t);
	m->node = v;
	return v;
}

/*
 * Read the value of a member of an object at depth (the reader's member
 * hook): a name map of the root object straight into its table.
 */
static struct json *
policy_member(struct json_reader *r, int depth, const char *key)
{
	struct pctx *c = r->arg;
	size_t i;

	json_skip_space(r);
	if (depth == 1 && r->pos < r->len && r->buf[r->pos] == '{')
		for (i = 0; i < NMAPS; i++)
			if (strcmp(key, c->maps[i].sect) == 0)
				return stream_map(c, &c->maps[i], depth);
	return json_read_value(r, depth);
}

/*
 * Skip a value (see policy_is_keylime): strings whole, containers to their
 * closing bracket, anything else to a delimiter.  -1 if the text ends.
 */
static int
skip_value(struct json_reader *r)
{
	const char *s;
	size_t depth = 0, n;
	char ch;

	for (;;) {
		if (r->pos >= r->len)
			return -1;
		ch = r->buf[r->pos];
		if (ch == '"') {
			if (json_read_key(r, &s, &n) == -1)
				return -1;
		} else if (ch == '{' || ch == '[') {
			depth++;
			r->pos++;
		} else if (ch == '}' || ch == ']') {
			if (depth == 0)
				return 0;
			depth--;
			r->pos++;
		} else if (depth == 0 && (ch == ',' || ch == ' ' ||
		    ch == '\t' || ch == '\n' || ch == '\r'))
			return 0;
		else
			r->pos++;
		if (depth == 0 && (ch == '"' || ch == '}' || ch == ']'))
			return 0;
	}
}

/*
 * Tell whether the text is a Keylime runtime policy, whose root object has
 * a member "meta", before reading it (a map's digests are read by the
 * format's rules).  The root's member names are read, its values skipped.
 * On text that is not JSON the answer does not matter: the reader reports
 * the error before the format is used.
 */
static int
policy_is_keylime(struct json_reader *r)
{
	struct riv_err *err = r->err, ignored;
	const char *name;
	size_t n;
	int found = 0;

	r->err = &ignored;
	json_skip_space(r);
	if (r->pos >= r->len || r->buf[r->pos] != '{')
		goto done;
	r->pos++;
	for (;;) {
		json_skip_space(r);
		if (r->pos >= r->len || r->buf[r->pos] != '"' ||
		    json_read_key(r, &name, &n) == -1)
			break;
		if (n == 4 && memcmp(name, "meta", 4) == 0) {
			found = 1;
			break;
		}
		if (json_read_colon(r) == -1)
			break;
		json_skip_space(r);
		if (skip_value(r) == -1)
			break;
		json_skip_space(r);
		if (r->pos >= r->len || r->buf[r->pos] != ',')
			break;
		r->pos++;
	}
done:
	r->err = err;
	r->pos = 0;
	return found;
}

/*
 * Check a name map that the reader read into its table (obj, from the
 * tree, is NULL if the policy has none), then add extra, named extra_name,
 * if not NULL: the native boot_aggregate.  Errors come in the order of the
 * rules: the map's type and size, the shape of each name's list, extra's
 * shape, then each name's digests, then extra's.
 */
static int
read_map(struct pctx *c, struct smap *m, const struct json *obj,
    const char *extra_name, const struct json *extra)
{
	if (obj != NULL && obj != m->node)
		return perr(c, "%s: expected an object, not %s, at byte offset "
		    "%zu", m->sect, json_type_name(obj->type), obj->offset);
	if (m->shape[0] != '\0')
		return perr(c, "%s", m->shape);
	if (extra != NULL && check_name(c, extra_name, extra) != RIV_OK)
		return RIV_MALFORMED;
	if (m->content[0] != '\0')
		return perr(c, "%s", m->content);
	if (extra != NULL)
		return add_name(c, m->t, extra_name, extra);
	return RIV_OK;
}

/*
 * Return the index of the ']' closing the bracket expression opened at i (or
 * of the terminating NUL).  POSIX: no escapes; "]" first is a literal;
 * [:class:], [.coll.] and [=equiv=] are skipped whole.
 */
static size_t
bracket_end(const char *p, size_t i)
{
	char kind;

	i++;
	if (p[i] == '^')
		i++;
	if (p[i] == ']')
		i++;
	for (; p[i] != '\0' && p[i] != ']'; i++) {
		if (p[i] != '[' || (p[i + 1] != ':' && p[i + 1] != '.' &&
		    p[i + 1] != '='))
			continue;
		kind = p[i + 1];
		for (i += 2; p[i] != '\0' && !(p[i] == kind && p[i + 1] == ']');
		    i++)
			;
		if (p[i] == '\0')
			break;
		i++;
	}
	return i;
}

/*
 * Find the first token of a pattern that POSIX reads unlike Python (or that
 * would make regcomp recurse too deeply); *at is its offset.
 */
static const char *
pattern_python_only(const char *p, size_t *at)
{
	size_t i, j, depth = 0, groups = 0;
	int quant = 0;		/* the previous token is a quantifier */

	for (i = 0; p[i] != '\0'; i++) {
		*at = i;
		if (p[i] == '*' || p[i] == '+' || p[i] == '?' ||
		    (p[i] == '{' && isdigit((unsigned char)p[i + 1]))) {
			/* "x*?" and "x??" match what (x*)? and (x?)? do. */
			if (quant && !(p[i] == '?' && (p[i - 1] == '*' ||
			    p[i - 1] == '?')))
				return "repeated quantifier (lazy +? or "
				    "{m,n}?, possessive, a**) means something "
				    "else in POSIX";
			if (p[i] == '{')
				while (p[i] != '\0' && p[i] != '}')
					i++;
			if (p[i] == '\0')
				break;
			quant = 1;
			continue;
		}
		quant = 0;
		if (p[i] == '\\') {
			if (p[i + 1] == '\0')
				return "trailing backslash";
			if (isalnum((unsigned char)p[i + 1]) &&
			    strchr("wWsSbB", p[i + 1]) == NULL)
				return "escape with no POSIX equivalent "
				    "(\\d, \\A, \\Z, \\n, back-references...)";
			if (strchr("<>`'", p[i + 1]) != NULL)
				return "GNU escape (\\<, \\>, \\`, \\') is an "
				    "anchor in POSIX but a literal in Python";
			i++;
		} else if (p[i] == '(') {
			if (p[i + 1] == '?')
				return "Python extension (?...) is not "
				    "supported";
			if (++depth > IMA_POLICY_GROUP_DEPTH_MAX)
				return "groups nested more than "
				    STR(IMA_POLICY_GROUP_DEPTH_MAX) " deep";
			if (++groups > IMA_POLICY_GROUPS_MAX)
				return "more than " STR(IMA_POLICY_GROUPS_MAX)
				    " groups";
		} else if (p[i] == ')') {
			/* POSIX: a literal; Python: an error. */
			if (depth == 0)
				return "unmatched ')'";
			depth--;
		} else if (p[i] == '[') {
			j = bracket_end(p, i);
			if (memchr(p + i, '\\', j - i) != NULL) {
				*at = i;
				return "backslash inside [...] is a literal "
				    "in POSIX";
			}
			if (p[j] == '\0')
				break;
			i = j;
		}
	}
	return NULL;
}

/*
 * Bound how much regcomp may expand a pattern: glibc copies the operand of
 * "+" once and of "{m,n}" up to n times, so count "+" as 2 and {m,n} as
 * max(m,n) + 1 and multiply them all (as if they were nested).
 */
static unsigned long
pattern_factor(const char *p)
{
	unsigned long f = 1, m, best;
	size_t i;

	for (i = 0; p[i] != '\0'; i++) {
		if (p[i] == '\\' && p[i + 1] != '\0') {
			i++;
			continue;
		}
		if (p[i] == '[') {
			i = bracket_end(p, i);
			if (p[i] == '\0')
				break;
			continue;
		}
		if (p[i] == '+')
			f *= 2;
		else if (p[i] == '{') {
			best = 0;
			do {
				i++;
				m = 0;
				while (p[i] >= '0' && p[i] <= '9' &&
				    m < 100000)
					m = m * 10 +
					    (unsigned long)(p[i++] - '0');
				if (m > best)
					best = m;
			} while (p[i] == ',');
			f *= best + 1;
			if (p[i] == '\0')
				break;
		}
		if (f > IMA_POLICY_REPEAT_MAX)
			return IMA_POLICY_REPEAT_MAX + 1;
	}
	return f;
}

/* Check one exclude pattern: Python-only syntax, bounds, regcomp. */
static int
check_pattern(struct pctx *c, size_t idx, const struct json *v,
    unsigned long *factor)
{
	const char *why;
	char msg[128];
	regex_t re;
	size_t at;
	int rc;

	if (v->type != JSON_STRING)
		return perr(c, "excludes[%zu]: expected a string, not %s, at "
		    "byte offset %zu", idx, json_type_name(v->type), v->offset);
	if (v->len == 0)
		return perr(c, "excludes[%zu]: empty pattern (it would exclude "
		    "everything) at byte offset %zu", idx, v->offset);
	if ((why = pattern_python_only(v->str, &at)) != NULL)
		return perr(c, "excludes[%zu]: %s, at character %zu of the "
		    "pattern at byte offset %zu", idx, why, at, v->offset);
	if ((*factor = pattern_factor(v->str)) > IMA_POLICY_REPEAT_MAX)
		return perr(c, "excludes[%zu]: repetition (\"+\", {m,n}) "
		    "multiplies to more than %d at byte offset %zu", idx,
		    IMA_POLICY_REPEAT_MAX, v->offset);
	if ((rc = regcomp(&re, v->str, REG_EXTENDED | REG_NOSUB)) != 0) {
		regerror(rc, &re, msg, sizeof(msg));
		return perr(c, "excludes[%zu]: bad regular expression (%s) at "
		    "byte offset %zu", idx, msg, v->offset);
	}
	regfree(&re);
	return RIV_OK;
}

/*
 * Read the exclude patterns and combine them into one expression anchored at
 * the start, as Keylime does: ^((p1)|(p2)|...).
 */
static int
read_excludes(struct pctx *c, const struct json *v)
{
	char *re = NULL, msg[128];
	size_t i, total = 0, n = 0;
	unsigned long factor = 1, expanded = 0;
	int rc;

	if (v == NULL)
		return RIV_OK;
	if (v->type != JSON_ARRAY)
		return perr(c, "excludes: expected an array, not %s, at byte "
		    "offset %zu", json_type_name(v->type), v->offset);
	if (v->n > IMA_POLICY_EXCLUDES_MAX)
		return perr(c, "excludes: more than %d patterns at byte offset "
		    "%zu", IMA_POLICY_EXCLUDES_MAX, v->offset);
	for (i = 0; i < v->n; i++) {
		if ((rc = check_pattern(c, i, v->items[i], &factor)) != RIV_OK)
			return rc;
		total += v->items[i]->len + 3;
		expanded += factor * (v->items[i]->len + 3);
		if (expanded > IMA_POLICY_EXPANDED_MAX)
			return perr(c, "excludes[%zu]: the patterns would "
			    "expand to more than %d bytes at byte offset %zu",
			    i, IMA_POLICY_EXPANDED_MAX, v->items[i]->offset);
		if (total > IMA_POLICY_EXCLUDES_LEN_MAX)
			return perr(c, "excludes[%zu]: patterns longer than %d "
			    "bytes in all at byte offset %zu", i,
			    IMA_POLICY_EXCLUDES_LEN_MAX, v->items[i]->offset);
	}
	if (v->n == 0)
		return RIV_OK;
	if ((re = malloc(total + 4)) == NULL)
		return perr(c, "excludes: out of memory");
	re[n++] = '^';
	re[n++] = '(';
	for (i = 0; i < v->n; i++) {
		if (i > 0)
			re[n++] = '|';
		re[n++] = '(';
		memcpy(re + n, v->items[i]->str, v->items[i]->len);
		n += v->items[i]->len;
		re[n++] = ')';
	}
	re[n++] = ')';
	re[n] = '\0';
	rc = regcomp(&c->pol->excl, re, REG_EXTENDED | REG_NOSUB);
	free(re);
	if (rc != 0) {
		regerror(rc, &c->pol->excl, msg, sizeof(msg));
		return perr(c, "excludes: the patterns do not combine (%s) "
		    "at byte offset %zu", msg, v->offset);
	}
	c->pol->has_excl = 1;
	return RIV_OK;
}

/* Read the names of ignored keyrings ("*": all). */
static int
read_ignored(struct pctx *c, const char *sect, const struct json *v)
{
	struct ima_policy *pol = c->pol;
	size_t i;

	if (v == NULL)
		return RIV_OK;
	if (v->type != JSON_ARRAY)
		return perr(c, "%s: expected an array, not %s, at byte offset "
		    "%zu", sect, json_type_name(v->type), v->offset);
	if (v->n > IMA_POLICY_IGNORED_MAX)
		return perr(c, "%s: more than %d keyrings at byte offset %zu",
		    sect, IMA_POLICY_IGNORED_MAX, v->offset);
	if ((pol->ignored = calloc(v->n + 1, sizeof(*pol->ignored))) == NULL)
		return perr(c, "%s: out of memory", sect);
	for (i = 0; i < v->n; i++) {
		if (v->items[i]->type != JSON_STRING ||
		    v->items[i]->len == 0 ||
		    v->items[i]->len > IMA_POLICY_NAME_MAX)
			return perr(c, "%s[%zu]: expected a keyring name at "
			    "byte offset %zu", sect, i, v->items[i]->offset);
		if (strcmp(v->items[i]->str, "*") == 0)
			pol->ignore_all = 1;
		if ((pol->ignored[i] = strdup(v->items[i]->str)) == NULL)
			return perr(c, "%s: out of memory", sect);
		pol->nignored++;
	}
	return RIV_OK;
}

/* Read a boolean member (default false). */
static int
read_bool(struct pctx *c, const struct json *doc, const char *name, int *out)
{
	const struct json *v = json_get(doc, name);

	*out = 0;
	if (v == NULL)
		return RIV_OK;
	if (v->type != JSON_TRUE && v->type != JSON_FALSE)
		return perr(c, "%s: expected true or false, not %s, at byte "
		    "offset %zu", name, json_type_name(v->type), v->offset);
	*out = v->type == JSON_TRUE;
	return RIV_OK;
}

/* Tell whether a key is of a type IMA signatures use (RSA or EC). */
static int
key_usable(EVP_PKEY *pk)
{
	int id = EVP_PKEY_get_base_id(pk);

	return id == EVP_PKEY_RSA || id == EVP_PKEY_EC;
}

/*
 * Compute the IMA key id of a key: the last four bytes of the certificate's
 * subject key identifier if it has one, else of the SHA-1 of the public key
 * bits (RSAPublicKey DER, or the EC point), as evmctl and Keylime do.
 */
static int
key_id(EVP_PKEY *pk, X509 *cert, uint32_t *id)
{
	const ASN1_OCTET_STRING *skid;
	const unsigned char *bits, *p;
	X509_PUBKEY *xp = NULL;
	uint8_t md[20];
	int n, ok = -1;

	if (cert != NULL && (skid = X509_get0_subject_key_id(cert)) != NULL &&
	    (n = ASN1_STRING_length(skid)) >= 4) {
		p = ASN1_STRING_get0_data(skid) + n - 4;
		*id = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | p[3];
		return 0;
	}
	if (X509_PUBKEY_set(&xp, pk) == 1 &&
	    X509_PUBKEY_get0_param(NULL, &bits, &n, NULL, xp) == 1 &&
	    EVP_Digest(bits, (size_t)n, md, NULL, EVP_sha1(), NULL) == 1) {
		*id = (uint32_t)md[16] << 24 | (uint32_t)md[17] << 16 |
		    (uint32_t)md[18] << 8 | md[19];
		ok = 0;
	}
	X509_PUBKEY_free(xp);
	return ok;
}

/*
 * Read a PEM certificate or public key under pem_load's rule (one block,
 * only white space around it); NULL, with the reason in err, if it is not
 * one.
 */
static EVP_PKEY *
key_from_pem(const char *pem, size_t len, uint32_t *id, struct riv_err *err)
{
	EVP_PKEY *pk;
	X509 *x;

	if (pem_load(pem, len, &pk, &x, err) != RIV_OK)
		return NULL;
	if (key_id(pk, x, id) == -1) {
		err_set(err, RIV_MALFORMED, "its key id cannot be computed");
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	X509_free(x);
	ERR_clear_error();
	return pk;
}

/* Read a DER certificate or SubjectPublicKeyInfo; NULL if it is neither. */
static EVP_PKEY *
key_from_der(const uint8_t *der, size_t len, uint32_t *id)
{
	const unsigned char *p = der;
	EVP_PKEY *pk = NULL;
	X509 *x;

	if (len == 0 || len > IMA_POLICY_KEY_LEN_MAX)
		return NULL;
	if ((x = d2i_X509(NULL, &p, (long)len)) != NULL && p == der + len) {
		pk = X509_get_pubkey(x);
		if (pk != NULL && key_id(pk, x, id) == -1) {
			EVP_PKEY_free(pk);
			pk = NULL;
		}
	} else {
		p = der;
		if ((pk = d2i_PUBKEY(NULL, &p, (long)len)) != NULL &&
		    (p != der + len || key_id(pk, NULL, id) == -1)) {
			EVP_PKEY_free(pk);
			pk = NULL;
		}
	}
	X509_free(x);
	ERR_clear_error();
	return pk;
}

/* Add a key to the policy's trusted keys (takes the reference). */
static int
add_key(struct pctx *c, const char *where, size_t idx, size_t offset,
    EVP_PKEY *pk, uint32_t id)
{
	struct ima_policy *pol = c->pol;

	if (!key_usable(pk)) {
		EVP_PKEY_free(pk);
		return perr(c, "%s[%zu]: not an RSA or EC key (string at byte "
		    "offset %zu)", where, idx, offset);
	}
	pol->keys[pol->nkeys].keyid = id;
	pol->keys[pol->nkeys].pkey = pk;
	pol->nkeys++;
	return RIV_OK;
}

/* Read the native "keys": PEM certificates or public keys. */
static int
read_pem_keys(struct pctx *c, const struct json *v)
{
	struct riv_err why = { "" };
	EVP_PKEY *pk = NULL;
	uint32_t id;
	size_t i;

	if (v == NULL)
		return RIV_OK;
	if (v->type != JSON_ARRAY)
		return perr(c, "keys: expected an array, not %s, at byte "
		    "offset %zu", json_type_name(v->type), v->offset);
	if (v->n > IMA_POLICY_KEYS_MAX)
		return perr(c, "keys: more than %d keys at byte offset %zu",
		    IMA_POLICY_KEYS_MAX, v->offset);
	if ((c->pol->keys = calloc(v->n + 1, sizeof(*c->pol->keys))) == NULL)
		return perr(c, "keys: out of memory");
	for (i = 0; i < v->n; i++) {
		if (v->items[i]->type != JSON_STRING)
			snprintf(why.msg, sizeof(why.msg), "not a string but "
			    "%s", json_type_name(v->items[i]->type));
		else if (v->items[i]->len > IMA_POLICY_KEY_LEN_MAX)
			snprintf(why.msg, sizeof(why.msg), "a string of %zu "
			    "bytes", v->items[i]->len);
		if (v->items[i]->type != JSON_STRING ||
		    v->items[i]->len > IMA_POLICY_KEY_LEN_MAX ||
		    (pk = key_from_pem(v->items[i]->str, v->items[i]->len,
		    &id, &why)) == NULL)
			return perr(c, "keys[%zu]: expected a PEM certificate "
			    "or public key: one block, nothing but white space "
			    "around it, at most %d bytes, at byte offset %zu; "
			    "in the string: %s", i,
			    IMA_POLICY_KEY_LEN_MAX, v->items[i]->offset,
			    why.msg);
		if (add_key(c, "keys", i, v->items[i]->offset, pk, id) !=
		    RIV_OK)
			return RIV_MALFORMED;
	}
	return RIV_OK;
}

/* Read one Keylime verification key: base64 DER SubjectPublicKeyInfo. */
static int
read_vkey(struct pctx *c, size_t i, const struct json *k,
    const struct json *ids, uint8_t *der)
{
	const unsigned char *p = der;
	unsigned long long kid;
	EVP_PKEY *pk;
	uint32_t id;
	size_t n;

	if (k->type != JSON_STRING || b64_decode(k->str, k->len, der,
	    IMA_POLICY_KEY_LEN_MAX, &n, 0) == -1 ||
	    (pk = d2i_PUBKEY(NULL, &p, (long)n)) == NULL) {
		ERR_clear_error();
		return perr(c, "verification-keys: pubkeys[%zu] is not a "
		    "base64 DER public key (at byte offset %zu of the string "
		    "at byte offset %zu)", i, k->offset, c->vkoff);
	}
	if (p != der + n || key_id(pk, NULL, &id) == -1) {
		EVP_PKEY_free(pk);
		return perr(c, "verification-keys: pubkeys[%zu] is not a "
		    "base64 DER public key (at byte offset %zu of the string "
		    "at byte offset %zu)", i, k->offset, c->vkoff);
	}
	if (ids != NULL && i < ids->n) {
		if (json_uint(ids->items[i], UINT32_MAX, &kid) == -1) {
			EVP_PKEY_free(pk);
			return perr(c, "verification-keys: keyids[%zu] is not "
			    "a 32-bit unsigned integer (at byte offset %zu of "
			    "the string at byte offset %zu)", i,
			    ids->items[i]->offset, c->vkoff);
		}
		id = (uint32_t)kid;
	}
	return add_key(c, "verification-keys: pubkeys", i, c->vkoff, pk, id);
}

/* Read the keys of a parsed "verification-keys" document. */
static int
read_vkeys_doc(struct pctx *c, const struct json *doc)
{
	const struct json *keys, *ids;
	uint8_t *der;
	size_t i;
	int rc = RIV_OK;

	keys = json_get(doc, "pubkeys");
	ids = json_get(doc, "keyids");
	if (doc->type != JSON_OBJECT || keys == NULL ||
	    keys->type != JSON_ARRAY)
		return perr(c, "verification-keys: expected an object with a "
		    "\"pubkeys\" array in the string at byte offset %zu",
		    c->vkoff);
	if (ids != NULL && ids->type != JSON_ARRAY)
		return perr(c, "verification-keys: \"keyids\" is not an array "
		    "in the string at byte offset %zu", c->vkoff);
	if (keys->n > IMA_POLICY_KEYS_MAX)
		return perr(c, "verification-keys: more than %d keys in the "
		    "string at byte offset %zu", IMA_POLICY_KEYS_MAX, c->vkoff);
	if ((c->pol->keys = calloc(keys->n + 1, sizeof(*c->pol->keys))) ==
	    NULL || (der = malloc(IMA_POLICY_KEY_LEN_MAX)) == NULL)
		return perr(c, "verification-keys: out of memory");
	for (i = 0; i < keys->n && rc == RIV_OK; i++)
		rc = read_vkey(c, i, keys->items[i], ids, der);
	free(der);
	return rc;
}

/*
 * Read Keylime's "verification-keys": a string holding JSON (sometimes
 * encoded twice) {"keyids":[...],"pubkeys":["base64 DER",...]}; "" for none.
 */
static int
read_vkeys(struct pctx *c, const struct json *v)
{
	struct json *doc = NULL, *inner;
	struct riv_err jerr;
	int rc;

	if (v == NULL || (v->type == JSON_STRING && v->len == 0))
		return RIV_OK;
	if (v->type != JSON_STRING)
		return perr(c, "verification-keys: expected a string, not %s, "
		    "at byte offset %zu", json_type_name(v->type), v->offset);
	c->vkoff = v->offset;
	if ((doc = json_parse(v->str, v->len, &jerr)) == NULL)
		return perr(c, "verification-keys (string at byte offset %zu): "
		    "%s", v->offset, jerr.msg);
	if (doc->type == JSON_STRING) {
		inner = json_parse(doc->str, doc->len, &jerr);
		json_free(doc);
		if ((doc = inner) == NULL)
			return perr(c, "verification-keys (string at byte "
			    "offset %zu): %s", v->offset, jerr.msg);
	}
	rc = read_vkeys_doc(c, doc);
	json_free(doc);
	return rc;
}

/*
 * Return the first member of obj not among names (NULL ended), or -1 if
 * every member is known.
 */
static long
unknown_member(const struct json *obj, const char *const *names)
{
	size_t i, k;

	for (i = 0; i < obj->n; i++) {
		for (k = 0; names[k] != NULL; k++)
			if (strcmp(obj->keys[i], names[k]) == 0)
				break;
		if (names[k] == NULL)
			return (long)i;
	}
	return -1;
}

/* Reject members a native policy does not define (typos must not pass). */
static int
check_members(struct pctx *c, const struct json *doc)
{
	static const char *const known[] = { "version", "comment", "digests",
	    "boot_aggregate", "excludes", "keys", "keyrings",
	    "ignored_keyrings", "ima-buf", "accept_violations",
	    "allow_unlisted", "allow_no_boot_aggregate", NULL };
	long i;

	if ((i = unknown_member(doc, known)) >= 0)
		return perr(c, "unknown member \"%.*s\" at byte offset %zu",
		    QUOTE_MAX, doc->keys[i], doc->items[i]->offset);
	return RIV_OK;
}

/* Read a native policy (rivd-ima-policy(5)). */
static int
parse_native(struct pctx *c, const struct json *doc)
{
	const struct json *v = json_get(doc, "version");
	unsigned long long ver;
	int rc;

	if (json_uint(v, 1000, &ver) == -1 || ver != 1)
		return perr(c, "version: expected 1 at byte offset %zu",
		    v != NULL ? v->offset : 0);
	if ((v = json_get(doc, "comment")) != NULL && v->type != JSON_STRING)
		return perr(c, "comment: expected a string, not %s, at byte "
		    "offset %zu", json_type_name(v->type), v->offset);
	if ((rc = check_members(c, doc)) != RIV_OK ||
	    (rc = read_map(c, &c->maps[0], json_get(doc, "digests"),
	    "boot_aggregate",
	    json_get(doc, "boot_aggregate"))) != RIV_OK ||
	    (rc = read_map(c, &c->maps[1], json_get(doc, "keyrings"), NULL,
	    NULL)) != RIV_OK ||
	    (rc = read_map(c, &c->maps[2], json_get(doc, "ima-buf"), NULL,
	    NULL)) != RIV_OK ||
	    (rc = read_excludes(c, json_get(doc, "excludes"))) != RIV_OK ||
	    (rc = read_ignored(c, "ignored_keyrings",
	    json_get(doc, "ignored_keyrings"))) != RIV_OK ||
	    (rc = read_pem_keys(c, json_get(doc, "keys"))) != RIV_OK ||
	    (rc = read_bool(c, doc, "accept_violations",
	    &c->pol->accept_violations)) != RIV_OK ||
	    (rc = read_bool(c, doc, "allow_unlisted",
	    &c->pol->allow_unlisted)) != RIV_OK ||
	    (rc = read_bool(c, doc, "allow_no_boot_aggregate",
	    &c->pol->allow_no_aggregate)) != RIV_OK)
		return rc;
	return RIV_OK;
}

/* Check Keylime's "meta" (version 1) and "ima" members. */
static int
check_keylime_meta(struct pctx *c, const struct json *doc)
{
	const struct json *meta = json_get(doc, "meta"), *ima, *v;
	unsigned long long ver;

	v = json_get(meta, "version");
	if (meta->type != JSON_OBJECT || json_uint(v, 1000, &ver) == -1)
		return perr(c, "meta: expected an object with a \"version\" "
		    "number at byte offset %zu", meta->offset);
	if (ver != 1)
		return perr(c, "meta.version: version %llu is not supported "
		    "(only 1) at byte offset %zu", ver, v->offset);
	if ((ima = json_get(doc, "ima")) == NULL)
		return RIV_OK;
	if (ima->type != JSON_OBJECT)
		return perr(c, "ima: expected an object, not %s, at byte "
		    "offset %zu", json_type_name(ima->type), ima->offset);
	if ((v = json_get(ima, "log_hash_alg")) != NULL &&
	    (v->type != JSON_STRING || (strcmp(v->str, "sha1") != 0 &&
	    strcmp(v->str, "sha256") != 0 && strcmp(v->str, "sha384") != 0 &&
	    strcmp(v->str, "sha512") != 0)))
		return perr(c, "ima.log_hash_alg: expected \"sha1\", "
		    "\"sha256\", \"sha384\" or \"sha512\" at byte offset %zu",
		    v->offset);
	return RIV_OK;
}

/*
 * Keep Keylime's "release" (a number or a string), printable and bounded,
 * for display; other types are ignored as the member is.
 */
static void
read_release(struct ima_policy *pol, const struct json *v)
{
	size_t i;

	if (v == NULL || (v->type != JSON_NUMBER && v->type != JSON_STRING))
		return;
	for (i = 0; i < v->len && i < IMA_POLICY_RELEASE_MAX; i++)
		pol->release[i] = (unsigned char)v->str[i] < 0x20 ||
		    v->str[i] == 0x7f ? '?' : v->str[i];
	pol->release[i] = '\0';
	pol->has_release = 1;
}

/* Read a Keylime runtime policy (meta.version 1). */
static int
parse_keylime(struct pctx *c, const struct json *doc)
{
	int rc;

	read_release(c->pol, json_get(doc, "release"));
	if ((rc = check_keylime_meta(c, doc)) != RIV_OK ||
	    (rc = read_map(c, &c->maps[0], json_get(doc, "digests"), NULL,
	    NULL)) != RIV_OK ||
	    (rc = read_map(c, &c->maps[1], json_get(doc, "keyrings"), NULL,
	    NULL)) != RIV_OK ||
	    (rc = read_map(c, &c->maps[2], json_get(doc, "ima-buf"), NULL,
	    NULL)) != RIV_OK ||
	    (rc = read_excludes(c, json_get(doc, "excludes"))) != RIV_OK ||
	    (rc = read_ignored(c, "ima.ignored_keyrings",
	    json_get(json_get(doc, "ima"), "ignored_keyrings"))) != RIV_OK ||
	    (rc = read_vkeys(c, json_get(doc, "verification-keys"))) != RIV_OK)
		return rc;
	return RIV_OK;
}

/* Free a policy's memory. */
static void
policy_free(struct ima_policy *pol)
{
	size_t i;

	if (pol == NULL)
		return;
	table_free(&pol->files);
	table_free(&pol->keyrings);
	table_free(&pol->bufs);
	for (i = 0; i < pol->nignored; i++)
		free(pol->ignored[i]);
	free(pol->ignored);
	if (pol->has_excl)
		regfree(&pol->excl);
	for (i = 0; i < pol->nkeys; i++)
		EVP_PKEY_free(pol->keys[i].pkey);
	free(pol->keys);
	free(pol);
}

/* Compute the SHA-256 of a policy's bytes; -1 on an OpenSSL error. */
static int
policy_hash(const char *buf, size_t len, uint8_t *digest)
{
	unsigned n;

	if (EVP_Digest(buf, len, digest, &n, EVP_sha256(), NULL) != 1 ||
	    n != IMA_POLICY_DIGEST_LEN) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}

/*
 * Parse a policy whose SHA-256 is known: read the text (the maps straight
 * into the policy's tables), then apply the rules of its format.
 */
static struct ima_policy *
policy_parse(const char *buf, size_t len, const uint8_t *digest,
    struct riv_err *err)
{
	struct pctx c;
	struct riv_err jerr;
	struct json *doc = NULL;
	int rc;

	memset(&c, 0, sizeof(c));
	c.err = err;
	json_reader_init(&c.r, buf, len, &jerr);
	c.r.member = policy_member;
	c.r.arg = &c;
	if ((c.pol = calloc(1, sizeof(*c.pol))) == NULL) {
		err_set(err, RIV_MALFORMED, "IMA policy: out of memory");
		return NULL;
	}
	atomic_init(&c.pol->refs, 1);
	memcpy(c.pol->digest, digest, IMA_POLICY_DIGEST_LEN);
	c.maps[0].sect = "digests";
	c.maps[0].t = &c.pol->files;
	c.maps[1].sect = "keyrings";
	c.maps[1].t = &c.pol->keyrings;
	c.maps[2].sect = "ima-buf";
	c.maps[2].t = &c.pol->bufs;
	memcpy(&c.pol->files.seed, digest, sizeof(c.pol->files.seed));
	c.pol->keyrings.seed = c.pol->bufs.seed = c.pol->files.seed;
	c.keylime = policy_is_keylime(&c.r);
	if ((doc = json_read(&c.r)) == NULL) {
		err_set(err, RIV_MALFORMED, "IMA policy: %s", jerr.msg);
		goto fail;
	}
	if (doc->type != JSON_OBJECT) {
		err_set(err, RIV_MALFORMED, "IMA policy: expected a JSON "
		    "object, not %s, at byte offset %zu",
		    json_type_name(doc->type), doc->offset);
		goto fail;
	}
	if ((json_get(doc, "meta") != NULL) != c.keylime) {
		/* Only text that is not JSON can mislead the guess. */
		err_set(err, RIV_MALFORMED, "IMA policy: cannot tell its "
		    "format");
		goto fail;
	}
	if (!c.keylime && json_get(doc, "version") == NULL) {
		err_set(err, RIV_MALFORMED, "IMA policy: neither a rivd policy "
		    "(no member \"version\") nor a Keylime runtime policy (no "
		    "member \"meta\")");
		goto fail;
	}
	c.pol->format = c.keylime ? IMA_POLICY_KEYLIME : IMA_POLICY_NATIVE;
	rc = c.keylime ? parse_keylime(&c, doc) : parse_native(&c, doc);
	if (rc != RIV_OK)
		goto fail;
	json_free(doc);
	return c.pol;
fail:
	policy_free(c.pol);
	json_free(doc);
	return NULL;
}

/*
 * Parse a policy from len bytes: a native policy (member "version") or a
 * Keylime runtime policy (member "meta").  NULL with err set on any error.
 * The policy is not registered (see ima_policy_get).
 */
struct ima_policy *
ima_policy_parse(const char *buf, size_t len, struct riv_err *err)
{
	uint8_t digest[IMA_POLICY_DIGEST_LEN];

	if (len > IMA_POLICY_FILE_MAX) {
		err_set(err, RIV_MALFORMED, "IMA policy: larger than %u bytes",
		    IMA_POLICY_FILE_MAX);
		return NULL;
	}
	if (policy_hash(buf, len, digest) == -1) {
		err_set(err, RIV_MALFORMED, "IMA policy: cannot compute "
		    "SHA-256");
		return NULL;
	}
	return policy_parse(buf, len, digest, err);
}

/*
 * Read a policy file as file_read does, but a regular file into one buffer
 * of its size: file_read's doubling would copy a big policy a few times and
 * hold two copies at once.  Anything else (a pipe, a file that grows while
 * read) goes through file_read.
 */
static int
policy_read(const char *path, uint8_t **bufp, size_t *lenp,
    struct riv_err *err)
{
	struct stat st;
	uint8_t *buf;
	size_t size, n = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return err_set(err, RIV_MALFORMED, "%s: %s", path,
		    strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > (off_t)IMA_POLICY_FILE_MAX)
		goto other;
	size = (size_t)st.st_size;
	if ((buf = malloc(size + 2)) == NULL) {
		close(fd);
		return err_set(err, RIV_MALFORMED, "%s: out of memory", path);
	}
	while (n <= size && (r = read(fd, buf + n, size + 1 - n)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			free(buf);
			close(fd);
			return err_set(err, RIV_MALFORMED, "%s: read error",
			    path);
		}
		n += (size_t)r;
	}
	if (n > size) {
		free(buf);
		goto other;
	}
	close(fd);
	buf[n] = '\0';
	*bufp = buf;
	*lenp = n;
	return RIV_OK;
other:
	close(fd);
	return file_read(path, IMA_POLICY_FILE_MAX, bufp, lenp, err);
}

/* Read and parse a policy file (not registered); errors name the file. */
struct ima_policy *
ima_policy_load(const char *path, struct riv_err *err)
{
	struct ima_policy *pol;
	struct riv_err perr_;
	uint8_t *buf;
	size_t len;

	if (policy_read(path, &buf, &len, err) != RIV_OK)
		return NULL;
	pol = ima_policy_parse((const char *)buf, len, &perr_);
	free(buf);
	if (pol == NULL)
		err_set(err, RIV_MALFORMED, "%s: %s", path, perr_.msg);
	return pol;
}

/*
 * Find a registered policy by digest and take a reference to it; NULL if
 * there is none.  The registry lock must be held: a registered policy leaves
 * the registry, under the lock, when its last reference goes, so one found
 * here has at least one reference.
 */
static struct ima_policy *
registry_find(const uint8_t *digest)
{
	struct ima_policy *pol;

	for (pol = registry; pol != NULL; pol = pol->next)
		if (memcmp(pol->digest, digest, IMA_POLICY_DIGEST_LEN) == 0) {
			atomic_fetch_add(&pol->refs, 1);
			return pol;
		}
	return NULL;
}

/*
 * Return the policy in a file: a new reference to the policy already loaded
 * from the same bytes (by any path), or a newly parsed and registered one.
 * Thread safe; parsing happens outside the registry lock.
 */
struct ima_policy *
ima_policy_get(const char *path, struct riv_err *err)
{
	uint8_t digest[IMA_POLICY_DIGEST_LEN], *buf;
	struct ima_policy *pol, *old;
	struct riv_err perr_;
	size_t len;

	if (policy_read(path, &buf, &len, err) != RIV_OK)
		return NULL;
	if (policy_hash((const char *)buf, len, digest) == -1) {
		free(buf);
		err_set(err, RIV_MALFORMED, "%s: cannot compute SHA-256", path);
		return NULL;
	}
	pthread_mutex_lock(&registry_lock);
	pol = registry_find(digest);
	pthread_mutex_unlock(&registry_lock);
	if (pol != NULL) {
		free(buf);
		return pol;
	}
	pol = policy_parse((const char *)buf, len, digest, &perr_);
	free(buf);
	if (pol == NULL) {
		err_set(err, RIV_MALFORMED, "%s: %s", path, perr_.msg);
		return NULL;
	}
	/* Another thread may have loaded the same policy meanwhile. */
	pthread_mutex_lock(&registry_lock);
	if ((old = registry_find(digest)) == NULL) {
		pol->registered = 1;
		pol->next = registry;
		registry = pol;
	}
	pthread_mutex_unlock(&registry_lock);
	if (old != NULL) {
		policy_free(pol);
		return old;
	}
	return pol;
}

/* Take one more reference to a policy. */
struct ima_policy *
ima_policy_ref(struct ima_policy *pol)
{
	if (pol != NULL)
		atomic_fetch_add(&pol->refs, 1);
	return pol;
}

/*
 * Drop a reference; the last one frees the policy.  A registered policy's
 * count drops under the registry lock, so ima_policy_get cannot find it
 * between its last reference and its removal.
 */
void
ima_policy_unref(struct ima_policy *pol)
{
	struct ima_policy **pp;
	int last = 0;

	if (pol == NULL)
		return;
	if (!pol->registered) {
		if (atomic_fetch_sub(&pol->refs, 1) == 1)
			policy_free(pol);
		return;
	}
	pthread_mutex_lock(&registry_lock);
	if (atomic_fetch_sub(&pol->refs, 1) == 1) {
		last = 1;
		for (pp = &registry; *pp != NULL; pp = &(*pp)->next)
			if (*pp == pol) {
				*pp = pol->next;
				break;
			}
	}
	pthread_mutex_unlock(&registry_lock);
	if (last)
		policy_free(pol);
}

/* Return the format a policy was read from. */
enum ima_policy_format
ima_policy_format(const struct ima_policy *pol)
{
	return pol->format;
}

/* Return the number of paths (files) the policy lists. */
size_t
ima_policy_paths(const struct ima_policy *pol)
{
	return pol->files.nnames;
}

/*
 * Return a policy's identity: the SHA-256 of the bytes it was parsed from
 * (IMA_POLICY_DIGEST_LEN bytes).
 */
const uint8_t *
ima_policy_digest(const struct ima_policy *pol)
{
	return pol->digest;
}

/*
 * Return a Keylime policy's "release" as text (printable, at most
 * IMA_POLICY_RELEASE_MAX bytes), for display; NULL if it has none.
 */
const char *
ima_policy_release(const struct ima_policy *pol)
{
	return pol->has_release ? pol->release : NULL;
}

/* Create an appraiser (per-attester state) sharing a policy. */
struct ima_appraiser *
ima_appraiser_new(struct ima_policy *pol)
{
	struct ima_appraiser *a;

	if (pol == NULL || (a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->pol = ima_policy_ref(pol);
	return a;
}

/* Free learned keys. */
static void
sigkeys_free(struct sigkey *k, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		EVP_PKEY_free(k[i].pkey);
		free(k[i].der);
	}
}

/* Free an appraiser, its learned keys and its policy reference. */
void
ima_appraiser_free(struct ima_appraiser *a)
{
	if (a == NULL)
		return;
	sigkeys_free(a->learned, a->nlearned);
	ima_policy_unref(a->pol);
	free(a);
}

/*
 * Give the appraiser the quoted PCR values that the boot aggregate is
 * checked against (rivd-ima-policy(5)); NULL forgets them.  The appraiser
 * keeps a copy, so the set need not outlive the call.
 */
void
ima_appraiser_set_pcrs(struct ima_appraiser *a, const struct pcrset *pcrs)
{
	a->has_pcrs = pcrs != NULL;
	if (pcrs != NULL)
		memcpy(&a->pcrs, pcrs, sizeof(a->pcrs));
}

/* Return how many keys the appraiser learned from the .ima keyring. */
size_t
ima_appraiser_keys(const struct ima_appraiser *a)
{
	return a->nlearned;
}

/* Write a failure reason and return RIV_FAIL. */
static int	fail(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static int
fail(char *reason, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (reason != NULL && len > 0) {
		va_start(ap, fmt);
		vsnprintf(reason, len, fmt, ap);
		va_end(ap);
	}
	return RIV_FAIL;
}

/* Copy an entry's name, printable and bounded, for a reason. */
static const char *
quote_name(const struct ima_entry *e, char *out, size_t outlen)
{
	size_t i, n = 0;

	if (e->path == NULL || e->path_len == 0)
		return "(no name)";
	for (i = 0; i < e->path_len && n + 4 < outlen; i++) {
		unsigned char ch = (unsigned char)e->path[i];

		out[n++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	if (i < e->path_len) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
	return out;
}

/* Format an entry's file digest as "algorithm:hex" for a reason. */
static const char *
quote_digest(const struct ima_entry *e, char *out, size_t outlen)
{
	int a = entry_algo(e);
	size_t n;

	if (e->file_digest == NULL || e->file_digest_len > IMA_DIGEST_MAX)
		return "(no digest)";
	n = (size_t)snprintf(out, outlen, "%s:", a >= 0 ? algos[a].name :
	    "unknown");
	if (n + 2 * e->file_digest_len + 1 > outlen)
		return "(digest)";
	hex_encode(e->file_digest, e->file_digest_len, out + n);
	return out;
}

/*
 * Tell whether an entry's name matches the exclude patterns.  A name with a
 * NUL (not a C string) or a newline is never excluded: POSIX "." matches a
 * newline and Python's does not (nor does Python's "$" end a name there).
 */
static int
excluded(struct ima_appraiser *a, const struct ima_entry *e)
{
	if (!a->pol->has_excl || e->path == NULL ||
	    e->path_len > IMA_POLICY_NAME_MAX ||
	    memchr(e->path, '\0', e->path_len) != NULL ||
	    memchr(e->path, '\n', e->path_len) != NULL)
		return 0;
	memcpy(a->name, e->path, e->path_len);
	a->name[e->path_len] = '\0';
	return regexec(&a->pol->excl, a->name, 0, NULL, 0) == 0;
}

/* Verify a signature over tbs with one key. */
static int
key_verify(EVP_PKEY *pk, const EVP_MD *md, const uint8_t *sig, size_t siglen,
    const uint8_t *tbs, size_t tbslen)
{
	EVP_PKEY_CTX *ctx;
	int ok;

	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL)
		return 0;
	ok = EVP_PKEY_verify_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(ctx, md) == 1 &&
	    (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1) &&
	    EVP_PKEY_verify(ctx, sig, siglen, tbs, tbslen) == 1;
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

/*
 * Try every trusted key (configured, then learned) with this key id; 1 if
 * one verifies, 0 if none does, -1 if no key has the id.
 */
static int
keys_verify(struct ima_appraiser *a, uint32_t keyid, const EVP_MD *md,
    const uint8_t *sig, size_t siglen, const uint8_t *tbs, size_t tbslen)
{
	struct ima_policy *pol = a->pol;
	int found = 0;
	size_t i;

	for (i = 0; i < pol->nkeys; i++)
		if (pol->keys[i].keyid == keyid) {
			found = 1;
			if (key_verify(pol->keys[i].pkey, md, sig, siglen, tbs,
			    tbslen))
				return 1;
		}
	for (i = 0; i < a->nlearned; i++)
		if (a->learned[i].keyid == keyid) {
			found = 1;
			if (key_verify(a->learned[i].pkey, md, sig, siglen, tbs,
			    tbslen))
				return 1;
		}
	return found ? 0 : -1;
}

/* Tell whether an entry's file digest is an fs-verity digest (d-ngv2). */
static int
entry_verity(const struct ima_entry *e)
{
	return strncmp(e->digest_type, "verity", sizeof(e->digest_type)) == 0;
}

/*
 * Check an entry's IMA signature (struct signature_v2_hdr: type, version,
 * hash_algo, keyid, sig_size, sig).  As in the kernel, type 3
 * (EVM_IMA_XATTR_DIGSIG) is version 2 and signs the file digest; type 6
 * (IMA_VERITY_DIGSIG) is version 3, signs the hash of struct ima_file_id
 * (type, hash_algo, digest), and goes with an fs-verity digest only.
 */
static int
check_sig(struct ima_appraiser *a, const struct ima_entry *e, char *why,
    size_t whylen)
{
	const uint8_t *s = e->sig, *tbs;
	uint8_t id[2 + IMA_DIGEST_MAX], h[EVP_MAX_MD_SIZE];
	size_t n = e->sig_len, size, tbslen;
	unsigned hashlen;
	const EVP_MD *md;
	uint32_t keyid;
	int sa, fa, rc;

	if (n < SIG_HDR_LEN)
		return fail(why, whylen, "signature too short (%zu bytes)", n);
	keyid = (uint32_t)s[3] << 24 | (uint32_t)s[4] << 16 |
	    (uint32_t)s[5] << 8 | s[6];
	size = (size_t)s[7] << 8 | s[8];
	if (size != n - SIG_HDR_LEN)
		return fail(why, whylen, "signature size %zu does not match "
		    "its %zu bytes", size, n - SIG_HDR_LEN);
	if (!(s[0] == EVM_IMA_XATTR_DIGSIG && s[1] == 2) &&
	    !(s[0] == IMA_VERITY_DIGSIG && s[1] == 3))
		return fail(why, whylen, "unsupported signature type %u "
		    "version %u (type 3 is version 2, type 6 version 3)", s[0],
		    s[1]);
	if (s[0] == IMA_VERITY_DIGSIG && !entry_verity(e))
		return fail(why, whylen, "fs-verity signature (type 6) for a "
		    "digest that is not an fs-verity digest");
	if (s[0] == EVM_IMA_XATTR_DIGSIG && entry_verity(e))
		return fail(why, whylen, "signature type 3 for an fs-verity "
		    "digest (type 6 signs those)");
	if ((sa = algo_by_kid(s[2])) < 0 || algos[sa].ossl == NULL ||
	    (md = EVP_get_digestbyname(algos[sa].ossl)) == NULL)
		return fail(why, whylen, "unsupported signature hash algorithm "
		    "%u", s[2]);
	fa = entry_algo(e);
	if (fa != sa || e->file_digest == NULL ||
	    e->file_digest_len != algos[sa].size)
		return fail(why, whylen, "signature hash algorithm %s does not "
		    "match the file digest (%s)", algos[sa].name,
		    fa >= 0 ? algos[fa].name : "unknown");
	tbs = e->file_digest;
	tbslen = e->file_digest_len;
	if (s[1] == 3) {
		id[0] = s[0];
		id[1] = s[2];
		memcpy(id + 2, e->file_digest, e->file_digest_len);
		if (EVP_Digest(id, 2 + tbslen, h, &hashlen, md, NULL) != 1)
			return fail(why, whylen, "cannot hash with %s",
			    algos[sa].name);
		tbs = h;
	}
	rc = keys_verify(a, keyid, md, s + SIG_HDR_LEN, size, tbs, tbslen);
	if (rc == 1)
		return RIV_OK;
	if (rc == -1)
		return fail(why, whylen, "no trusted key 0x%08x for the "
		    "signature", keyid);
	return fail(why, whylen, "signature does not verify with key 0x%08x",
	    keyid);
}

/* Return the PCR bank of a file digest algorithm, or -1. */
static int
algo_bank(int a)
{
	if (a < 0)
		return -1;
	if (a == ALGO_SM3)
		return bank_by_name("sm3_256");
	return bank_by_name(algos[a].name);
}

/*
 * Appraise the boot aggregate.  If the policy lists digests for
 * "boot_aggregate", the entry must match one.  Otherwise it must be entry 0,
 * and its digest, in its algorithm A, must be what the kernel computes
 * (ima_calc_boot_aggregate): the hash of quoted PCRs 0-7 of bank A, then
 * PCRs 8-9 unless A is sha1.  An all-zero aggregate (no TPM when IMA
 * started) passes only if listed.  Excludes, signatures and allow_unlisted
 * do not apply, and a violation (whose fields no PCR covers) always fails.
 */
static int
appraise_boot(struct ima_appraiser *a, const struct ima_entry *e,
    char *reason, size_t len)
{
	uint8_t cat[10 * DIGEST_MAX], h[DIGEST_MAX];
	char d[16 + 2 * IMA_DIGEST_MAX];
	const struct pname *p;
	const struct bank *bk;
	const uint8_t *v;
	unsigned i, npcr;
	size_t size;
	int al, bank;

	if (e->violation)
		return fail(reason, len, "boot_aggregate recorded as a "
		    "violation");
	p = table_find(&a->pol->files, e->path, e->path_len);
	if (p != NULL) {
		if (digest_allowed(p, e))
			return RIV_OK;
		return fail(reason, len, "digest not allowed: %s for "
		    "boot_aggregate", quote_digest(e, d, sizeof(d)));
	}
	if (e->index != 0)
		return fail(reason, len, "path not in policy: boot_aggregate "
		    "(entry %llu, not the first)",
		    (unsigned long long)e->index);
	al = entry_algo(e);
	if (e->file_digest == NULL || al < 0 ||
	    e->file_digest_len != algos[al].size)
		return fail(reason, len, "boot_aggregate not verified: "
		    "unknown digest %s", quote_digest(e, d, sizeof(d)));
	if (all_zero(e->file_digest, e->file_digest_len))
		return fail(reason, len, "boot_aggregate is all zero (no TPM "
		    "when IMA started) and the policy does not list it");
	npcr = al == ALGO_SHA1 ? 8 : 10;
	bank = algo_bank(al);
	for (i = 0; i < npcr && bank >= 0 && a->has_pcrs; i++)
		if (!pcrset_has(&a->pcrs, bank, i))
			break;
	if (bank < 0 || !a->has_pcrs || i < npcr)
		return fail(reason, len, "boot_aggregate not verified: no "
		    "allowed digest in the policy and no quoted PCRs 0-%u of "
		    "bank %s", npcr - 1, algos[al].name);
	bk = bank_get(bank);
	size = bk->size;
	for (i = 0; i < npcr; i++) {
		v = pcrset_get(&a->pcrs, bank, i);
		memcpy(cat + i * size, v, size);
	}
	if (size != e->file_digest_len ||
	    bank_hash(bank, cat, npcr * size, h) != 0)
		return fail(reason, len, "boot_aggregate not verified: cannot "
		    "hash with %s", algos[al].name);
	if (memcmp(h, e->file_digest, size) != 0)
		return fail(reason, len, "boot_aggregate does not match quoted "
		    "PCRs 0-%u (%s)", npcr - 1, algos[al].name);
	return RIV_OK;
}

/* Appraise a file measurement (ima, ima-ng, ima-sig and similar). */
static int
appraise_file(struct ima_appraiser *a, const struct ima_entry *e,
    char *reason, size_t len)
{
	const struct pname *p;
	char q[QUOTE_MAX + 4], d[16 + 2 * IMA_DIGEST_MAX], why[96];
	int rc = RIV_FAIL;

	p = table_find(&a->pol->files, e->path, e->path_len);
	if (p != NULL && digest_allowed(p, e))
		return RIV_OK;
	if (excluded(a, e))
		return RIV_OK;
	if (e->sig != NULL && e->sig_len > 0 &&
	    (rc = check_sig(a, e, why, sizeof(why))) == RIV_OK)
		return RIV_OK;
	if (p != NULL)
		return fail(reason, len, "digest not allowed: %s for %s",
		    quote_digest(e, d, sizeof(d)), quote_name(e, q, sizeof(q)));
	if (a->pol->allow_unlisted)
		return RIV_OK;
	if (rc == RIV_FAIL && e->sig != NULL && e->sig_len > 0)
		return fail(reason, len, "%s: %s", why,
		    quote_name(e, q, sizeof(q)));
	return fail(reason, len, "path not in policy: %s",
	    quote_name(e, q, sizeof(q)));
}

/* Tell whether a keyring's key entries are ignored. */
static int
keyring_ignored(const struct ima_policy *pol, const char *name, size_t len)
{
	size_t i;

	if (pol->ignore_all)
		return 1;
	for (i = 0; i < pol->nignored; i++)
		if (strlen(pol->ignored[i]) == len &&
		    memcmp(pol->ignored[i], name, len) == 0)
			return 1;
	return 0;
}

/* Tell whether a buffer's logged digest is the hash of its data. */
static int
buf_digest_ok(const struct ima_entry *e)
{
	uint8_t h[EVP_MAX_MD_SIZE];
	const EVP_MD *md;
	unsigned n;
	int a = entry_algo(e);

	if (a < 0 || algos[a].ossl == NULL || e->file_digest == NULL ||
	    (md = EVP_get_digestbyname(algos[a].ossl)) == NULL ||
	    EVP_Digest(e->buf, e->buf_len, h, &n, md, NULL) != 1)
		return 0;
	return n == e->file_digest_len && memcmp(h, e->file_digest, n) == 0;
}

/* Trust a key measured into the .ima keyring for later signatures. */
static int
learn_key(struct ima_appraiser *a, const struct ima_entry *e, EVP_PKEY *pk,
    uint32_t id, char *reason, size_t len)
{
	char q[QUOTE_MAX + 4];
	size_t i;

	if (!((e->path_len == 4 && memcmp(e->path, ".ima", 4) == 0) ||
	    (e->path_len == 4 && memcmp(e->path, "_ima", 4) == 0))) {
		EVP_PKEY_free(pk);
		return RIV_OK;
	}
	for (i = 0; i < a->nlearned; i++)
		if (a->learned[i].keyid == id &&
		    EVP_PKEY_eq(a->learned[i].pkey, pk) == 1) {
			EVP_PKEY_free(pk);
			return RIV_OK;
		}
	if (a->nlearned >= IMA_POLICY_LEARNED_MAX) {
		EVP_PKEY_free(pk);
		return fail(reason, len, "more than %d keys in keyring %s",
		    IMA_POLICY_LEARNED_MAX, quote_name(e, q, sizeof(q)));
	}
	/* Keep the key as measured, for ima_appraiser_write. */
	if ((a->learned[a->nlearned].der = malloc(e->buf_len)) == NULL) {
		EVP_PKEY_free(pk);
		return fail(reason, len, "out of memory");
	}
	memcpy(a->learned[a->nlearned].der, e->buf, e->buf_len);
	a->learned[a->nlearned].derlen = e->buf_len;
	memcpy(a->learned[a->nlearned].keyring, e->path, 4);
	a->learned[a->nlearned].keyring[4] = '\0';
	a->learned[a->nlearned].keyid = id;
	a->learned[a->nlearned].pkey = pk;
	a->nlearned++;
	return RIV_OK;
}

/* Appraise a key measured into a keyring (ima-buf, name = keyring). */
static int
appraise_key(struct ima_appraiser *a, const struct ima_entry *e, EVP_PKEY *pk,
    uint32_t id, char *reason, size_t len)
{
	const struct pname *p;
	char q[QUOTE_MAX + 4], d[16 + 2 * IMA_DIGEST_MAX];

	if (keyring_ignored(a->pol, e->path, e->path_len)) {
		EVP_PKEY_free(pk);
		return RIV_OK;
	}
	p = table_find(&a->pol->keyrings, e->path, e->path_len);
	if (p != NULL && digest_allowed(p, e)) {
		if (!buf_digest_ok(e)) {
			EVP_PKEY_free(pk);
			return fail(reason, len, "key digest does not match "
			    "the key in keyring %s",
			    quote_name(e, q, sizeof(q)));
		}
		return learn_key(a, e, pk, id, reason, len);
	}
	EVP_PKEY_free(pk);
	if (excluded(a, e))
		return RIV_OK;
	if (p != NULL)
		return fail(reason, len, "key not allowed: %s (key 0x%08x) in "
		    "keyring %s", quote_digest(e, d, sizeof(d)), id,
		    quote_name(e, q, sizeof(q)));
	if (a->pol->allow_unlisted)
		return RIV_OK;
	return fail(reason, len, "keyring not in policy: %s (key 0x%08x)",
	    quote_name(e, q, sizeof(q)), id);
}

/* Appraise an ima-buf entry: a key, or a named buffer. */
static int
appraise_buf(struct ima_appraiser *a, const struct ima_entry *e,
    char *reason, size_t len)
{
	const struct pname *p;
	char q[QUOTE_MAX + 4], d[16 + 2 * IMA_DIGEST_MAX];
	EVP_PKEY *pk;
	uint32_t id;

	if (e->buf != NULL && (pk = key_from_der(e->buf, e->buf_len, &id)) !=
	    NULL) {
		if (!key_usable(pk)) {
			EVP_PKEY_free(pk);
			return fail(reason, len, "unsupported key type in "
			    "keyring %s", quote_name(e, q, sizeof(q)));
		}
		return appraise_key(a, e, pk, id, reason, len);
	}
	p = table_find(&a->pol->bufs, e->path, e->path_len);
	if (p != NULL && digest_allowed(p, e))
		return RIV_OK;
	if (excluded(a, e))
		return RIV_OK;
	if (p != NULL)
		return fail(reason, len, "buffer digest not allowed: %s for %s",
		    quote_digest(e, d, sizeof(d)), quote_name(e, q, sizeof(q)));
	if (a->pol->allow_unlisted)
		return RIV_OK;
	return fail(reason, len, "buffer not in policy: %s",
	    quote_name(e, q, sizeof(q)));
}

/*
 * Appraise one entry: RIV_OK if it passes (allowed, excluded or ignored),
 * RIV_FAIL with a reason otherwise.  Keys the entry measures into the .ima
 * keyring (if allowed) verify later entries of this appraiser.
 */
int
ima_appraise_entry(struct ima_appraiser *a, const struct ima_entry *e,
    char *reason, size_t len)
{
	char q[QUOTE_MAX + 4];

	if (reason != NULL && len > 0)
		reason[0] = '\0';
	if (e->path == NULL && e->path_len != 0)
		return fail(reason, len, "malformed entry (name)");
	if (e->index == 0 && !ima_is_boot_aggregate(e) &&
	    !a->pol->allow_no_aggregate)
		return fail(reason, len, "entry 0 (%s%s) is not the "
		    "boot_aggregate measurement: the list is not bound to "
		    "this boot", e->buf != NULL ? "the buffer " : "",
		    quote_name(e, q, sizeof(q)));
	if (ima_is_boot_aggregate(e))
		return appraise_boot(a, e, reason, len);
	if (e->violation) {
		if (a->pol->accept_violations || excluded(a, e))
			return RIV_OK;
		return fail(reason, len, "violation rejected by policy: %s",
		    quote_name(e, q, sizeof(q)));
	}
	if (e->buf != NULL || memcmp(e->template_name, "ima-buf", 8) == 0)
		return appraise_buf(a, e, reason, len);
	return appraise_file(a, e, reason, len);
}

/*
 * Write the state an appraiser built up, as one JSON object (no newline):
 * the policy's digest and the keys learned from the .ima keyring, as
 * measured:
 * {"policy":"<sha256 hex>","keys":[{"keyring":".ima","keyid":"12345678",
 * "der":"<hex>"},...]}
 */
void
ima_appraiser_write(FILE *f, const struct ima_appraiser *a)
{
	char id[9];
	size_t i;

	fputs("{\"policy\":", f);
	json_put_hex(f, a->pol->digest, IMA_POLICY_DIGEST_LEN);
	fputs(",\"keys\":[", f);
	for (i = 0; i < a->nlearned; i++) {
		snprintf(id, sizeof(id), "%08x", a->learned[i].keyid);
		fprintf(f, "%s{\"keyring\":", i ? "," : "");
		json_put_string(f, a->learned[i].keyring);
		fprintf(f, ",\"keyid\":\"%s\",\"der\":", id);
		json_put_hex(f, a->learned[i].der, a->learned[i].derlen);
		fputc('}', f);
	}
	fputs("]}", f);
}

/*
 * Tell whether the policy would let a key (DER, as measured) into a keyring
 * and trust it: the keyring is not ignored and one of its allowed digests is
 * the key's hash, in that digest's algorithm (any of its size for a Keylime
 * digest).
 */
static int
key_allowed(const struct ima_policy *pol, const char *keyring,
    const uint8_t *der, size_t len)
{
	uint8_t h[EVP_MAX_MD_SIZE];
	const struct pdigest *d;
	const struct pname *p;
	const EVP_MD *md;
	unsigned n;
	uint32_t i;
	int al;

	if (keyring_ignored(pol, keyring, strlen(keyring)) ||
	    (p = table_find(&pol->keyrings, keyring, strlen(keyring))) ==
	    NULL)
		return 0;
	for (i = 0, d = pname_digests(p); i < p->count;
	    i++, d = pdigest_next(d)) {
		for (al = 0; al < ALGO_COUNT; al++) {
			if ((d->algo != ALGO_ANY && d->algo != al) ||
			    algos[al].size != d->len || algos[al].ossl == NULL ||
			    (md = EVP_get_digestbyname(algos[al].ossl)) ==
			    NULL || EVP_Digest(der, len, h, &n, md, NULL) != 1)
				continue;
			if (n == d->len && memcmp(h, d->d, n) == 0)
				return 1;
		}
	}
	ERR_clear_error();
	return 0;
}

/* Read a fixed-length hex string member; -1 if absent or malformed. */
static int
state_hex(const struct json *obj, const char *name, uint8_t *out, size_t len)
{
	const struct json *v = json_get(obj, name);
	size_t n;

	if (v == NULL || v->type != JSON_STRING || v->len != 2 * len ||
	    hex_decode(v->str, v->len, out, len, &n) == -1 || n != len)
		return -1;
	return 0;
}

/* Check that an object has only the members named (NULL ended). */
static int
state_members(const struct json *obj, const char *const *names,
    const char *what, struct riv_err *err)
{
	long i;

	if ((i = unknown_member(obj, names)) >= 0)
		return err_set(err, RIV_MALFORMED, "IMA appraiser state: %s: "
		    "unknown member \"%.*s\" at byte offset %zu", what,
		    QUOTE_MAX, obj->keys[i], obj->items[i]->offset);
	return RIV_OK;
}

/* Read one learned key of an appraiser state into k. */
static int
state_key(const struct ima_appraiser *a, size_t idx, const struct json *o,
    struct sigkey *k, struct riv_err *err)
{
	static const char *const names[] = { "keyring", "keyid", "der", NULL };
	const struct json *ring, *der;
	uint8_t idb[4];
	uint32_t keyid, id;
	char what[32];
	size_t n;

	snprintf(what, sizeof(what), "keys[%zu]", idx);
	if (o->type != JSON_OBJECT)
		return err_set(err, RIV_MALFORMED, "IMA appraiser state: %s: "
		    "expected an object at byte offset %zu", what, o->offset);
	if (state_members(o, names, what, err) != RIV_OK)
		return RIV_MALFORMED;
	ring = json_get(o, "keyring");
	if (ring == NULL || ring->type != JSON_STRING ||
	    (strcmp(ring->str, ".ima") != 0 && strcmp(ring->str, "_ima") != 0))
		return err_set(err, RIV_MALFORMED, "IMA appraiser state: %s: "
		    "expected \"keyring\" \".ima\" or \"_ima\" at byte offset "
		    "%zu", what, o->offset);
	if (state_hex(o, "keyid", idb, sizeof(idb)) == -1)
		return err_set(err, RIV_MALFORMED, "IMA appraiser state: %s: "
		    "expected \"keyid\" of 8 hex digits at byte offset %zu",
		    what, o->offset);
	keyid = (uint32_t)idb[0] << 24 | (uint32_t)idb[1] << 16 |
	    (uint32_t)idb[2] << 8 | idb[3];
	der = json_get(o, "der");
	if (der == NULL || der->type != JSON_STRING || der->len == 0 ||
	    der->len > 2 * (size_t)IMA_POLICY_KEY_LEN_MAX)
		return err_set(err, RIV_MALFORMED, "IMA appraiser state: %s: "
		    "expected \"der\" of 1 to %d bytes in hex at byte offset "
		    "%zu", what, IMA_POLICY_KEY_LEN_MAX, o->offset);
	if ((k->der = malloc(der->len / 2 + 1)) == NULL)
		return err_set(err, RIV_MALFORMED, "IMA appraiser state: out "
		    "of memory");
	if (hex_decode(der->str, der->len, k->der, der->len / 2 + 1, &n) ==
	    -1)
		return err_set(err, RIV_MALFORMED, "IMA appraiser state: %s: "
		    "bad hex in \"der\" at byte offset %zu", what, der->offset);
	k->derlen = n;
	if ((k->pkey = key_from_der(k->der, n, &id)) == NULL ||
	    !key_usable(k->pkey))
		return err_set(err, RIV_MALFORMED, "IMA appraiser state: %s: "
		    "not a DER certificate or public key (RSA or EC) at byte "
		    "offset %zu", what, der->offset);
	if (id != keyid)
		return err_set(err, RIV_MALFORMED, "IMA appraiser state: %s: "
		    "key id %08x is not the key's (%08x) at byte offset %zu",
		    what, keyid, id, o->offset);
	if (!key_allowed(a->pol, ring->str, k->der, n))
		return err_set(err, RIV_MALFORMED, "IMA appraiser state: %s: "
		    "the policy does not allow this key in keyring %s (byte "
		    "offset %zu)", what, ring->str, o->offset);
	memcpy(k->keyring, ring->str, 5);
	k->keyid = keyid;
	return RIV_OK;
}

/*
 * Restore the keys an appraiser learned in earlier runs, from a value
 * written by ima_appraiser_write, replacing the keys it holds.  The state
 * must have been made with the appraiser's policy (same digest), and every
 * key must still be one the policy allows into its keyring.  RIV_MALFORMED,
 * with the appraiser unchanged, on any error.
 */
int
ima_appraiser_from_json(struct ima_appraiser *a, const struct json *v,
    struct riv_err *err)
{
	static const char *const names[] = { "policy", "keys", NULL };
	struct sigkey keys[IMA_POLICY_LEARNED_MAX];
	uint8_t digest[IMA_POLICY_DIGEST_LEN];
	char hex[2 * IMA_POLICY_DIGEST_LEN + 1];
	const struct json *ks;
	size_t i, j, n = 0;
	int rc;

	memset(keys, 0, sizeof(keys));
	if (v == NULL || v->type != JSON_OBJECT)
		return err_set(err, RIV_MALFORMED, "IMA appraiser state: "
		    "expected an object at byte offset %zu",
		    v != NULL ? v->offset : 0);
	if (state_members(v, names, "state", err) != RIV_OK)
		return RIV_MALFORMED;
	if (state_hex(v, "policy", digest, sizeof(digest)) == -1)
		return err_set(err, RIV_MALFORMED, "IMA appraiser state: "
		    "expected \"policy\", a SHA-256 in hex, at byte offset %zu",
		    v->offset);
	if (memcmp(digest, a->pol->digest, sizeof(digest)) != 0) {
		hex_encode(a->pol->digest, IMA_POLICY_DIGEST_LEN, hex);
		return err_set(err, RIV_MALFORMED, "IMA appraiser state: "
		    "state was made with another policy (not sha256:%s) at "
		    "byte offset %zu", hex, json_get(v, "policy")->offset);
	}
	ks = json_get(v, "keys");
	if (ks == NULL || ks->type != JSON_ARRAY)
		return err_set(err, RIV_MALFORMED, "IMA appraiser state: "
		    "expected a \"keys\" array at byte offset %zu", v->offset);
	if (ks->n > IMA_POLICY_LEARNED_MAX)
		return err_set(err, RIV_MALFORMED, "IMA appraiser state: more "
		    "than %d keys at byte offset %zu", IMA_POLICY_LEARNED_MAX,
		    ks->offset);
	for (n = 0; n < ks->n; n++) {
		rc = state_key(a, n, ks->items[n], &keys[n], err);
		for (j = 0; rc == RIV_OK && j < n; j++)
			if (keys[j].keyid == keys[n].keyid &&
			    EVP_PKEY_eq(keys[j].pkey, keys[n].pkey) == 1)
				rc = err_set(err, RIV_MALFORMED, "IMA appraiser "
				    "state: keys[%zu]: listed twice at byte "
				    "offset %zu", n, ks->items[n]->offset);
		if (rc != RIV_OK) {
			sigkeys_free(keys, n + 1);
			ERR_clear_error();
			return RIV_MALFORMED;
		}
	}
	sigkeys_free(a->learned, a->nlearned);
	for (i = 0; i < n; i++)
		a->learned[i] = keys[i];
	a->nlearned = n;
	return RIV_OK;
}
