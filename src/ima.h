/*
 * ima.h — Linux IMA measurement lists (binary_runtime_measurements and the
 * ASCII form): parsing, template decoding, incremental PCR replay.
 *
 * The entry structure below is the contract between the parser/replayer
 * (ima.c) and the runtime policy (ima_policy.c).  Pointers in an entry point
 * into the list buffer (or a buffer owned by the parser) and are valid only
 * for the duration of the callback or until the next entry is read.
 *
 * Use: ima_reader_open() a list (or a tail of one), ima_reader_next() its
 * entries, ima_state_apply() each to a replay state; or ima_feed(), which
 * does all three and calls back per entry.  A state is written and read as
 * JSON with ima_state_write()/ima_state_from_json(), so appraising entries
 * N..M from a saved state gives the same PCR values as replaying the list
 * from entry 0; fed the whole list again, a state re-extends the entries it
 * covers with their logged digests and refuses a list of another boot.
 * Until a quote shows how the attester's kernel extends its non-SHA1 banks
 * (enum ima_rule), every possible rule is replayed.  ima_quote_check()
 * finds the entry a quote covers in every PCR the list extends (the quote
 * may lag the list) and tracks a growing lag across calls.  The kernel
 * always measures boot_aggregate first; the state records whether entry 0
 * was boot_aggregate (aggregate), since a list without it is not bound to
 * the boot: the caller (or the policy, ima_appraise_entry) decides.
 */
#ifndef RIV_IMA_H
#define RIV_IMA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bank.h"
#include "json.h"
#include "pcrset.h"
#include "util.h"

#define IMA_NAME_MAX		255	/* template name */
#define IMA_DIGEST_MAX		64	/* largest file digest */
#define IMA_ALGO_MAX		31	/* hash algorithm name in d-ng */
#define IMA_FIELDS_MAX		15	/* fields of a template (kernel) */
#define IMA_EVENT_NAME_MAX	255	/* 'n' field of the "ima" template */
#define IMA_TEMPLATE_DATA_MAX	(16u * 1024 * 1024)	/* one entry's data */
#define IMA_CHUNK		(256u * 1024)	/* ima_feed_source window */
#define IMA_PCR			10	/* the PCR IMA extends by default */
#define IMA_HISTORY_MAX		512	/* entries kept for lagging quotes */
#define IMA_HIST_COLS		4	/* (bank, rule) values kept per entry */
#define IMA_LAG_CHECKS		3	/* growing lags in a row that flag */
#define IMA_PCR_KERNEL_MAX	63	/* IMA's pcr= limit (INVALID_PCR on
					   64-bit kernels) */

/* One measurement, decoded. */
struct ima_entry {
	uint64_t	 index;		/* position in the list, from 0 */
	size_t		 offset;	/* byte offset (binary) or line (ASCII) */
	uint32_t	 pcr;
	const uint8_t	*template_digest;	/* as logged */
	size_t		 template_digest_len;
	char		 template_name[IMA_NAME_MAX + 1];
	const uint8_t	*template_data;	/* the hashed template data */
	size_t		 template_data_len;
	int		 violation;	/* logged digest is all zero */

	/* Fields decoded from the template data; absent ones are NULL/0. */
	char		 file_algo[32];	/* "sha256", "sha1" (d: implied sha1/md5) */
	const uint8_t	*file_digest;
	size_t		 file_digest_len;
	const char	*path;		/* n / n-ng, not NUL ended */
	size_t		 path_len;
	const uint8_t	*sig;		/* sig: IMA signature (xattr form) */
	size_t		 sig_len;
	const uint8_t	*buf;		/* buf: measured buffer (ima-buf) */
	size_t		 buf_len;
	const uint8_t	*modsig;	/* modsig: appended signature */
	size_t		 modsig_len;

	/* Added by ima.c (not used by the policy contract above). */
	size_t		 byte_offset;	/* byte offset of the entry, always */
	int		 legacy;	/* "ima" template: template_data is
					   d[20] | u32 len | name (no NUL), and
					   hashes as d | name zero-padded to
					   256 bytes */
	char		 digest_type[8];	/* d-ngv2: "ima" or "verity" */
	char		 modsig_algo[32];	/* d-modsig */
	const uint8_t	*modsig_digest;
	size_t		 modsig_digest_len;
	const uint8_t	*evmsig;	/* evmsig: EVM portable signature */
	size_t		 evmsig_len;
	const uint8_t	*xattrnames;	/* xattrnames ('|' separated) */
	size_t		 xattrnames_len;
	const uint8_t	*xattrlengths;
	size_t		 xattrlengths_len;
	const uint8_t	*xattrvalues;
	size_t		 xattrvalues_len;
	int		 has_uid, has_gid, has_mode;
	uint64_t	 uid, gid;	/* iuid, igid */
	uint16_t	 mode;		/* imode */
	unsigned	 nfields;	/* fields of the template */
};

enum ima_format {
	IMA_FORMAT_AUTO = -1,
	IMA_FORMAT_BINARY = 0,
	IMA_FORMAT_ASCII = 1
};

/* A cursor over a measurement list (or a tail of one) held in memory. */
struct ima_reader {
	const uint8_t	*buf;
	size_t		 len;
	size_t		 off;		/* byte offset of the next entry */
	enum ima_format	 format;
	int		 big_endian;	/* list of a big-endian kernel without
					   ima_canonical_fmt: binary read, or
					   ASCII template data rebuilt, in
					   big-endian order */
	int		 be_known;	/* ASCII: an entry verified in the
					   chosen order */
	int		 list_bank;	/* bank of the template digests */
	size_t		 digest_size;	/* template digest bytes */
	uint64_t	 index;		/* index of the next entry */
	size_t		 line;		/* ASCII: line of the next entry */
	int		 trailing_newline;	/* binary: one '\n' after the
						   last entry was ignored */
	uint8_t		*data;		/* ASCII: rebuilt template data */
	size_t		 data_cap;
	uint8_t		 digest[DIGEST_MAX];	/* ASCII: template digest */
	char		 tname[IMA_NAME_MAX + 1];	/* last template seen */
	uint8_t		 tfields[IMA_FIELDS_MAX];	/* and its fields */
	unsigned	 tnfields;
	size_t		 base;		/* list offset of buf[0] (a window of
					   a list read in chunks) */
	int		 more;		/* more of the list follows buf: an
					   entry cut at its end is waited for
					   (ima_reader_next returns 2) */
	int		 starved;	/* detection at open wanted bytes
					   beyond buf: open it on more */
};

/*
 * Where ima_feed_source() reads a list from: read() fills up to len bytes
 * and returns how many, 0 at the end, -1 on error (errno set).  The list
 * is read through a sliding window of chunk bytes (IMA_CHUNK if 0), grown
 * only for an entry larger than it, so memory stays flat whatever the
 * list's size.
 */
struct ima_source {
	long		(*read)(void *, uint8_t *, size_t);
	void		 *arg;
	size_t		  chunk;
	int		  format;	/* IMA_FORMAT_AUTO, or as forced; the
					   format read, on return */
	size_t		  bytes;	/* on return: bytes read */
	size_t		  window;	/* on return: largest window */
};

/*
 * How an attester's kernel extends a bank other than SHA1 with an entry
 * (security/integrity/ima/ima_queue.c, ima_crypto.c).  SHA1 is the same
 * under every rule.  The list's own bank extends its logged digests.
 */
enum ima_rule {
	IMA_RULE_BANK,		/* Linux 5.8+: template hashed with the bank's
				   algorithm; a violation extends all-ones */
	IMA_RULE_PAD,		/* Linux before 5.8: SHA1 template digest
				   zero-padded; a violation extends 20 bytes
				   of 0xff then zeros */
	IMA_RULE_PADFF,		/* Linux 5.8+ for a bank it cannot hash
				   (no crypto driver, e.g. sm3_256): padded
				   SHA1; a violation extends all-ones */
	IMA_RULES
};
#define IMA_RULES_ALL	((1u << IMA_RULES) - 1)

/* Values of the PCRs in each bank under each rule, after one entry. */
struct ima_snap {
	uint64_t	 index;		/* the entry they follow */
	uint32_t	 touched;	/* PCRs extended up to it */
	uint8_t		 known[BANK_COUNT];	/* rules held, per bank */
	struct pcrset	 v[IMA_RULES];	/* untouched PCRs are absent */
};

/*
 * Replay and quote-tracking state, carried between batches of entries.
 * The value arrays come last: they are read only where masks and counts
 * say, so ima_state_init clears the members before them only.
 */
struct ima_state {
	uint64_t	 next;		/* index of the next entry to apply */
	uint32_t	 bank_mask;	/* banks replayed (bit = bank id); the
					   list's bank is always one */
	int		 list_bank;	/* bank of the template digests, -1 */
	int		 big_endian;	/* the kernel's template data is
					   big-endian (binary lists tell; ASCII
					   lists are rebuilt so): 1, 0, -1 */
	uint32_t	 touched;	/* PCRs the list extends */
	uint8_t		 rules[BANK_COUNT];	/* rules still possible per
						   bank (bit per ima_rule) */
	uint32_t	 pad_split;	/* banks whose PAD and PADFF values
					   differ (else PADFF is PAD's) */

	/* Entries that failed (digest mismatch or policy), this boot. */
	uint64_t	 failed;
	uint64_t	 first_failed, last_failed;	/* if failed > 0 */

	/* Quote tracking (ima_quote_check). */
	int		 have_ckpt;	/* a quote matched before */
	uint64_t	 last_pending;	/* entries it did not cover */
	unsigned	 lag_growth;	/* checks in a row the lag grew */
	unsigned	 hist_ncols;	/* (bank, rule) values kept per entry */
	uint8_t		 hist_bank[IMA_HIST_COLS], hist_rule[IMA_HIST_COLS];
	size_t		 hist_len;	/* entries in the ring, after ckpt */
	size_t		 hist_head;	/* slot of the next one */
	uint32_t	 hist_dropped;	/* PCRs of entries the ring lost */
	uint64_t	 hist_drop_last;	/* the last entry lost */

	/* A quote watched while entries are applied (not saved). */
	const struct pcrset *watch;
	int		 watch_found;	/* watch_snap holds the last match */

	struct pcrset	 val[IMA_RULES];	/* running values per rule */
	struct ima_snap	 ckpt;		/* values at the last checkpoint */
	struct ima_snap	 watch_snap;	/* at the watched quote's match */
	uint64_t	 hist_index[IMA_HISTORY_MAX];	/* the history ring */
	uint8_t		 hist_pcr[IMA_HISTORY_MAX];
	uint8_t		 hist_val[IMA_HISTORY_MAX][IMA_HIST_COLS][DIGEST_MAX];

	/* Added after the value arrays: set by ima_state_init itself. */
	int		 aggregate;	/* entry 0 was boot_aggregate: 1, it
					   was another entry: 0, not seen: -1 */
};

/* Outcome of ima_quote_check. */
struct ima_quote {
	int		 matched;	/* checkpoint found, every PCR the
					   list extends is quoted */
	int		 found;		/* a checkpoint was found */
	uint64_t	 checkpoint;	/* last entry the quote covers */
	uint64_t	 pending;	/* entries applied after it */
	int		 lagging;	/* lag grew IMA_LAG_CHECKS times */
	int		 full;		/* every common bank compared */
	uint32_t	 uncovered;	/* PCRs extended, in no quoted bank */
	uint8_t		 rules[BANK_COUNT];	/* rules that matched, per
						   compared bank (else 0) */
	char		 reason[RIV_ERR_MAX];	/* why not matched */
};

/*
 * Called by ima_feed for every entry applied; mismatch is set when the
 * logged template digest does not match the template data.  A non-zero
 * return stops the feed and is returned by it.
 */
typedef int (*ima_entry_cb)(const struct ima_entry *, int, void *);

int		 ima_detect_format(const uint8_t *, size_t);
int		 ima_reader_open(struct ima_reader *, const uint8_t *, size_t,
		    int, int, uint64_t, struct riv_err *);
int		 ima_reader_next(struct ima_reader *, struct ima_entry *,
		    struct riv_err *);
void		 ima_reader_close(struct ima_reader *);
int		 ima_reader_open_window(struct ima_reader *, const uint8_t *,
		    size_t, int, int, int, uint64_t, struct riv_err *);
void		 ima_reader_refill(struct ima_reader *, const uint8_t *,
		    size_t, int);

int		 ima_is_boot_aggregate(const struct ima_entry *);
int		 ima_template_hash(struct hasher *, int,
		    const struct ima_entry *, uint8_t *);
int		 ima_verify_entry(struct hasher *, int,
		    const struct ima_entry *);

struct ima_state	*ima_state_new(uint32_t);
void		 ima_state_free(struct ima_state *);
void		 ima_state_init(struct ima_state *, uint32_t);
uint32_t	 ima_default_banks(void);
int		 ima_state_apply(struct ima_state *, struct hasher *, int,
		    const struct ima_entry *, int *, struct riv_err *);
void		 ima_state_fail(struct ima_state *, uint64_t);
void		 ima_state_values(const struct ima_state *, struct pcrset *);
const char	*ima_rule_name(unsigned);
int		 ima_feed(struct ima_state *, struct hasher *,
		    const uint8_t *, size_t, int, uint64_t, ima_entry_cb, void *,
		    struct riv_err *);
int		 ima_feed_source(struct ima_state *, struct hasher *,
		    struct ima_source *, uint64_t, ima_entry_cb, void *,
		    struct riv_err *);
void		 ima_quote_watch(struct ima_state *, const struct pcrset *);
int		 ima_quote_check(struct ima_state *, const struct pcrset *,
		    struct ima_quote *);

void		 ima_state_write(FILE *, const struct ima_state *);
int		 ima_state_from_json(const struct json *, struct ima_state *,
		    struct riv_err *);

#endif
