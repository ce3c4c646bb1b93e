/*
 * ima.c — parse Linux IMA measurement lists, decode their templates, verify
 * template digests and replay the PCRs they extend, incrementally.
 *
 * Formats (Linux security/integrity/ima/ima_fs.c, ima_template*.c):
 *
 *   binary  per entry: pcr u32, template digest (20 bytes of SHA1 in
 *           binary_runtime_measurements; the bank's size in the per-bank
 *           lists binary_runtime_measurements_<alg>), template name
 *           length u32, name (no NUL), then for every template but
 *           "ima" the template data length u32 and the template data:
 *           each field as length u32 and bytes.  The "ima" template
 *           has no data length: its data is d (20 bytes, no length),
 *           then n as length u32 (strlen, no NUL) and name.  Integers
 *           are little-endian (ima_canonical_fmt); a list written by a
 *           big-endian kernel without ima_canonical_fmt is recognised
 *           and read big-endian.  The template digest size is found by
 *           trying 20, 32, 48 and 64 bytes and keeping the first size
 *           under which the first two entries parse (pcr below 24, a
 *           known template name of 1-255 bytes, fields that exactly fill
 *           the data); 32 bytes is SHA-256 unless the first non-violation
 *           entry only verifies as SM3.  One '\n' after the last entry
 *           is ignored (lists that went through text tools gain one);
 *           any other trailing byte starts an entry, which must parse.
 *   ASCII   per line: "pcr template-digest-hex template-name" then, for
 *           each field, a space and its text (empty when the field is
 *           empty): d hex; d-ng "algo:hex"; d-ngv2 "type:algo:hex";
 *           n, n-ng and xattrnames text; sig, buf, modsig, evmsig,
 *           xattrlengths, xattrvalues hex; iuid, igid, imode decimal.
 *           The binary template data is rebuilt from the text (strings
 *           get their NUL back, iuid/igid are 4 bytes and imode 2, all
 *           little-endian) so the entry can be verified and replayed in
 *           every bank.  Kernels since 2021 write names with spaces as
 *           '_'; for older lists, surplus spaces belong to the name.
 *
 * A template name is one of the kernel's built-in templates (ima, ima-ng,
 * ima-sig, ima-ngv2, ima-sigv2, ima-buf, ima-modsig, evm-sig) or, for a
 * custom ima_template_fmt, the format itself ("d-ng|n-ng|iuid"), of at
 * most 15 known fields; anything else is malformed.
 *
 * Template hash (ima_crypto.c, ima_calc_field_array_hash_tfm): the hash of
 * the template data as listed (each field's u32 length and bytes), except
 * for the "ima" template: d, then the name zero-padded to 256 bytes.  A
 * violation is logged with an all-zero template digest; it is not a
 * digest mismatch, and extends every bank with all-ones.  Bank b is
 * extended with the template hash in algorithm b; in the list's own bank,
 * the logged digest is used.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ima.h"

#define LEGACY_NAME_PAD	(IMA_EVENT_NAME_MAX + 1)	/* n hashed as */
#define LEGACY_D	20		/* d of the "ima" template */
#define ASCII_LINE_MAX	(2 * (size_t)IMA_TEMPLATE_DATA_MAX)
#define PROBE_ENTRIES	16		/* entries looked at for SM3 */

enum field_id {
	F_D, F_N, F_D_NG, F_D_NGV2, F_N_NG, F_SIG, F_BUF, F_D_MODSIG,
	F_MODSIG, F_EVMSIG, F_IUID, F_IGID, F_IMODE, F_XATTRNAMES,
	F_XATTRLENGTHS, F_XATTRVALUES, F_COUNT
};

/* How a field is shown in the ASCII list. */
enum field_text {
	T_HEX,		/* hex of the bytes */
	T_ALGO,		/* prefix up to ':' then hex of the digest */
	T_STRING,	/* text; the field holds it with a NUL */
	T_RAWSTRING,	/* text; the field holds it without a NUL */
	T_UINT		/* decimal */
};

struct field_desc {
	const char	*id;
	enum field_text	 text;
	unsigned	 uint_size;	/* T_UINT: bytes when rebuilt */
};

static const struct field_desc fields[F_COUNT] = {
	[F_D] =			{ "d",			T_HEX,		0 },
	[F_N] =			{ "n",			T_STRING,	0 },
	[F_D_NG] =		{ "d-ng",		T_ALGO,		0 },
	[F_D_NGV2] =		{ "d-ngv2",		T_ALGO,		0 },
	[F_N_NG] =		{ "n-ng",		T_STRING,	0 },
	[F_SIG] =		{ "sig",		T_HEX,		0 },
	[F_BUF] =		{ "buf",		T_HEX,		0 },
	[F_D_MODSIG] =		{ "d-modsig",		T_ALGO,		0 },
	[F_MODSIG] =		{ "modsig",		T_HEX,		0 },
	[F_EVMSIG] =		{ "evmsig",		T_HEX,		0 },
	[F_IUID] =		{ "iuid",		T_UINT,		4 },
	[F_IGID] =		{ "igid",		T_UINT,		4 },
	[F_IMODE] =		{ "imode",		T_UINT,		2 },
	[F_XATTRNAMES] =	{ "xattrnames",		T_RAWSTRING,	0 },
	[F_XATTRLENGTHS] =	{ "xattrlengths",	T_HEX,		0 },
	[F_XATTRVALUES] =	{ "xattrvalues",	T_HEX,		0 },
};

struct template_desc {
	const char	*name;
	const char	*fmt;
};

/* The kernel's built-in templates (ima_template.c). */
static const struct template_desc templates[] = {
	{ "ima",	"d|n" },
	{ "ima-ng",	"d-ng|n-ng" },
	{ "ima-sig",	"d-ng|n-ng|sig" },
	{ "ima-ngv2",	"d-ngv2|n-ng" },
	{ "ima-sigv2",	"d-ngv2|n-ng|sig" },
	{ "ima-buf",	"d-ng|n-ng|buf" },
	{ "ima-modsig",	"d-ng|n-ng|sig|d-modsig|modsig" },
	{ "evm-sig", "d-ng|n-ng|evmsig|xattrnames|xattrlengths|"
	    "xattrvalues|iuid|igid|imode" },
};

static const uint8_t ones[DIGEST_MAX] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};
static const uint8_t zeros[DIGEST_MAX];

static const char	*current_differs(const struct ima_state *,
			    const struct pcrset *, uint32_t);
static uint32_t		 common_banks(const struct ima_state *,
			    const struct pcrset *);

/* Read a u32 in the list's byte order. */
static uint32_t
get32(const uint8_t *p, int be)
{
	if (be)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[1] << 8 | p[0];
}

/* Read an unsigned integer of 1, 2, 4 or 8 bytes in the list's order. */
static uint64_t
get_uint(const uint8_t *p, size_t n, int be)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)p[be ? n - 1 - i : i] << (8 * i);
	return v;
}

/* Store a little-endian u32. */
static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Tell whether len bytes are all zero. */
static int
all_zero(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* Return the field id of a name of len bytes, or -1. */
static int
field_by_name(const char *name, size_t len)
{
	int i;

	for (i = 0; i < F_COUNT; i++)
		if (strlen(fields[i].id) == len &&
		    memcmp(fields[i].id, name, len) == 0)
			return i;
	return -1;
}

/*
 * Split a template format "f1|f2|..." into field ids; 0, or -1 if a field
 * is unknown, empty, or there are more than IMA_FIELDS_MAX.
 */
static int
parse_fmt(const char *fmt, uint8_t *ids, unsigned *n)
{
	const char *p = fmt, *bar;
	size_t len;
	int id;

	*n = 0;
	for (;;) {
		bar = strchr(p, '|');
		len = bar != NULL ? (size_t)(bar - p) : strlen(p);
		if (len == 0 || *n == IMA_FIELDS_MAX ||
		    (id = field_by_name(p, len)) == -1)
			return -1;
		ids[(*n)++] = (uint8_t)id;
		if (bar == NULL)
			return 0;
		p = bar + 1;
	}
}

/*
 * Find the fields of a template by name (a built-in template, or a custom
 * format used as the name); cached in the reader.  0, or -1 if unknown.
 */
static int
template_lookup(struct ima_reader *r, const char *name)
{
	size_t i;
	const char *fmt = name;

	if (r->tnfields > 0 && strcmp(r->tname, name) == 0)
		return 0;
	for (i = 0; i < sizeof(templates) / sizeof(templates[0]); i++)
		if (strcmp(templates[i].name, name) == 0) {
			fmt = templates[i].fmt;
			break;
		}
	r->tnfields = 0;
	if (parse_fmt(fmt, r->tfields, &r->tnfields) == -1) {
		r->tnfields = 0;
		return -1;
	}
	snprintf(r->tname, sizeof(r->tname), "%s", name);
	return 0;
}

/* Set the file algorithm implied by a digest size (d, or no algo). */
static void
implied_algo(struct ima_entry *e, size_t size)
{
	if (size == 20)
		snprintf(e->file_algo, sizeof(e->file_algo), "sha1");
	else if (size == 16)
		snprintf(e->file_algo, sizeof(e->file_algo), "md5");
}

/*
 * Split a d-ng ("algo:\0digest") or d-ngv2 ("type:algo:\0digest") field.
 * 0, or -1 if the prefix is missing or not printable.
 */
static int
split_algo(const uint8_t *start, size_t len, int v2, char *type, size_t tlen,
    char *algo, size_t alen, const uint8_t **dig, size_t *dlen)
{
	const uint8_t *nul, *colon, *p = start;
	size_t plen, i, max = tlen + alen + 2;

	if ((nul = memchr(p, '\0', len < max ? len : max)) == NULL)
		return -1;
	plen = (size_t)(nul - p);
	if (plen == 0 || p[plen - 1] != ':')
		return -1;
	for (i = 0; i + 1 < plen; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return -1;
	plen--;			/* drop the last ':' */
	if (v2) {
		if ((colon = memchr(p, ':', plen)) == NULL ||
		    (size_t)(colon - p) >= tlen)
			return -1;
		memcpy(type, p, (size_t)(colon - p));
		type[colon - p] = '\0';
		plen -= (size_t)(colon - p) + 1;
		p = colon + 1;
	}
	if (plen >= alen || memchr(p, ':', plen) != NULL)
		return -1;
	memcpy(algo, p, plen);
	algo[plen] = '\0';
	*dig = nul + 1;
	*dlen = len - (size_t)(nul + 1 - start);
	return 0;
}

/* Remember an optional byte field: NULL when empty. */
static void
set_bytes(const uint8_t **dst, size_t *dlen, const uint8_t *p, size_t len)
{
	*dst = len > 0 ? p : NULL;
	*dlen = len;
}

/*
 * Decode one field of len bytes at p (byte offset off in the list) into the
 * entry; RIV_OK or RIV_MALFORMED.
 */
static int
set_field(struct ima_entry *e, int id, const uint8_t *p, size_t len, int be,
    size_t off, struct riv_err *err)
{
	char type[sizeof(e->digest_type)], dummy[2];
	const uint8_t *dig;
	size_t dlen;

	switch (id) {
	case F_D:
		set_bytes(&e->file_digest, &e->file_digest_len, p, len);
		implied_algo(e, len);
		break;
	case F_D_NG:
	case F_D_NGV2:
		if (len == 0)
			break;
		if (split_algo(p, len, id == F_D_NGV2,
		    id == F_D_NGV2 ? type : dummy,
		    id == F_D_NGV2 ? sizeof(type) : sizeof(dummy),
		    e->file_algo, sizeof(e->file_algo), &dig, &dlen) == -1)
			return err_set(err, RIV_MALFORMED,
			    "field %s at byte offset %zu lacks its "
			    "\"%salgo:\\0\" prefix", fields[id].id, off,
			    id == F_D_NGV2 ? "type:" : "");
		if (id == F_D_NGV2)
			memcpy(e->digest_type, type, sizeof(type));
		set_bytes(&e->file_digest, &e->file_digest_len, dig, dlen);
		if (e->file_algo[0] == '\0')
			implied_algo(e, dlen);
		break;
	case F_D_MODSIG:
		if (len == 0)
			break;
		if (split_algo(p, len, 0, dummy, sizeof(dummy), e->modsig_algo,
		    sizeof(e->modsig_algo), &dig, &dlen) == -1)
			return err_set(err, RIV_MALFORMED,
			    "field d-modsig at byte offset %zu lacks its "
			    "\"algo:\\0\" prefix", off);
		set_bytes(&e->modsig_digest, &e->modsig_digest_len, dig, dlen);
		break;
	case F_N:
	case F_N_NG:
		if (len > 0 && p[len - 1] == '\0')
			len--;
		e->path = (const char *)p;
		e->path_len = len;
		break;
	case F_SIG:
		set_bytes(&e->sig, &e->sig_len, p, len);
		break;
	case F_BUF:
		set_bytes(&e->buf, &e->buf_len, p, len);
		break;
	case F_MODSIG:
		set_bytes(&e->modsig, &e->modsig_len, p, len);
		break;
	case F_EVMSIG:
		set_bytes(&e->evmsig, &e->evmsig_len, p, len);
		break;
	case F_XATTRNAMES:
		set_bytes(&e->xattrnames, &e->xattrnames_len, p, len);
		break;
	case F_XATTRLENGTHS:
		set_bytes(&e->xattrlengths, &e->xattrlengths_len, p, len);
		break;
	case F_XATTRVALUES:
		set_bytes(&e->xattrvalues, &e->xattrvalues_len, p, len);
		break;
	case F_IUID:
	case F_IGID:
	case F_IMODE:
		if (len == 0)
			break;
		if (len != 1 && len != 2 && len != 4 && len != 8)
			return err_set(err, RIV_MALFORMED,
			    "field %s at byte offset %zu has %zu bytes (1, 2, "
			    "4 or 8 expected)", fields[id].id, off, len);
		if (id == F_IUID) {
			e->uid = get_uint(p, len, be);
			e->has_uid = 1;
		} else if (id == F_IGID) {
			e->gid = get_uint(p, len, be);
			e->has_gid = 1;
		} else {
			e->mode = (uint16_t)get_uint(p, len, be);
			e->has_mode = 1;
		}
		break;
	}
	return RIV_OK;
}

/*
 * Decode template data (u32 length and bytes per field) that must hold
 * exactly the template's fields; base is its byte offset in the list.
 */
static int
decode_fields(const struct ima_reader *r, struct ima_entry *e,
    const uint8_t *data, size_t len, size_t base, struct riv_err *err)
{
	size_t pos = 0;
	uint32_t flen;
	unsigned i;
	int rc;

	for (i = 0; i < r->tnfields; i++) {
		if (len - pos < 4)
			return err_set(err, RIV_MALFORMED,
			    "template data ends at byte offset %zu, before "
			    "field %u (%s) of %u", base + pos, i + 1,
			    fields[r->tfields[i]].id, r->tnfields);
		flen = get32(data + pos, r->big_endian);
		if (flen > len - pos - 4)
			return err_set(err, RIV_MALFORMED,
			    "field %s at byte offset %zu claims %u bytes, "
			    "only %zu are left in the template data",
			    fields[r->tfields[i]].id, base + pos, flen,
			    len - pos - 4);
		rc = set_field(e, r->tfields[i], data + pos + 4, flen,
		    r->big_endian, base + pos, err);
		if (rc != RIV_OK)
			return rc;
		pos += 4 + (size_t)flen;
	}
	if (pos != len)
		return err_set(err, RIV_MALFORMED,
		    "%zu bytes after the last field of the template data, "
		    "at byte offset %zu", len - pos, base + pos);
	e->nfields = r->tnfields;
	return RIV_OK;
}

/* Reset the decoded part of an entry. */
static void
entry_clear(struct ima_entry *e)
{
	memset(e, 0, sizeof(*e));
}

/* Check a template name: printable, no spaces; 0 or -1. */
static int
name_ok(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return -1;
	return 0;
}

/*
 * Read the binary entry at r->off.  RIV_OK, or RIV_MALFORMED with a reason
 * naming the entry index and byte offset.
 */
static int
read_binary(struct ima_reader *r, struct ima_entry *e, struct riv_err *err)
{
	const uint8_t *p = r->buf + r->off;
	size_t left = r->len - r->off, o = r->off, pos, need;
	uint32_t nlen, dlen;
	struct riv_err ferr;
	int rc;

	entry_clear(e);
	e->index = r->index;
	e->offset = e->byte_offset = o;
	need = 4 + r->digest_size + 4;
	if (left < need)
		return err_set(err, RIV_MALFORMED, "entry %llu at byte offset "
		    "%zu: truncated: the entry header needs %zu bytes, %zu "
		    "are left", (unsigned long long)r->index, o, need, left);
	e->pcr = get32(p, r->big_endian);
	if (e->pcr >= PCR_COUNT)
		return err_set(err, RIV_MALFORMED, "entry %llu at byte offset "
		    "%zu: PCR %u out of range (0-%d)",
		    (unsigned long long)r->index, o, e->pcr, PCR_COUNT - 1);
	e->template_digest = p + 4;
	e->template_digest_len = r->digest_size;
	e->violation = all_zero(p + 4, r->digest_size);
	pos = 4 + r->digest_size;
	nlen = get32(p + pos, r->big_endian);
	if (nlen == 0 || nlen > IMA_NAME_MAX)
		return err_set(err, RIV_MALFORMED, "entry %llu at byte offset "
		    "%zu: template name length %u at byte offset %zu is out of "
		    "range (1-%d)", (unsigned long long)r->index, o, nlen,
		    o + pos, IMA_NAME_MAX);
	pos += 4;
	if (nlen > left - pos)
		return err_set(err, RIV_MALFORMED, "entry %llu at byte offset "
		    "%zu: truncated: the template name needs %u bytes, %zu "
		    "are left", (unsigned long long)r->index, o, nlen,
		    left - pos);
	if (name_ok(p + pos, nlen) == -1)
		return err_set(err, RIV_MALFORMED, "entry %llu at byte offset "
		    "%zu: template name at byte offset %zu is not printable "
		    "text", (unsigned long long)r->index, o, o + pos);
	memcpy(e->template_name, p + pos, nlen);
	e->template_name[nlen] = '\0';
	pos += nlen;
	if (template_lookup(r, e->template_name) == -1)
		return err_set(err, RIV_MALFORMED, "entry %llu at byte offset "
		    "%zu: unknown template \"%s\" (not a built-in template "
		    "nor a format of known fields)",
		    (unsigned long long)r->index, o, e->template_name);
	if (strcmp(e->template_name, "ima") == 0) {
		/* d (20 bytes, no length), then n: u32 strlen and name. */
		e->legacy = 1;
		if (left - pos < LEGACY_D + 4)
			return err_set(err, RIV_MALFORMED, "entry %llu at byte "
			    "offset %zu: truncated: the \"ima\" template data "
			    "needs %d bytes before its name, %zu are left",
			    (unsigned long long)r->index, o, LEGACY_D + 4,
			    left - pos);
		dlen = get32(p + pos + LEGACY_D, r->big_endian);
		if (dlen > IMA_EVENT_NAME_MAX)
			return err_set(err, RIV_MALFORMED, "entry %llu at byte "
			    "offset %zu: \"ima\" template name length %u at "
			    "byte offset %zu exceeds %d",
			    (unsigned long long)r->index, o, dlen,
			    o + pos + LEGACY_D, IMA_EVENT_NAME_MAX);
		if (dlen > left - pos - LEGACY_D - 4)
			return err_set(err, RIV_MALFORMED, "entry %llu at byte "
			    "offset %zu: truncated: the event name needs %u "
			    "bytes, %zu are left", (unsigned long long)r->index,
			    o, dlen, left - pos - LEGACY_D - 4);
		e->template_data = p + pos;
		e->template_data_len = LEGACY_D + 4 + (size_t)dlen;
		set_bytes(&e->file_digest, &e->file_digest_len, p + pos,
		    LEGACY_D);
		implied_algo(e, LEGACY_D);
		e->path = (const char *)p + pos + LEGACY_D + 4;
		e->path_len = dlen;
		e->nfields = 2;
		pos += e->template_data_len;
	} else {
		if (left - pos < 4)
			return err_set(err, RIV_MALFORMED, "entry %llu at byte "
			    "offset %zu: truncated: no template data length",
			    (unsigned long long)r->index, o);
		dlen = get32(p + pos, r->big_endian);
		pos += 4;
		if (dlen > IMA_TEMPLATE_DATA_MAX)
			return err_set(err, RIV_MALFORMED, "entry %llu at byte "
			    "offset %zu: template data length %u at byte "
			    "offset %zu exceeds the limit of %u",
			    (unsigned long long)r->index, o, dlen, o + pos - 4,
			    IMA_TEMPLATE_DATA_MAX);
		if (dlen > left - pos)
			return err_set(err, RIV_MALFORMED, "entry %llu at byte "
			    "offset %zu: truncated: template data length %u at "
			    "byte offset %zu, %zu bytes are left",
			    (unsigned long long)r->index, o, dlen, o + pos - 4,
			    left - pos);
		e->template_data = p + pos;
		e->template_data_len = dlen;
		rc = decode_fields(r, e, p + pos, dlen, o + pos, &ferr);
		if (rc != RIV_OK)
			return err_set(err, rc, "entry %llu at byte offset "
			    "%zu: template %s: %s",
			    (unsigned long long)r->index, o,
			    e->template_name, ferr.msg);
		pos += dlen;
	}
	r->off += pos;
	r->index++;
	return RIV_OK;
}

/* Grow the reader's rebuild buffer to at least n bytes; 0 or -1. */
static int
data_reserve(struct ima_reader *r, size_t n)
{
	uint8_t *p;

	if (n <= r->data_cap)
		return 0;
	if ((p = realloc(r->data, n)) == NULL)
		return -1;
	r->data = p;
	r->data_cap = n;
	return 0;
}

/* Parse a decimal number of at most 20 digits; 0 or -1. */
static int
parse_dec(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 20)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * Rebuild one field's binary form (u32 length, bytes) from its ASCII text
 * at data + *pos; RIV_OK or RIV_MALFORMED (reason without location).
 */
static int
build_field(struct ima_reader *r, int id, const char *t, size_t tl,
    size_t *pos, struct riv_err *err)
{
	uint8_t *out = r->data + *pos + 4;
	size_t max = r->data_cap - *pos - 4, n = 0, plen;
	const char *colon = NULL;
	uint64_t v;
	unsigned i;

	switch (fields[id].text) {
	case T_HEX:
		if (hex_decode(t, tl, out, max, &n) == -1)
			return err_set(err, RIV_MALFORMED,
			    "field %s is not hex", fields[id].id);
		break;
	case T_ALGO:
		if (tl == 0)
			break;
		for (plen = tl; plen > 0; plen--)
			if (t[plen - 1] == ':') {
				colon = t + plen - 1;
				break;
			}
		if (colon == NULL) {
			out[n++] = ':';
		} else {
			plen = (size_t)(colon - t) + 1;
			memcpy(out, t, plen);
			n = plen;
		}
		out[n++] = '\0';
		t += plen;
		tl -= plen;
		if (hex_decode(t, tl, out + n, max - n, &plen) == -1)
			return err_set(err, RIV_MALFORMED,
			    "field %s: digest is not hex", fields[id].id);
		n += plen;
		break;
	case T_STRING:
	case T_RAWSTRING:
		memcpy(out, t, tl);
		n = tl;
		if (fields[id].text == T_STRING)
			out[n++] = '\0';
		break;
	case T_UINT:
		if (tl == 0)
			break;
		if (parse_dec(t, tl, fields[id].uint_size == 2 ? 0xffff :
		    0xffffffff, &v) == -1)
			return err_set(err, RIV_MALFORMED,
			    "field %s is not a number of %u bytes",
			    fields[id].id, fields[id].uint_size);
		for (i = 0; i < fields[id].uint_size; i++)
			out[n++] = (uint8_t)(v >> (8 * i));
		break;
	}
	put32(r->data + *pos, (uint32_t)n);
	*pos += 4 + n;
	return RIV_OK;
}

/*
 * Split the field text of an ASCII line (after the template name; each
 * field preceded by a space) into the template's fields.  Surplus spaces
 * belong to the template's one name field (n or n-ng).  0 or -1.
 */
static int
split_fields(const struct ima_reader *r, const char *p, const char *end,
    const char **tok, size_t *tl)
{
	size_t nsp = 0, n = r->tnfields;
	const char *q;
	unsigned i, s = 0, nstr = 0;

	for (q = p; q < end; q++)
		if (*q == ' ')
			nsp++;
	for (i = 0; i < n; i++)
		if (r->tfields[i] == F_N || r->tfields[i] == F_N_NG) {
			s = i;
			nstr++;
		}
	if (nsp < n || (nsp > n && nstr != 1) || (n > 0 && *p != ' ') ||
	    (n == 0 && p != end))
		return -1;
	if (nsp == n)
		s = (unsigned)n;	/* no merging: left to right */
	for (i = 0; i < s; i++) {	/* fields before the name */
		p++;
		tok[i] = p;
		for (q = p; q < end && *q != ' '; q++)
			;
		tl[i] = (size_t)(q - p);
		p = q;
	}
	for (i = (unsigned)n; i > s + 1; i--) {	/* fields after it */
		for (q = end; q > p && q[-1] != ' '; q--)
			;
		tok[i - 1] = q;
		tl[i - 1] = (size_t)(end - q);
		end = q - 1;
	}
	if (s < n) {
		tok[s] = p + 1;
		tl[s] = (size_t)(end - p - 1);
	}
	return 0;
}

/*
 * Parse the ASCII entry (one line) at r->off into e; RIV_OK, or
 * RIV_MALFORMED with a reason that read_ascii prefixes with the location.
 */
static int
parse_line(struct ima_reader *r, struct ima_entry *e, struct riv_err *why)
{
	const char *line = (const char *)r->buf + r->off, *end, *p, *q;
	const char *tok[IMA_FIELDS_MAX], *h[3];
	size_t llen, hl[3], tl[IMA_FIELDS_MAX], n, pos;
	const uint8_t *nl;
	uint64_t pcr;
	unsigned i;
	int rc;

	nl = memchr(r->buf + r->off, '\n', r->len - r->off);
	llen = nl != NULL ? (size_t)(nl - (r->buf + r->off)) :
	    r->len - r->off;
	end = line + llen;
	if (llen == 0)
		return err_set(why, RIV_MALFORMED, "empty line");
	if (llen > ASCII_LINE_MAX)
		return err_set(why, RIV_MALFORMED, "line longer than %zu bytes",
		    ASCII_LINE_MAX);
	for (p = line, i = 0; i < 3; i++) {
		for (q = p; q < end && *q != ' '; q++)
			;
		h[i] = p;
		hl[i] = (size_t)(q - p);
		if (hl[i] == 0 || (q == end && i < 2))
			return err_set(why, RIV_MALFORMED, "expected \"PCR "
			    "template-digest template-name fields\"");
		p = i < 2 ? q + 1 : q;
	}
	if (parse_dec(h[0], hl[0], PCR_COUNT - 1, &pcr) == -1)
		return err_set(why, RIV_MALFORMED, "PCR \"%.*s\" is not a "
		    "number from 0 to %d", (int)(hl[0] > 16 ? 16 : hl[0]), h[0],
		    PCR_COUNT - 1);
	e->pcr = (uint32_t)pcr;
	if (hex_decode(h[1], hl[1], r->digest, sizeof(r->digest), &n) == -1 ||
	    n != r->digest_size)
		return err_set(why, RIV_MALFORMED, "template digest is not %zu "
		    "bytes of hex", r->digest_size);
	e->template_digest = r->digest;
	e->template_digest_len = n;
	e->violation = all_zero(r->digest, n);
	if (hl[2] > IMA_NAME_MAX ||
	    name_ok((const uint8_t *)h[2], hl[2]) == -1)
		return err_set(why, RIV_MALFORMED, "bad template name");
	memcpy(e->template_name, h[2], hl[2]);
	e->template_name[hl[2]] = '\0';
	if (template_lookup(r, e->template_name) == -1)
		return err_set(why, RIV_MALFORMED, "unknown template \"%s\" "
		    "(not a built-in template nor a format of known fields)",
		    e->template_name);
	if (split_fields(r, p, end, tok, tl) == -1)
		return err_set(why, RIV_MALFORMED, "template %s needs %u "
		    "space-separated fields", e->template_name, r->tnfields);
	if (data_reserve(r, llen + 8 * IMA_FIELDS_MAX + LEGACY_NAME_PAD +
	    64) == -1)
		return err_set(why, RIV_MALFORMED, "out of memory");
	pos = 0;
	if (strcmp(e->template_name, "ima") == 0) {
		e->legacy = 1;
		if (hex_decode(tok[0], tl[0], r->data, LEGACY_D, &n) == -1 ||
		    n != LEGACY_D || tl[1] > IMA_EVENT_NAME_MAX)
			return err_set(why, RIV_MALFORMED, "\"ima\" template "
			    "needs a 20-byte hex digest and a name of at most "
			    "%d bytes", IMA_EVENT_NAME_MAX);
		put32(r->data + LEGACY_D, (uint32_t)tl[1]);
		memcpy(r->data + LEGACY_D + 4, tok[1], tl[1]);
		e->template_data = r->data;
		e->template_data_len = LEGACY_D + 4 + tl[1];
		set_bytes(&e->file_digest, &e->file_digest_len, r->data,
		    LEGACY_D);
		implied_algo(e, LEGACY_D);
		e->path = (const char *)r->data + LEGACY_D + 4;
		e->path_len = tl[1];
		e->nfields = 2;
	} else {
		for (i = 0; i < r->tnfields; i++) {
			rc = build_field(r, r->tfields[i], tok[i], tl[i], &pos,
			    why);
			if (rc != RIV_OK)
				return rc;
		}
		e->template_data = r->data;
		e->template_data_len = pos;
		if ((rc = decode_fields(r, e, r->data, pos, 0, why)) != RIV_OK)
			return rc;
	}
	r->off += llen + (nl != NULL ? 1 : 0);
	return RIV_OK;
}

/* Read the ASCII entry (one line) at r->off. */
static int
read_ascii(struct ima_reader *r, struct ima_entry *e, struct riv_err *err)
{
	struct riv_err why;

	entry_clear(e);
	e->index = r->index;
	e->offset = r->line;
	e->byte_offset = r->off;
	if (parse_line(r, e, &why) != RIV_OK)
		return err_set(err, RIV_MALFORMED, "entry %llu, line %zu (byte "
		    "offset %zu): %s", (unsigned long long)r->index, r->line,
		    r->off, why.msg);
	r->line++;
	r->index++;
	return RIV_OK;
}

/*
 * Tell a list's format: ASCII lines start with a decimal PCR index; a
 * binary list cannot start with a digit (it would be PCR 48 or more).
 */
int
ima_detect_format(const uint8_t *buf, size_t len)
{
	if (len > 0 && buf[0] >= '0' && buf[0] <= '9')
		return IMA_FORMAT_ASCII;
	return IMA_FORMAT_BINARY;
}

/* Return the bank whose digests have this size (SHA-2 for 32), or -1. */
static int
bank_by_size(size_t size)
{
	switch (size) {
	case 20:
		return BANK_SHA1;
	case 32:
		return BANK_SHA256;
	case 48:
		return BANK_SHA384;
	case 64:
		return BANK_SHA512;
	}
	return -1;
}

/* Read the next entry of a reader's format. */
static int
read_entry(struct ima_reader *r, struct ima_entry *e, struct riv_err *err)
{
	if (r->format == IMA_FORMAT_ASCII)
		return read_ascii(r, e, err);
	return read_binary(r, e, err);
}

/* Tell whether a reader is at the end of its list. */
static int
at_end(struct ima_reader *r)
{
	if (r->off >= r->len)
		return 1;
	if (r->format == IMA_FORMAT_BINARY && r->len - r->off == 1 &&
	    r->buf[r->off] == '\n') {
		r->trailing_newline = 1;
		return 1;
	}
	return 0;
}

/*
 * Try reading the first two entries of a binary list with a byte order and
 * template digest size; RIV_OK if they parse.
 */
static int
probe_binary(const struct ima_reader *r, int be, size_t size,
    struct riv_err *err)
{
	struct ima_reader t = *r;
	struct ima_entry e;
	int i, rc;

	t.big_endian = be;
	t.digest_size = size;
	for (i = 0; i < 2 && !at_end(&t); i++)
		if ((rc = read_binary(&t, &e, err)) != RIV_OK)
			return rc;
	return RIV_OK;
}

/* Find the byte order and template digest size of a binary list. */
static int
detect_binary(struct ima_reader *r, size_t forced, struct riv_err *err)
{
	static const size_t sizes[] = { 20, 32, 48, 64 };
	struct riv_err first = { "" }, ignored;
	size_t i, n = sizeof(sizes) / sizeof(sizes[0]);
	int be;

	for (be = 0; be < 2; be++)
		for (i = 0; i < n; i++) {
			if (forced != 0 && sizes[i] != forced)
				continue;
			if (probe_binary(r, be, sizes[i], be == 0 &&
			    (forced != 0 ? forced : 20) == sizes[i] ? &first :
			    &ignored) == RIV_OK) {
				r->big_endian = be;
				r->digest_size = sizes[i];
				return RIV_OK;
			}
		}
	return err_set(err, RIV_MALFORMED, "%s", first.msg);
}

/* Find the template digest size of an ASCII list from its first line. */
static int
detect_ascii(struct ima_reader *r, struct riv_err *err)
{
	size_t i = 0, n = 0;

	while (i < r->len && r->buf[i] != ' ' && r->buf[i] != '\n')
		i++;
	if (i < r->len && r->buf[i] == ' ')
		for (i++; i < r->len && hex_value(r->buf[i]) >= 0; i++)
			n++;
	if (n % 2 != 0 || bank_by_size(n / 2) == -1)
		return err_set(err, RIV_MALFORMED, "entry %llu, line 1 (byte "
		    "offset 0): template digest of %zu hex digits fits no "
		    "bank (40, 64, 96 or 128)",
		    (unsigned long long)r->index, n);
	r->digest_size = n / 2;
	return RIV_OK;
}

/*
 * Tell SHA-256 from SM3 template digests: the first entry that is not a
 * violation must verify in one of them (SHA-256 if neither does).
 */
static int
pick_bank_32(const struct ima_reader *r)
{
	struct ima_reader t = *r;
	struct ima_entry e;
	struct hasher *h;
	int i, bank = BANK_SHA256;

	if (!bank_available(BANK_SM3_256) || (h = hasher_new()) == NULL)
		return BANK_SHA256;
	t.data = NULL;
	t.data_cap = 0;
	for (i = 0; i < PROBE_ENTRIES && !at_end(&t); i++) {
		if (read_entry(&t, &e, NULL) != RIV_OK)
			break;
		if (e.violation)
			continue;
		if (ima_verify_entry(h, BANK_SHA256, &e) != RIV_OK &&
		    ima_verify_entry(h, BANK_SM3_256, &e) == RIV_OK)
			bank = BANK_SM3_256;
		break;
	}
	free(t.data);
	hasher_free(h);
	return bank;
}

/*
 * Open a reader on a list held in memory: format IMA_FORMAT_AUTO (or one
 * forced), list_bank the bank of its template digests or -1 to detect it,
 * first the index of its first entry (lists may be tails).
 */
int
ima_reader_open(struct ima_reader *r, const uint8_t *buf, size_t len,
    int format, int list_bank, uint64_t first, struct riv_err *err)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->len = len;
	r->index = first;
	r->line = 1;
	r->list_bank = -1;
	if (len == 0)
		return err_set(err, RIV_MALFORMED, "empty measurement list");
	if (list_bank >= BANK_COUNT)
		return err_set(err, RIV_MALFORMED, "unknown bank");
	r->format = format == IMA_FORMAT_AUTO ?
	    (enum ima_format)ima_detect_format(buf, len) :
	    (enum ima_format)format;
	if (r->format == IMA_FORMAT_ASCII)
		rc = detect_ascii(r, err);
	else
		rc = detect_binary(r, list_bank >= 0 ?
		    bank_get(list_bank)->size : 0, err);
	if (rc != RIV_OK)
		return rc;
	if (list_bank >= 0) {
		if (bank_get(list_bank)->size != r->digest_size)
			return err_set(err, RIV_MALFORMED, "template digests "
			    "are %zu bytes, not %s", r->digest_size,
			    bank_get(list_bank)->name);
		r->list_bank = list_bank;
	} else if (r->digest_size == 32)
		r->list_bank = pick_bank_32(r);
	else
		r->list_bank = bank_by_size(r->digest_size);
	if (!bank_available(r->list_bank))
		return err_set(err, RIV_MALFORMED, "template digests are %s, "
		    "which this OpenSSL cannot compute",
		    bank_get(r->list_bank)->name);
	return RIV_OK;
}

/*
 * Read the next entry: 1 and the entry, 0 at the end of the list, or -1
 * (err names the entry index and offset) if it is malformed.
 */
int
ima_reader_next(struct ima_reader *r, struct ima_entry *e,
    struct riv_err *err)
{
	if (at_end(r))
		return 0;
	return read_entry(r, e, err) == RIV_OK ? 1 : -1;
}

/* Release what a reader allocated (the reader itself is the caller's). */
void
ima_reader_close(struct ima_reader *r)
{
	free(r->data);
	r->data = NULL;
	r->data_cap = 0;
}

/*
 * Compute an entry's template hash in a bank's algorithm into out; 0 or -1.
 * The "ima" template hashes d and the name zero-padded to 256 bytes.
 */
int
ima_template_hash(struct hasher *h, int bank, const struct ima_entry *e,
    uint8_t *out)
{
	uint8_t b[LEGACY_D + LEGACY_NAME_PAD];
	size_t nlen;

	if (!e->legacy)
		return hasher_hash(h, bank, e->template_data,
		    e->template_data_len, out);
	if (e->template_data_len < LEGACY_D + 4)
		return -1;
	nlen = e->template_data_len - LEGACY_D - 4;
	if (nlen > IMA_EVENT_NAME_MAX)
		return -1;
	memcpy(b, e->template_data, LEGACY_D);
	memcpy(b + LEGACY_D, e->template_data + LEGACY_D + 4, nlen);
	memset(b + LEGACY_D + nlen, 0, LEGACY_NAME_PAD - nlen);
	return hasher_hash(h, bank, b, sizeof(b), out);
}

/*
 * Verify an entry's logged template digest in the list's bank: RIV_OK if
 * it matches (or records a violation), RIV_FAIL if not, RIV_MALFORMED if
 * it cannot be computed.
 */
int
ima_verify_entry(struct hasher *h, int list_bank, const struct ima_entry *e)
{
	uint8_t d[DIGEST_MAX];
	const struct bank *bk = bank_get(list_bank);

	if (bk == NULL || e->template_digest_len != bk->size)
		return RIV_MALFORMED;
	if (e->violation)
		return RIV_OK;
	if (ima_template_hash(h, list_bank, e, d) == -1)
		return RIV_MALFORMED;
	return memcmp(d, e->template_digest, bk->size) == 0 ? RIV_OK :
	    RIV_FAIL;
}

/* The banks OpenSSL can replay: all of BANK_SHA1..BANK_SM3_256 it has. */
uint32_t
ima_default_banks(void)
{
	uint32_t mask = 0;
	int b;

	for (b = 0; b < BANK_COUNT; b++)
		if (bank_available(b))
			mask |= 1u << b;
	return mask;
}

/* Choose the bank kept in the quote history: the strongest replayed. */
static int
history_bank(uint32_t mask)
{
	static const int order[] = { BANK_SHA256, BANK_SHA384, BANK_SHA512,
	    BANK_SM3_256, BANK_SHA1 };
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (mask & (1u << order[i]))
			return order[i];
	return -1;
}

/*
 * Start a state before entry 0, replaying the banks of mask that OpenSSL
 * has (0: all of them).
 */
void
ima_state_init(struct ima_state *st, uint32_t mask)
{
	memset(st, 0, sizeof(*st));
	if (mask == 0)
		mask = ima_default_banks();
	st->bank_mask = mask & ima_default_banks();
	st->list_bank = -1;
	pcrset_init(&st->pcrs);
	st->quote_pcr = IMA_PCR;
	st->hist_bank = history_bank(st->bank_mask);
}

/* Allocate and start a state (see ima_state_init); NULL if out of memory. */
struct ima_state *
ima_state_new(uint32_t mask)
{
	struct ima_state *st;

	if ((st = malloc(sizeof(*st))) == NULL)
		return NULL;
	ima_state_init(st, mask);
	return st;
}

/* Free a state from ima_state_new. */
void
ima_state_free(struct ima_state *st)
{
	free(st);
}

/* Append the quote PCR's value after entry index to the history ring. */
static void
history_push(struct ima_state *st, uint64_t index)
{
	const uint8_t *v;

	if (st->hist_bank < 0 ||
	    (v = pcrset_get(&st->pcrs, st->hist_bank, st->quote_pcr)) == NULL)
		return;
	st->hist_index[st->hist_head] = index;
	memcpy(st->hist_val[st->hist_head], v, bank_get(st->hist_bank)->size);
	st->hist_head = (st->hist_head + 1) % IMA_HISTORY_MAX;
	if (st->hist_len < IMA_HISTORY_MAX)
		st->hist_len++;
}

/* Extend one bank of an entry's PCR with a digest. */
static int
extend_bank(struct ima_state *st, struct hasher *h, int b, unsigned pcr,
    const uint8_t *d)
{
	if (!pcrset_has(&st->pcrs, b, pcr))
		pcrset_set(&st->pcrs, b, pcr, zeros);
	return hasher_extend(h, b, st->pcrs.val[b][pcr], d);
}

/*
 * Apply the next entry to a state: verify its template digest (list_bank
 * is the bank of the list's template digests; *mismatch tells the result)
 * and extend its PCR in every replayed bank.  RIV_OK, or RIV_MALFORMED if
 * the entry does not follow the state or cannot be hashed.
 */
int
ima_state_apply(struct ima_state *st, struct hasher *h, int list_bank,
    const struct ima_entry *e, int *mismatch, struct riv_err *err)
{
	uint8_t logged_ok[DIGEST_MAX], d[DIGEST_MAX];
	const struct bank *lb = bank_get(list_bank);
	const uint8_t *x;
	uint32_t mask = st->bank_mask;
	int b;

	*mismatch = 0;
	if (e->index != st->next)
		return err_set(err, RIV_MALFORMED, "entry %llu does not follow "
		    "the state, which expects entry %llu",
		    (unsigned long long)e->index,
		    (unsigned long long)st->next);
	if (lb == NULL || e->template_digest_len != lb->size ||
	    e->pcr >= PCR_COUNT)
		return err_set(err, RIV_MALFORMED, "entry %llu: bad template "
		    "digest size or PCR", (unsigned long long)e->index);
	if (st->list_bank == -1)
		st->list_bank = list_bank;
	else if (st->list_bank != list_bank)
		return err_set(err, RIV_MALFORMED, "entry %llu: template "
		    "digests are %s, the state's list had %s",
		    (unsigned long long)e->index, lb->name,
		    bank_get(st->list_bank)->name);
	if (!e->violation) {
		if (ima_template_hash(h, list_bank, e, logged_ok) == -1)
			goto hashfail;
		*mismatch = memcmp(logged_ok, e->template_digest,
		    lb->size) != 0;
	}
	for (b = 0; b < BANK_COUNT; b++) {
		if (!(mask & (1u << b)))
			continue;
		if (e->violation)
			x = ones;
		else if (b == list_bank)
			x = e->template_digest;
		else {
			if (ima_template_hash(h, b, e, d) == -1)
				goto hashfail;
			x = d;
		}
		if (extend_bank(st, h, b, e->pcr, x) == -1)
			goto hashfail;
	}
	if (e->index == 0) {
		memcpy(st->boot, e->template_digest, lb->size);
		st->have_boot = 1;
	}
	memcpy(st->last, e->template_digest, lb->size);
	st->next++;
	if (e->pcr == st->quote_pcr) {
		history_push(st, e->index);
		if (st->watch != NULL && (mask = common_banks(st,
		    st->watch)) != 0 &&
		    current_differs(st, st->watch, mask) == NULL) {
			st->watch_found = 1;
			st->watch_index = e->index;
		}
	}
	return RIV_OK;
hashfail:
	return err_set(err, RIV_MALFORMED, "entry %llu: hashing failed",
	    (unsigned long long)e->index);
}

/*
 * Check an entry the state already covers against what the state saw:
 * entry 0 (the boot) and the last applied entry.  RIV_OK or RIV_MALFORMED.
 */
static int
check_covered(const struct ima_state *st, const struct ima_entry *e,
    struct riv_err *err)
{
	size_t n = e->template_digest_len;

	if (e->index == 0 && st->have_boot &&
	    memcmp(st->boot, e->template_digest, n) != 0)
		return err_set(err, RIV_MALFORMED, "entry 0 differs from the "
		    "state's: the state belongs to another boot");
	if (st->next > 0 && e->index == st->next - 1 &&
	    memcmp(st->last, e->template_digest, n) != 0)
		return err_set(err, RIV_MALFORMED, "entry %llu differs from "
		    "the one the state last applied: not the same list",
		    (unsigned long long)e->index);
	return RIV_OK;
}

/*
 * Feed a list, or a tail of one whose first entry has index first, to a
 * state: entries the state already covers are skipped (checked against the
 * state where possible), the others applied and passed to cb.  An empty
 * buffer applies nothing.  RIV_OK, RIV_MALFORMED (err names the entry and
 * offset), or the callback's non-zero return.
 */
int
ima_feed(struct ima_state *st, struct hasher *h, const uint8_t *buf,
    size_t len, int format, uint64_t first, ima_entry_cb cb, void *arg,
    struct riv_err *err)
{
	struct ima_reader r;
	struct ima_entry e;
	int rc, mismatch, got;

	if (len == 0)
		return RIV_OK;
	if (first > st->next)
		return err_set(err, RIV_MALFORMED, "the list starts at entry "
		    "%llu but the state covers only entries before %llu",
		    (unsigned long long)first, (unsigned long long)st->next);
	if ((rc = ima_reader_open(&r, buf, len, format, -1, first, err)) !=
	    RIV_OK)
		goto done;
	if (st->list_bank >= 0 && st->list_bank != r.list_bank) {
		if (bank_get(st->list_bank)->size != r.digest_size) {
			rc = err_set(err, RIV_MALFORMED, "the list's template "
			    "digests are %s, the state's list had %s",
			    bank_get(r.list_bank)->name,
			    bank_get(st->list_bank)->name);
			goto done;
		}
		r.list_bank = st->list_bank;
	}
	while ((got = ima_reader_next(&r, &e, err)) == 1) {
		if (e.index < st->next) {
			if ((rc = check_covered(st, &e, err)) != RIV_OK)
				goto done;
			continue;
		}
		rc = ima_state_apply(st, h, r.list_bank, &e, &mismatch, err);
		if (rc != RIV_OK)
			goto done;
		if (cb != NULL && (rc = cb(&e, mismatch, arg)) != 0)
			goto done;
	}
	if (got != 0)
		rc = RIV_MALFORMED;
	else if (r.index < st->next)
		rc = err_set(err, RIV_MALFORMED, "the list ends after entry "
		    "%llu but the state covers entries up to %llu: not the "
		    "same list", (unsigned long long)r.index - 1,
		    (unsigned long long)st->next - 1);
	else
		rc = RIV_OK;
done:
	ima_reader_close(&r);
	return rc;
}

/*
 * Compare the state's current value of the quote PCR with the quote's, in
 * every bank both have; the name of the first differing bank, or NULL.
 */
static const char *
current_differs(const struct ima_state *st, const struct pcrset *q,
    uint32_t common)
{
	const uint8_t *v;
	int b;

	for (b = 0; b < BANK_COUNT; b++) {
		if (!(common & (1u << b)))
			continue;
		if ((v = pcrset_get(&st->pcrs, b, st->quote_pcr)) == NULL)
			v = zeros;
		if (memcmp(v, pcrset_get(q, b, st->quote_pcr),
		    bank_get(b)->size) != 0)
			return bank_get(b)->name;
	}
	return NULL;
}

/* The banks replayed that have the quote PCR in a quote. */
static uint32_t
common_banks(const struct ima_state *st, const struct pcrset *quoted)
{
	uint32_t common = 0;
	int b;

	for (b = 0; b < BANK_COUNT; b++)
		if ((st->bank_mask & (1u << b)) &&
		    pcrset_has(quoted, b, st->quote_pcr))
			common |= 1u << b;
	return common;
}

/*
 * Watch for a quote's values while entries are applied (the quote must
 * outlive the feed): ima_quote_check then finds a checkpoint among them
 * in every common bank however far behind it is, not only in the history.
 */
void
ima_quote_watch(struct ima_state *st, const struct pcrset *quoted)
{
	st->watch = quoted;
	st->watch_found = 0;
}

/* Drop history values of entries before index. */
static void
history_prune(struct ima_state *st, uint64_t index)
{
	size_t oldest;

	while (st->hist_len > 0) {
		oldest = (st->hist_head + IMA_HISTORY_MAX - st->hist_len) %
		    IMA_HISTORY_MAX;
		if (st->hist_index[oldest] >= index)
			break;
		st->hist_len--;
	}
}

/*
 * Search the history (newest first, the current entry excluded) for the
 * quote's value in the history bank; 0 and the entry index, or -1.
 */
static int
history_find(const struct ima_state *st, const struct pcrset *q,
    uint64_t *index)
{
	const uint8_t *want;
	size_t i, slot;

	if (st->hist_bank < 0 ||
	    (want = pcrset_get(q, st->hist_bank, st->quote_pcr)) == NULL)
		return -1;
	for (i = 0; i < st->hist_len; i++) {
		slot = (st->hist_head + IMA_HISTORY_MAX - 1 - i) %
		    IMA_HISTORY_MAX;
		if (st->hist_index[slot] + 1 >= st->next)
			continue;
		if (memcmp(st->hist_val[slot], want,
		    bank_get(st->hist_bank)->size) == 0) {
			*index = st->hist_index[slot];
			return 0;
		}
	}
	return -1;
}

/*
 * Check a quote's PCR values against the state after a batch of entries.
 * The quote may lag the list: the checkpoint is the last entry after which
 * the replayed quote PCR (10) equals the quoted one -- compared in every
 * common bank at the current entry and, if the quote was watched during
 * the batch (ima_quote_watch), at every entry of the batch; else in the
 * history bank for the last IMA_HISTORY_MAX entries on that PCR after the
 * previous checkpoint.
 * Entries after the checkpoint are pending (still appraised).  The state
 * remembers the pending count: if it grows IMA_LAG_CHECKS checks in a row,
 * the quote is lagging.  RIV_OK if a checkpoint was found, RIV_FAIL (reason
 * in q->reason) if the quote matches no entry.
 */
int
ima_quote_check(struct ima_state *st, const struct pcrset *quoted,
    struct ima_quote *q)
{
	const char *bad;
	uint32_t common;
	int watched = st->watch == quoted && st->watch_found;

	memset(q, 0, sizeof(*q));
	st->watch = NULL;
	if ((common = common_banks(st, quoted)) == 0) {
		snprintf(q->reason, sizeof(q->reason), "the quote has PCR %u "
		    "in no replayed bank", st->quote_pcr);
		return RIV_FAIL;
	}
	if (st->next == 0) {
		snprintf(q->reason, sizeof(q->reason), "no entry replayed");
		return RIV_FAIL;
	}
	if ((bad = current_differs(st, quoted, common)) == NULL) {
		q->checkpoint = st->next - 1;
		q->full = 1;
	} else if (watched) {	/* applied after any earlier checkpoint */
		q->checkpoint = st->watch_index;
		q->full = 1;
	} else if (history_find(st, quoted, &q->checkpoint) == -1) {
		snprintf(q->reason, sizeof(q->reason), "quoted PCR %u (%s) "
		    "matches neither the replay after entry %llu nor the %zu "
		    "earlier values kept", st->quote_pcr, bad,
		    (unsigned long long)st->next - 1, st->hist_len);
		return RIV_FAIL;
	}
	q->matched = 1;
	q->pending = st->next - 1 - q->checkpoint;
	if (st->have_pending && q->pending > st->last_pending)
		st->lag_growth++;
	else
		st->lag_growth = 0;
	st->have_pending = 1;
	st->last_pending = q->pending;
	q->lagging = st->lag_growth >= IMA_LAG_CHECKS;
	history_prune(st, q->checkpoint);
	return RIV_OK;
}

/* Write a bank name as JSON, or null. */
static void
put_bank(FILE *f, int b)
{
	if (b < 0)
		fputs("null", f);
	else
		fprintf(f, "\"%s\"", bank_get(b)->name);
}

/*
 * Write a state as one JSON object:
 * {"version":1,"next":N,"banks":[...],"list_bank":"sha1"|null,
 *  "boot":hex|null,"boot_id":"...","last":hex|null,"pcrs":{...},
 *  "quote":{"pcr":10,"bank":"sha256"|null,"pending":N|null,
 *  "lag_growth":N,"history":[[index,hex],...]}}
 */
void
ima_state_write(FILE *f, const struct ima_state *st)
{
	size_t dsize = st->list_bank >= 0 ? bank_get(st->list_bank)->size : 0;
	size_t i, slot;
	int b, first = 1;

	fprintf(f, "{\"version\":1,\"next\":%llu,\"banks\":[",
	    (unsigned long long)st->next);
	for (b = 0; b < BANK_COUNT; b++)
		if (st->bank_mask & (1u << b)) {
			fprintf(f, "%s\"%s\"", first ? "" : ",",
			    bank_get(b)->name);
			first = 0;
		}
	fputs("],\"list_bank\":", f);
	put_bank(f, st->list_bank);
	fputs(",\"boot\":", f);
	if (st->have_boot && dsize > 0)
		json_put_hex(f, st->boot, dsize);
	else
		fputs("null", f);
	fputs(",\"boot_id\":", f);
	json_put_string(f, st->boot_id);
	fputs(",\"last\":", f);
	if (st->next > 0 && dsize > 0)
		json_put_hex(f, st->last, dsize);
	else
		fputs("null", f);
	fputs(",\"pcrs\":", f);
	pcrset_write_json(f, &st->pcrs);
	fprintf(f, ",\"quote\":{\"pcr\":%u,\"bank\":", st->quote_pcr);
	put_bank(f, st->hist_bank);
	fputs(",\"pending\":", f);
	if (st->have_pending)
		fprintf(f, "%llu", (unsigned long long)st->last_pending);
	else
		fputs("null", f);
	fprintf(f, ",\"lag_growth\":%u,\"history\":[", st->lag_growth);
	for (i = 0; i < st->hist_len; i++) {
		slot = (st->hist_head + IMA_HISTORY_MAX - st->hist_len + i) %
		    IMA_HISTORY_MAX;
		fprintf(f, "%s[%llu,", i ? "," : "",
		    (unsigned long long)st->hist_index[slot]);
		json_put_hex(f, st->hist_val[slot],
		    bank_get(st->hist_bank)->size);
		fputc(']', f);
	}
	fputs("]}}\n", f);
}

/* Read an optional bank name member (null allowed); 0 or -1. */
static int
get_bank(const struct json *v, int *bank)
{
	if (v == NULL || v->type == JSON_NULL) {
		*bank = -1;
		return 0;
	}
	if (v->type != JSON_STRING || (*bank = bank_by_name(v->str)) == -1)
		return -1;
	return 0;
}

/* Read a hex member of exactly size bytes into out; 0 or -1. */
static int
get_hex(const struct json *v, size_t size, uint8_t *out)
{
	size_t n;

	if (v == NULL || v->type != JSON_STRING ||
	    hex_decode(v->str, v->len, out, DIGEST_MAX, &n) == -1 || n != size)
		return -1;
	return 0;
}

/* Read the "banks" array into a mask; 0 or -1. */
static int
get_banks(const struct json *v, uint32_t *mask)
{
	size_t i;
	int b;

	*mask = 0;
	if (v == NULL || v->type != JSON_ARRAY || v->n == 0)
		return -1;
	for (i = 0; i < v->n; i++) {
		if (v->items[i]->type != JSON_STRING ||
		    (b = bank_by_name(v->items[i]->str)) == -1)
			return -1;
		*mask |= 1u << b;
	}
	return 0;
}

/* Read the "quote" member of a state; RIV_OK or RIV_MALFORMED. */
static int
get_quote(const struct json *q, struct ima_state *st, struct riv_err *err)
{
	const struct json *v, *hist, *it;
	unsigned long long n;
	uint64_t prev = 0;
	size_t i, size;
	int b;

	if (q == NULL || q->type != JSON_OBJECT)
		return err_set(err, RIV_MALFORMED, "\"quote\": expected an "
		    "object");
	if (json_uint(json_get(q, "pcr"), PCR_COUNT - 1, &n) == -1)
		return err_set(err, RIV_MALFORMED, "quote.pcr: expected 0-23");
	st->quote_pcr = (unsigned)n;
	if (get_bank(json_get(q, "bank"), &b) == -1 ||
	    (b >= 0 && !(st->bank_mask & (1u << b))))
		return err_set(err, RIV_MALFORMED, "quote.bank: expected a "
		    "replayed bank or null");
	st->hist_bank = b;
	v = json_get(q, "pending");
	if (v != NULL && v->type != JSON_NULL) {
		if (json_uint(v, UINT64_MAX, &n) == -1 || n >= st->next + 1)
			return err_set(err, RIV_MALFORMED, "quote.pending: "
			    "expected a count of entries or null");
		st->have_pending = 1;
		st->last_pending = n;
	}
	if (json_uint(json_get(q, "lag_growth"), 1000000, &n) == -1)
		return err_set(err, RIV_MALFORMED, "quote.lag_growth: "
		    "expected a number");
	st->lag_growth = (unsigned)n;
	hist = json_get(q, "history");
	if (hist == NULL || hist->type != JSON_ARRAY ||
	    hist->n > IMA_HISTORY_MAX || (hist->n > 0 && b < 0))
		return err_set(err, RIV_MALFORMED, "quote.history: expected "
		    "an array of at most %d [index, hex] pairs",
		    IMA_HISTORY_MAX);
	size = b >= 0 ? bank_get(b)->size : 0;
	for (i = 0; i < hist->n; i++) {
		it = hist->items[i];
		if (it->type != JSON_ARRAY || it->n != 2 ||
		    json_uint(it->items[0], UINT64_MAX, &n) == -1 ||
		    n >= st->next || (i > 0 && n <= prev) ||
		    get_hex(it->items[1], size, st->hist_val[i]) == -1)
			return err_set(err, RIV_MALFORMED,
			    "quote.history[%zu]: expected [index, %zu bytes of "
			    "hex], indexes increasing and below next", i,
			    size);
		st->hist_index[i] = prev = n;
	}
	st->hist_len = hist->n;
	st->hist_head = hist->n % IMA_HISTORY_MAX;
	return RIV_OK;
}

/* Fill a state from its JSON form (see ima_state_write). */
int
ima_state_from_json(const struct json *doc, struct ima_state *st,
    struct riv_err *err)
{
	const struct json *v;
	unsigned long long n;
	struct riv_err perr;
	size_t dsize = 0;
	uint32_t mask;
	int b, rc;

	ima_state_init(st, 0);
	if (doc == NULL || doc->type != JSON_OBJECT)
		return err_set(err, RIV_MALFORMED, "expected a JSON object");
	if (json_uint(json_get(doc, "version"), 1000, &n) == -1 || n != 1)
		return err_set(err, RIV_MALFORMED, "version: expected 1");
	if (json_uint(json_get(doc, "next"), UINT64_MAX, &n) == -1)
		return err_set(err, RIV_MALFORMED, "next: expected a number");
	if (get_banks(json_get(doc, "banks"), &mask) == -1)
		return err_set(err, RIV_MALFORMED, "banks: expected an array "
		    "of bank names");
	if ((mask & ima_default_banks()) != mask)
		return err_set(err, RIV_MALFORMED, "banks: a bank this OpenSSL "
		    "cannot compute");
	ima_state_init(st, mask);
	st->next = n;
	if (get_bank(json_get(doc, "list_bank"), &st->list_bank) == -1 ||
	    (st->next > 0 && st->list_bank < 0))
		return err_set(err, RIV_MALFORMED, "list_bank: expected a bank "
		    "name (null only before entry 0)");
	if (st->list_bank >= 0)
		dsize = bank_get(st->list_bank)->size;
	v = json_get(doc, "boot");
	if (v != NULL && v->type != JSON_NULL) {
		if (dsize == 0 || get_hex(v, dsize, st->boot) == -1)
			return err_set(err, RIV_MALFORMED, "boot: expected %zu "
			    "bytes of hex", dsize);
		st->have_boot = 1;
	}
	if (st->next > 0 && !st->have_boot)
		return err_set(err, RIV_MALFORMED, "boot: missing");
	v = json_get(doc, "boot_id");
	if (v != NULL) {
		if (v->type != JSON_STRING || v->len > IMA_BOOT_ID_MAX ||
		    memchr(v->str, '\0', v->len) != NULL)
			return err_set(err, RIV_MALFORMED, "boot_id: expected "
			    "a string of at most %d bytes", IMA_BOOT_ID_MAX);
		memcpy(st->boot_id, v->str, v->len + 1);
	}
	v = json_get(doc, "last");
	if (st->next > 0 && get_hex(v, dsize, st->last) == -1)
		return err_set(err, RIV_MALFORMED, "last: expected %zu bytes "
		    "of hex", dsize);
	if ((v = json_get(doc, "pcrs")) == NULL ||
	    (rc = pcrset_from_json(v, &st->pcrs, &perr)) != RIV_OK)
		return err_set(err, RIV_MALFORMED, "pcrs: %s",
		    v == NULL ? "missing" : perr.msg);
	for (b = 0; b < BANK_COUNT; b++)
		if (st->pcrs.mask[b] != 0 && !(mask & (1u << b)))
			return err_set(err, RIV_MALFORMED, "pcrs: bank %s is "
			    "not replayed", bank_get(b)->name);
	return get_quote(json_get(doc, "quote"), st, err);
}

/* Read a state from a JSON file. */
int
ima_state_load(const char *path, struct ima_state *st, struct riv_err *err)
{
	struct json *doc;
	struct riv_err perr;
	int rc;

	if ((doc = json_load(path, err)) == NULL)
		return RIV_MALFORMED;
	rc = ima_state_from_json(doc, st, &perr);
	json_free(doc);
	if (rc != RIV_OK)
		return err_set(err, rc, "%s: %s", path, perr.msg);
	return RIV_OK;
}

/* Write a state to a JSON file, replacing it atomically. */
int
ima_state_save(const char *path, const struct ima_state *st,
    struct riv_err *err)
{
	char tmp[4096];
	FILE *f;
	int n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return err_set(err, RIV_MALFORMED, "%s: path too long", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return err_set(err, RIV_MALFORMED, "%s: %s", tmp,
		    strerror(errno));
	ima_state_write(f, st);
	if (fflush(f) != 0 || ferror(f)) {
		fclose(f);
		remove(tmp);
		return err_set(err, RIV_MALFORMED, "%s: write error", tmp);
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		remove(tmp);
		return err_set(err, RIV_MALFORMED, "%s: %s", path,
		    strerror(errno));
	}
	return RIV_OK;
}
