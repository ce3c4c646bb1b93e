/*
 * pem.h — one loader for the PEM public keys and certificates rivd reads:
 * attestation keys (quote.c) and the keys of IMA policies (ima_policy.c).
 *
 * The one rule, for every caller: the text is optional white space, one
 * PEM block labelled PUBLIC KEY (a SubjectPublicKeyInfo) or CERTIFICATE
 * (an X.509 certificate), and optional white space; white space is space,
 * tab, CR and LF only.  The block carries no headers (public data is never
 * encrypted, so nothing ever asks for a password) and its base64 decodes to
 * exactly one DER structure.
 */
#ifndef RIV_PEM_H
#define RIV_PEM_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util.h"

#define PEM_TEXT_MAX	(1024 * 1024)	/* largest PEM text accepted */

int	pem_is_space(int);
int	pem_load(const char *, size_t, EVP_PKEY **, X509 **,
	    struct riv_err *);

#endif
