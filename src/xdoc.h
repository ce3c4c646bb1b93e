/*
 * xdoc.h — the lean reader of evidence notifications (xdoc.c): a NETCONF
 * notification of the pcr-trust-evidence, bios-log or ima-log stream, or
 * of the IETF stream `attestation` (pcr-extend, tpm20-attestation), read
 * into a small element tree in one pass and checked against rivd's
 * compiled YANG schema, without building a libyang data tree.
 */
#ifndef RIV_XDOC_H
#define RIV_XDOC_H

#include <stddef.h>
#include <stdint.h>

struct ly_ctx;
struct lyd_node;
struct lysc_node;

/* One element of a notification (xdoc.c's read_start_tag sets each member). */
struct xnode {
	const char	*name;		/* local name */
	const char	*ns;		/* namespace URI */
	const char	*text;		/* its character data, NUL-terminated */
	size_t		 textlen;
	const uint8_t	*bin;		/* binary leaves: the decoded bytes */
	size_t		 binlen;
	const struct lysc_node *schema;	/* the schema node it is an instance of */
	struct xnode	*parent, *child, *last, *next;
	unsigned	 nsfirst, nscount;	/* its xmlns declarations */
	size_t		 offset;	/* of its start tag in the message */
};

/* What xdoc_read made of a message. */
enum xdoc_result {
	XDOC_EVIDENCE,		/* an evidence notification, checked */
	XDOC_OTHER,		/* some other notification: not read here */
	XDOC_REFUSED		/* not taken: why says why */
};

/*
 * A reader remembers, from one message to the next, what it found in the
 * schema of the context it read with (modules, identities): a context must
 * outlive every read with it (rivd's lives as long as the process).
 */
struct xdoc;

struct xdoc	*xdoc_new(void);
void		 xdoc_free(struct xdoc *);
enum xdoc_result xdoc_read(struct xdoc *, const struct ly_ctx *, const char *,
		    size_t);
enum xdoc_result xdoc_read_tree(struct xdoc *, const struct ly_ctx *,
		    const struct lyd_node *);
const struct xnode *xdoc_op(const struct xdoc *);
const char	*xdoc_why(const struct xdoc *);

const struct xnode *xnode_child(const struct xnode *, const char *);
const struct xnode *xnode_next_named(const struct xnode *);
const char	*xnode_text(const struct xnode *, const char *);
const uint8_t	*xnode_bin(const struct xnode *, const char *, size_t *);

#endif
