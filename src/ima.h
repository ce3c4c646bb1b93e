/*
 * ima.h — Linux IMA measurement lists (binary_runtime_measurements and the
 * ASCII form): parsing, template decoding, incremental PCR replay.
 *
 * The entry structure below is the contract between the parser/replayer
 * (ima.c) and the runtime policy (ima_policy.c).  Pointers in an entry point
 * into the list buffer (or a buffer owned by the parser) and are valid only
 * for the duration of the callback or until the next entry is read.
 */
#ifndef RIV_IMA_H
#define RIV_IMA_H

#include <stddef.h>
#include <stdint.h>

#include "bank.h"
#include "util.h"

#define IMA_NAME_MAX		255	/* template name */
#define IMA_DIGEST_MAX		64	/* largest file digest */

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
};

#endif
