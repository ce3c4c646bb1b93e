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
 *           The PCR is written "%2d ": PCRs 0-9 have a leading space.
 *           Empty fields at the end of a line whose trailing spaces a
 *           tool removed (the empty signature of ima-sig) are taken as
 *           empty; only fields after the name can be missing.
 *           Every line ends with '\n'; a last line without one is a
 *           truncated list.  The binary template data is rebuilt from
 *           the text (strings get their NUL back, iuid/igid are 4 bytes
 *           and imode 2) so the entry can be verified and replayed in
 *           every bank: little-endian (ima_canonical_fmt, and every
 *           little-endian kernel), unless the first entry that can be
 *           verified only verifies big-endian (a big-endian kernel
 *           without ima_canonical_fmt); that order is kept for the rest
 *           of the list, and in the state.  Kernels since 2021 write
 *           names with spaces as '_'; for older lists, surplus spaces
 *           belong to the name.
 *
 * A template name is one of the kernel's built-in templates (ima, ima-ng,
 * ima-sig, ima-ngv2, ima-sigv2, ima-buf, ima-modsig, evm-sig) or, for a
 * custom ima_template_fmt, the format itself ("d-ng|n-ng|iuid"), of at
 * most 15 known fields; anything else is malformed.  IMA's pcr= accepts
 * PCRs 0-63, but a TPM and this replay have 0-23: a higher one is
 * malformed, saying so.
 *
 * Template hash (ima_crypto.c, ima_calc_field_array_hash_tfm): the hash of
 * the template data as listed (each field's u32 length and bytes), except
 * for the "ima" template: d, then the name zero-padded to 256 bytes.  A
 * violation is logged with an all-zero template digest; it is not a
 * digest mismatch.
 *
 * Replay (ima_queue.c ima_add_template_entry, ima_pcr_extend;
 * ima_crypto.c ima_calc_field_array_hash; ima_init_digests): the SHA1
 * bank is extended with the SHA1 template hash, a violation with 20 bytes
 * of 0xff.  Another bank b follows one of three rules (enum ima_rule):
 * Linux 5.8+ extends the template hash in algorithm b, a violation as
 * all-ones; before 5.8 every bank got the SHA1 template digest zero-padded
 * to its size, a violation 20 bytes of 0xff then zeros; 5.8+ gives a bank
 * whose algorithm it cannot hash the padded SHA1 digest, a violation
 * all-ones.  In the list's own bank the logged digest is extended.  Until
 * a quote shows which rule a bank follows, every one still possible is
 * replayed (PADFF shares PAD's values until a violation sets them apart);
 * then only that one.
 *
 * A state fed the whole list again re-extends the entries it covers with
 * their logged digests in the list's bank (no template hashing) and must
 * arrive at its own values: a rebooted attester's list may share
 * boot_aggregate and many entries but not the whole chain.
 *
 * Quotes (ima_quote_check): the checkpoint is the last entry after which
 * every PCR the list extends, in every replayed bank the quote has, equals
 * the quoted value.  It is looked for at the current entry, at each entry
 * applied while the quote was watched, in a ring of the last
 * IMA_HISTORY_MAX entries since the previous checkpoint (values of up to
 * IMA_HIST_COLS (bank, rule) pairs: those of the previous quote's banks,
 * or before any quote the strongest bank and SHA1) and at the previous
 * checkpoint, whose values the state keeps in every bank.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ima.h"

#define LEGACY_NAME_PAD	(IMA_EVENT_NAME_MAX + 1)	/* n hashed as */
#define LEGACY_D	20		/* d of the "ima" template */
#define ASCII_LINE_MAX	(2 * (size_t)IMA_TEMPLATE_DATA_MAX)
#define PROBE_ENTRIES	16		/* entries looked at for SM3 */
#define NEED_MORE	3		/* internal: an entry cut at the end of
					   a window that more input follows */
#define WINDOW_MAX	(ASCII_LINE_MAX + 1)	/* any whole entry fits */

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
static const uint8_t ones20[DIGEST_MAX] = {	/* before Linux 5.8 */
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff,
};
static const uint8_t zeros[DIGEST_MAX];

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

/* Store an unsigned integer of n bytes in either byte order. */
static void
put_uint(uint8_t *p, uint64_t v, size_t n, int be)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[be ? n - 1 - i : i] = (uint8_t)(v >> (8 * i));
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

/* Return the index of the first c in n bytes at p, or n (short runs). */
static size_t
byte_index(const uint8_t *p, size_t n, uint8_t c)
{
	size_t i;

	for (i = 0; i < n && p[i] != c; i++)
		;
	return i;
}

/*
 * Split a d-ng ("algo:\0digest") or d-ngv2 ("type:algo:\0digest") field.
 * 0, or -1 if the prefix is missing or not printable.  The prefix is a
 * few bytes: scanned here rather than by memchr, whose call costs more.
 */
static int
split_algo(const uint8_t *start, size_t len, int v2, char *type, size_t tlen,
    char *algo, size_t alen, const uint8_t **dig, size_t *dlen)
{
	const uint8_t *p = start;
	size_t plen, i, c, max = tlen + alen + 2, lim = len < max ? len : max;

	if ((plen = byte_index(p, lim, '\0')) == lim)
		return -1;
	if (plen == 0 || p[plen - 1] != ':')
		return -1;
	for (i = 0; i + 1 < plen; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return -1;
	*dig = start + plen + 1;
	*dlen = len - plen - 1;
	plen--;			/* drop the last ':' */
	if (v2) {
		if ((c = byte_index(p, plen, ':')) == plen || c >= tlen)
			return -1;
		memcpy(type, p, c);
		type[c] = '\0';
		plen -= c + 1;
		p += c + 1;
	}
	if (plen >= alen || byte_index(p, plen, ':') != plen)
		return -1;
	memcpy(algo, p, plen);
	algo[plen] = '\0';
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

/*
 * Say why a PCR index cannot be replayed: IMA's pcr= takes 0-63
 * (INVALID_PCR in ima_policy.c: the bits of an unsigned long), but a TPM
 * has PCRs 0-23 and so has rivd's replay.
 */
static const char *
pcr_problem(uint64_t pcr)
{
	if (pcr > IMA_PCR_KERNEL_MAX)
		return "is out of range (IMA's pcr= accepts 0-63)";
	return "is beyond the TPM PCRs rivd replays (0-23; IMA's pcr= "
	    "accepts up to 63 but a TPM has no such PCR)";
}

/* Clear the members of an entry from offset from up to offset to. */
static inline void
entry_zero(struct ima_entry *e, size_t from, size_t to)
{
	memset((uint8_t *)e + from, 0, to - from);
}

/*
 * Reset an entry.  The strings (template_name, file_algo, modsig_algo)
 * are only emptied: every reader writes them whole, with their NUL.  The
 * rest is cleared in pieces under 128 bytes, which compilers write with
 * a few vector stores, where one memset of the 600-byte entry became a
 * rep stos that cost more than decoding the entry.
 */
static void
entry_clear(struct ima_entry *e)
{
	entry_zero(e, 0, offsetof(struct ima_entry, template_name));
	e->template_name[0] = '\0';
	entry_zero(e, offsetof(struct ima_entry, template_data),
	    offsetof(struct ima_entry, file_algo));
	e->file_algo[0] = '\0';
	entry_zero(e, offsetof(struct ima_entry, file_digest),
	    offsetof(struct ima_entry, modsig_algo));
	e->modsig_algo[0] = '\0';
	entry_zero(e, offsetof(struct ima_entry, modsig_digest), sizeof(*e));
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
 * Tell whether the binary entry at r->off runs past the end of the window
 * (peeking at its lengths as read_binary does).  A length out of range
 * does not: read_binary reports it, as it would in a whole list.
 */
static int
binary_cut(const struct ima_reader *r)
{
	const uint8_t *p = r->buf + r->off;
	size_t left = r->len - r->off, pos = 4 + r->digest_size + 4;
	uint32_t nlen, dlen;

	if (left < pos)
		return 1;
	nlen = get32(p + pos - 4, r->big_endian);
	if (nlen == 0 || nlen > IMA_NAME_MAX)
		return 0;
	if (left - pos < nlen)
		return 1;
	if (nlen == 3 && memcmp(p + pos, "ima", 3) == 0) {
		pos += nlen;
		if (left - pos < LEGACY_D + 4)
			return 1;
		dlen = get32(p + pos + LEGACY_D, r->big_endian);
		return dlen <= IMA_EVENT_NAME_MAX &&
		    left - pos - LEGACY_D - 4 < dlen;
	}
	pos += nlen;
	if (left - pos < 4)
		return 1;
	dlen = get32(p + pos, r->big_endian);
	return dlen <= IMA_TEMPLATE_DATA_MAX && left - pos - 4 < dlen;
}

/*
 * Read the binary entry at r->off.  RIV_OK, NEED_MORE (r->more and the
 * entry is cut), or RIV_MALFORMED with a reason naming the entry index
 * and byte offset.
 */
static int
read_binary(struct ima_reader *r, struct ima_entry *e, struct riv_err *err)
{
	const uint8_t *p = r->buf + r->off;
	size_t left = r->len - r->off, o = r->base + r->off, pos, need;
	uint32_t nlen, dlen;
	struct riv_err ferr;
	int rc;

	if (r->more && binary_cut(r))
		return NEED_MORE;
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
		    "%zu: PCR %u %s", (unsigned long long)r->index, o, e->pcr,
		    pcr_problem(e->pcr));
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
	if (memcmp(e->template_name, "ima", 4) == 0) {
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
		put_uint(out, v, fields[id].uint_size, r->big_endian);
		n = fields[id].uint_size;
		break;
	}
	put_uint(r->data + *pos, n, 4, r->big_endian);
	*pos += 4 + n;
	return RIV_OK;
}

/*
 * Split the field text of an ASCII line (after the template name; each
 * field preceded by a space) into the template's fields.  Surplus spaces
 * belong to the template's one name field (n or n-ng).  Fields missing at
 * the end, after the last name field (or the first field, if there is no
 * name field), are empty: tools that strip trailing white space turn the
 * kernel's "... /path \n" of an empty ima-sig signature into
 * "... /path\n", and the template digest still proves what the kernel
 * measured.  0 or -1.
 */
static int
split_fields(const struct ima_reader *r, const char *p, const char *end,
    const char **tok, size_t *tl)
{
	size_t nsp = 0, n = r->tnfields, keep = 1;
	const char *q;
	unsigned i, s = 0, nstr = 0;

	for (q = p; q < end; q++)
		if (*q == ' ')
			nsp++;
	for (i = 0; i < n; i++)
		if (r->tfields[i] == F_N || r->tfields[i] == F_N_NG) {
			s = i;
			nstr++;
			keep = i + 1;
		}
	if (nsp < n && nsp >= keep && *p == ' ') {
		for (i = 0; i < n; i++) {	/* left to right, then empty */
			if (i < nsp) {
				p++;
				tok[i] = p;
				for (q = p; q < end && *q != ' '; q++)
					;
				tl[i] = (size_t)(q - p);
				p = q;
			} else {
				tok[i] = end;
				tl[i] = 0;
			}
		}
		return 0;
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
	char text[17];
	size_t llen, hl[3], tl[IMA_FIELDS_MAX], n, pos, shown;
	const uint8_t *nl;
	uint64_t pcr;
	unsigned i;
	int rc;

	nl = memchr(r->buf + r->off, '\n', r->len - r->off);
	llen = nl != NULL ? (size_t)(nl - (r->buf + r->off)) :
	    r->len - r->off;
	end = line + llen;
	if (llen > ASCII_LINE_MAX)
		return err_set(why, RIV_MALFORMED, "line longer than %zu bytes",
		    ASCII_LINE_MAX);
	if (nl == NULL)
		return err_set(why, RIV_MALFORMED, "truncated: the line does "
		    "not end with a newline");
	if (llen == 0)
		return err_set(why, RIV_MALFORMED, "empty line");
	p = line;
	if (llen >= 3 && p[0] == ' ' && p[1] >= '0' && p[1] <= '9' &&
	    p[2] == ' ')
		p++;		/* "%2d " (ima_fs.c): PCRs 0-9 */
	for (i = 0; i < 3; i++) {
		for (q = p; q < end && *q != ' '; q++)
			;
		h[i] = p;
		hl[i] = (size_t)(q - p);
		if (hl[i] == 0 || (q == end && i < 2))
			return err_set(why, RIV_MALFORMED, "expected \"PCR "
			    "template-digest template-name fields\"");
		p = i < 2 ? q + 1 : q;
	}
	if (parse_dec(h[0], hl[0], UINT32_MAX, &pcr) == -1) {
		shown = hl[0] > 16 ? 16 : hl[0];
		for (i = 0; i < shown; i++)
			text[i] = h[0][i] > 0x20 && h[0][i] < 0x7f ? h[0][i] :
			    '?';
		text[shown] = '\0';
		return err_set(why, RIV_MALFORMED, "PCR \"%s\" is not a "
		    "decimal number", text);
	}
	if (pcr >= PCR_COUNT)
		return err_set(why, RIV_MALFORMED, "PCR %llu %s",
		    (unsigned long long)pcr, pcr_problem(pcr));
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
		put_uint(r->data + LEGACY_D, tl[1], 4, r->big_endian);
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
	r->off += llen + 1;
	return RIV_OK;
}

/*
 * Read the ASCII entry (one line) at r->off; NEED_MORE if r->more and the
 * window holds no end of line (unless the line is already too long).
 */
static int
read_ascii(struct ima_reader *r, struct ima_entry *e, struct riv_err *err)
{
	struct riv_err why;

	if (r->more && r->len - r->off <= ASCII_LINE_MAX &&
	    memchr(r->buf + r->off, '\n', r->len - r->off) == NULL)
		return NEED_MORE;
	entry_clear(e);
	e->index = r->index;
	e->offset = r->line;
	e->byte_offset = r->base + r->off;
	if (parse_line(r, e, &why) != RIV_OK)
		return err_set(err, RIV_MALFORMED, "entry %llu, line %zu (byte "
		    "offset %zu): %s", (unsigned long long)r->index, r->line,
		    r->base + r->off, why.msg);
	r->line++;
	r->index++;
	return RIV_OK;
}

/*
 * Tell a list's format: ASCII lines start with a decimal PCR index, with
 * one space before PCRs 0-9 ("%2d ").  A binary list starts with a u32 PCR
 * index, little-endian below 24 (a digit would be PCR 48 or more, a space
 * and a digit more than 12000) or big-endian (a zero byte).
 */
int
ima_detect_format(const uint8_t *buf, size_t len)
{
	if (len > 0 && buf[0] >= '0' && buf[0] <= '9')
		return IMA_FORMAT_ASCII;
	if (len > 1 && buf[0] == ' ' && buf[1] >= '0' && buf[1] <= '9')
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
	if (r->more && (r->off >= r->len || (r->format ==
	    IMA_FORMAT_BINARY && r->len - r->off == 1 &&
	    r->buf[r->off] == '\n')))
		return 0;
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
probe_binary(struct ima_reader *r, int be, size_t size,
    struct riv_err *err)
{
	struct ima_reader t = *r;
	struct ima_entry e;
	int i, rc;

	t.big_endian = be;
	t.digest_size = size;
	for (i = 0; i < 2 && !at_end(&t); i++) {
		if (t.more && t.off >= t.len)
			rc = NEED_MORE;
		else
			rc = read_binary(&t, &e, err);
		if (rc == NEED_MORE) {
			r->starved = 1;	/* decided again on more bytes */
			return RIV_OK;
		}
		if (rc != RIV_OK)
			return rc;
	}
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

	if (r->more && memchr(r->buf, '\n', r->len) == NULL)
		r->starved = 1;
	if (r->len > 0 && r->buf[0] == ' ')
		i++;
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
 * Compare an entry's logged template digest with its template data hashed
 * in a bank (h may be NULL): RIV_OK, RIV_FAIL, or RIV_MALFORMED if it
 * cannot be hashed.  In a bank other than SHA1 the SHA1 template digest
 * zero-padded matches too: the kernel lists that for a bank it cannot hash
 * (ima_calc_field_array_hash).
 */
static int
verify_logged(struct hasher *h, int bank, const struct ima_entry *e)
{
	uint8_t d[DIGEST_MAX];
	size_t n = bank_get(bank)->size;

	if (ima_template_hash(h, bank, e, d) == -1)
		return RIV_MALFORMED;
	if (memcmp(d, e->template_digest, n) == 0)
		return RIV_OK;
	if (bank == BANK_SHA1 || !all_zero(e->template_digest + 20, n - 20))
		return RIV_FAIL;
	if (ima_template_hash(h, BANK_SHA1, e, d) == -1)
		return RIV_MALFORMED;
	return memcmp(d, e->template_digest, 20) == 0 ? RIV_OK : RIV_FAIL;
}

/*
 * Learn from the first entry that can be verified (not a violation, nor of
 * the "ima" template, whose hash holds no integer) the bank of 32-byte
 * template digests (SHA-256 or SM3) and, for an ASCII list, the byte order
 * of the kernel that wrote it: a big-endian kernel without
 * ima_canonical_fmt hashed big-endian field lengths and iuid/igid/imode.
 * The first order and bank under which it verifies are kept (be_known);
 * if none does, little-endian and SHA-256.
 */
static void
probe_list(struct ima_reader *r, int forced)
{
	struct ima_reader t = *r;
	struct ima_entry e;
	int banks[2], order[2] = { 0, 1 }, nb = 0, no, i, j, k, rc;
	size_t off, line;

	if (forced >= 0)
		banks[nb++] = forced;
	else if (r->digest_size == 32) {
		banks[nb++] = BANK_SHA256;
		if (bank_available(BANK_SM3_256))
			banks[nb++] = BANK_SM3_256;
	} else
		banks[nb++] = bank_by_size(r->digest_size);
	r->list_bank = banks[0];
	if (r->format == IMA_FORMAT_ASCII)
		no = 2;		/* rebuilt little- or big-endian */
	else {
		order[0] = r->big_endian;	/* as read */
		no = 1;
	}
	if (nb == 1 && no == 1)
		return;
	t.data = NULL;
	t.data_cap = 0;
	for (i = 0; i < PROBE_ENTRIES && !at_end(&t); i++) {
		off = t.off;
		line = t.line;
		if (t.more && t.off >= t.len)
			rc = NEED_MORE;
		else
			rc = read_entry(&t, &e, NULL);
		if (rc == NEED_MORE)
			r->starved = 1;
		if (rc != RIV_OK)
			break;
		if (e.violation || e.legacy)
			continue;
		for (j = 0; j < no; j++) {
			if (order[j] != t.big_endian) {	/* rebuild it */
				t.off = off;
				t.line = line;
				t.index--;
				t.big_endian = order[j];
				if (read_entry(&t, &e, NULL) != RIV_OK)
					break;
			}
			for (k = 0; k < nb; k++) {
				if (verify_logged(NULL, banks[k], &e) != RIV_OK)
					continue;
				r->list_bank = banks[k];
				if (no == 2) {
					r->big_endian = order[j];
					r->be_known = 1;
				}
				goto done;
			}
		}
		break;
	}
done:
	free(t.data);
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
	return ima_reader_open_window(r, buf, len, 0, format, list_bank,
	    first, err);
}

/*
 * Open a reader on the first window of a list read in chunks (more: the
 * list goes on after buf).  As ima_reader_open; if r->starved is then
 * set, the format could not be told from buf alone: open it again on a
 * larger window.
 */
int
ima_reader_open_window(struct ima_reader *r, const uint8_t *buf, size_t len,
    int more, int format, int list_bank, uint64_t first, struct riv_err *err)
{
	int rc, bank;

	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->len = len;
	r->more = more;
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
	if (list_bank >= 0 && bank_get(list_bank)->size != r->digest_size)
		return err_set(err, RIV_MALFORMED, "template digests are %zu "
		    "bytes, not %s", r->digest_size, bank_get(list_bank)->name);
	bank = list_bank >= 0 ? list_bank : bank_by_size(r->digest_size);
	if (!bank_available(bank))
		return err_set(err, RIV_MALFORMED, "template digests are %s, "
		    "which this OpenSSL cannot compute", bank_get(bank)->name);
	probe_list(r, list_bank);
	return RIV_OK;
}

/*
 * Read the next entry: 1 and the entry, 0 at the end of the list, or -1
 * (err names the entry index and offset) if it is malformed; for a window
 * with more to follow, 2 when the next entry is not whole in it yet.
 */
int
ima_reader_next(struct ima_reader *r, struct ima_entry *e,
    struct riv_err *err)
{
	int rc;

	if (r->more && (r->off >= r->len || (r->format ==
	    IMA_FORMAT_BINARY && r->len - r->off == 1 &&
	    r->buf[r->off] == '\n')))
		return 2;
	if (at_end(r))
		return 0;
	rc = read_entry(r, e, err);
	return rc == RIV_OK ? 1 : rc == NEED_MORE ? 2 : -1;
}

/*
 * Continue a reader opened with ima_reader_open_window on the next window:
 * buf starts with the bytes the reader had not consumed (from r->off of
 * the previous window), followed by newly read ones; more as at open.
 */
void
ima_reader_refill(struct ima_reader *r, const uint8_t *buf, size_t len,
    int more)
{
	r->base += r->off;
	r->buf = buf;
	r->len = len;
	r->off = 0;
	r->more = more;
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
 * Tell whether an entry is the kernel's boot_aggregate (or poses as it):
 * named "boot_aggregate", measuring no buffer.  The kernel writes it as
 * entry 0 of every list (ima_add_boot_aggregate), whatever the template.
 */
int
ima_is_boot_aggregate(const struct ima_entry *e)
{
	return e->path != NULL && e->path_len == 14 &&
	    memcmp(e->path, "boot_aggregate", 14) == 0 &&
	    (e->buf == NULL || e->buf_len == 0);
}

/*
 * The bytes an entry's template hash covers: its template data, or for
 * the "ima" template d and the name zero-padded to 256 bytes, built in
 * buf (LEGACY_D + LEGACY_NAME_PAD bytes).  0, or -1 if the "ima" data is
 * malformed.
 */
static int
template_input(const struct ima_entry *e, uint8_t *buf, const uint8_t **p,
    size_t *n)
{
	size_t len = e->template_data_len, nlen;

	*p = e->template_data;
	*n = len;
	if (!e->legacy)
		return 0;
	if (len < LEGACY_D + 4 ||
	    (nlen = len - LEGACY_D - 4) > IMA_EVENT_NAME_MAX)
		return -1;
	memcpy(buf, *p, LEGACY_D);
	memcpy(buf + LEGACY_D, *p + LEGACY_D + 4, nlen);
	memset(buf + LEGACY_D + nlen, 0, LEGACY_NAME_PAD - nlen);
	*p = buf;
	*n = LEGACY_D + LEGACY_NAME_PAD;
	return 0;
}

/*
 * Compute an entry's template hash in a bank's algorithm into out (h may
 * be NULL); 0 or -1.  The "ima" template hashes d and the name zero-padded
 * to 256 bytes.
 */
int
ima_template_hash(struct hasher *h, int bank, const struct ima_entry *e,
    uint8_t *out)
{
	uint8_t b[LEGACY_D + LEGACY_NAME_PAD];
	const uint8_t *p;
	size_t n;

	if (template_input(e, b, &p, &n) == -1)
		return -1;
	if (h == NULL)
		return bank_hash(bank, p, n, out);
	return hasher_hash2(h, bank, p, n, NULL, 0, out);
}

/*
 * Verify an entry's logged template digest in the list's bank: RIV_OK if
 * it matches (or records a violation), RIV_FAIL if not, RIV_MALFORMED if
 * it cannot be computed.
 */
int
ima_verify_entry(struct hasher *h, int list_bank,
    const struct ima_entry *e)
{
	const struct bank *bk = bank_get(list_bank);

	if (bk == NULL || e->template_digest_len != bk->size)
		return RIV_MALFORMED;
	if (e->violation)
		return RIV_OK;
	return verify_logged(h, list_bank, e);
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

/* Names of the rules in the state's JSON (enum ima_rule). */
static const char *const rule_names[IMA_RULES] = {
	"per-bank", "padded-sha1", "padded-sha1-ones"
};

/* Return the JSON name of a rule, or NULL. */
const char *
ima_rule_name(unsigned rule)
{
	return rule < IMA_RULES ? rule_names[rule] : NULL;
}

/* Return a rule by JSON name, or -1. */
static int
rule_by_name(const char *name)
{
	int r;

	for (r = 0; r < IMA_RULES; r++)
		if (strcmp(rule_names[r], name) == 0)
			return r;
	return -1;
}

/*
 * The rules a bank may follow: SHA1 has one; the list's bank extends its
 * logged digests, so only a violation tells its rules apart, and PADFF
 * extends it as IMA_RULE_BANK does.
 */
static uint8_t
initial_rules(int bank, int list_bank)
{
	if (bank == BANK_SHA1)
		return 1u << IMA_RULE_BANK;
	if (bank == list_bank)
		return 1u << IMA_RULE_BANK | 1u << IMA_RULE_PAD;
	return IMA_RULES_ALL;
}

/* The first rule of a mask (the one whose values are shown). */
static int
first_rule(unsigned mask)
{
	int r;

	for (r = 0; r < IMA_RULES; r++)
		if (mask & (1u << r))
			return r;
	return IMA_RULE_BANK;
}

/* Which of st->val holds a bank's values under a rule. */
static int
rule_index(const struct ima_state *st, int bank, int rule)
{
	if (rule == IMA_RULE_PADFF && !(st->pad_split & (1u << bank)))
		return IMA_RULE_PAD;	/* the same until a violation */
	return rule;
}

/* Empty a snapshot. */
static void
snap_clear(struct ima_snap *s)
{
	int r;

	s->index = 0;
	s->touched = 0;
	memset(s->known, 0, sizeof(s->known));
	for (r = 0; r < IMA_RULES; r++)
		pcrset_init(&s->v[r]);
}

/* Choose the history's (bank, rule) values for banks, strongest first. */
static unsigned
hist_choose(const struct ima_state *st, uint32_t banks, uint8_t *cb,
    uint8_t *cr)
{
	static const int order[] = { BANK_SHA256, BANK_SHA384, BANK_SHA512,
	    BANK_SM3_256, BANK_SHA1 };
	unsigned n = 0;
	size_t i;
	int r;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!(banks & st->bank_mask & (1u << order[i])))
			continue;
		for (r = 0; r < IMA_RULES && n < IMA_HIST_COLS; r++)
			if (st->rules[order[i]] & (1u << r)) {
				cb[n] = (uint8_t)order[i];
				cr[n++] = (uint8_t)r;
			}
	}
	return n;
}

/* Forget every entry of the history, marking their PCRs unknown. */
static void
hist_drop_all(struct ima_state *st)
{
	size_t i, slot;

	for (i = 0; i < st->hist_len; i++) {
		slot = (st->hist_head + IMA_HISTORY_MAX - st->hist_len + i) %
		    IMA_HISTORY_MAX;
		st->hist_dropped |= 1u << st->hist_pcr[slot];
		st->hist_drop_last = st->hist_index[slot];
	}
	st->hist_len = 0;
}

/*
 * Keep history for banks from now on: entries already kept keep the values
 * the new choice has in common with the old, or are forgotten.
 */
static void
hist_set_banks(struct ima_state *st, uint32_t banks)
{
	uint8_t cb[IMA_HIST_COLS], cr[IMA_HIST_COLS], tmp[IMA_HIST_COLS]
	    [DIGEST_MAX];
	unsigned n, c, o, map[IMA_HIST_COLS];
	size_t i, slot;

	n = hist_choose(st, banks, cb, cr);
	for (c = 0; c < n; c++) {
		for (o = 0; o < st->hist_ncols; o++)
			if (st->hist_bank[o] == cb[c] &&
			    st->hist_rule[o] == cr[c])
				break;
		if (o == st->hist_ncols)
			break;
		map[c] = o;
	}
	if (c < n)
		hist_drop_all(st);
	else
		for (i = 0; i < st->hist_len; i++) {
			slot = (st->hist_head + IMA_HISTORY_MAX -
			    st->hist_len + i) % IMA_HISTORY_MAX;
			for (c = 0; c < n; c++)
				memcpy(tmp[c], st->hist_val[slot][map[c]],
				    DIGEST_MAX);
			memcpy(st->hist_val[slot], tmp, n * DIGEST_MAX);
		}
	st->hist_ncols = n;
	memcpy(st->hist_bank, cb, n);
	memcpy(st->hist_rule, cr, n);
}

/* The banks the history keeps before a quote: the strongest, and SHA1. */
static uint32_t
hist_default_banks(const struct ima_state *st)
{
	uint8_t cb[IMA_HIST_COLS], cr[IMA_HIST_COLS];
	uint32_t banks = st->bank_mask & (1u << BANK_SHA1);

	if (hist_choose(st, st->bank_mask & ~(1u << BANK_SHA1), cb, cr) > 0)
		banks |= 1u << cb[0];
	return banks;
}

/*
 * Start a state before entry 0, replaying the banks of mask that OpenSSL
 * has (0: all of them).
 */
void
ima_state_init(struct ima_state *st, uint32_t mask)
{
	int b;

	memset(st, 0, offsetof(struct ima_state, val));
	if (mask == 0)
		mask = ima_default_banks();
	st->bank_mask = mask & ima_default_banks();
	st->list_bank = -1;
	st->big_endian = -1;
	for (b = 0; b < BANK_COUNT; b++)
		st->rules[b] = initial_rules(b, -1);
	for (b = 0; b < IMA_RULES; b++)
		pcrset_init(&st->val[b]);
	snap_clear(&st->ckpt);
	snap_clear(&st->watch_snap);
	hist_set_banks(st, hist_default_banks(st));
	st->aggregate = -1;
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

/*
 * Count an entry as failed (digest mismatch, policy): the state keeps the
 * count for the boot, so a later batch cannot hide it.  Counting the same
 * entry again does nothing.
 */
void
ima_state_fail(struct ima_state *st, uint64_t index)
{
	if (st->failed > 0 && st->last_failed == index)
		return;
	if (st->failed == 0)
		st->first_failed = index;
	st->failed++;
	st->last_failed = index;
}

/*
 * The replayed PCR values per bank, each under the first rule the bank may
 * still follow (per-bank until a quote shows otherwise).
 */
void
ima_state_values(const struct ima_state *st, struct pcrset *out)
{
	const struct pcrset *s;
	int b;

	pcrset_init(out);
	for (b = 0; b < BANK_COUNT; b++) {
		if (!(st->bank_mask & (1u << b)))
			continue;
		s = &st->val[rule_index(st, b, first_rule(st->rules[b]))];
		memcpy(out->val[b], s->val[b], sizeof(out->val[b]));
		out->mask[b] = s->mask[b];
	}
}

/* Give PADFF values of their own: a violation extends them differently. */
static void
pad_split(struct ima_state *st, int b)
{
	struct pcrset *pad = &st->val[IMA_RULE_PAD];
	struct pcrset *ff = &st->val[IMA_RULE_PADFF];

	memcpy(ff->val[b], pad->val[b], sizeof(ff->val[b]));
	ff->mask[b] = pad->mask[b];
	st->pad_split |= 1u << b;
}

/* Keep only the rules of keep (some of the bank's) for a bank. */
static void
rules_narrow(struct ima_state *st, int b, unsigned keep)
{
	int r;

	keep &= st->rules[b];
	if (keep == 0 || keep == st->rules[b])
		return;
	if ((keep & (1u << IMA_RULE_PADFF)) && !(keep & (1u <<
	    IMA_RULE_PAD)) && !(st->pad_split & (1u << b)))
		pad_split(st, b);
	for (r = 0; r < IMA_RULES; r++)
		if (!(keep & (1u << r)))
			st->val[r].mask[b] = 0;
	if (!(keep & (1u << IMA_RULE_PADFF)))
		st->pad_split &= ~(1u << b);
	st->rules[b] = (uint8_t)keep;
	st->ckpt.known[b] &= (uint8_t)keep;
}

/*
 * The hashes of one entry (ima_state_apply), in two batches of
 * independent jobs: the template hashes that extends use, then those
 * extends.  The other jobs (the template hash only verified, the extends
 * of a digest known at once: logged, padded from a logged SHA1, a
 * violation's) go to either batch, to the one with fewer jobs, so that
 * each batch interleaves as many hashes as it can: hasher_batch runs
 * independent hashes in the same cycles.
 */
#define APPLY_JOBS	(BANK_COUNT * IMA_RULES + BANK_COUNT)
struct apply {
	struct hash_job	 now[APPLY_JOBS], later[APPLY_JOBS];
	struct hash_job	 any[APPLY_JOBS];	/* either batch */
	size_t		 nnow, nlater, nany;
	uint32_t	 need;		/* banks whose template hash is made */
	uint32_t	 used;		/* and used by an extend */
	int		 pad_later;	/* pad is filled from tmpl[SHA1] */
	uint8_t		 tmpl[BANK_COUNT][DIGEST_MAX];	/* template hashes */
	uint8_t		 pad[DIGEST_MAX];	/* SHA1 zero-padded */
	uint8_t		 legacy[LEGACY_D + LEGACY_NAME_PAD];
};

/*
 * Queue an extend of a bank's PCR in a set with a digest: in the second
 * batch if the digest is a template hash (later), else in either.
 */
static void
apply_extend(struct apply *ap, int later, struct pcrset *s, int b,
    unsigned pcr, const uint8_t *d)
{
	struct hash_job *j = later ? &ap->later[ap->nlater++] :
	    &ap->any[ap->nany++];
	size_t n = bank_get(b)->size;

	if (!pcrset_has(s, b, pcr))
		pcrset_set(s, b, pcr, zeros);
	j->bank = b;
	j->a = s->val[b][pcr];
	j->al = n;
	j->b = d;
	j->bl = n;
	j->out = s->val[b][pcr];
}

/*
 * Compare an entry's logged template digest with the template hashes of
 * an apply (the list's bank's, and SHA1's if it was computed), as
 * verify_logged does: RIV_OK, RIV_FAIL, or RIV_MALFORMED if SHA1's must be
 * computed and cannot.
 */
static int
apply_verify(struct hasher *h, const struct apply *ap, int list_bank,
    const struct ima_entry *e)
{
	uint8_t d[DIGEST_MAX];
	size_t n = bank_get(list_bank)->size;

	if (memcmp(ap->tmpl[list_bank], e->template_digest, n) == 0)
		return RIV_OK;
	if (list_bank == BANK_SHA1 ||
	    !all_zero(e->template_digest + 20, n - 20))
		return RIV_FAIL;
	if (ap->need & (1u << BANK_SHA1))
		memcpy(d, ap->tmpl[BANK_SHA1], 20);
	else if (ima_template_hash(h, BANK_SHA1, e, d) == -1)
		return RIV_MALFORMED;
	return memcmp(d, e->template_digest, 20) == 0 ? RIV_OK : RIV_FAIL;
}

/*
 * Queue the template hashes an apply needs (ap->need), of the n bytes at
 * p: in the first batch those an extend uses, else in either; then give
 * the jobs of either batch to the one with fewer jobs (all to the first
 * if nothing waits for it).
 */
static void
apply_templates(struct apply *ap, const uint8_t *p, size_t n)
{
	struct hash_job *j;
	size_t i;
	int b;

	for (b = 0; b < BANK_COUNT; b++) {
		if (!(ap->need & (1u << b)))
			continue;
		j = ap->used & (1u << b) ? &ap->now[ap->nnow++] :
		    &ap->any[ap->nany++];
		j->bank = b;
		j->a = p;
		j->al = n;
		j->b = NULL;
		j->bl = 0;
		j->out = ap->tmpl[b];
	}
	for (i = 0; i < ap->nany; i++) {
		if (ap->nlater == 0 || ap->nnow <= ap->nlater)
			ap->now[ap->nnow++] = ap->any[i];
		else
			ap->later[ap->nlater++] = ap->any[i];
	}
}

/* Append the values after an entry to the history ring. */
static void
hist_push(struct ima_state *st, const struct ima_entry *e)
{
	size_t slot = st->hist_head;
	unsigned c;
	int b;

	if (st->hist_ncols == 0)
		return;
	if (st->hist_len == IMA_HISTORY_MAX) {	/* forget the oldest */
		st->hist_dropped |= 1u << st->hist_pcr[slot];
		st->hist_drop_last = st->hist_index[slot];
		st->hist_len--;
	}
	st->hist_index[slot] = e->index;
	st->hist_pcr[slot] = (uint8_t)e->pcr;
	for (c = 0; c < st->hist_ncols; c++) {	/* whole slots: no call */
		b = st->hist_bank[c];
		memcpy(st->hist_val[slot][c], st->val[rule_index(st, b,
		    st->hist_rule[c])].val[b][e->pcr], DIGEST_MAX);
	}
	st->hist_head = (slot + 1) % IMA_HISTORY_MAX;
	st->hist_len++;
}

/* Where a quote comparison takes PCR values from: NULL if unknown. */
typedef const uint8_t *(*value_fn)(const void *, int, int, unsigned);

/* The state's running value of a PCR (zeros if untouched). */
static const uint8_t *
live_value(const void *arg, int b, int rule, unsigned pcr)
{
	const struct ima_state *st = arg;
	const struct pcrset *s;

	if (!(st->bank_mask & (1u << b)) || !(st->rules[b] & (1u << rule)))
		return NULL;
	s = &st->val[rule_index(st, b, rule)];
	return pcrset_has(s, b, pcr) ? s->val[b][pcr] : zeros;
}

/* A snapshot's value of a PCR (zeros if untouched). */
static const uint8_t *
snap_value(const void *arg, int b, int rule, unsigned pcr)
{
	const struct ima_snap *s = arg;

	if (!(s->known[b] & (1u << rule)))
		return NULL;
	return pcrset_has(&s->v[rule], b, pcr) ? s->v[rule].val[b][pcr] :
	    zeros;
}

/*
 * Compare quoted values with a source in every bank of banks that quotes a
 * PCR of touched: per bank, rules[] gets the rules under which each such
 * PCR equals the quote.  1 if at least one bank was compared and every
 * compared bank matches under some rule, else 0; *full is cleared if the
 * source holds no value for a bank.
 */
static int
compare_quote(const struct pcrset *q, uint32_t touched, uint32_t banks,
    value_fn get, const void *arg, uint8_t *rules, int *full)
{
	const uint8_t *v;
	unsigned pcr[PCR_COUNT], np, p, i;
	uint32_t pcrs;
	int b, r, known, unknown, eq, compared = 0;
	size_t n;

	*full = 1;
	memset(rules, 0, BANK_COUNT);
	for (b = 0; b < BANK_COUNT; b++) {
		if (!(banks & (1u << b)) || (pcrs = q->mask[b] & touched) == 0)
			continue;
		for (p = 0, np = 0; p < PCR_COUNT; p++)
			if (pcrs & (1u << p))
				pcr[np++] = p;
		n = bank_get(b)->size;
		known = 0;
		for (r = 0; r < IMA_RULES; r++) {
			for (i = 0, eq = 1, unknown = 0; i < np && eq; i++) {
				if ((v = get(arg, b, r, pcr[i])) == NULL)
					unknown = 1;
				else
					eq = !memcmp(v, q->val[b][pcr[i]], n);
				if (unknown)
					break;
			}
			if (unknown)
				continue;	/* no value under this rule */
			known = 1;
			if (eq)
				rules[b] |= (uint8_t)(1u << r);
		}
		if (!known) {
			*full = 0;
			continue;
		}
		if (rules[b] == 0)
			return 0;
		compared++;
	}
	return compared > 0;
}

/* Copy the state's values (after entry next - 1) into a snapshot. */
static void
snap_take(const struct ima_state *st, struct ima_snap *s)
{
	const struct pcrset *v;
	int b, r;

	snap_clear(s);
	s->index = st->next - 1;
	s->touched = st->touched;
	for (b = 0; b < BANK_COUNT; b++) {
		if (!(st->bank_mask & (1u << b)))
			continue;
		s->known[b] = st->rules[b];
		for (r = 0; r < IMA_RULES; r++) {
			if (!(st->rules[b] & (1u << r)))
				continue;
			v = &st->val[rule_index(st, b, r)];
			memcpy(s->v[r].val[b], v->val[b], sizeof(v->val[b]));
			s->v[r].mask[b] = v->mask[b];
		}
	}
}

/*
 * Note whether the watched quote equals the state's current values, after
 * an entry on pcr (PCR_COUNT: any): first in the first bank that quotes
 * pcr, the only value the entry changed.
 */
static void
watch_check(struct ima_state *st, unsigned pcr)
{
	const uint8_t *v;
	uint8_t rules[BANK_COUNT];
	int b, r, full;

	if (st->next == 0)
		return;
	for (b = 0; pcr < PCR_COUNT && b < BANK_COUNT; b++) {
		if (!(st->bank_mask & (1u << b)) ||
		    !pcrset_has(st->watch, b, pcr))
			continue;
		for (r = 0; r < IMA_RULES; r++)
			if ((v = live_value(st, b, r, pcr)) != NULL &&
			    memcmp(v, st->watch->val[b][pcr],
			    bank_get(b)->size) == 0)
				break;
		if (r == IMA_RULES)
			return;		/* differs under every rule */
		break;
	}
	if (compare_quote(st->watch, st->touched, st->bank_mask, live_value,
	    st, rules, &full) != 1)
		return;
	snap_take(st, &st->watch_snap);
	st->watch_found = 1;
}

/*
 * Apply the next entry to a state: verify its template digest (list_bank
 * is the bank of the list's template digests; *mismatch tells the result,
 * and a mismatch counts as a failed entry) and extend its PCR in every
 * replayed bank under every rule the bank may follow.  RIV_OK, or
 * RIV_MALFORMED if the entry does not follow the state or cannot be hashed.
 */
int
ima_state_apply(struct ima_state *st, struct hasher *h, int list_bank,
    const struct ima_entry *e, int *mismatch, struct riv_err *err)
{
	const struct bank *lb = bank_get(list_bank);
	const uint8_t *x, *tp = NULL;
	struct apply ap;
	size_t tn = 0;
	int b, r, rc, later;
	unsigned rules;

	*mismatch = 0;
	if (e->index != st->next)
		return err_set(err, RIV_MALFORMED, "entry %llu does not follow "
		    "the state, which expects entry %llu",
		    (unsigned long long)e->index,
		    (unsigned long long)st->next);
	if (lb == NULL || e->template_digest_len != lb->size ||
	    e->pcr >= PCR_COUNT || !bank_available(list_bank))
		return err_set(err, RIV_MALFORMED, "entry %llu: bad template "
		    "digest size or PCR", (unsigned long long)e->index);
	if (st->list_bank == -1) {
		st->list_bank = list_bank;
		st->bank_mask |= 1u << list_bank;
		st->rules[list_bank] = initial_rules(list_bank, list_bank);
		if (!st->have_ckpt)
			hist_set_banks(st, hist_default_banks(st));
	} else if (st->list_bank != list_bank)
		return err_set(err, RIV_MALFORMED, "entry %llu: template "
		    "digests are %s, the state's list had %s",
		    (unsigned long long)e->index, lb->name,
		    bank_get(st->list_bank)->name);
	if (!e->violation && template_input(e, ap.legacy, &tp, &tn) == -1)
		goto hashfail;
	ap.nnow = ap.nlater = ap.nany = 0;
	ap.need = e->violation ? 0 : 1u << list_bank;
	ap.used = 0;
	ap.pad_later = 0;
	if (!e->violation && list_bank == BANK_SHA1) {
		memcpy(ap.pad, e->template_digest, 20);
		memset(ap.pad + 20, 0, DIGEST_MAX - 20);
	}
	for (b = 0; b < BANK_COUNT; b++) {
		if (!(st->bank_mask & (1u << b)))
			continue;
		rules = st->rules[b];
		if (e->violation && (rules & (1u << IMA_RULE_PADFF)) &&
		    (rules & (1u << IMA_RULE_PAD)) &&
		    !(st->pad_split & (1u << b)))
			pad_split(st, b);
		for (r = 0; r < IMA_RULES; r++) {
			if (!(rules & (1u << r)) || rule_index(st, b, r) != r)
				continue;
			later = 0;
			if (e->violation)
				x = r == IMA_RULE_PAD ? ones20 : ones;
			else if (b == list_bank)
				x = e->template_digest;
			else if (r == IMA_RULE_BANK && b != BANK_SHA1) {
				ap.need |= 1u << b;
				ap.used |= 1u << b;
				x = ap.tmpl[b];
				later = 1;
			} else {	/* SHA1, or a padded SHA1 */
				if (list_bank != BANK_SHA1) {
					ap.need |= 1u << BANK_SHA1;
					ap.used |= 1u << BANK_SHA1;
					ap.pad_later = 1;
					later = 1;
				}
				x = ap.pad;
			}
			apply_extend(&ap, later, &st->val[r], b, e->pcr, x);
		}
	}
	apply_templates(&ap, tp, tn);
	if (hasher_batch(h, ap.now, ap.nnow) == -1)
		goto hashfail;
	if (ap.pad_later) {
		memcpy(ap.pad, ap.tmpl[BANK_SHA1], 20);
		memset(ap.pad + 20, 0, DIGEST_MAX - 20);
	}
	if (hasher_batch(h, ap.later, ap.nlater) == -1)
		goto hashfail;
	if (!e->violation) {
		if ((rc = apply_verify(h, &ap, list_bank, e)) == RIV_MALFORMED)
			goto hashfail;
		*mismatch = rc == RIV_FAIL;
	}
	st->touched |= 1u << e->pcr;
	if (e->index == 0)
		st->aggregate = ima_is_boot_aggregate(e);
	if (*mismatch)
		ima_state_fail(st, e->index);
	st->next++;
	hist_push(st, e);
	if (st->watch != NULL)
		watch_check(st, e->pcr);
	return RIV_OK;
hashfail:
	return err_set(err, RIV_MALFORMED, "entry %llu: hashing failed",
	    (unsigned long long)e->index);
}

/* The list's bank re-extended from entry 0 with the logged digests. */
struct cover {
	uint32_t	touched;
	uint8_t		v[PCR_COUNT][DIGEST_MAX];
};

/*
 * Re-extend an entry the state already covers with its logged template
 * digest (no template hashing), in the list's bank under the rule whose
 * values the state shows for it; after entry next - 1 the result must be
 * the state's value of every PCR, or the list is another boot's (its first
 * entries, boot_aggregate included, may well be the same).
 */
static int
cover_entry(const struct ima_state *st, struct hasher *h,
    struct cover *cv, const struct ima_entry *e, struct riv_err *err)
{
	int lb = st->list_bank, rule = first_rule(st->rules[lb]);
	const struct pcrset *s = &st->val[rule_index(st, lb, rule)];
	size_t n = bank_get(lb)->size;
	const uint8_t *x;
	unsigned p;

	x = !e->violation ? e->template_digest : rule == IMA_RULE_PAD ?
	    ones20 : ones;
	if (!(cv->touched & (1u << e->pcr))) {
		memset(cv->v[e->pcr], 0, n);
		cv->touched |= 1u << e->pcr;
	}
	if (hasher_extend(h, lb, cv->v[e->pcr], x) == -1)
		return err_set(err, RIV_MALFORMED, "entry %llu: hashing "
		    "failed", (unsigned long long)e->index);
	if (e->index + 1 != st->next)
		return RIV_OK;
	for (p = 0; p < PCR_COUNT; p++) {
		if (!((cv->touched | st->touched) & (1u << p)))
			continue;
		if (!(cv->touched & st->touched & (1u << p)) ||
		    memcmp(cv->v[p], s->val[lb][p], n) != 0)
			return err_set(err, RIV_MALFORMED, "entries 0-%llu "
			    "(the ones the state covers) do not replay to the "
			    "state's %s PCR %u: the state belongs to another "
			    "boot", (unsigned long long)e->index,
			    bank_get(lb)->name, p);
	}
	return RIV_OK;
}

/* Check that a list starting at entry first may be fed to a state. */
static int
feed_check_first(const struct ima_state *st, uint64_t first,
    struct riv_err *err)
{
	if (first > st->next)
		return err_set(err, RIV_MALFORMED, "the list starts at entry "
		    "%llu but the state covers only entries before %llu",
		    (unsigned long long)first, (unsigned long long)st->next);
	if (first > 0 && first < st->next)
		return err_set(err, RIV_MALFORMED, "the list starts at entry "
		    "%llu, inside the entries the state covers (before %llu): "
		    "give the whole list, or its tail from entry %llu",
		    (unsigned long long)first, (unsigned long long)st->next,
		    (unsigned long long)st->next);
	return RIV_OK;
}

/* Reconcile an opened reader's bank and byte order with the state's. */
static int
feed_setup(struct ima_state *st, struct ima_reader *r, struct riv_err *err)
{
	if (st->list_bank >= 0 && st->list_bank != r->list_bank) {
		if (bank_get(st->list_bank)->size != r->digest_size)
			return err_set(err, RIV_MALFORMED, "the list's "
			    "template digests are %s, the state's list had %s",
			    bank_get(r->list_bank)->name,
			    bank_get(st->list_bank)->name);
		r->list_bank = st->list_bank;
	}
	if (r->format == IMA_FORMAT_ASCII && st->big_endian >= 0)
		r->big_endian = st->big_endian;	/* as the list began */
	else if (r->format == IMA_FORMAT_BINARY || r->be_known)
		st->big_endian = r->big_endian;
	return RIV_OK;
}

/*
 * Feed the entries of a reader's window to a state: RIV_OK at the end of
 * the list, NEED_MORE when the window is used up and more follows, else
 * RIV_MALFORMED or the callback's non-zero return.
 */
static int
feed_entries(struct ima_state *st, struct hasher *h, struct ima_reader *r,
    struct cover *cv, ima_entry_cb cb, void *arg, struct riv_err *err)
{
	struct ima_entry e;
	int rc, mismatch, got;

	while ((got = ima_reader_next(r, &e, err)) == 1) {
		if (e.index < st->next) {
			if ((rc = cover_entry(st, h, cv, &e, err)) != RIV_OK)
				return rc;
			continue;
		}
		rc = ima_state_apply(st, h, r->list_bank, &e, &mismatch, err);
		if (rc != RIV_OK)
			return rc;
		if (cb != NULL && (rc = cb(&e, mismatch, arg)) != 0)
			return rc;
	}
	if (got == 2)
		return NEED_MORE;
	if (got != 0)
		return RIV_MALFORMED;
	if (r->index < st->next)
		return err_set(err, RIV_MALFORMED, "the list ends after entry "
		    "%llu but the state covers entries up to %llu: the state "
		    "belongs to another boot (a list only grows)",
		    (unsigned long long)r->index - 1,
		    (unsigned long long)st->next - 1);
	return RIV_OK;
}

/*
 * Feed a list to a state: the whole list (first 0), whose entries the
 * state covers are re-extended with their logged digests and must give
 * the state's values (else the state belongs to another boot), or its
 * tail from the state's next entry (first == next).  New entries are
 * applied and passed to cb.  An empty buffer applies nothing.  RIV_OK,
 * RIV_MALFORMED (err names the entry and offset), or the callback's
 * non-zero return.
 */
int
ima_feed(struct ima_state *st, struct hasher *h, const uint8_t *buf,
    size_t len, int format, uint64_t first, ima_entry_cb cb, void *arg,
    struct riv_err *err)
{
	struct ima_reader r;
	struct cover cv;
	int rc;

	if (len == 0)
		return RIV_OK;
	if ((rc = feed_check_first(st, first, err)) != RIV_OK)
		return rc;
	if ((rc = ima_reader_open(&r, buf, len, format, -1, first, err)) ==
	    RIV_OK && (rc = feed_setup(st, &r, err)) == RIV_OK) {
		cv.touched = 0;
		rc = feed_entries(st, h, &r, &cv, cb, arg, err);
	}
	ima_reader_close(&r);
	return rc;
}

/* A list read in chunks: the sliding window of ima_feed_source. */
struct window {
	struct ima_source *src;
	uint8_t		*buf;
	size_t		 len, cap;
	int		 eof;
};

/* Read into the window until it is full or the list ends. */
static int
window_fill(struct window *w, struct riv_err *err)
{
	long n;

	while (!w->eof && w->len < w->cap) {
		if ((n = w->src->read(w->src->arg, w->buf + w->len,
		    w->cap - w->len)) < 0)
			return err_set(err, RIV_MALFORMED, "read error at byte "
			    "offset %zu", w->src->bytes);
		if ((size_t)n > w->cap - w->len)
			return err_set(err, RIV_MALFORMED, "read more bytes "
			    "than asked at byte offset %zu", w->src->bytes);
		if (n == 0)
			w->eof = 1;
		else {
			w->len += (size_t)n;
			w->src->bytes += (size_t)n;
		}
	}
	return RIV_OK;
}

/* Double the window's capacity (up to WINDOW_MAX); -1 if it cannot. */
static int
window_grow(struct window *w)
{
	size_t cap = w->cap * 2 > WINDOW_MAX ? WINDOW_MAX : w->cap * 2;
	uint8_t *p;

	if (cap <= w->cap || (p = realloc(w->buf, cap)) == NULL)
		return -1;
	w->buf = p;
	w->cap = cap;
	if (cap > w->src->window)
		w->src->window = cap;
	return 0;
}

/*
 * Keep the bytes from off on at the start of the window (growing it if
 * they fill it) and read more after them.
 */
static int
window_slide(struct window *w, size_t off, struct riv_err *err)
{
	memmove(w->buf, w->buf + off, w->len - off);
	w->len -= off;
	if (w->len == w->cap && window_grow(w) == -1)
		return err_set(err, RIV_MALFORMED, "out of memory for an entry "
		    "of more than %zu bytes", w->cap);
	return window_fill(w, err);
}

/*
 * ima_feed on a list read from src in bounded chunks (struct ima_source):
 * the same checks and outcome as ima_feed on the whole list, with memory
 * for one window, never less than the largest entry.
 */
int
ima_feed_source(struct ima_state *st, struct hasher *h,
    struct ima_source *src, uint64_t first, ima_entry_cb cb, void *arg,
    struct riv_err *err)
{
	struct window w = { src, NULL, 0, 0, 0 };
	struct ima_reader r;
	struct cover cv;
	int rc, opened = 0, fmt;

	memset(&r, 0, sizeof(r));
	src->bytes = 0;
	w.cap = src->chunk > 0 ? src->chunk : IMA_CHUNK;
	if (w.cap > WINDOW_MAX)
		w.cap = WINDOW_MAX;
	src->window = w.cap;
	if ((w.buf = malloc(w.cap)) == NULL)
		return err_set(err, RIV_MALFORMED, "out of memory");
	if ((rc = window_fill(&w, err)) != RIV_OK || w.len == 0 ||
	    (rc = feed_check_first(st, first, err)) != RIV_OK)
		goto done;
	for (;;) {
		/* ima_detect_format looks at two bytes. */
		fmt = src->format != IMA_FORMAT_AUTO ? src->format :
		    ima_detect_format(w.buf, w.len);
		rc = ima_reader_open_window(&r, w.buf, w.len, !w.eof, fmt, -1,
		    first, err);
		opened = 1;
		if (w.eof || (!r.starved && (w.len >= 2 ||
		    src->format != IMA_FORMAT_AUTO)))
			break;
		ima_reader_close(&r);
		opened = 0;
		if (window_grow(&w) == -1) {
			if (rc == RIV_OK)
				rc = err_set(err, RIV_MALFORMED, "out of memory");
			goto done;
		}
		if ((rc = window_fill(&w, err)) != RIV_OK)
			goto done;
	}
	src->format = fmt;
	if (rc != RIV_OK || (rc = feed_setup(st, &r, err)) != RIV_OK)
		goto done;
	cv.touched = 0;
	while ((rc = feed_entries(st, h, &r, &cv, cb, arg, err)) ==
	    NEED_MORE) {
		if ((rc = window_slide(&w, r.off, err)) != RIV_OK)
			goto done;
		ima_reader_refill(&r, w.buf, w.len, !w.eof);
	}
done:
	if (opened)
		ima_reader_close(&r);
	free(w.buf);
	return rc;
}

/*
 * Watch for a quote's values while entries are applied (the quote must
 * outlive the feed): ima_quote_check then finds a checkpoint among them,
 * and at the state's current entry, in every bank however far behind it
 * is, not only in the history.
 */
void
ima_quote_watch(struct ima_state *st, const struct pcrset *quoted)
{
	st->watch = quoted;
	st->watch_found = 0;
	watch_check(st, PCR_COUNT);
}

/* The history replayed up to one of its entries. */
struct hpass {
	const struct ima_state	*st;
	uint32_t		 touched;
	uint32_t		 known[IMA_HIST_COLS];	/* PCRs */
	uint8_t			 v[IMA_HIST_COLS][PCR_COUNT][DIGEST_MAX];
};

/* A replayed history's value of a PCR (zeros if untouched). */
static const uint8_t *
hist_value(const void *arg, int b, int rule, unsigned pcr)
{
	const struct hpass *hp = arg;
	unsigned c;

	for (c = 0; c < hp->st->hist_ncols; c++) {
		if (hp->st->hist_bank[c] != b || hp->st->hist_rule[c] != rule)
			continue;
		if (!(hp->known[c] & (1u << pcr)))
			return NULL;
		return hp->touched & (1u << pcr) ? hp->v[c][pcr] : zeros;
	}
	return NULL;
}

/*
 * Start replaying the history from the values it follows: the checkpoint
 * (or the empty list), without the PCRs of entries the ring lost.
 */
static void
hist_base(const struct ima_state *st, struct hpass *hp)
{
	uint32_t all = (1u << PCR_COUNT) - 1;
	unsigned c;
	int b, r;

	hp->st = st;
	hp->touched = st->have_ckpt ? st->ckpt.touched : 0;
	for (c = 0; c < st->hist_ncols; c++) {
		b = st->hist_bank[c];
		r = st->hist_rule[c];
		hp->known[c] = 0;
		if (st->have_ckpt && !(st->ckpt.known[b] & (1u << r)))
			continue;
		hp->known[c] = all & ~st->hist_dropped;
		if (st->have_ckpt)
			memcpy(hp->v[c], st->ckpt.v[r].val[b],
			    sizeof(hp->v[c]));
	}
}

/* Turn a replayed history into a snapshot of the values it knows. */
static void
snap_from_hist(const struct hpass *hp, uint64_t index, struct ima_snap *s)
{
	const struct ima_state *st = hp->st;
	unsigned c, p;
	int b, r;

	snap_clear(s);
	s->index = index;
	s->touched = hp->touched;
	for (c = 0; c < st->hist_ncols; c++) {
		if ((hp->known[c] & hp->touched) != hp->touched)
			continue;
		b = st->hist_bank[c];
		r = st->hist_rule[c];
		s->known[b] |= (uint8_t)(1u << r);
		for (p = 0; p < PCR_COUNT; p++)
			if (hp->touched & (1u << p))
				pcrset_set(&s->v[r], b, p, hp->v[c][p]);
	}
}

/*
 * Search the history (entries since the checkpoint, the current one
 * excluded) for the last entry after which the quote matches the values
 * it keeps; 1 and the values at it in *out, or 0.
 */
static int
hist_find(const struct ima_state *st, const struct pcrset *q,
    uint8_t *rules, int *full, struct ima_snap *out)
{
	struct hpass *cur, *best;
	uint8_t rr[BANK_COUNT];
	uint64_t index = 0;
	size_t i, slot;
	unsigned c;
	int f, found = 0;

	if (st->hist_len == 0 || (cur = malloc(2 * sizeof(*cur))) == NULL)
		return 0;
	best = cur + 1;
	hist_base(st, cur);
	for (i = 0; i < st->hist_len; i++) {
		slot = (st->hist_head + IMA_HISTORY_MAX - st->hist_len + i) %
		    IMA_HISTORY_MAX;
		if (st->hist_index[slot] + 1 >= st->next)
			break;
		cur->touched |= 1u << st->hist_pcr[slot];
		for (c = 0; c < st->hist_ncols; c++) {
			memcpy(cur->v[c][st->hist_pcr[slot]],
			    st->hist_val[slot][c], DIGEST_MAX);
			cur->known[c] |= 1u << st->hist_pcr[slot];
		}
		if (compare_quote(q, st->touched, st->bank_mask, hist_value,
		    cur, rr, &f) == 1) {
			memcpy(best, cur, sizeof(*best));
			memcpy(rules, rr, BANK_COUNT);
			*full = f;
			index = st->hist_index[slot];
			found = 1;
		}
	}
	if (found)
		snap_from_hist(best, index, out);
	free(cur);
	return found;
}

/* Format the PCRs of a mask as "10, 11" into buf. */
static void
pcr_list(uint32_t mask, char *buf, size_t len)
{
	size_t n = 0;
	unsigned p;
	int k;

	buf[0] = '\0';
	for (p = 0; p < PCR_COUNT; p++) {
		if (!(mask & (1u << p)))
			continue;
		k = snprintf(buf + n, len - n, "%s%u", n ? ", " : "", p);
		if (k < 0 || (size_t)k >= len - n)
			return;
		n += (size_t)k;
	}
}

/*
 * Check a quote's PCR values against the state after a batch of entries.
 * The quote may lag the list: the checkpoint is the last entry after which
 * the replayed value of every PCR the list extends equals the quoted one,
 * in every replayed bank that quotes it (a PCR the list had not extended
 * yet must be quoted as zeros), under a rule the bank may follow.  It is
 * looked for at the current entry, at every entry of the batch if the
 * quote was watched (ima_quote_watch), in the history (the last
 * IMA_HISTORY_MAX entries since the previous checkpoint, in the banks
 * that quote carried) and at the previous checkpoint (every bank).  A
 * found checkpoint settles the rules of the banks compared (q->rules).
 * Entries after it are pending (still appraised); if their count grows
 * IMA_LAG_CHECKS checks in a row, the quote is lagging.  A PCR the list
 * extends that no replayed bank quotes is not covered by the quote: not
 * matched.  RIV_OK if matched, else RIV_FAIL (reason in q->reason; the
 * state is left as it was).
 */
int
ima_quote_check(struct ima_state *st, const struct pcrset *quoted,
    struct ima_quote *q)
{
	struct ima_snap *found = NULL, *hist = NULL;
	uint32_t quoted_pcrs = 0, common = 0;
	char list[128];
	int b, watched = st->watch == quoted && st->watch_found;

	memset(q, 0, sizeof(*q));
	st->watch = NULL;
	for (b = 0; b < BANK_COUNT; b++)
		if (st->bank_mask & (1u << b)) {
			quoted_pcrs |= quoted->mask[b];
			if (quoted->mask[b] & st->touched)
				common |= 1u << b;
		}
	pcr_list(st->touched, list, sizeof(list));
	if (st->next == 0) {
		snprintf(q->reason, sizeof(q->reason), "no entry replayed");
		return RIV_FAIL;
	}
	if (common == 0) {
		snprintf(q->reason, sizeof(q->reason), "the quote has none "
		    "of the PCRs the list extends (%s) in a replayed bank",
		    list);
		return RIV_FAIL;
	}
	q->uncovered = st->touched & ~quoted_pcrs;
	if (compare_quote(quoted, st->touched, st->bank_mask, live_value, st,
	    q->rules, &q->full) == 1) {
		q->checkpoint = st->next - 1;
	} else if (watched && compare_quote(quoted, st->touched,
	    st->bank_mask, snap_value, &st->watch_snap, q->rules,
	    &q->full) == 1) {
		found = &st->watch_snap;
		q->checkpoint = found->index;
	} else if ((hist = malloc(sizeof(*hist))) != NULL &&
	    hist_find(st, quoted, q->rules, &q->full, hist) == 1) {
		found = hist;
		q->checkpoint = found->index;
	} else if (st->have_ckpt && compare_quote(quoted, st->touched,
	    st->bank_mask, snap_value, &st->ckpt, q->rules, &q->full) == 1) {
		found = &st->ckpt;
		q->checkpoint = found->index;
	} else {
		snprintf(q->reason, sizeof(q->reason), "the quoted PCRs (%s "
		    "extended by the list) match neither the replay after "
		    "entry %llu nor the %zu entries kept since %s", list,
		    (unsigned long long)st->next - 1, st->hist_len,
		    st->have_ckpt ? "the last checkpoint, nor it" :
		    "entry 0");
		free(hist);
		return RIV_FAIL;
	}
	q->found = 1;
	q->pending = st->next - 1 - q->checkpoint;
	if (q->uncovered != 0) {
		pcr_list(q->uncovered, list, sizeof(list));
		snprintf(q->reason, sizeof(q->reason), "entries on PCR %s are "
		    "not covered by the quote: no replayed bank quotes it",
		    list);
		free(hist);
		return RIV_FAIL;
	}
	q->matched = 1;
	for (b = 0; b < BANK_COUNT; b++)
		if (q->rules[b] != 0)
			rules_narrow(st, b, q->rules[b]);
	if (found == NULL)
		snap_take(st, &st->ckpt);
	else if (found != &st->ckpt)
		memcpy(&st->ckpt, found, sizeof(st->ckpt));
	for (b = 0; b < BANK_COUNT; b++)
		st->ckpt.known[b] &= st->rules[b];
	if (st->have_ckpt && q->pending > st->last_pending)
		st->lag_growth++;
	else
		st->lag_growth = 0;
	st->have_ckpt = 1;
	st->last_pending = q->pending;
	q->lagging = st->lag_growth >= IMA_LAG_CHECKS;
	while (st->hist_len > 0 && st->hist_index[(st->hist_head +
	    IMA_HISTORY_MAX - st->hist_len) % IMA_HISTORY_MAX] <=
	    q->checkpoint)
		st->hist_len--;
	if (st->hist_dropped != 0 && st->hist_drop_last <= q->checkpoint)
		st->hist_dropped = 0;
	hist_set_banks(st, common);
	free(hist);
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

/* Write an index, or null. */
static void
put_index(FILE *f, int have, uint64_t index)
{
	if (have)
		fprintf(f, "%llu", (unsigned long long)index);
	else
		fputs("null", f);
}

/* Write {"sha1":["per-bank"],...} for the banks of mask. */
static void
put_rules(FILE *f, const uint8_t *rules, uint32_t mask)
{
	int b, r, first = 1, k;

	fputc('{', f);
	for (b = 0; b < BANK_COUNT; b++) {
		if (!(mask & (1u << b)) || rules[b] == 0)
			continue;
		fprintf(f, "%s\"%s\":[", first ? "" : ",", bank_get(b)->name);
		for (r = 0, k = 0; r < IMA_RULES; r++)
			if (rules[b] & (1u << r))
				fprintf(f, "%s\"%s\"", k++ ? "," : "",
				    rule_names[r]);
		fputc(']', f);
		first = 0;
	}
	fputc('}', f);
}

/*
 * Write {"per-bank":{"sha1":{"10":hex}},"padded-sha1":{...},...}: per rule,
 * the rows of the banks held under it (rows[rule] masks banks).
 */
static void
put_values(FILE *f, const struct pcrset *v, const uint32_t *rows)
{
	struct pcrset held;
	int r, b;

	fputc('{', f);
	for (r = 0; r < IMA_RULES; r++) {
		held = v[r];
		for (b = 0; b < BANK_COUNT; b++)
			if (!(rows[r] & (1u << b)))
				held.mask[b] = 0;
		fprintf(f, "%s\"%s\":", r ? "," : "", rule_names[r]);
		pcrset_write_json(f, &held);
	}
	fputc('}', f);
}

/* Write the history ring. */
static void
put_history(FILE *f, const struct ima_state *st)
{
	size_t i, slot;
	unsigned c, p, k = 0;

	fputs("{\"columns\":[", f);
	for (c = 0; c < st->hist_ncols; c++)
		fprintf(f, "%s[\"%s\",\"%s\"]", c ? "," : "",
		    bank_get(st->hist_bank[c])->name,
		    rule_names[st->hist_rule[c]]);
	fputs("],\"dropped\":[", f);
	for (p = 0; p < PCR_COUNT; p++)
		if (st->hist_dropped & (1u << p))
			fprintf(f, "%s%u", k++ ? "," : "", p);
	fputs("],\"dropped_last\":", f);
	put_index(f, st->hist_dropped != 0, st->hist_drop_last);
	fputs(",\"entries\":[", f);
	for (i = 0; i < st->hist_len; i++) {
		slot = (st->hist_head + IMA_HISTORY_MAX - st->hist_len + i) %
		    IMA_HISTORY_MAX;
		fprintf(f, "%s[%llu,%u", i ? "," : "",
		    (unsigned long long)st->hist_index[slot],
		    st->hist_pcr[slot]);
		for (c = 0; c < st->hist_ncols; c++) {
			fputc(',', f);
			json_put_hex(f, st->hist_val[slot][c],
			    bank_get(st->hist_bank[c])->size);
		}
		fputc(']', f);
	}
	fputs("]}", f);
}

/*
 * Write a state as one JSON object (version 2):
 * {"version":2,"next":N,"banks":["sha1",...],"list_bank":"sha1"|null,
 *  "big_endian":true|false|null,
 *  "rules":{"sha256":["per-bank","padded-sha1","padded-sha1-ones"],...},
 *  "pcrs":{"per-bank":{"sha1":{"10":hex}},"padded-sha1":{...},
 *    "padded-sha1-ones":{...}},
 *  "boot_aggregate":true|false|null (entry 0 was boot_aggregate; optional
 *    when read),
 *  "failures":{"count":N,"first":N|null,"last":N|null},
 *  "quote":{"checkpoint":null|{"index":N,"rules":{...},"pcrs":{...}},
 *    "pending":N|null,"lag_growth":N,
 *    "history":{"columns":[["sha256","per-bank"],...],"dropped":[PCR,...],
 *      "dropped_last":N|null,"entries":[[index,PCR,hex,...],...]}}}
 * "pcrs" holds the running values under each rule a bank may follow
 * (padded-sha1-ones only once a violation set it apart from padded-sha1).
 */
void
ima_state_write(FILE *f, const struct ima_state *st)
{
	uint32_t rows[IMA_RULES] = { 0 };
	int b, r, first = 1;

	fprintf(f, "{\"version\":2,\"next\":%llu,\"banks\":[",
	    (unsigned long long)st->next);
	for (b = 0; b < BANK_COUNT; b++)
		if (st->bank_mask & (1u << b)) {
			fprintf(f, "%s\"%s\"", first ? "" : ",",
			    bank_get(b)->name);
			first = 0;
		}
	fputs("],\"list_bank\":", f);
	put_bank(f, st->list_bank);
	fprintf(f, ",\"big_endian\":%s,\"rules\":", st->big_endian < 0 ?
	    "null" : st->big_endian ? "true" : "false");
	put_rules(f, st->rules, st->bank_mask);
	for (b = 0; b < BANK_COUNT; b++)
		for (r = 0; r < IMA_RULES; r++)
			if ((st->bank_mask & (1u << b)) &&
			    (st->rules[b] & (1u << r)) &&
			    rule_index(st, b, r) == r)
				rows[r] |= 1u << b;
	fputs(",\"pcrs\":", f);
	put_values(f, st->val, rows);
	fprintf(f, ",\"boot_aggregate\":%s", st->aggregate < 0 ? "null" :
	    st->aggregate ? "true" : "false");
	fprintf(f, ",\"failures\":{\"count\":%llu,\"first\":",
	    (unsigned long long)st->failed);
	put_index(f, st->failed > 0, st->first_failed);
	fputs(",\"last\":", f);
	put_index(f, st->failed > 0, st->last_failed);
	fputs("},\"quote\":{\"checkpoint\":", f);
	if (st->have_ckpt) {
		fprintf(f, "{\"index\":%llu,\"rules\":",
		    (unsigned long long)st->ckpt.index);
		memset(rows, 0, sizeof(rows));
		for (b = 0; b < BANK_COUNT; b++)
			for (r = 0; r < IMA_RULES; r++)
				if (st->ckpt.known[b] & (1u << r))
					rows[r] |= 1u << b;
		put_rules(f, st->ckpt.known, st->bank_mask);
		fputs(",\"pcrs\":", f);
		put_values(f, st->ckpt.v, rows);
		fputc('}', f);
	} else
		fputs("null", f);
	fputs(",\"pending\":", f);
	put_index(f, st->have_ckpt, st->last_pending);
	fprintf(f, ",\"lag_growth\":%u,\"history\":", st->lag_growth);
	put_history(f, st);
	fputs("}}", f);
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

/* Read an index below max, or null (*have 0); 0 or -1. */
static int
get_index(const struct json *v, uint64_t max, int *have, uint64_t *out)
{
	unsigned long long n;

	*have = 0;
	if (v != NULL && v->type == JSON_NULL)
		return 0;
	if (json_uint(v, UINT64_MAX, &n) == -1 || n >= max)
		return -1;
	*have = 1;
	*out = n;
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

/*
 * Read {"sha256":["per-bank",...],...}: rule masks for banks of mask (all
 * of them if every is set); 0 or -1.
 */
static int
get_rules(const struct json *v, uint32_t mask, int every, uint8_t *rules)
{
	const struct json *a;
	size_t i, k;
	int b, r;

	memset(rules, 0, BANK_COUNT);
	if (v == NULL || v->type != JSON_OBJECT)
		return -1;
	for (i = 0; i < v->n; i++) {
		a = v->items[i];
		if ((b = bank_by_name(v->keys[i])) == -1 ||
		    !(mask & (1u << b)) || rules[b] != 0 ||
		    a->type != JSON_ARRAY || a->n == 0 || a->n > IMA_RULES)
			return -1;
		for (k = 0; k < a->n; k++) {
			if (a->items[k]->type != JSON_STRING ||
			    (r = rule_by_name(a->items[k]->str)) == -1 ||
			    (rules[b] & (1u << r)))
				return -1;
			rules[b] |= (uint8_t)(1u << r);
		}
	}
	for (b = 0; b < BANK_COUNT; b++)
		if (every && (mask & (1u << b)) && rules[b] == 0)
			return -1;
	return 0;
}

/*
 * Read {"per-bank":{bank map},...} into v[rule]: exactly the rows of
 * rows[rule] (optional ones in opt[rule]; those read are added to rows),
 * each of the same PCRs, *touched.  0 or -1 (what in why).
 */
static int
get_values(const struct json *o, struct pcrset *v, uint32_t *rows,
    const uint32_t *opt, uint32_t *touched, char *why, size_t wlen)
{
	const struct json *m;
	struct riv_err perr;
	int r, b, seen = 0;

	if (o == NULL || o->type != JSON_OBJECT) {
		snprintf(why, wlen, "expected an object of rules");
		return -1;
	}
	for (r = 0; r < IMA_RULES; r++) {
		pcrset_init(&v[r]);
		if ((m = json_get(o, rule_names[r])) == NULL)
			continue;
		if (pcrset_from_json(m, &v[r], &perr) != RIV_OK) {
			snprintf(why, wlen, "%s: %.300s", rule_names[r],
			    perr.msg);
			return -1;
		}
	}
	for (r = 0; r < IMA_RULES; r++)
		for (b = 0; b < BANK_COUNT; b++) {
			if (v[r].mask[b] == 0)
				continue;
			if (!((rows[r] | opt[r]) & (1u << b))) {
				snprintf(why, wlen, "%s: bank %s is not held "
				    "under this rule", rule_names[r],
				    bank_get(b)->name);
				return -1;
			}
			if (!seen++ && *touched == 0)
				*touched = v[r].mask[b];
			if (v[r].mask[b] != *touched) {
				snprintf(why, wlen, "%s.%s: not the PCRs of "
				    "the other banks", rule_names[r],
				    bank_get(b)->name);
				return -1;
			}
			rows[r] |= 1u << b;
		}
	for (r = 0; r < IMA_RULES; r++)
		for (b = 0; b < BANK_COUNT; b++)
			if ((rows[r] & (1u << b)) && v[r].mask[b] == 0 &&
			    *touched != 0)
				goto missing;
	return 0;
missing:
	snprintf(why, wlen, "%s: a bank is missing", rule_names[r]);
	return -1;
}

/* Read the checkpoint member of "quote"; RIV_OK or RIV_MALFORMED. */
static int
get_ckpt(const struct json *o, struct ima_state *st, struct riv_err *err)
{
	uint32_t rows[IMA_RULES] = { 0 }, opt[IMA_RULES] = { 0 };
	char why[RIV_ERR_MAX];
	int b, r, have;

	if (o == NULL || o->type == JSON_NULL)
		return RIV_OK;
	if (o->type != JSON_OBJECT ||
	    get_index(json_get(o, "index"), st->next, &have,
	    &st->ckpt.index) == -1 || !have)
		return err_set(err, RIV_MALFORMED, "quote.checkpoint.index: "
		    "expected an entry below next");
	if (get_rules(json_get(o, "rules"), st->bank_mask, 0,
	    st->ckpt.known) == -1)
		return err_set(err, RIV_MALFORMED, "quote.checkpoint.rules: "
		    "expected rules of replayed banks");
	for (b = 0; b < BANK_COUNT; b++) {
		if ((st->ckpt.known[b] & st->rules[b]) != st->ckpt.known[b])
			return err_set(err, RIV_MALFORMED, "quote.checkpoint."
			    "rules: %s: a rule the bank no longer follows",
			    bank_get(b)->name);
		for (r = 0; r < IMA_RULES; r++)
			if (st->ckpt.known[b] & (1u << r))
				rows[r] |= 1u << b;
	}
	st->ckpt.touched = 0;
	if (get_values(json_get(o, "pcrs"), st->ckpt.v, rows, opt,
	    &st->ckpt.touched, why, sizeof(why)) == -1 ||
	    st->ckpt.touched == 0 ||
	    (st->ckpt.touched & st->touched) != st->ckpt.touched)
		return err_set(err, RIV_MALFORMED, "quote.checkpoint.pcrs: "
		    "%.400s", st->ckpt.touched == 0 ? "no value" : why);
	st->have_ckpt = 1;
	return RIV_OK;
}

/* Read the history member of "quote"; RIV_OK or RIV_MALFORMED. */
static int
get_history(const struct json *o, struct ima_state *st, struct riv_err *err)
{
	const struct json *cols, *drop, *ents, *it;
	unsigned long long n;
	uint64_t prev = 0;
	size_t i, k;
	unsigned c;
	int b, r, have;

	if (o == NULL || o->type != JSON_OBJECT ||
	    (cols = json_get(o, "columns")) == NULL ||
	    cols->type != JSON_ARRAY || cols->n > IMA_HIST_COLS)
		return err_set(err, RIV_MALFORMED, "quote.history.columns: "
		    "expected at most %d [bank, rule] pairs", IMA_HIST_COLS);
	for (c = 0; c < cols->n; c++) {
		it = cols->items[c];
		if (it->type != JSON_ARRAY || it->n != 2 ||
		    get_bank(it->items[0], &b) == -1 || b < 0 ||
		    !(st->bank_mask & (1u << b)) ||
		    it->items[1]->type != JSON_STRING ||
		    (r = rule_by_name(it->items[1]->str)) == -1 ||
		    !(st->rules[b] & (1u << r)))
			return err_set(err, RIV_MALFORMED, "quote.history."
			    "columns[%u]: expected a replayed bank and a rule "
			    "it follows", c);
		for (k = 0; k < c; k++)
			if (st->hist_bank[k] == b && st->hist_rule[k] == r)
				return err_set(err, RIV_MALFORMED, "quote."
				    "history.columns[%u]: twice", c);
		st->hist_bank[c] = (uint8_t)b;
		st->hist_rule[c] = (uint8_t)r;
	}
	st->hist_ncols = (unsigned)cols->n;
	st->hist_dropped = 0;
	if ((drop = json_get(o, "dropped")) == NULL ||
	    drop->type != JSON_ARRAY || drop->n > PCR_COUNT)
		return err_set(err, RIV_MALFORMED, "quote.history.dropped: "
		    "expected an array of PCRs");
	for (i = 0; i < drop->n; i++) {
		if (json_uint(drop->items[i], PCR_COUNT - 1, &n) == -1)
			return err_set(err, RIV_MALFORMED, "quote.history."
			    "dropped[%zu]: expected a PCR", i);
		st->hist_dropped |= 1u << n;
	}
	if (get_index(json_get(o, "dropped_last"), st->next, &have,
	    &st->hist_drop_last) == -1 || have != (st->hist_dropped != 0))
		return err_set(err, RIV_MALFORMED, "quote.history."
		    "dropped_last: expected an entry below next, null when "
		    "none was dropped");
	if ((ents = json_get(o, "entries")) == NULL ||
	    ents->type != JSON_ARRAY || ents->n > IMA_HISTORY_MAX ||
	    (ents->n > 0 && st->hist_ncols == 0))
		return err_set(err, RIV_MALFORMED, "quote.history.entries: "
		    "expected an array of at most %d entries", IMA_HISTORY_MAX);
	for (i = 0; i < ents->n; i++) {
		it = ents->items[i];
		if (it->type != JSON_ARRAY || it->n != 2 + st->hist_ncols ||
		    json_uint(it->items[0], UINT64_MAX, &n) == -1 ||
		    n >= st->next || (i > 0 && n <= prev) ||
		    (st->have_ckpt && n <= st->ckpt.index))
			goto bad;
		st->hist_index[i] = prev = n;
		if (json_uint(it->items[1], PCR_COUNT - 1, &n) == -1 ||
		    !(st->touched & (1u << n)))
			goto bad;
		st->hist_pcr[i] = (uint8_t)n;
		for (c = 0; c < st->hist_ncols; c++) {
			memset(st->hist_val[i][c], 0, DIGEST_MAX);
			if (get_hex(it->items[2 + c],
			    bank_get(st->hist_bank[c])->size,
			    st->hist_val[i][c]) == -1)
				goto bad;
		}
	}
	st->hist_len = ents->n;
	st->hist_head = ents->n % IMA_HISTORY_MAX;
	return RIV_OK;
bad:
	return err_set(err, RIV_MALFORMED, "quote.history.entries[%zu]: "
	    "expected [index, PCR, hex per column], indexes increasing, "
	    "after the checkpoint and below next, PCRs the list extends", i);
}

/* Read the "failures" member; RIV_OK or RIV_MALFORMED. */
static int
get_failures(const struct json *o, struct ima_state *st, struct riv_err *err)
{
	unsigned long long n;
	int hf, hl;

	if (o == NULL || o->type != JSON_OBJECT ||
	    json_uint(json_get(o, "count"), UINT64_MAX, &n) == -1 ||
	    n > st->next ||
	    get_index(json_get(o, "first"), st->next, &hf,
	    &st->first_failed) == -1 ||
	    get_index(json_get(o, "last"), st->next, &hl,
	    &st->last_failed) == -1 || hf != (n > 0) || hl != (n > 0) ||
	    (n > 0 && (st->first_failed > st->last_failed ||
	    st->last_failed - st->first_failed + 1 < n)))
		return err_set(err, RIV_MALFORMED, "failures: expected "
		    "{\"count\":N,\"first\":N,\"last\":N}, null indexes when "
		    "the count is 0");
	st->failed = n;
	return RIV_OK;
}

/*
 * Fill a state from its JSON form (see ima_state_write).  RIV_OK, or
 * RIV_MALFORMED naming the member; the state is then to be started again.
 */
int
ima_state_from_json(const struct json *doc, struct ima_state *st,
    struct riv_err *err)
{
	uint32_t rows[IMA_RULES] = { 0 }, opt[IMA_RULES] = { 0 }, mask;
	const struct json *v, *q;
	char why[RIV_ERR_MAX];
	unsigned long long n;
	int b, r, have, rc;

	if (doc == NULL || doc->type != JSON_OBJECT)
		return err_set(err, RIV_MALFORMED, "expected a JSON object");
	if (json_uint(json_get(doc, "version"), 1000, &n) == -1 || n != 2)
		return err_set(err, RIV_MALFORMED, "version: expected 2");
	if (json_uint(json_get(doc, "next"), UINT64_MAX - 1, &n) == -1)
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
	    (st->next > 0) != (st->list_bank >= 0) ||
	    (st->list_bank >= 0 && !(mask & (1u << st->list_bank))))
		return err_set(err, RIV_MALFORMED, "list_bank: expected a "
		    "replayed bank (null only before entry 0)");
	v = json_get(doc, "big_endian");
	if (v != NULL && v->type != JSON_NULL && v->type != JSON_TRUE &&
	    v->type != JSON_FALSE)
		return err_set(err, RIV_MALFORMED, "big_endian: expected "
		    "true, false or null");
	st->big_endian = v == NULL || v->type == JSON_NULL ? -1 :
	    v->type == JSON_TRUE;
	if (get_rules(json_get(doc, "rules"), mask, 1, st->rules) == -1)
		return err_set(err, RIV_MALFORMED, "rules: expected the rules "
		    "of every replayed bank");
	for (b = 0; b < BANK_COUNT; b++) {
		if (!(mask & (1u << b)))
			continue;
		if ((st->rules[b] & initial_rules(b, st->list_bank)) !=
		    st->rules[b])
			return err_set(err, RIV_MALFORMED, "rules: %s cannot "
			    "follow these rules", bank_get(b)->name);
		for (r = 0; r < IMA_RULES; r++)
			if (st->rules[b] & (1u << r)) {
				if (r == IMA_RULE_PADFF && (st->rules[b] &
				    (1u << IMA_RULE_PAD)))
					opt[r] |= 1u << b;
				else
					rows[r] |= 1u << b;
			}
	}
	if (get_values(json_get(doc, "pcrs"), st->val, rows, opt,
	    &st->touched, why, sizeof(why)) == -1)
		return err_set(err, RIV_MALFORMED, "pcrs: %.400s", why);
	if ((st->next > 0) != (st->touched != 0))
		return err_set(err, RIV_MALFORMED, "pcrs: %s",
		    st->next > 0 ? "missing" : "values before entry 0");
	for (b = 0; b < BANK_COUNT; b++)
		if (rows[IMA_RULE_PADFF] & (1u << b))
			st->pad_split |= 1u << b;
	v = json_get(doc, "boot_aggregate");
	if (v != NULL && v->type != JSON_NULL && ((v->type != JSON_TRUE &&
	    v->type != JSON_FALSE) || st->next == 0))
		return err_set(err, RIV_MALFORMED, "boot_aggregate: expected "
		    "true or false (whether entry 0 was boot_aggregate), or "
		    "null before entry 0");
	st->aggregate = v == NULL || v->type == JSON_NULL ? -1 :
	    v->type == JSON_TRUE;
	if ((rc = get_failures(json_get(doc, "failures"), st, err)) != RIV_OK)
		return rc;
	if ((q = json_get(doc, "quote")) == NULL || q->type != JSON_OBJECT)
		return err_set(err, RIV_MALFORMED, "quote: expected an object");
	if ((rc = get_ckpt(json_get(q, "checkpoint"), st, err)) != RIV_OK)
		return rc;
	if (get_index(json_get(q, "pending"), st->next, &have,
	    &st->last_pending) == -1 || have != st->have_ckpt)
		return err_set(err, RIV_MALFORMED, "quote.pending: expected a "
		    "count of entries, null without a checkpoint");
	if (json_uint(json_get(q, "lag_growth"), 1000000, &n) == -1)
		return err_set(err, RIV_MALFORMED, "quote.lag_growth: "
		    "expected a number");
	st->lag_growth = (unsigned)n;
	return get_history(json_get(q, "history"), st, err);
}
