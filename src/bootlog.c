/*
 * bootlog.c — parse and replay a TCG PC Client measured-boot event log.
 *
 * Formats (TCG PC Client Platform Firmware Profile (PFP) 1.05, section 10):
 *
 *   legacy  TCG_PCClientPCREvent: pcrIndex u32, eventType u32, SHA1
 *           digest[20], eventDataSize u32, event[eventDataSize].
 *   agile   a first event in the legacy layout, EV_NO_ACTION, whose data
 *           is a TCG_EfiSpecIDEvent with signature "Spec ID Event03"
 *           (section 10.4.5.1), then TCG_PCR_EVENT2: pcrIndex u32,
 *           eventType u32, TPML_DIGEST_VALUES (count u32, count x
 *           {algId u16, digest}), eventSize u32, event[eventSize].  The
 *           digest sizes come from the Spec ID event's table: an
 *           algorithm rivd does not know is skipped with that size, an
 *           algorithm absent from the table is malformed.
 *
 * All integers are little-endian.
 *
 * Replay rules:
 *
 *   - Every PCR starts at zero, except PCR 0 as below.
 *   - EV_NO_ACTION events are never extended (PFP 10.4.5).
 *   - Startup Locality event (PFP 10.4.5.3): an EV_NO_ACTION whose data
 *     is "StartupLocality\0" and one byte.  It sets the starting value
 *     of PCR 0 in every bank to zeros with the locality as last byte.
 *     The spec places it "before any event which extends PCR[0]" so a
 *     verifier can initialise PCR[0]; one after a PCR 0 extension, a
 *     second one, or one of another size is malformed.
 *   - H-CRTM (PFP 1.05 section 3.3.4.1 and table 9 EV_EFI_HCRTM_EVENT,
 *     with TPM 2.0 Library Part 1 "H-CRTM Event Sequence"): when the
 *     H-CRTM measures before TPM2_Startup, _TPM_Hash_End resets PCR[0]
 *     to 0...04 ("evidence that the initial measurement was from an
 *     H-CRTM") and extends the H-CRTM digest into it; the firmware logs
 *     that digest as an EV_EFI_HCRTM_EVENT (data "HCRTM") on PCR 0.  So
 *     an EV_EFI_HCRTM_EVENT on PCR 0 sets PCR 0 in every bank to 0...04
 *     (whatever locality a Startup Locality event gave) and is then
 *     extended as usual.  Because the reset happens before TPM2_Startup,
 *     an H-CRTM event after another PCR 0 extension cannot be genuine
 *     and is malformed (accepting it would let a log hide earlier PCR 0
 *     events).  On other PCRs the event type is extended like any other.
 *   - Events on PCR index 0xFFFFFFFF are not extended; other indexes
 *     above 23 are malformed.
 *   - An event that carries no digest for a bank of the Spec ID event
 *     (PFP requires one per active bank, but Windows boot manager events
 *     on PCRs 11-14 may carry only SHA-256, and fixtures declare banks
 *     they never fill) is extended in the banks it carries; its PCR is
 *     incomplete in the others, which then have no replayed value for it
 *     (struct bootlog incomplete[], with the first such event).  An event
 *     that extends a PCR with no digest at all (count 0) is malformed:
 *     no firmware logs one, and a run of zero bytes would parse as such
 *     events.
 *   - Padding: when, at an event boundary of a complete log, every
 *     remaining byte is 0x00, or every remaining byte is 0xFF, the log
 *     ends there (firmware hands out a fixed-size area).  A mix of the
 *     two, or anything else, is parsed as an event and so must be one.
 *     Incremental feeding recognises padding only when told the input
 *     is final.
 *
 * Known firmware defects (quirks): the replay above is exact.  A platform
 * that extends events it does not log makes a PCR differ from the replay;
 * bootlog_match() then tries each known defect (the quirks table: which
 * events, into which PCR, after every logged event of that PCR) and names
 * the one whose tolerant replay equals the given value exactly in every
 * compared bank.  A quirk whose events the log does hold does not apply.
 * Whether a named quirk is acceptable is the reference values' decision
 * (rivd-reference(5)), not the replay's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootlog.h"

#define LEGACY_HDR	32	/* pcr, type, sha1 digest, size */
#define AGILE_HDR	12	/* pcr, type, digest count */
#define SPECID_SIG	"Spec ID Event03"	/* 16 bytes with its NUL */
#define SPECID_FIXED	28	/* signature .. numberOfAlgorithms */
#define LOCALITY_SIG	"StartupLocality"	/* 16 bytes with its NUL */
#define SIG_LEN		16
#define NEED_MORE	(-1)	/* internal: the chunk ends inside an event */

#define EBS_INVOCATION	"Exit Boot Services Invocation"
#define EBS_SUCCESS	"Exit Boot Services Returned with Success"
#define EBS_FAILURE	"Exit Boot Services Returned with Failure"

/*
 * Known firmware defects, as go-attestation tolerates them
 * (attest/eventlog_workarounds.go): the two or three EV_EFI_ACTION events
 * of ExitBootServices() extended into PCR 5 (PFP 1.05 section 10.4.4) but
 * missing from the log the OS reads.  rivd-reference(5) says why.
 */
static const struct bootlog_quirk quirks[] = {
	{ "ebs-unlogged", 5, EV_EFI_ACTION, 2,
	    { EBS_INVOCATION, EBS_SUCCESS, NULL } },
	{ "ebs-unlogged", 5, EV_EFI_ACTION, 2,
	    { EBS_INVOCATION, EBS_FAILURE, NULL } },
	{ "ebs-unlogged", 5, EV_EFI_ACTION, 3,
	    { EBS_INVOCATION, EBS_FAILURE, EBS_SUCCESS } },
};
#define NQUIRKS	(sizeof(quirks) / sizeof(quirks[0]))

struct event_type {
	uint32_t	 type;
	const char	*name;
};

/* PFP 1.05/1.06 table 9 and the SPDM events of PFP 1.06. */
static const struct event_type event_types[] = {
	{ 0x00000000, "EV_PREBOOT_CERT" },
	{ 0x00000001, "EV_POST_CODE" },
	{ 0x00000002, "EV_UNUSED" },
	{ 0x00000003, "EV_NO_ACTION" },
	{ 0x00000004, "EV_SEPARATOR" },
	{ 0x00000005, "EV_ACTION" },
	{ 0x00000006, "EV_EVENT_TAG" },
	{ 0x00000007, "EV_S_CRTM_CONTENTS" },
	{ 0x00000008, "EV_S_CRTM_VERSION" },
	{ 0x00000009, "EV_CPU_MICROCODE" },
	{ 0x0000000a, "EV_PLATFORM_CONFIG_FLAGS" },
	{ 0x0000000b, "EV_TABLE_OF_DEVICES" },
	{ 0x0000000c, "EV_COMPACT_HASH" },
	{ 0x0000000d, "EV_IPL" },
	{ 0x0000000e, "EV_IPL_PARTITION_DATA" },
	{ 0x0000000f, "EV_NONHOST_CODE" },
	{ 0x00000010, "EV_NONHOST_CONFIG" },
	{ 0x00000011, "EV_NONHOST_INFO" },
	{ 0x00000012, "EV_OMIT_BOOT_DEVICE_EVENTS" },
	{ 0x00000013, "EV_POST_CODE2" },
	{ 0x80000000, "EV_EFI_EVENT_BASE" },
	{ 0x80000001, "EV_EFI_VARIABLE_DRIVER_CONFIG" },
	{ 0x80000002, "EV_EFI_VARIABLE_BOOT" },
	{ 0x80000003, "EV_EFI_BOOT_SERVICES_APPLICATION" },
	{ 0x80000004, "EV_EFI_BOOT_SERVICES_DRIVER" },
	{ 0x80000005, "EV_EFI_RUNTIME_SERVICES_DRIVER" },
	{ 0x80000006, "EV_EFI_GPT_EVENT" },
	{ 0x80000007, "EV_EFI_ACTION" },
	{ 0x80000008, "EV_EFI_PLATFORM_FIRMWARE_BLOB" },
	{ 0x80000009, "EV_EFI_HANDOFF_TABLES" },
	{ 0x8000000a, "EV_EFI_PLATFORM_FIRMWARE_BLOB2" },
	{ 0x8000000b, "EV_EFI_HANDOFF_TABLES2" },
	{ 0x8000000c, "EV_EFI_VARIABLE_BOOT2" },
	{ 0x8000000d, "EV_EFI_GPT_EVENT2" },
	{ 0x80000010, "EV_EFI_HCRTM_EVENT" },
	{ 0x800000e0, "EV_EFI_VARIABLE_AUTHORITY" },
	{ 0x800000e1, "EV_EFI_SPDM_FIRMWARE_BLOB" },
	{ 0x800000e2, "EV_EFI_SPDM_FIRMWARE_CONFIG" },
	{ 0x800000e3, "EV_EFI_SPDM_DEVICE_POLICY" },
	{ 0x800000e4, "EV_EFI_SPDM_DEVICE_AUTHORITY" },
};

/* Return the PC Client name of an event type, or NULL if unknown. */
const char *
bootlog_event_type_name(uint32_t type)
{
	size_t i;

	for (i = 0; i < sizeof(event_types) / sizeof(event_types[0]); i++)
		if (event_types[i].type == type)
			return event_types[i].name;
	return NULL;
}

/* Read a little-endian 16-bit integer. */
static uint16_t
get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Read a little-endian 32-bit integer. */
static uint32_t
get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* Prepare a state for the first byte of a log. */
void
bootlog_init(struct bootlog_state *st)
{
	memset(st, 0, sizeof(*st));
	st->format = BOOTLOG_LEGACY;
	st->startup_locality = -1;
	pcrset_init(&st->pcrs);
}

/* Tell whether len (> 0) bytes are all 0x00 or all 0xFF. */
static int
is_padding(const uint8_t *p, size_t len)
{
	size_t i;

	if (len == 0 || (p[0] != 0x00 && p[0] != 0xff))
		return 0;
	for (i = 1; i < len; i++)
		if (p[i] != p[0])
			return 0;
	return 1;
}

/* Tell whether event data begins with a 16-byte signature. */
static int
has_signature(const uint8_t *data, size_t len, const char *sig)
{
	return len >= SIG_LEN && memcmp(data, sig, SIG_LEN) == 0;
}

/* Record an algorithm of the Spec ID table. */
static int
add_alg(struct bootlog_state *st, uint16_t alg, uint16_t size, size_t foff,
    struct riv_err *err)
{
	const struct bank *bk;
	size_t i;
	int b;

	for (i = 0; i < st->nalgs; i++)
		if (st->algs[i].alg == alg)
			return err_set(err, RIV_MALFORMED, "event 0 at byte "
			    "offset 0: Spec ID event lists algorithm 0x%04x "
			    "twice (byte offset %zu)", alg, foff);
	b = bank_by_alg(alg);
	if (b >= 0 && (bk = bank_get(b))->size != size)
		return err_set(err, RIV_MALFORMED, "event 0 at byte offset 0: "
		    "Spec ID event gives %s a digest size of %u, not %zu "
		    "(byte offset %zu)", bk->name, size, bk->size, foff + 2);
	if (size == 0 || size > BOOTLOG_DIGEST_SKIP_MAX)
		return err_set(err, RIV_MALFORMED, "event 0 at byte offset 0: "
		    "Spec ID event gives algorithm 0x%04x a digest size of %u "
		    "(1-%d expected, byte offset %zu)", alg, size,
		    BOOTLOG_DIGEST_SKIP_MAX, foff + 2);
	st->algs[st->nalgs].alg = alg;
	st->algs[st->nalgs].size = size;
	st->algs[st->nalgs].bank = b;
	st->nalgs++;
	if (b >= 0) {
		st->bank_mask |= 1u << b;
		if (bank_available(b))
			st->replay_mask |= 1u << b;
	}
	return RIV_OK;
}

/*
 * Read the TCG_EfiSpecIDEvent of the first event (data at log offset doff):
 * the digest table, whose sizes and vendor info must fill the event exactly.
 */
static int
parse_specid(struct bootlog_state *st, const uint8_t *d, size_t len,
    size_t doff, struct riv_err *err)
{
	uint32_t n, i;
	size_t need, vsize;
	int rc;

	if (len < SPECID_FIXED)
		return err_set(err, RIV_MALFORMED, "event 0 at byte offset 0: "
		    "Spec ID event of %zu bytes is shorter than its %d-byte "
		    "header", len, SPECID_FIXED);
	n = get_le32(d + 24);
	if (n == 0 || n > BOOTLOG_ALGS_MAX)
		return err_set(err, RIV_MALFORMED, "event 0 at byte offset 0: "
		    "Spec ID event numberOfAlgorithms %u at byte offset %zu "
		    "(1-%d accepted)", n, doff + 24, BOOTLOG_ALGS_MAX);
	need = SPECID_FIXED + 4 * (size_t)n + 1;
	if (len < need)
		return err_set(err, RIV_MALFORMED, "event 0 at byte offset 0: "
		    "Spec ID event of %zu bytes cannot hold %u algorithms and "
		    "vendorInfoSize (%zu bytes)", len, n, need);
	vsize = d[need - 1];
	if (need + vsize != len)
		return err_set(err, RIV_MALFORMED, "event 0 at byte offset 0: "
		    "Spec ID event vendorInfoSize %zu at byte offset %zu "
		    "disagrees with the event size %zu (expected %zu)", vsize,
		    doff + need - 1, len, len - need);
	for (i = 0; i < n; i++) {
		rc = add_alg(st, get_le16(d + SPECID_FIXED + 4 * i),
		    get_le16(d + SPECID_FIXED + 4 * i + 2),
		    doff + SPECID_FIXED + 4 * i, err);
		if (rc != RIV_OK)
			return rc;
	}
	st->format = BOOTLOG_AGILE;
	return RIV_OK;
}

/*
 * Report the event starting at off as truncated (final input) or ask for
 * more bytes.
 */
static int
need_more(const struct bootlog_state *st, int final, size_t off,
    const char *what, size_t need, size_t have, struct riv_err *err)
{
	if (!final)
		return NEED_MORE;
	return err_set(err, RIV_MALFORMED, "event %u at byte offset %zu: "
	    "truncated: %s needs %zu bytes, only %zu remain", st->nevents,
	    off, what, need, have);
}

/* Check the PCR index and event data size of an event header. */
static int
check_header(const struct bootlog_state *st, const struct bootlog_event *ev,
    size_t size_off, struct riv_err *err)
{
	if (ev->pcr >= PCR_COUNT && ev->pcr != BOOTLOG_PCR_NONE)
		return err_set(err, RIV_MALFORMED, "event %u at byte offset "
		    "%zu: PCR index %u out of range (0-%d or 0xffffffff)",
		    st->nevents, ev->offset, ev->pcr, PCR_COUNT - 1);
	if (ev->data_len > BOOTLOG_DATA_MAX)
		return err_set(err, RIV_MALFORMED, "event %u at byte offset "
		    "%zu: event data size %u at byte offset %zu exceeds the "
		    "limit of %u", st->nevents, ev->offset, ev->data_len,
		    size_off, BOOTLOG_DATA_MAX);
	return RIV_OK;
}

/*
 * Read one legacy-layout event from p (len bytes, at log offset off).
 * Returns RIV_OK with *evlen set, NEED_MORE, or RIV_MALFORMED.
 */
static int
read_legacy(const struct bootlog_state *st, const uint8_t *p, size_t len,
    size_t off, int final, struct bootlog_event *ev, size_t *evlen,
    struct riv_err *err)
{
	int rc;

	if (len < LEGACY_HDR)
		return need_more(st, final, off, "event header", LEGACY_HDR,
		    len, err);
	ev->pcr = get_le32(p);
	ev->type = get_le32(p + 4);
	memcpy(ev->digests[BANK_SHA1], p + 8, 20);
	ev->bank_mask = 1u << BANK_SHA1;
	ev->data_len = get_le32(p + 28);
	if ((rc = check_header(st, ev, off + 28, err)) != RIV_OK)
		return rc;
	if (len - LEGACY_HDR < ev->data_len)
		return need_more(st, final, off, "event data",
		    ev->data_len, len - LEGACY_HDR, err);
	ev->data = p + LEGACY_HDR;
	*evlen = LEGACY_HDR + (size_t)ev->data_len;
	return RIV_OK;
}

/* Return the Spec ID table entry of an algorithm, or NULL. */
static const struct bootlog_alg *
find_alg(const struct bootlog_state *st, uint16_t alg)
{
	size_t i;

	for (i = 0; i < st->nalgs; i++)
		if (st->algs[i].alg == alg)
			return &st->algs[i];
	return NULL;
}

/* Read the TPML_DIGEST_VALUES at p[*pos] into ev. */
static int
read_digests(const struct bootlog_state *st, const uint8_t *p, size_t len,
    size_t off, int final, struct bootlog_event *ev, size_t *pos,
    struct riv_err *err)
{
	const struct bootlog_alg *a;
	uint32_t count, i, seen = 0;
	uint16_t alg;
	size_t k;

	count = get_le32(p + 8);
	if (count > st->nalgs)
		return err_set(err, RIV_MALFORMED, "event %u at byte offset "
		    "%zu: digest count %u at byte offset %zu exceeds the %zu "
		    "algorithms of the Spec ID event", st->nevents, off, count,
		    off + 8, st->nalgs);
	if (count == 0 && ev->type != EV_NO_ACTION &&
	    ev->pcr != BOOTLOG_PCR_NONE)
		return err_set(err, RIV_MALFORMED, "event %u at byte offset "
		    "%zu: digest count 0 at byte offset %zu, but the event "
		    "extends PCR %u", st->nevents, off, off + 8, ev->pcr);
	for (i = 0; i < count; i++) {
		if (len - *pos < 2)
			return need_more(st, final, off, "digest algorithm",
			    2, len - *pos, err);
		alg = get_le16(p + *pos);
		if ((a = find_alg(st, alg)) == NULL)
			return err_set(err, RIV_MALFORMED, "event %u at byte "
			    "offset %zu: digest algorithm 0x%04x at byte offset "
			    "%zu is not in the Spec ID event", st->nevents, off,
			    alg, off + *pos);
		k = (size_t)(a - st->algs);
		if (seen & (1u << k))
			return err_set(err, RIV_MALFORMED, "event %u at byte "
			    "offset %zu: digest algorithm 0x%04x repeated at "
			    "byte offset %zu", st->nevents, off, alg, off + *pos);
		seen |= 1u << k;
		*pos += 2;
		if (len - *pos < a->size)
			return need_more(st, final, off, "digest", a->size,
			    len - *pos, err);
		if (a->bank >= 0) {
			memcpy(ev->digests[a->bank], p + *pos, a->size);
			ev->bank_mask |= 1u << a->bank;
		}
		*pos += a->size;
	}
	return RIV_OK;
}

/* Read one TCG_PCR_EVENT2 (see read_legacy for the contract). */
static int
read_agile(const struct bootlog_state *st, const uint8_t *p, size_t len,
    size_t off, int final, struct bootlog_event *ev, size_t *evlen,
    struct riv_err *err)
{
	size_t pos = AGILE_HDR;
	int rc;

	if (len < AGILE_HDR)
		return need_more(st, final, off, "event header", AGILE_HDR,
		    len, err);
	ev->pcr = get_le32(p);
	ev->type = get_le32(p + 4);
	ev->bank_mask = 0;
	if ((rc = read_digests(st, p, len, off, final, ev, &pos, err)) !=
	    RIV_OK)
		return rc;
	if (len - pos < 4)
		return need_more(st, final, off, "event size", 4, len - pos,
		    err);
	ev->data_len = get_le32(p + pos);
	if ((rc = check_header(st, ev, off + pos, err)) != RIV_OK)
		return rc;
	pos += 4;
	if (len - pos < ev->data_len)
		return need_more(st, final, off, "event data", ev->data_len,
		    len - pos, err);
	ev->data = p + pos;
	*evlen = pos + ev->data_len;
	return RIV_OK;
}

/* Set PCR 0 of every replayed bank to zeros ending in the byte last. */
static void
set_pcr0_start(struct bootlog_state *st, uint8_t last)
{
	uint8_t v[DIGEST_MAX];
	size_t size;
	int b;

	for (b = 0; b < BANK_COUNT; b++) {
		if (!(st->replay_mask & (1u << b)))
			continue;
		size = bank_get(b)->size;
		memset(v, 0, size);
		v[size - 1] = last;
		pcrset_set(&st->pcrs, b, 0, v);
	}
}

/* Apply an EV_NO_ACTION event: only a Startup Locality event counts. */
static int
apply_no_action(struct bootlog_state *st, const struct bootlog_event *ev,
    struct riv_err *err)
{
	if (ev->number > 0 && ev->data_len >= SIG_LEN &&
	    memcmp(ev->data, SPECID_SIG, SIG_LEN - 3) == 0)
		return err_set(err, RIV_MALFORMED, "event %u at byte offset "
		    "%zu: a Spec ID event may only be the first event",
		    ev->number, ev->offset);
	if (!has_signature(ev->data, ev->data_len, LOCALITY_SIG))
		return RIV_OK;
	if (ev->data_len != SIG_LEN + 1)
		return err_set(err, RIV_MALFORMED, "event %u at byte offset "
		    "%zu: Startup Locality event of %u bytes (17 expected)",
		    ev->number, ev->offset, ev->data_len);
	if (st->startup_locality >= 0)
		return err_set(err, RIV_MALFORMED, "event %u at byte offset "
		    "%zu: second Startup Locality event", ev->number,
		    ev->offset);
	if (st->pcr0_extended)
		return err_set(err, RIV_MALFORMED, "event %u at byte offset "
		    "%zu: Startup Locality event after PCR 0 was extended",
		    ev->number, ev->offset);
	st->startup_locality = ev->data[SIG_LEN];
	set_pcr0_start(st, ev->data[SIG_LEN]);
	return RIV_OK;
}

/*
 * Note that an event extends its PCR without a digest for bank b: the PCR
 * is incomplete in that bank from now on.
 */
static void
note_gap(struct bootlog_state *st, int b, const struct bootlog_event *ev)
{
	if (st->incomplete[b] & (1u << ev->pcr))
		return;
	st->incomplete[b] |= 1u << ev->pcr;
	st->gap[b][ev->pcr].event = ev->number;
	st->gap[b][ev->pcr].offset = ev->offset;
}

/*
 * Tell whether event data is the string s, with or without trailing NULs
 * (PFP wants EV_EFI_ACTION strings without one; some firmware adds it).
 */
static int
data_is_string(const uint8_t *data, size_t len, const char *s)
{
	size_t n = strlen(s), i;

	if (len < n || memcmp(data, s, n) != 0)
		return 0;
	for (i = n; i < len; i++)
		if (data[i] != 0)
			return 0;
	return 1;
}

/* Note the quirks an extended event shows the firmware did log. */
static void
note_quirk_events(struct bootlog_state *st, const struct bootlog_event *ev)
{
	size_t i, j;

	for (i = 0; i < NQUIRKS; i++) {
		if (quirks[i].pcr != ev->pcr || quirks[i].type != ev->type)
			continue;
		for (j = 0; j < quirks[i].nextends; j++)
			if (data_is_string(ev->data, ev->data_len,
			    quirks[i].extends[j]))
				st->quirk_logged |= 1u << i;
	}
}

/*
 * Apply one event to the replayed PCRs; sets ev->extended and
 * ev->missing_mask.  A bank the event carries no digest for is not
 * extended: its PCR becomes incomplete.
 */
static int
apply_event(struct bootlog_state *st, struct bootlog_event *ev,
    struct riv_err *err)
{
	int b;

	ev->extended = 0;
	ev->missing_mask = 0;
	if (ev->type == EV_NO_ACTION)
		return apply_no_action(st, ev, err);
	if (ev->pcr == BOOTLOG_PCR_NONE)
		return RIV_OK;
	ev->missing_mask = st->bank_mask & ~ev->bank_mask;
	if (ev->type == EV_EFI_HCRTM_EVENT && ev->pcr == 0) {
		if (st->pcr0_extended)
			return err_set(err, RIV_MALFORMED, "event %u at byte "
			    "offset %zu: H-CRTM event after PCR 0 was "
			    "extended", ev->number, ev->offset);
		st->hcrtm = 1;
		set_pcr0_start(st, 4);
	}
	for (b = 0; b < BANK_COUNT; b++) {
		if (!(st->replay_mask & (1u << b)))
			continue;
		st->pcrs.mask[b] |= 1u << ev->pcr;
		if (ev->missing_mask & (1u << b)) {
			note_gap(st, b, ev);
			continue;
		}
		if (bank_extend(b, st->pcrs.val[b][ev->pcr],
		    ev->digests[b]) == -1)
			return err_set(err, RIV_MALFORMED, "event %u at byte "
			    "offset %zu: %s extend failed", ev->number,
			    ev->offset, bank_get(b)->name);
	}
	if (ev->pcr == 0)
		st->pcr0_extended = 1;
	note_quirk_events(st, ev);
	ev->extended = 1;
	return RIV_OK;
}

/*
 * Read the first event, which decides the format: the legacy layout
 * always, a Spec ID Event03 making the rest of the log crypto-agile.
 */
static int
read_first(struct bootlog_state *st, const uint8_t *p, size_t len, int final,
    struct bootlog_event *ev, size_t *evlen, struct riv_err *err)
{
	int rc;

	rc = read_legacy(st, p, len, 0, final, ev, evlen, err);
	if (rc != RIV_OK)
		return rc;
	if (ev->type == EV_NO_ACTION &&
	    has_signature(ev->data, ev->data_len, SPECID_SIG)) {
		if ((rc = parse_specid(st, ev->data, ev->data_len, LEGACY_HDR,
		    err)) != RIV_OK)
			return rc;
	} else {
		st->bank_mask = 1u << BANK_SHA1;
		if (bank_available(BANK_SHA1))
			st->replay_mask = 1u << BANK_SHA1;
	}
	/* PCR 0 starts at zero in every replayed bank until told otherwise. */
	return RIV_OK;
}

/*
 * Feed len bytes that start at the next unparsed byte of the log (offset
 * st->offset).  Complete events are applied (and passed to cb); *used
 * receives the bytes consumed.  Unless final, an incomplete event at the
 * end is left for the next call; if final, it is an error and trailing
 * padding ends the log.  Returns RIV_OK, RIV_MALFORMED (err names the
 * event number and byte offset) or a callback's non-zero value.
 */
int
bootlog_feed(struct bootlog_state *st, const uint8_t *buf, size_t len,
    int final, size_t *used, bootlog_cb cb, void *arg, struct riv_err *err)
{
	struct bootlog_event ev;
	size_t pos = 0, evlen = 0;
	int rc;

	*used = 0;
	if (final && len == 0 && !st->started)
		return err_set(err, RIV_MALFORMED, "empty log: no events");
	while (pos < len) {
		if (final && is_padding(buf + pos, len - pos)) {
			if (!st->started)
				return err_set(err, RIV_MALFORMED, "event 0 at "
				    "byte offset %zu: log holds only 0x%02x "
				    "padding", st->offset, buf[pos]);
			break;
		}
		memset(&ev, 0, sizeof(ev));
		ev.number = st->nevents;
		ev.offset = st->offset;
		if (!st->started)
			rc = read_first(st, buf + pos, len - pos, final, &ev,
			    &evlen, err);
		else if (st->format == BOOTLOG_AGILE)
			rc = read_agile(st, buf + pos, len - pos, st->offset,
			    final, &ev, &evlen, err);
		else
			rc = read_legacy(st, buf + pos, len - pos, st->offset,
			    final, &ev, &evlen, err);
		if (rc == NEED_MORE)
			break;
		if (rc != RIV_OK)
			return rc;
		st->started = 1;
		if ((rc = apply_event(st, &ev, err)) != RIV_OK)
			return rc;
		pos += evlen;
		st->offset += evlen;
		st->nevents++;
		*used = pos;
		if (cb != NULL && (rc = cb(&ev, arg)) != 0) {
			err_set(err, rc, "event %u at byte offset %zu: "
			    "stopped by the caller", ev.number, ev.offset);
			return rc;
		}
	}
	return RIV_OK;
}

/* Fill out with the replay so far. */
void
bootlog_result(const struct bootlog_state *st, struct bootlog *out)
{
	size_t i;
	int b;

	memset(out, 0, sizeof(*out));
	out->format = st->format;
	out->bank_mask = st->bank_mask;
	out->unavailable_mask = st->bank_mask & ~st->replay_mask;
	for (i = 0; i < st->nalgs; i++)
		if (st->algs[i].bank < 0)
			out->unknown_algs[out->nunknown_algs++] =
			    st->algs[i].alg;
	out->nevents = st->nevents;
	out->startup_locality = st->startup_locality;
	out->hcrtm = st->hcrtm;
	out->length = st->offset;
	out->pcrs = st->pcrs;
	for (b = 0; b < BANK_COUNT; b++)
		out->pcrs.mask[b] &= ~st->incomplete[b];
	memcpy(out->incomplete, st->incomplete, sizeof(out->incomplete));
	memcpy(out->gap, st->gap, sizeof(out->gap));
	out->quirk_logged = st->quirk_logged;
}

/* Parse and replay a whole log held in buf; see bootlog_feed. */
int
bootlog_replay(const uint8_t *buf, size_t len, struct bootlog *out,
    bootlog_cb cb, void *arg, struct riv_err *err)
{
	struct bootlog_state *st;
	size_t used;
	int rc;

	/* The state holds every PCR of every bank: keep it off the stack. */
	if ((st = malloc(sizeof(*st))) == NULL)
		return err_set(err, RIV_MALFORMED, "out of memory");
	bootlog_init(st);
	rc = bootlog_feed(st, buf, len, 1, &used, cb, arg, err);
	if (rc == RIV_OK)
		bootlog_result(st, out);
	free(st);
	return rc;
}

/*
 * Tell whether a replay has no value for PCR pcr of bank because an event
 * lacked the bank's digest; if so and why is not NULL, say which event.
 */
int
bootlog_incomplete(const struct bootlog *log, int bank, unsigned pcr,
    char *why, size_t len)
{
	const struct bootlog_gap *g;

	if (bank < 0 || bank >= BANK_COUNT || pcr >= PCR_COUNT ||
	    !(log->incomplete[bank] & (1u << pcr)))
		return 0;
	g = &log->gap[bank][pcr];
	if (why != NULL)
		snprintf(why, len, "the boot log is incomplete for %s PCR %u: "
		    "event %u at byte offset %zu carries no %s digest",
		    bank_get(bank)->name, pcr, g->event, g->offset,
		    bank_get(bank)->name);
	return 1;
}

/* Write {"sha1":[12,13],...}: the incomplete PCRs of each bank. */
void
bootlog_incomplete_json(FILE *f, const struct bootlog *log)
{
	int b, first = 1, k;
	unsigned p;

	fputc('{', f);
	for (b = 0; b < BANK_COUNT; b++) {
		if (log->incomplete[b] == 0)
			continue;
		fprintf(f, "%s\"%s\":[", first ? "" : ",", bank_get(b)->name);
		for (p = 0, k = 0; p < PCR_COUNT; p++)
			if (log->incomplete[b] & (1u << p))
				fprintf(f, "%s%u", k++ ? "," : "", p);
		fputc(']', f);
		first = 0;
	}
	fputc('}', f);
}

/* Return how many entries the quirk table has. */
size_t
bootlog_quirk_count(void)
{
	return NQUIRKS;
}

/* Return entry i of the quirk table, or NULL. */
const struct bootlog_quirk *
bootlog_quirk_get(size_t i)
{
	return i < NQUIRKS ? &quirks[i] : NULL;
}

/* Tell whether name is the name of a known quirk. */
int
bootlog_quirk_known(const char *name)
{
	size_t i;

	for (i = 0; i < NQUIRKS; i++)
		if (strcmp(quirks[i].name, name) == 0)
			return 1;
	return 0;
}

/*
 * Write into out the replay with quirk i's unlogged events extended after
 * the logged ones, in every bank with a replayed value for its PCR.
 * Returns -1 (out unspecified) when the quirk cannot apply: unknown, the
 * log holds one of its events, or no bank has a value for its PCR.
 */
int
bootlog_quirk_apply(const struct bootlog *log, size_t i, struct pcrset *out)
{
	const struct bootlog_quirk *q;
	uint8_t d[DIGEST_MAX];
	size_t j;
	int b, any = 0;

	if (i >= NQUIRKS || (log->quirk_logged & (1u << i)))
		return -1;
	q = &quirks[i];
	*out = log->pcrs;
	for (b = 0; b < BANK_COUNT; b++) {
		if (!pcrset_has(out, b, q->pcr))
			continue;
		for (j = 0; j < q->nextends; j++)
			if (bank_hash(b, q->extends[j], strlen(q->extends[j]),
			    d) == -1 ||
			    bank_extend(b, out->val[b][q->pcr], d) == -1)
				return -1;
		any = 1;
	}
	return any ? 0 : -1;
}

/*
 * Compare replayed values with given ones where both exist: set compared
 * and mismatched, return the number of mismatches.
 */
static size_t
compare_pcrs(const struct pcrset *rep, const struct pcrset *want,
    uint32_t *compared, uint32_t *mismatched, size_t *ncompared)
{
	size_t n = 0, bad = 0;
	unsigned p;
	int b;

	for (b = 0; b < BANK_COUNT; b++) {
		compared[b] = mismatched[b] = 0;
		for (p = 0; p < PCR_COUNT; p++) {
			if (!pcrset_has(rep, b, p) || !pcrset_has(want, b, p))
				continue;
			compared[b] |= 1u << p;
			n++;
			if (memcmp(pcrset_get(rep, b, p), pcrset_get(want, b, p),
			    bank_get(b)->size) != 0) {
				mismatched[b] |= 1u << p;
				bad++;
			}
		}
	}
	*ncompared = n;
	return bad;
}

/*
 * Hold the replay against given PCR values (a quote's): every PCR with both
 * a replayed and a given value is compared (incomplete PCRs have no
 * replayed value).  When some differ, each quirk is tried, and the first
 * whose tolerant replay makes every compared PCR equal is named in m.
 * Returns RIV_OK when everything compared matched (m->quirk says whether a
 * quirk was needed), RIV_FAIL when something differs or nothing could be
 * compared.
 */
int
bootlog_match(const struct bootlog *log, const struct pcrset *want,
    struct bootlog_match *m)
{
	uint32_t c[BANK_COUNT], mm[BANK_COUNT];
	struct pcrset alt;
	size_t i, n;

	memset(m, 0, sizeof(*m));
	m->quirk = -1;
	m->pcrs = log->pcrs;
	if (compare_pcrs(&log->pcrs, want, m->compared, m->mismatched,
	    &m->ncompared) == 0) {
		m->matched = m->ncompared > 0;
		return m->matched ? RIV_OK : RIV_FAIL;
	}
	for (i = 0; i < NQUIRKS; i++) {
		if (bootlog_quirk_apply(log, i, &alt) == -1 ||
		    compare_pcrs(&alt, want, c, mm, &n) != 0)
			continue;
		m->matched = 1;
		m->quirk = (int)i;
		m->pcrs = alt;
		return RIV_OK;
	}
	return RIV_FAIL;
}

/* Write quirk i as {"name":..,"pcr":..,"extends":[..]}. */
void
bootlog_quirk_json(FILE *f, size_t i)
{
	const struct bootlog_quirk *q = &quirks[i];
	size_t j;

	fprintf(f, "{\"name\":");
	json_put_string(f, q->name);
	fprintf(f, ",\"pcr\":%u,\"extends\":[", q->pcr);
	for (j = 0; j < q->nextends; j++) {
		if (j > 0)
			fputc(',', f);
		json_put_string(f, q->extends[j]);
	}
	fprintf(f, "]}");
}
