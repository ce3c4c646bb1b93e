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
 * does all three and calls back per entry.  A state is saved and restored
 * with ima_state_save()/ima_state_load(), so appraising entries N..M from a
 * saved state gives the same PCR values as replaying the list from entry 0.
 * ima_quote_check() finds the entry a quote's PCR 10 value covers (the quote
 * may lag the list) and tracks a growing lag across calls.
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
#define IMA_PCR			10	/* the PCR IMA extends by default */
#define IMA_HISTORY_MAX		512	/* running values kept for quotes */
#define IMA_LAG_CHECKS		3	/* growing lags in a row that flag */
#define IMA_BOOT_ID_MAX		64	/* caller-supplied boot identity */

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
	int		 big_endian;	/* binary list of a big-endian kernel
					   without ima_canonical_fmt */
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
};

/* Replay and quote-tracking state, carried between batches of entries. */
struct ima_state {
	uint64_t	 next;		/* index of the next entry to apply */
	uint32_t	 bank_mask;	/* banks replayed (bit = bank id) */
	int		 list_bank;	/* bank of the template digests, -1 */
	int		 have_boot;	/* boot holds entry 0's digest */
	uint8_t		 boot[DIGEST_MAX];	/* template digest of entry 0 */
	char		 boot_id[IMA_BOOT_ID_MAX + 1];	/* supplied, or "" */
	uint8_t		 last[DIGEST_MAX];	/* digest of entry next - 1 */
	struct pcrset	 pcrs;		/* running values; mask: touched */

	/* Quote lag (ima_quote_check). */
	unsigned	 quote_pcr;	/* IMA_PCR */
	int		 hist_bank;	/* bank of the history, -1 if none */
	size_t		 hist_len;	/* values in the ring */
	size_t		 hist_head;	/* slot of the next value */
	uint64_t	 hist_index[IMA_HISTORY_MAX];
	uint8_t		 hist_val[IMA_HISTORY_MAX][DIGEST_MAX];
	int		 have_pending;	/* a quote matched before */
	uint64_t	 last_pending;	/* entries it did not cover */
	unsigned	 lag_growth;	/* checks in a row the lag grew */

	/* A quote watched while entries are applied (not saved). */
	const struct pcrset *watch;
	int		 watch_found;
	uint64_t	 watch_index;	/* last entry matching it */
};

/* Outcome of ima_quote_check. */
struct ima_quote {
	int		 matched;	/* a checkpoint was found */
	uint64_t	 checkpoint;	/* last entry the quote covers */
	uint64_t	 pending;	/* entries applied after it */
	int		 lagging;	/* lag grew IMA_LAG_CHECKS times */
	int		 full;		/* every common bank compared, not
					   only the history bank */
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
int		 ima_feed(struct ima_state *, struct hasher *, const uint8_t *,
		    size_t, int, uint64_t, ima_entry_cb, void *,
		    struct riv_err *);
void		 ima_quote_watch(struct ima_state *, const struct pcrset *);
int		 ima_quote_check(struct ima_state *, const struct pcrset *,
		    struct ima_quote *);

void		 ima_state_write(FILE *, const struct ima_state *);
int		 ima_state_from_json(const struct json *, struct ima_state *,
		    struct riv_err *);
int		 ima_state_load(const char *, struct ima_state *,
		    struct riv_err *);
int		 ima_state_save(const char *, const struct ima_state *,
		    struct riv_err *);

#endif
