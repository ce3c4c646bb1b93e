/*
 * tpm.c — riv-attester's TPM through tpm2-tss ESYS: start-up, PCR banks,
 * extend and read, a deterministic attestation key (AK) and quotes; for a
 * swtpm, a TPM Reset through its control channel.
 *
 * Only password sessions (ESYS_TR_PASSWORD, empty authValues) are used,
 * so the ESYS context holds no session that a TPM Reset could invalidate:
 * after a reset only the AK's ESYS_TR is stale, and it is closed and the
 * AK made again.  The AK is the only transient object this file keeps
 * loaded (a swtpm without a resource manager has three slots); tpm_close
 * flushes it.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "quote.h"
#include "tpm.h"

#define SWTPM_HOST		"127.0.0.1"	/* tcti-swtpm's defaults */
#define SWTPM_PORT		2321
#define SWTPM_CMD_INIT		2		/* control channel commands */
#define SWTPM_CTRL_TIMEOUT	10		/* seconds */
#define PCR_READ_TRIES		4		/* if PCRs change meanwhile */

/* A TPMT_SIGNATURE and a TPM2B_PUBLIC fit, even as C structures. */
_Static_assert(TPM_SIG_MAX >= sizeof(TPMT_SIGNATURE), "signature buffer");
_Static_assert(TPM_PUB_MAX >= sizeof(TPM2B_PUBLIC), "public area buffer");
_Static_assert(BANK_COUNT <= TPM2_NUM_PCR_BANKS, "selection entries");

struct tpm {
	char		*name;		/* labels errors */
	char		*conf;		/* TCTI configuration, for messages */
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT	*esys;
	uint32_t	 banks;		/* allocated banks rivd knows */
	int		 swtpm;		/* tpm_reset possible */
	char		*host;		/* swtpm's host and control port */
	char		 ctrl_port[8];
	int		 ak_alg;	/* enum tpm_ak_alg, or -1: no AK */
	uint32_t	 ak_gen;	/* AK generation (template unique) */
	ESYS_TR		 ak;
	TPM2B_PUBLIC	 ak_pub;
	uint8_t		 ak_blob[TPM_PUB_MAX];	/* ak_pub marshalled */
	size_t		 ak_bloblen;
};

static int	tpm_startup(struct tpm *, int, struct riv_err *);

/*
 * Keep tpm2-tss from logging to stderr, unless TSS2_LOG says otherwise:
 * every error is reported through riv_err.  The engine's quote.c sets
 * "marshal+none" for itself, which this widens to every module.  Each
 * tss2 module reads TSS2_LOG when it first logs, so this runs before the
 * first tss2 call.
 */
static void
tss2_quiet(void)
{
	const char *v = getenv("TSS2_LOG");

	if (v == NULL || strcmp(v, "marshal+none") == 0)
		setenv("TSS2_LOG", "all+none", 1);
}

/* Record that TPM command what failed with rc; return -1. */
static int
tpm_fail(const struct tpm *t, struct riv_err *err, const char *what,
    TSS2_RC rc)
{
	const char *hint = "";

	if (rc == TPM2_RC_OBJECT_MEMORY)
		hint = " (all transient object slots taken: objects left by "
		    "another program? tpm2_flushcontext -t frees them)";
	err_set(err, RIV_FAIL, "%s: %s: %s%s", t->name, what,
	    Tss2_RC_Decode(rc), hint);
	return -1;
}

/* Return the TCTI configuration for messages. */
static const char *
conf_name(const struct tpm *t)
{
	return t->conf != NULL ? t->conf : "(default)";
}

/* Return the name of a bank for messages. */
static const char *
bank_name(int bank)
{
	const struct bank *b = bank_get(bank);

	return b != NULL ? b->name : "unknown";
}

/*
 * Tell whether a TCTI configuration names the swtpm TCTI ("swtpm",
 * "swtpm:host=...", or the library's file name).
 */
static int
conf_is_swtpm(const char *conf)
{
	size_t n;

	if (conf == NULL)
		return 0;
	n = strcspn(conf, ":");
	return (n == 5 && strncmp(conf, "swtpm", 5) == 0) ||
	    strncmp(conf, "libtss2-tcti-swtpm.so", 21) == 0 ||
	    strncmp(conf, "tcti-swtpm", 10) == 0;
}

/*
 * Parse the host and port of a swtpm TCTI configuration ("host=H,port=P",
 * either optional) into t->host and t->ctrl_port (the control channel,
 * P + 1).
 */
static int
parse_swtpm_conf(struct tpm *t, const char *conf, struct riv_err *err)
{
	const char *p = strchr(conf, ':'), *key, *val, *end;
	size_t klen, vlen;
	unsigned long port = SWTPM_PORT;
	char num[8], *ep;

	free(t->host);
	if ((t->host = strdup(SWTPM_HOST)) == NULL)
		goto nomem;
	for (p = p != NULL ? p + 1 : ""; *p != '\0'; p = *end ? end + 1 : end) {
		key = p;
		end = p + strcspn(p, ",");
		if ((val = memchr(key, '=', (size_t)(end - key))) == NULL) {
			err_set(err, RIV_MALFORMED, "%s: TCTI \"%s\": \"%.*s\" "
			    "is no key=value pair", t->name, conf,
			    (int)(end - key), key);
			return -1;
		}
		klen = (size_t)(val - key);
		vlen = (size_t)(end - ++val);
		if (klen == 4 && strncmp(key, "host", 4) == 0 && vlen > 0) {
			free(t->host);
			if ((t->host = strndup(val, vlen)) == NULL)
				goto nomem;
		} else if (klen == 4 && strncmp(key, "port", 4) == 0 &&
		    vlen > 0 && vlen < sizeof(num)) {
			memcpy(num, val, vlen);
			num[vlen] = '\0';
			errno = 0;
			port = strtoul(num, &ep, 10);
			if (*ep != '\0' || num[0] < '0' || num[0] > '9' ||
			    port == 0 || port >= 65535) {
				err_set(err, RIV_MALFORMED, "%s: TCTI \"%s\": "
				    "port %s is not a port below 65535",
				    t->name, conf, num);
				return -1;
			}
		} else {
			err_set(err, RIV_MALFORMED, "%s: TCTI \"%s\": \"%.*s\" "
			    "not supported (only host and port)", t->name,
			    conf, (int)(end - key), key);
			return -1;
		}
	}
	snprintf(t->ctrl_port, sizeof(t->ctrl_port), "%lu", port + 1);
	return 0;
nomem:
	err_set(err, RIV_FAIL, "%s: out of memory", t->name);
	return -1;
}

/* Load the TCTI and make an ESYS context on it. */
static int
esys_connect(struct tpm *t, struct riv_err *err)
{
	TSS2_RC rc;

	if ((rc = Tss2_TctiLdr_Initialize(t->conf, &t->tcti)) != 0) {
		t->tcti = NULL;
		err_set(err, RIV_FAIL, "%s: TCTI \"%s\": %s%s", t->name,
		    conf_name(t), Tss2_RC_Decode(rc),
		    rc == TSS2_TCTI_RC_IO_ERROR ?
		    " (no TPM answers there?)" : "");
		return -1;
	}
	if ((rc = Esys_Initialize(&t->esys, t->tcti, NULL)) != 0) {
		t->esys = NULL;
		return tpm_fail(t, err, "Esys_Initialize", rc);
	}
	return 0;
}

/* Free the ESYS context and the TCTI. */
static void
esys_disconnect(struct tpm *t)
{
	if (t->esys != NULL)
		Esys_Finalize(&t->esys);
	if (t->tcti != NULL)
		Tss2_TctiLdr_Finalize(&t->tcti);
	t->esys = NULL;
	t->tcti = NULL;
}

/* Learn which PCR banks the TPM has allocated (at least one PCR). */
static int
read_banks(struct tpm *t, struct riv_err *err)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	const TPMS_PCR_SELECTION *s;
	TPMI_YES_NO more;
	TSS2_RC rc;
	uint32_t i;
	unsigned k;
	int b;

	if ((rc = Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE,
	    ESYS_TR_NONE, TPM2_CAP_PCRS, 0, 1, &more, &cap)) != 0)
		return tpm_fail(t, err, "TPM2_GetCapability(PCRS)", rc);
	t->banks = 0;
	for (i = 0; i < cap->data.assignedPCR.count; i++) {
		s = &cap->data.assignedPCR.pcrSelections[i];
		if ((b = bank_by_alg(s->hash)) < 0)
			continue;
		for (k = 0; k < s->sizeofSelect && k < TPM2_PCR_SELECT_MAX; k++)
			if (s->pcrSelect[k] != 0)
				t->banks |= 1u << b;
	}
	Esys_Free(cap);
	return 0;
}

/*
 * Connect to the TPM through TCTI configuration conf (NULL: tctildr's
 * default), start it if needed and learn its banks.
 */
int
tpm_open(const char *conf, const char *name, struct tpm **tp,
    struct riv_err *err)
{
	struct tpm *t;

	*tp = NULL;
	tss2_quiet();
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->name = strdup(name != NULL ? name : "tpm")) == NULL ||
	    (conf != NULL && (t->conf = strdup(conf)) == NULL)) {
		err_set(err, RIV_FAIL, "%s: out of memory",
		    name != NULL ? name : "tpm");
		goto fail;
	}
	t->ak_alg = -1;
	t->ak = ESYS_TR_NONE;
	if ((t->swtpm = conf_is_swtpm(conf)) &&
	    parse_swtpm_conf(t, conf, err) == -1)
		goto fail;
	if (esys_connect(t, err) == -1 || tpm_startup(t, 0, err) == -1 ||
	    read_banks(t, err) == -1)
		goto fail;
	*tp = t;
	return 0;
fail:
	tpm_close(t);
	return -1;
}

/* Flush the AK, disconnect and free. */
void
tpm_close(struct tpm *t)
{
	if (t == NULL)
		return;
	if (t->esys != NULL && t->ak != ESYS_TR_NONE)
		Esys_FlushContext(t->esys, t->ak);
	esys_disconnect(t);
	free(t->host);
	free(t->conf);
	free(t->name);
	free(t);
}

/* Return the name that labels the TPM's errors. */
const char *
tpm_name(const struct tpm *t)
{
	return t->name;
}

/* Return the mask of allocated banks (bit = enum bank_id). */
uint32_t
tpm_banks(const struct tpm *t)
{
	return t->banks;
}

/* Tell whether the TPM is a swtpm that tpm_reset can power-cycle. */
int
tpm_swtpm(const struct tpm *t)
{
	return t->swtpm;
}

/*
 * Send TPM2_Startup(CLEAR) from locality loc (0: the TCTI's default);
 * a TPM that is already started (TPM_RC_INITIALIZE) is fine at locality
 * 0 only.
 */
static int
tpm_startup(struct tpm *t, int loc, struct riv_err *err)
{
	char what[48];
	TSS2_RC rc, lrc;

	snprintf(what, sizeof(what), "TPM2_Startup(CLEAR) at locality %d",
	    loc);
	if (loc != 0 && (rc = Tss2_Tcti_SetLocality(t->tcti,
	    (uint8_t)loc)) != 0) {
		err_set(err, RIV_FAIL, "%s: cannot set locality %d through "
		    "TCTI \"%s\": %s", t->name, loc, conf_name(t),
		    Tss2_RC_Decode(rc));
		return -1;
	}
	rc = Esys_Startup(t->esys, TPM2_SU_CLEAR);
	if (loc != 0 && (lrc = Tss2_Tcti_SetLocality(t->tcti, 0)) != 0) {
		err_set(err, RIV_FAIL, "%s: cannot set locality 0 again "
		    "through TCTI \"%s\": %s", t->name, conf_name(t),
		    Tss2_RC_Decode(lrc));
		return -1;
	}
	if (rc == TPM2_RC_INITIALIZE && loc == 0)
		return 0;
	if (rc == TPM2_RC_INITIALIZE) {
		err_set(err, RIV_FAIL, "%s: %s: the TPM was already started",
		    t->name, what);
		return -1;
	}
	if (rc != 0) {
		if ((rc & TSS2_RC_LAYER_MASK) == TSS2_TCTI_RC_LAYER)
			err_set(err, RIV_FAIL, "%s: cannot reach the TPM "
			    "through TCTI \"%s\": %s", t->name,
			    conf_name(t), Tss2_RC_Decode(rc));
		else
			tpm_fail(t, err, what, rc);
		return -1;
	}
	return 0;
}

/*
 * Fill the public template of a restricted signing key of alg.  A
 * generation other than 0 goes (big-endian) into the unique field, from
 * which the TPM derives another key; generation 0 leaves it empty.
 */
static void
ak_template(enum tpm_ak_alg alg, uint32_t gen, TPM2B_PUBLIC *in)
{
	TPMT_PUBLIC *p = &in->publicArea;
	uint8_t u[4];

	memset(in, 0, sizeof(*in));
	u[0] = gen >> 24;
	u[1] = gen >> 16;
	u[2] = gen >> 8;
	u[3] = gen;
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
	    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
	    TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
	if (alg == TPM_AK_RSA) {
		p->type = TPM2_ALG_RSA;
		p->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
		p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSASSA;
		p->parameters.rsaDetail.scheme.details.rsassa.hashAlg =
		    TPM2_ALG_SHA256;
		p->parameters.rsaDetail.keyBits = 2048;
		p->parameters.rsaDetail.exponent = 0;
		if (gen != 0) {
			p->unique.rsa.size = sizeof(u);
			memcpy(p->unique.rsa.buffer, u, sizeof(u));
		}
	} else {
		p->type = TPM2_ALG_ECC;
		p->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
		p->parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
		p->parameters.eccDetail.scheme.details.ecdsa.hashAlg =
		    TPM2_ALG_SHA256;
		p->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
		p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
		if (gen != 0) {
			p->unique.ecc.x.size = sizeof(u);
			memcpy(p->unique.ecc.x.buffer, u, sizeof(u));
		}
	}
}

/*
 * Create the AK of alg as a primary key in the endorsement hierarchy; the
 * TPM derives it from the endorsement seed and the template alone (with
 * the AK generation), so it is the same key each time.
 */
static int
ak_create(struct tpm *t, enum tpm_ak_alg alg, ESYS_TR *handle,
    TPM2B_PUBLIC *pub, struct riv_err *err)
{
	TPM2B_SENSITIVE_CREATE sens;
	TPM2B_PUBLIC in, *out = NULL;
	TPM2B_DATA outside;
	TPML_PCR_SELECTION creation;
	TSS2_RC rc;

	memset(&sens, 0, sizeof(sens));
	memset(&outside, 0, sizeof(outside));
	memset(&creation, 0, sizeof(creation));
	ak_template(alg, t->ak_gen, &in);
	if ((rc = Esys_CreatePrimary(t->esys, ESYS_TR_RH_ENDORSEMENT,
	    ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens, &in, &outside,
	    &creation, handle, &out, NULL, NULL, NULL)) != 0)
		return tpm_fail(t, err, "TPM2_CreatePrimary(endorsement, AK)",
		    rc);
	*pub = *out;
	Esys_Free(out);
	return 0;
}

/* Write all of buf to fd; 0 or -1 (errno set). */
static int
write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Replace file path with len bytes of buf (mode 0644): written to a
 * temporary file beside it, synced, then renamed over it, so a reader
 * sees the old file or the new one, never part of one.
 */
static int
file_replace(const struct tpm *t, const char *path, const void *buf,
    size_t len, struct riv_err *err)
{
	char tmp[4096];
	int fd, saved;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >=
	    sizeof(tmp)) {
		err_set(err, RIV_FAIL, "%s: %s: path too long", t->name, path);
		return -1;
	}
	if ((fd = mkstemp(tmp)) == -1) {
		err_set(err, RIV_FAIL, "%s: cannot create a file beside %s: "
		    "%s", t->name, path, strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0644) == -1 || write_all(fd, buf, len) == -1 ||
	    fsync(fd) == -1) {
		saved = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		saved = errno;
		goto fail;
	}
	return 0;
fail:
	unlink(tmp);
	err_set(err, RIV_FAIL, "%s: cannot write %s: %s", t->name, path,
	    strerror(saved));
	return -1;
}

/* Write DIR/NAME-ak.pub (TPM2B_PUBLIC) and DIR/NAME-ak.pem (SPKI). */
static int
ak_write(const struct tpm *t, const char *dir, const uint8_t *pub,
    size_t publen, struct riv_err *err)
{
	char path[4096];
	struct akey ak;
	BIO *bio = NULL;
	char *pem;
	long pemlen;
	int rc = -1;

	if (strchr(t->name, '/') != NULL) {
		err_set(err, RIV_MALFORMED, "%s: a name with '/' cannot name "
		    "the AK files", t->name);
		return -1;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s-ak.pub", dir,
	    t->name) >= sizeof(path)) {
		err_set(err, RIV_FAIL, "%s: directory name too long", t->name);
		return -1;
	}
	if (file_replace(t, path, pub, publen, err) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/%s-ak.pem", dir, t->name);
	/* The engine's own loader turns the public area into a key. */
	if (akey_load(pub, publen, &ak, err) != RIV_OK)
		return -1;
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PUBKEY(bio, ak.pkey) != 1 ||
	    (pemlen = BIO_get_mem_data(bio, &pem)) <= 0) {
		err_set(err, RIV_FAIL, "%s: OpenSSL cannot encode the AK as "
		    "SubjectPublicKeyInfo", t->name);
		goto done;
	}
	rc = file_replace(t, path, pem, (size_t)pemlen, err);
done:
	BIO_free(bio);
	akey_free(&ak);
	ERR_clear_error();
	return rc;
}

/* Marshal a TPM2B_PUBLIC into buf (TPM_PUB_MAX bytes). */
static int
pub_marshal(const struct tpm *t, const TPM2B_PUBLIC *pub, uint8_t *buf,
    size_t *len, struct riv_err *err)
{
	TSS2_RC rc;

	*len = 0;
	if ((rc = Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, TPM_PUB_MAX,
	    len)) != 0) {
		err_set(err, RIV_FAIL, "%s: cannot marshal the AK's "
		    "TPM2B_PUBLIC: %s", t->name, Tss2_RC_Decode(rc));
		return -1;
	}
	return 0;
}

/*
 * Create and load the AK of alg, replacing an AK loaded before; copy its
 * marshalled TPM2B_PUBLIC to pub (TPM_PUB_MAX bytes; NULL: not wanted)
 * and its length to *publen, and write the AK files into dir if it is not
 * NULL.
 */
int
tpm_ak(struct tpm *t, enum tpm_ak_alg alg, const char *dir, uint8_t *pub,
    size_t *publen, struct riv_err *err)
{
	TPM2B_PUBLIC out;
	ESYS_TR handle;

	if (alg != TPM_AK_RSA && alg != TPM_AK_ECC) {
		err_set(err, RIV_MALFORMED, "%s: AK algorithm %d unknown",
		    t->name, (int)alg);
		return -1;
	}
	/*
	 * Should the flush fail (the TPM was restarted behind our back and
	 * forgot the AK), drop ESYS's record of it and go on.
	 */
	if (t->ak != ESYS_TR_NONE &&
	    Esys_FlushContext(t->esys, t->ak) != 0)
		Esys_TR_Close(t->esys, &t->ak);
	t->ak = ESYS_TR_NONE;
	t->ak_alg = -1;
	if (ak_create(t, alg, &handle, &out, err) == -1)
		return -1;
	t->ak = handle;
	t->ak_alg = (int)alg;
	t->ak_pub = out;
	if (pub_marshal(t, &out, t->ak_blob, &t->ak_bloblen, err) == -1)
		return -1;
	if (dir != NULL && ak_write(t, dir, t->ak_blob, t->ak_bloblen,
	    err) == -1)
		return -1;
	if (pub != NULL)
		memcpy(pub, t->ak_blob, t->ak_bloblen);
	if (publen != NULL)
		*publen = t->ak_bloblen;
	return 0;
}

/* Set the AK generation that the next tpm_ak uses. */
void
tpm_ak_generation(struct tpm *t, uint32_t gen)
{
	t->ak_gen = gen;
}

/* Fail unless pcr is a PCR rivd knows (0-23). */
static int
check_pcr(const struct tpm *t, unsigned pcr, struct riv_err *err)
{
	if (pcr < PCR_COUNT)
		return 0;
	err_set(err, RIV_MALFORMED, "%s: PCR %u: only PCRs 0-%d exist",
	    t->name, pcr, PCR_COUNT - 1);
	return -1;
}

/* Fail unless bank is known and allocated; what names the operation. */
static int
check_bank(const struct tpm *t, int bank, const char *what,
    struct riv_err *err)
{
	if (bank < 0 || bank >= BANK_COUNT) {
		err_set(err, RIV_MALFORMED, "%s: %s: bank %d unknown", t->name,
		    what, bank);
		return -1;
	}
	if (!(t->banks >> bank & 1)) {
		err_set(err, RIV_FAIL, "%s: %s: the TPM has not allocated "
		    "the %s PCR bank", t->name, what, bank_name(bank));
		return -1;
	}
	return 0;
}

/* Extend PCR pcr with digests[bank] of the allocated banks in mask. */
int
tpm_extend(struct tpm *t, unsigned pcr,
    const uint8_t digests[BANK_COUNT][DIGEST_MAX], uint32_t mask,
    struct riv_err *err)
{
	TPML_DIGEST_VALUES v;
	char what[40];
	TSS2_RC rc;
	int b;

	if (check_pcr(t, pcr, err) == -1)
		return -1;
	memset(&v, 0, sizeof(v));
	for (b = 0; b < BANK_COUNT; b++) {
		if (!(mask >> b & 1) || !(t->banks >> b & 1))
			continue;
		v.digests[v.count].hashAlg = bank_get(b)->alg;
		memcpy(&v.digests[v.count].digest, digests[b],
		    bank_get(b)->size);
		v.count++;
	}
	if (v.count == 0)
		return 0;
	snprintf(what, sizeof(what), "TPM2_PCR_Extend(PCR %u)", pcr);
	if ((rc = Esys_PCR_Extend(t->esys, ESYS_TR_PCR0 + pcr,
	    ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &v)) != 0)
		return tpm_fail(t, err, what, rc);
	return 0;
}

/*
 * One TPM2_PCR_Read of the PCRs of *want in bank (the TPM returns at most
 * eight): store what it returned in set, clear them in *want and return
 * the PCR update counter in *counter.
 */
static int
pcr_read_some(struct tpm *t, int bank, uint32_t *want, struct pcrset *set,
    uint32_t *counter, struct riv_err *err)
{
	TPML_PCR_SELECTION in, *out = NULL;
	TPML_DIGEST *vals = NULL;
	const TPMS_PCR_SELECTION *s;
	size_t size = bank_get(bank)->size;
	uint32_t got = 0, i;
	unsigned p, k, n = 0;
	TSS2_RC rc;
	int ret = -1;

	memset(&in, 0, sizeof(in));
	in.count = 1;
	in.pcrSelections[0].hash = bank_get(bank)->alg;
	in.pcrSelections[0].sizeofSelect = 3;
	for (k = 0; k < 3; k++)
		in.pcrSelections[0].pcrSelect[k] = (uint8_t)(*want >> (8 * k));
	if ((rc = Esys_PCR_Read(t->esys, ESYS_TR_NONE, ESYS_TR_NONE,
	    ESYS_TR_NONE, &in, counter, &out, &vals)) != 0)
		return tpm_fail(t, err, "TPM2_PCR_Read", rc);
	/* the digests follow the returned selection, PCRs ascending */
	for (i = 0; i < out->count; i++) {
		s = &out->pcrSelections[i];
		if (s->hash != in.pcrSelections[0].hash)
			continue;
		for (k = 0; k < s->sizeofSelect && k < 3; k++)
			got |= (uint32_t)s->pcrSelect[k] << (8 * k);
	}
	got &= *want;
	for (p = 0; p < PCR_COUNT; p++) {
		if (!(got >> p & 1))
			continue;
		if (n >= vals->count || vals->digests[n].size != size) {
			err_set(err, RIV_FAIL, "%s: TPM2_PCR_Read: the TPM "
			    "returned %u %s digests for %u PCRs", t->name,
			    vals->count, bank_name(bank), n + 1);
			goto done;
		}
		pcrset_set(set, bank, p, vals->digests[n++].buffer);
	}
	if (got == 0) {
		err_set(err, RIV_FAIL, "%s: TPM2_PCR_Read: the TPM returned no "
		    "%s PCR of those asked", t->name, bank_name(bank));
		goto done;
	}
	*want &= ~got;
	ret = 0;
done:
	Esys_Free(out);
	Esys_Free(vals);
	return ret;
}

/*
 * Read the PCRs of mask in bank into set: its values of that bank are
 * replaced, those of other banks kept.  The reads (at most eight PCRs
 * each) must see one PCR update counter, else they start over.
 */
int
tpm_pcr_read(struct tpm *t, int bank, uint32_t mask, struct pcrset *set,
    struct riv_err *err)
{
	uint32_t want, first = 0, counter = 0;
	int i, tries;

	if (check_bank(t, bank, "TPM2_PCR_Read", err) == -1)
		return -1;
	if (mask >> PCR_COUNT != 0) {
		err_set(err, RIV_MALFORMED, "%s: TPM2_PCR_Read: mask 0x%08x "
		    "names PCRs above %d", t->name, mask, PCR_COUNT - 1);
		return -1;
	}
	for (tries = 0; tries < PCR_READ_TRIES; tries++) {
		set->mask[bank] = 0;
		want = mask;
		for (i = 0; want != 0; i++) {
			if (pcr_read_some(t, bank, &want, set, &counter,
			    err) == -1)
				return -1;
			if (i == 0)
				first = counter;
			else if (counter != first)
				break;
		}
		if (want == 0)
			return 0;
	}
	err_set(err, RIV_FAIL, "%s: TPM2_PCR_Read: the %s PCRs kept changing "
	    "while read", t->name, bank_name(bank));
	return -1;
}

/* Fill a TPML_PCR_SELECTION from per-bank masks; allocated banks only. */
static int
quote_selection(const struct tpm *t, const uint32_t sel[BANK_COUNT],
    TPML_PCR_SELECTION *ps, struct riv_err *err)
{
	TPMS_PCR_SELECTION *s;
	unsigned k;
	int b;

	memset(ps, 0, sizeof(*ps));
	for (b = 0; b < BANK_COUNT; b++) {
		if (sel[b] == 0)
			continue;
		if (check_bank(t, b, "TPM2_Quote", err) == -1)
			return -1;
		if (sel[b] >> PCR_COUNT != 0) {
			err_set(err, RIV_MALFORMED, "%s: TPM2_Quote: %s "
			    "selection 0x%08x names PCRs above %d", t->name,
			    bank_name(b), sel[b], PCR_COUNT - 1);
			return -1;
		}
		s = &ps->pcrSelections[ps->count++];
		s->hash = bank_get(b)->alg;
		s->sizeofSelect = 3;
		for (k = 0; k < 3; k++)
			s->pcrSelect[k] = (uint8_t)(sel[b] >> (8 * k));
	}
	return 0;
}

/*
 * Quote the selection with the AK and nonce (at most 64 bytes) as
 * qualifying data, in the AK's own scheme.
 */
int
tpm_quote(struct tpm *t, const uint8_t *nonce, size_t nlen,
    const uint32_t sel[BANK_COUNT], struct tpm_quote *q,
    struct riv_err *err)
{
	TPM2B_DATA qd;
	TPMT_SIG_SCHEME scheme;
	TPML_PCR_SELECTION ps;
	TPM2B_ATTEST *quoted = NULL;
	TPMT_SIGNATURE *sig = NULL;
	TPMS_ATTEST a;
	size_t off = 0;
	TSS2_RC rc;
	int ret = -1;

	memset(q, 0, sizeof(*q));
	if (nlen > sizeof(qd.buffer)) {
		err_set(err, RIV_MALFORMED, "%s: TPM2_Quote: nonce of %zu "
		    "bytes, at most %zu allowed", t->name, nlen,
		    sizeof(qd.buffer));
		return -1;
	}
	if (t->ak == ESYS_TR_NONE) {
		err_set(err, RIV_FAIL, "%s: TPM2_Quote: no AK loaded", t->name);
		return -1;
	}
	if (quote_selection(t, sel, &ps, err) == -1)
		return -1;
	memset(&qd, 0, sizeof(qd));
	qd.size = (uint16_t)nlen;
	if (nlen > 0)
		memcpy(qd.buffer, nonce, nlen);
	memset(&scheme, 0, sizeof(scheme));
	scheme.scheme = TPM2_ALG_NULL;
	if ((rc = Esys_Quote(t->esys, t->ak, ESYS_TR_PASSWORD, ESYS_TR_NONE,
	    ESYS_TR_NONE, &qd, &scheme, &ps, &quoted, &sig)) != 0)
		return tpm_fail(t, err, "TPM2_Quote", rc);
	if (quoted->size > sizeof(q->attest)) {
		err_set(err, RIV_FAIL, "%s: TPM2_Quote: TPMS_ATTEST of %u "
		    "bytes, more than %zu", t->name, quoted->size,
		    sizeof(q->attest));
		goto done;
	}
	memcpy(q->attest, quoted->attestationData, quoted->size);
	q->attest_len = quoted->size;
	if ((rc = Tss2_MU_TPMT_SIGNATURE_Marshal(sig, q->sig, sizeof(q->sig),
	    &q->sig_len)) != 0) {
		err_set(err, RIV_FAIL, "%s: TPM2_Quote: cannot marshal the "
		    "signature: %s", t->name, Tss2_RC_Decode(rc));
		goto done;
	}
	if ((rc = Tss2_MU_TPMS_ATTEST_Unmarshal(q->attest, q->attest_len,
	    &off, &a)) != 0) {
		err_set(err, RIV_FAIL, "%s: TPM2_Quote: cannot read the "
		    "TPMS_ATTEST: %s", t->name, Tss2_RC_Decode(rc));
		goto done;
	}
	q->clock = a.clockInfo.clock;
	q->reset_count = a.clockInfo.resetCount;
	q->restart_count = a.clockInfo.restartCount;
	ret = 0;
done:
	Esys_Free(quoted);
	Esys_Free(sig);
	return ret;
}

/*
 * Send swtpm control command cmd with a 4-byte big-endian argument on a
 * fresh connection to the control port; its answer is a 4-byte
 * big-endian result, 0 for success.
 */
static int
swtpm_ctrl(const struct tpm *t, uint32_t cmd, uint32_t arg, const char *what,
    struct riv_err *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct timeval tv = { SWTPM_CTRL_TIMEOUT, 0 };
	uint8_t req[8], resp[4];
	uint32_t result;
	size_t got = 0;
	ssize_t n;
	int fd = -1, e, saved = 0, i, ret = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((e = getaddrinfo(t->host, t->ctrl_port, &hints, &res)) != 0) {
		err_set(err, RIV_FAIL, "%s: swtpm control channel %s:%s: %s",
		    t->name, t->host, t->ctrl_port, gai_strerror(e));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype,
		    ai->ai_protocol)) == -1) {
			saved = errno;
			continue;
		}
		/* SO_SNDTIMEO bounds connect(2) as well on Linux */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		err_set(err, RIV_FAIL, "%s: swtpm control channel %s:%s: %s",
		    t->name, t->host, t->ctrl_port, strerror(saved));
		return -1;
	}
	for (i = 0; i < 4; i++) {
		req[i] = (uint8_t)(cmd >> (24 - 8 * i));
		req[4 + i] = (uint8_t)(arg >> (24 - 8 * i));
	}
	if (send(fd, req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req)) {
		err_set(err, RIV_FAIL, "%s: swtpm control channel %s:%s: %s: "
		    "cannot send: %s", t->name, t->host, t->ctrl_port, what,
		    strerror(errno));
		goto done;
	}
	while (got < sizeof(resp)) {
		if ((n = recv(fd, resp + got, sizeof(resp) - got, 0)) > 0)
			got += (size_t)n;
		else if (n == -1 && errno == EINTR)
			continue;
		else {
			err_set(err, RIV_FAIL, "%s: swtpm control channel "
			    "%s:%s: %s: %s", t->name, t->host, t->ctrl_port,
			    what, n == 0 ? "connection closed" :
			    strerror(errno));
			goto done;
		}
	}
	result = (uint32_t)resp[0] << 24 | (uint32_t)resp[1] << 16 |
	    (uint32_t)resp[2] << 8 | resp[3];
	if (result != 0) {
		err_set(err, RIV_FAIL, "%s: swtpm control channel %s:%s: %s: "
		    "result 0x%08x", t->name, t->host, t->ctrl_port, what,
		    result);
		goto done;
	}
	ret = 0;
done:
	close(fd);
	return ret;
}

/*
 * Power-cycle a swtpm: TPM2_Shutdown(CLEAR), as an operating system does
 * before a reboot (a TPM counts a disorderly shutdown after a dictionary-
 * attack protected key such as the AK was used as a failed authorization:
 * three resets without it put swtpm in DA lockout); CMD_INIT;
 * TPM2_Startup(CLEAR) from locality loc (0 or 3: the TPM refuses the
 * others with TPM_RC_LOCALITY); then the AK again, which must come out
 * the same.
 */
int
tpm_reset(struct tpm *t, int loc, struct riv_err *err)
{
	uint8_t blob[TPM_PUB_MAX];
	TPM2B_PUBLIC pub;
	ESYS_TR handle;
	size_t len;

	if (!t->swtpm) {
		err_set(err, RIV_MALFORMED, "%s: only a swtpm TCTI can be "
		    "reset, not \"%s\"", t->name, conf_name(t));
		return -1;
	}
	if (loc != 0 && loc != 3) {
		err_set(err, RIV_MALFORMED, "%s: TPM2_Startup from locality %d: "
		    "a TPM accepts it from locality 0 or 3 only", t->name, loc);
		return -1;
	}
	/* best effort: a TPM in failure mode is reset all the same */
	Esys_Shutdown(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
	    TPM2_SU_CLEAR);
	if (swtpm_ctrl(t, SWTPM_CMD_INIT, 0, "CMD_INIT", err) == -1)
		return -1;
	/* the TPM forgot the AK: only ESYS's record of it is left */
	if (t->ak != ESYS_TR_NONE) {
		Esys_TR_Close(t->esys, &t->ak);
		t->ak = ESYS_TR_NONE;
	}
	if (tpm_startup(t, loc, err) == -1 || read_banks(t, err) == -1)
		return -1;
	if (t->ak_alg < 0)
		return 0;
	if (ak_create(t, (enum tpm_ak_alg)t->ak_alg, &handle, &pub, err) ==
	    -1) {
		t->ak_alg = -1;
		return -1;
	}
	t->ak = handle;
	if (pub_marshal(t, &pub, blob, &len, err) == -1)
		return -1;
	if (len != t->ak_bloblen || memcmp(blob, t->ak_blob, len) != 0) {
		err_set(err, RIV_FAIL, "%s: the AK made after the reset differs "
		    "from the one before: was the endorsement seed changed?",
		    t->name);
		return -1;
	}
	return 0;
}
