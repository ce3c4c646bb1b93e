/*
 * framing.h — NETCONF message framing (RFC 6242 §4), pure: no I/O.
 *
 * A framer is fed whatever bytes a session delivered (any split: one byte
 * at a time or many messages at once) and yields complete messages, one at
 * a time.  Two framings:
 *
 *   end-of-message (NETCONF 1.0)  <message>]]>]]>
 *   chunked (NETCONF 1.1)         1*(LF '#' chunk-size LF chunk-data) LF '##' LF
 *
 * A session starts in end-of-message framing (the <hello> exchange) and
 * switches to chunked framing once both peers have announced base:1.1.
 *
 * Everything the peer sends is bounded: a message may hold at most the
 * maximum given at init; a chunk header announcing more than what is left
 * of it fails at once, before any of its data is buffered; a chunk header is
 * at most FRAMER_HEADER_MAX bytes.  The buffer grows geometrically with the
 * data actually received, never with what a header announces.  Any framing
 * error names the byte offset in the session's stream and what was expected
 * there; after an error the framer stays failed (close the session).
 *
 * Typical read callback:
 *
 *	while (len > 0) {
 *		if ((r = framer_feed(&s->framer, p, len, &used, &err)) == -1)
 *			(close the session)
 *		p += used;
 *		len -= used;
 *		if (r == 1) {
 *			msg = framer_message(&s->framer, &mlen);
 *			(handle msg, mlen)
 *			framer_next(&s->framer);
 *		}
 *	}
 */
#ifndef RIV_FRAMING_H
#define RIV_FRAMING_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define FRAMER_EOM		"]]>]]>"	/* end-of-message delimiter */
#define FRAMER_EOM_LEN		6
#define FRAMER_END		"\n##\n"	/* end-of-chunks */
#define FRAMER_END_LEN		4
#define FRAMER_CHUNK_MAX	4294967295u	/* largest chunk-size */
#define FRAMER_HEADER_MAX	13		/* "\n#" + 10 digits + "\n" */

/*
 * Buffers at most this large are kept across messages by framer_next;
 * larger ones (left by a rare large message) are freed.
 */
#define FRAMER_KEEP		(64 * 1024)

/*
 * One session's framing state.  Embed it in the session; the members are
 * private to framing.c.
 */
struct framer {
	uint8_t		*fr_buf;	/* the message so far (+ a partial
					   end-of-message delimiter) */
	size_t		 fr_cap;	/* bytes allocated at fr_buf */
	size_t		 fr_len;	/* bytes used at fr_buf */
	size_t		 fr_max;	/* largest message */
	uint64_t	 fr_offset;	/* bytes consumed in the session */
	uint64_t	 fr_err_offset;	/* where the stream failed */
	const char	*fr_err_what;	/* and why */
	uint32_t	 fr_chunk;	/* chunk-size read so far, then the
					   bytes left in the chunk */
	uint8_t		 fr_state;	/* enum in framing.c */
	uint8_t		 fr_digits;	/* digits of chunk-size read */
	uint8_t		 fr_match;	/* delimiter bytes matched */
	uint8_t		 fr_chunked;	/* chunked framing in force */
};

void		 framer_init(struct framer *, size_t);
int		 framer_set_chunked(struct framer *);
int		 framer_feed(struct framer *, const uint8_t *, size_t, size_t *,
		    struct riv_err *);
const uint8_t	*framer_message(const struct framer *, size_t *);
void		 framer_next(struct framer *);
int		 framer_partial(const struct framer *);
uint64_t	 framer_offset(const struct framer *);
void		 framer_free(struct framer *);
size_t		 framer_chunk_header(char *, size_t, uint64_t);

#endif
