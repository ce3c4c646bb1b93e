/*
 * pem.c — load a PEM public key or certificate under the one rule of
 * pem.h, with errors that name the byte offset.
 *
 * The block is read with PEM_read_bio(), which hands back its label,
 * headers and decoded bytes without interpreting them: the label and the
 * absence of headers are checked here, and the DER is decoded with
 * d2i_PUBKEY() or d2i_X509(), which must consume all of it.  Nothing calls
 * a password callback, so a block claiming to be encrypted is refused
 * rather than prompting on the terminal.
 */
#include <limits.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "pem.h"

#define BEGIN_KEY	"-----BEGIN PUBLIC KEY-----"
#define BEGIN_CERT	"-----BEGIN CERTIFICATE-----"

/* Tell whether c is white space around a PEM block: space, tab, CR, LF. */
int
pem_is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Tell whether the len bytes at p start with the string s. */
static int
starts_with(const char *p, size_t len, const char *s)
{
	size_t n = strlen(s);

	return len >= n && memcmp(p, s, n) == 0;
}

/*
 * Decode the DER of a block into a key (and the certificate, for a
 * CERTIFICATE block); every byte must belong to the structure.
 */
static int
decode_der(int is_cert, const unsigned char *der, long dlen, EVP_PKEY **pkey,
    X509 **cert, struct riv_err *err)
{
	const unsigned char *p = der;
	X509 *x;

	if (!is_cert) {
		*pkey = d2i_PUBKEY(NULL, &p, dlen);
		if (*pkey == NULL || p != der + dlen) {
			EVP_PKEY_free(*pkey);
			*pkey = NULL;
			return err_set(err, RIV_MALFORMED, "PEM PUBLIC KEY "
			    "block is not a valid SubjectPublicKeyInfo");
		}
		return RIV_OK;
	}
	if ((x = d2i_X509(NULL, &p, dlen)) == NULL || p != der + dlen) {
		X509_free(x);
		return err_set(err, RIV_MALFORMED, "PEM CERTIFICATE block is "
		    "not a valid X.509 certificate");
	}
	if ((*pkey = X509_get_pubkey(x)) == NULL) {
		X509_free(x);
		return err_set(err, RIV_MALFORMED, "the certificate's public "
		    "key cannot be decoded");
	}
	if (cert != NULL)
		*cert = x;
	else
		X509_free(x);
	return RIV_OK;
}

/*
 * Load the PEM text of len bytes at buf (see pem.h for the rule) into
 * *pkey and, for a certificate, *cert if cert is not NULL (else NULL is
 * stored there for a public key).  RIV_OK, or RIV_MALFORMED with a reason
 * naming the byte offset in buf; nothing is returned then.
 */
int
pem_load(const char *buf, size_t len, EVP_PKEY **pkey, X509 **cert,
    struct riv_err *err)
{
	char *name = NULL, *header = NULL, *rest;
	unsigned char *der = NULL;
	BIO *bio = NULL;
	size_t sp = 0;
	long dlen = 0, n, i;
	int is_cert, rc = RIV_MALFORMED;

	*pkey = NULL;
	if (cert != NULL)
		*cert = NULL;
	if (len > PEM_TEXT_MAX)
		return err_set(err, RIV_MALFORMED, "PEM: %zu bytes exceed the "
		    "limit of %d", len, PEM_TEXT_MAX);
	while (sp < len && pem_is_space((unsigned char)buf[sp]))
		sp++;
	is_cert = starts_with(buf + sp, len - sp, BEGIN_CERT);
	if (!is_cert && !starts_with(buf + sp, len - sp, BEGIN_KEY))
		return err_set(err, RIV_MALFORMED, "PEM: expected a PUBLIC KEY "
		    "or CERTIFICATE block first, at byte offset %zu", sp);
	if ((bio = BIO_new_mem_buf(buf + sp, (int)(len - sp))) == NULL) {
		err_set(err, RIV_MALFORMED, "out of memory");
		goto done;
	}
	if (!PEM_read_bio(bio, &name, &header, &der, &dlen) || dlen <= 0) {
		err_set(err, RIV_MALFORMED, "PEM: the %s block at byte offset "
		    "%zu is not well formed (base64 lines and a matching END "
		    "line)", is_cert ? "CERTIFICATE" : "PUBLIC KEY", sp);
		goto done;
	}
	if (strcmp(name, is_cert ? "CERTIFICATE" : "PUBLIC KEY") != 0) {
		err_set(err, RIV_MALFORMED, "PEM: the block at byte offset %zu "
		    "is not the one its BEGIN line starts", sp);
		goto done;
	}
	if (header[0] != '\0') {
		err_set(err, RIV_MALFORMED, "PEM: the block at byte offset %zu "
		    "has headers (such as Proc-Type): a public key or "
		    "certificate is never encrypted", sp);
		goto done;
	}
	if (decode_der(is_cert, der, dlen, pkey, cert, err) != RIV_OK)
		goto done;
	if ((n = BIO_get_mem_data(bio, &rest)) < 0)
		n = 0;
	for (i = 0; i < n; i++)
		if (!pem_is_space((unsigned char)rest[i])) {
			err_set(err, RIV_MALFORMED, "PEM: data at byte offset "
			    "%zu after the first block; only white space may "
			    "follow it", len - (size_t)n + (size_t)i);
			goto done;
		}
	rc = RIV_OK;
done:
	if (rc != RIV_OK) {
		EVP_PKEY_free(*pkey);
		*pkey = NULL;
		if (cert != NULL) {
			X509_free(*cert);
			*cert = NULL;
		}
	}
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}
