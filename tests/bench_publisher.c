/*
 * bench_publisher.c — TEST-ONLY load generator for `make bench`
 * (tests/bench_rivd.sh).  It is NOT an attester: there is no TPM behind it.
 * Its quotes are signed with a software key made at start-up (ECDSA
 * P-256, or with -a rsa an RSA-2048 key, e = 65537, RSASSA-PKCS1-v1_5 /
 * SHA-256) and its "attestation key" is that key's public part dressed as
 * a TPM public area (restricted signing, the scheme fixed), so nothing it publishes proves anything about any platform.
 * Never configure a production rivd with its AK file, never install it.
 *
 * One process, one thread, one libevent loop: TLS server sessions (mutual
 * X.509) on one or a few loopback ports; the NETCONF hello (base:1.1 and
 * chunked framing through src/framing.c); establish-subscription,
 * modify-subscription, delete-subscription and close-session answered with
 * the XML riv-attester sends (contrib/riv-attester/subs.c); and
 * pcr-trust-evidence and ima-log notifications shaped like riv-attester's
 * (contrib/riv-attester/notify.c): a real TPMS_ATTEST of type
 * TPM_ST_ATTEST_QUOTE (TPM_GENERATED_VALUE, extraData = nonce n of the
 * subscription's chain, clockInfo advancing with real time, the PCR
 * selection and the digest of the reported PCR values) in a TPMT_SIGNATURE
 * (ECDSA or RSASSA, SHA-256), and for ima-log ENTRIES raw ima-ng records
 * per notification whose PCR 10 replay matches the quote.
 *
 * Pre-signing (-Q DEPTH, -j THREADS): an RSA-2048 signature costs this
 * publisher ~1 ms, 40 times rivd's verification, so signing inline could
 * never load rivd flat out.  With -Q, THREADS signer threads keep DEPTH
 * signed quotes ready per pcr-trust-evidence subscription (the nonces of
 * the chain are known once the seed is), and the loop only sends them;
 * a subscription with none ready is skipped ("starved" in the status).
 * -M 3 makes the RSA key a 3-prime one (RFC 8017): it signs faster and
 * verifies exactly as a 2-prime key of the same modulus size (rivd sees
 * n and e only).  Pre-signed quotes carry a clock that advances -T STEP
 * ms per sequence number from the subscription's start (a fresh clock
 * reading would jump when the pool is refilled), and quote n is not sent
 * before STEP * n ms after quote 0 was: so the TPM clock keeps pace with
 * rivd's time, as its clock rule demands (within +-15 % and 2 s), as long
 * as rivd keeps up with 1000 / STEP quotes per second and subscription.
 * There is no subscription-start notification (it would precede the first
 * pre-signed one by the time the pool takes to fill).
 *
 * Rate: -r RATE notifications per second over every subscription (round
 * robin); 0 sends as fast as each session's output drains; a negative rate
 * sends nothing after each subscription's first notification (idle
 * sessions).  -R FILE re-reads the rate from FILE every 100 ms.  -S FILE
 * gets a status line every 200 ms.
 */
#define _GNU_SOURCE		/* gettid */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <tss2/tss2_mu.h>

#include "bank.h"
#include "framing.h"
#include "nonce.h"
#include "pcrset.h"

#define PORTS_MAX	64
#define SUBS_PER_SESS	3
#define MSG_MAX		(16u * 1024 * 1024)	/* largest RPC accepted */
#define FILL_WM		(32 * 1024)	/* flat out: refill below this */
#define HIGH_WM		(256 * 1024)	/* rate mode: skip a session above */
#define TICK_US		1000		/* rate mode timer */
#define BURST_S		0.02		/* tokens kept at most (seconds) */
#define CLOCK_BASE_MS	100000		/* TPM clock at start-up */
#define FW_VERSION	0x2019102300163636ULL	/* swtpm's */
#define IMA_PCR		10
#define IMA_DEFAULT	100		/* entries per ima-log notification */
#define SUB_ID_FIRST	0x80000000u	/* dynamic ids, as riv-attester */
#define ATT_CAP		256		/* a marshalled quote TPMS_ATTEST */
#define SIG_CAP		(6 + 512)	/* a marshalled TPMT_SIGNATURE */
#define THREADS_MAX	16

#define NC_NS	"urn:ietf:params:xml:ns:netconf:base:1.0"
#define NTF_NS	"urn:ietf:params:xml:ns:netconf:notification:1.0"
#define SN_NS	"urn:ietf:params:xml:ns:yang:ietf-subscribed-notifications"
#define RAS_NS	"urn:rivd:params:xml:ns:yang:riv-attestation-streams"
#define TAA_NS	"urn:ietf:params:xml:ns:yang:ietf-tcg-algs"
#define CAP_BASE11 "urn:ietf:params:netconf:base:1.1"

enum { ST_PCR, ST_IMA };

struct psess;

/* One subscription of a session. */
struct psub {
	struct psess	*sess;
	uint32_t	 id;
	int		 stream;	/* ST_PCR, ST_IMA */
	int		 hash;		/* bank of the nonce chain */
	uint8_t		 seed[NONCE_SEED_MAX];
	size_t		 seed_len;
	uint8_t		 seed_id[NONCE_SEED_ID];
	char		 seed_b64[16];
	uint64_t	 seq;		/* n of the next notification */
	int		 bank;		/* PCR bank quoted */
	uint32_t	 pcrs;		/* PCRs quoted */
	uint32_t	 max_entries;
	uint64_t	 next_entry;	/* ima-log */
	uint8_t		 digest[32];	/* pcr-trust-evidence: fixed pcrDigest */
	size_t		 slot;		/* index in pub.active */
	/* Pre-signing (pub.pmx): quote n in pool[n % pub.presign]. */
	struct presigned *pool;
	uint64_t	 pool_next;	/* next n handed to a signer */
	uint32_t	 gen;		/* bumped when the seed changes */
	uint64_t	 clock0;	/* ms since start-up at establish */
	uint64_t	 sent0;		/* ms since start-up: quote 0 sent */
};

/* A quote signed ahead of time. */
struct presigned {
	uint64_t	 seq;
	uint16_t	 alen, slen;
	int		 ready;
	uint8_t		 att[ATT_CAP];
	uint8_t		 sig[SIG_CAP];
};

/* One TLS session (one simulated attester with one TPM). */
struct psess {
	struct bufferevent *bev;
	struct framer	 fr;
	uint32_t	 id;
	int		 up;		/* the peer's hello arrived */
	int		 closing;	/* close once the output is written */
	struct psub	*subs[SUBS_PER_SESS];
	size_t		 nsubs;
	size_t		 rr;		/* next sub to send (flat out) */
	int		 starved;	/* flat out, no pre-signed quote */
};

/* The IMA list every ima-log subscription replays (shared: each starts at
 * entry 0, so entry i and PCR 10 after it are the same for all). */
struct imalog {
	uint8_t		*buf;
	size_t		 len, cap;
	size_t		*off;		/* off[i]: entry i; off[n]: len */
	uint8_t		(*pcr)[32];	/* sha256 PCR 10 after entry i */
	uint64_t	 n, ncap;
};

/* The publisher. */
static struct {
	struct event_base *base;
	SSL_CTX		*ssl;
	EVP_PKEY	*key;
	EVP_PKEY_CTX	*sign;
	int		 rsa;		/* -a rsa: RSA-2048 AK, RSASSA */
	int		 primes;	/* -M: primes of the RSA key */
	uint32_t	 presign;	/* -Q: signed quotes kept per sub */
	uint32_t	 presign_step;	/* -T: ms of TPM clock per quote */
	int		 nthreads;	/* -j: signer threads */
	pthread_t	 threads[THREADS_MAX];
	pthread_mutex_t	 pmx;		/* pool, active (vs the signers) */
	pthread_cond_t	 pcv;		/* a pool has room */
	uint64_t	 pooled;	/* quotes ready in every pool */
	uint64_t	 signs;		/* by the loop */
	uint64_t	 psigns, stale;	/* by the signers (pmx) */
	uint64_t	 starved;	/* sends skipped: no quote ready */
	TPM2B_NAME	 name;		/* the AK's name: qualifiedSigner */
	struct psub	**active;	/* established subscriptions */
	size_t		 nactive, capactive, rr;
	uint32_t	 next_sub, next_sess;
	size_t		 nsess;
	double		 rate;		/* < 0 idle, 0 flat out, else per s */
	double		 tokens;
	struct timespec	 last_tick, t0;
	struct event	*tick, *poll;
	const char	*rate_file, *status_file;
	uint32_t	 ima_entries;
	int		 sndbuf;
	int		 nostart;
	int		 verbose;
	uint8_t		 pcrval[BANK_COUNT][PCR_COUNT][DIGEST_MAX];
	struct imalog	 ima;
	char		*msg;		/* notification being built */
	size_t		 msgcap;
	uint64_t	 sent, bytes, deferred, handshake_fail, rpcs;
} pub;

static void	sess_free(struct psess *);
static void	sess_fill(struct psess *);

/* Print a message and exit 1. */
static void __attribute__((format(printf, 1, 2), noreturn))
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench_publisher: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* Log a line when verbose. */
static void __attribute__((format(printf, 1, 2)))
debug(const char *fmt, ...)
{
	va_list ap;

	if (!pub.verbose)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "bench_publisher: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Milliseconds of the monotonic clock since start-up. */
static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)(((int64_t)ts.tv_sec - pub.t0.tv_sec) * 1000 +
	    (ts.tv_nsec - pub.t0.tv_nsec) / 1000000);
}

/* Seconds between two monotonic times. */
static double
ts_diff(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* Append printf output to buf (cap bytes) at *n; -1 if it does not fit. */
static int __attribute__((format(printf, 4, 5)))
append(char *buf, size_t cap, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(buf + *n, cap - *n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= cap - *n)
		return -1;
	*n += (size_t)k;
	return 0;
}

/* Base64 of len bytes into out (4 * ((len + 2) / 3) + 1 bytes). */
static void
b64(const uint8_t *p, size_t len, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, p, (int)len);
}

/* Decode base64 text (no white space); 0 or -1. */
static int
unb64(const char *in, size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
	int n, pad = 0;

	if (len == 0 || len % 4 != 0 || len / 4 * 3 > cap)
		return -1;
	if (in[len - 1] == '=')
		pad++;
	if (in[len - 2] == '=')
		pad++;
	if ((n = EVP_DecodeBlock(out, (const unsigned char *)in,
	    (int)len)) < pad)
		return -1;
	*outlen = (size_t)(n - pad);
	return 0;
}

/*
 * The text of the first element with local name tag in msg, copied into
 * buf; a pointer past it, or NULL.
 */
static const char *
xml_text(const char *msg, const char *tag, char *buf, size_t cap)
{
	size_t tl = strlen(tag), n;
	const char *p, *q;

	for (p = msg; (p = strchr(p, '<')) != NULL; p++) {
		q = p + 1;
		if (strncmp(q, tag, tl) == 0 && (q[tl] == '>' ||
		    q[tl] == ' ' || q[tl] == '/'))
			break;
	}
	if (p == NULL || (p = strchr(p, '>')) == NULL)
		return NULL;
	if (p[-1] == '/') {
		buf[0] = '\0';
		return p + 1;
	}
	if ((q = strchr(p + 1, '<')) == NULL)
		return NULL;
	n = (size_t)(q - p - 1);
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, p + 1, n);
	buf[n] = '\0';
	return q;
}

/* A signing context of the AK (one per thread): PKCS#1 v1.5 for RSA. */
static EVP_PKEY_CTX *
sign_ctx(void)
{
	EVP_PKEY_CTX *c;

	if ((c = EVP_PKEY_CTX_new(pub.key, NULL)) == NULL ||
	    EVP_PKEY_sign_init(c) != 1 || (pub.rsa &&
	    (EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()) != 1)))
		fatal("cannot sign with the key");
	return c;
}

/* An RSA-2048 key (e = 65537, pub.primes primes). */
static EVP_PKEY *
rsa_gen(void)
{
	EVP_PKEY_CTX *c;
	EVP_PKEY *k = NULL;

	if ((c = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_keygen_init(c) != 1 ||
	    EVP_PKEY_CTX_set_rsa_keygen_bits(c, 2048) != 1 ||
	    EVP_PKEY_CTX_set_rsa_keygen_primes(c, pub.primes) != 1 ||
	    EVP_PKEY_keygen(c, &k) != 1)
		fatal("cannot make an RSA-2048 key with %d primes", pub.primes);
	EVP_PKEY_CTX_free(c);
	return k;
}

/*
 * Make the AK: a P-256 key (or RSA-2048 with -a rsa), its TPM2B_PUBLIC
 * (restricted signing, scheme ECDSA or RSASSA with SHA-256) written to
 * path, its name.
 */
static void
ak_make(const char *path)
{
	TPM2B_PUBLIC pb;
	TPMT_PUBLIC *p = &pb.publicArea;
	BIGNUM *x = NULL, *y = NULL;
	uint8_t buf[sizeof(TPM2B_PUBLIC)], tp[sizeof(TPMT_PUBLIC)];
	size_t off = 0, toff = 0;
	FILE *f;

	memset(&pb, 0, sizeof(pb));
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
	    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
	    TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
	if (pub.rsa) {
		pub.key = rsa_gen();
		if (EVP_PKEY_get_bn_param(pub.key, OSSL_PKEY_PARAM_RSA_N,
		    &x) != 1)
			fatal("cannot read the RSA modulus");
		p->type = TPM2_ALG_RSA;
		p->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
		p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSASSA;
		p->parameters.rsaDetail.scheme.details.rsassa.hashAlg =
		    TPM2_ALG_SHA256;
		p->parameters.rsaDetail.keyBits = 2048;
		p->parameters.rsaDetail.exponent = 0;	/* 65537 */
		p->unique.rsa.size = 256;
		if (BN_bn2binpad(x, p->unique.rsa.buffer, 256) != 256)
			fatal("cannot read the RSA modulus");
	} else {
		if ((pub.key = EVP_EC_gen("P-256")) == NULL ||
		    EVP_PKEY_get_bn_param(pub.key, OSSL_PKEY_PARAM_EC_PUB_X,
		    &x) != 1 ||
		    EVP_PKEY_get_bn_param(pub.key, OSSL_PKEY_PARAM_EC_PUB_Y,
		    &y) != 1)
			fatal("cannot make a P-256 key");
		p->type = TPM2_ALG_ECC;
		p->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
		p->parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
		p->parameters.eccDetail.scheme.details.ecdsa.hashAlg =
		    TPM2_ALG_SHA256;
		p->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
		p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
		p->unique.ecc.x.size = 32;
		p->unique.ecc.y.size = 32;
		if (BN_bn2binpad(x, p->unique.ecc.x.buffer, 32) != 32 ||
		    BN_bn2binpad(y, p->unique.ecc.y.buffer, 32) != 32)
			fatal("cannot read the key's point");
	}
	BN_free(x);
	BN_free(y);
	if (Tss2_MU_TPM2B_PUBLIC_Marshal(&pb, buf, sizeof(buf), &off) != 0 ||
	    Tss2_MU_TPMT_PUBLIC_Marshal(p, tp, sizeof(tp), &toff) != 0)
		fatal("cannot marshal the AK's public area");
	/* Name = nameAlg || H(TPMT_PUBLIC). */
	pub.name.size = 34;
	pub.name.name[0] = TPM2_ALG_SHA256 >> 8;
	pub.name.name[1] = TPM2_ALG_SHA256 & 0xff;
	if (bank_hash(BANK_SHA256, tp, toff, pub.name.name + 2) != 0)
		fatal("sha256");
	if ((f = fopen(path, "wb")) == NULL || fwrite(buf, 1, off, f) != off ||
	    fclose(f) != 0)
		fatal("%s: %s", path, strerror(errno));
	pub.sign = sign_ctx();
}

/* The fixed value of PCR p in bank b (what the PCR streams report). */
static void
pcr_values_init(void)
{
	char label[32];
	int b, p;

	for (b = 0; b < BANK_COUNT; b++) {
		if (!bank_available(b))
			continue;
		for (p = 0; p < PCR_COUNT; p++) {
			snprintf(label, sizeof(label), "bench pcr %d", p);
			bank_hash(b, label, strlen(label), pub.pcrval[b][p]);
		}
	}
}

/* Append one ima-ng record (binary, little-endian) for entry i. */
static void
ima_add_entry(uint64_t i)
{
	struct imalog *l = &pub.ima;
	uint8_t td[512], rec[600], fd[32], th1[20], th256[32], *pcr;
	char path[64];
	size_t plen, tdlen, n = 0;
	uint32_t v;

	if (i == 0)
		snprintf(path, sizeof(path), "boot_aggregate");
	else
		snprintf(path, sizeof(path), "/usr/bin/bench-%llu",
		    (unsigned long long)i);
	plen = strlen(path) + 1;
	bank_hash(BANK_SHA256, path, plen, fd);
	/* Template data: d-ng ("sha256:" NUL digest), n-ng (path NUL). */
	v = 8 + 32;
	memcpy(td, &v, 4);
	memcpy(td + 4, "sha256:", 8);
	memcpy(td + 12, fd, 32);
	v = (uint32_t)plen;
	memcpy(td + 44, &v, 4);
	memcpy(td + 48, path, plen);
	tdlen = 48 + plen;
	bank_hash(BANK_SHA1, td, tdlen, th1);
	bank_hash(BANK_SHA256, td, tdlen, th256);
	v = IMA_PCR;
	memcpy(rec + n, &v, 4);
	n += 4;
	memcpy(rec + n, th1, 20);
	n += 20;
	v = 6;
	memcpy(rec + n, &v, 4);
	n += 4;
	memcpy(rec + n, "ima-ng", 6);
	n += 6;
	v = (uint32_t)tdlen;
	memcpy(rec + n, &v, 4);
	n += 4;
	memcpy(rec + n, td, tdlen);
	n += tdlen;
	if (l->n + 2 > l->ncap) {
		l->ncap = l->ncap ? l->ncap * 2 : 4096;
		if ((l->off = realloc(l->off, l->ncap * sizeof(*l->off))) ==
		    NULL || (l->pcr = realloc(l->pcr, l->ncap *
		    sizeof(*l->pcr))) == NULL)
			fatal("out of memory");
	}
	while (l->len + n > l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1 << 20;
		if ((l->buf = realloc(l->buf, l->cap)) == NULL)
			fatal("out of memory");
	}
	if (l->n == 0)
		l->off[0] = 0;
	memcpy(l->buf + l->len, rec, n);
	l->len += n;
	pcr = l->pcr[l->n];
	if (l->n == 0)
		memset(pcr, 0, 32);
	else
		memcpy(pcr, l->pcr[l->n - 1], 32);
	bank_extend(BANK_SHA256, pcr, th256);
	l->n++;
	l->off[l->n] = l->len;
}

/* Make sure the shared IMA list has at least n entries. */
static void
ima_ensure(uint64_t n)
{
	while (pub.ima.n < n)
		ima_add_entry(pub.ima.n);
}

/* Make sure the notification buffer holds cap bytes. */
static void
msg_reserve(size_t cap)
{
	if (cap <= pub.msgcap)
		return;
	if ((pub.msg = realloc(pub.msg, cap)) == NULL)
		fatal("out of memory");
	pub.msgcap = cap;
}

/*
 * The value of PCR p of bank b that s reports; for ima-log, PCR 10 after
 * the first upto entries.
 */
static const uint8_t *
sub_pcr(const struct psub *s, int p, uint64_t upto)
{
	if (s->stream == ST_IMA && p == IMA_PCR && s->bank == BANK_SHA256)
		return pub.ima.pcr[upto - 1];
	return pub.pcrval[s->bank][p];
}

/* The pcrDigest of s's selection (SHA-256: the AK's scheme hash). */
static void
sub_digest(const struct psub *s, uint64_t upto, uint8_t *out)
{
	uint8_t cat[PCR_COUNT * DIGEST_MAX];
	size_t n = 0, size = bank_get(s->bank)->size;
	int p;

	for (p = 0; p < PCR_COUNT; p++)
		if (s->pcrs & (1u << p)) {
			memcpy(cat + n, sub_pcr(s, p, upto), size);
			n += size;
		}
	bank_hash(BANK_SHA256, cat, n, out);
}

/*
 * Marshal the quote TPMS_ATTEST of a subscription (its bank, PCRs) for
 * nonce, pcrDigest digest and TPM clock into att.  Return 0 or -1.
 */
static int
quote_att(int bank, uint32_t pcrs, const uint8_t *nonce, size_t nlen,
    const uint8_t *digest, uint64_t clock, uint8_t *att, size_t cap,
    size_t *alen)
{
	TPMS_ATTEST a;
	TPMS_PCR_SELECTION *ps;
	int k;

	memset(&a, 0, sizeof(a));
	a.magic = TPM2_GENERATED_VALUE;
	a.type = TPM2_ST_ATTEST_QUOTE;
	a.qualifiedSigner = pub.name;
	a.extraData.size = (uint16_t)nlen;
	memcpy(a.extraData.buffer, nonce, nlen);
	a.clockInfo.clock = clock;
	a.clockInfo.resetCount = 1;
	a.clockInfo.restartCount = 0;
	a.clockInfo.safe = 1;
	a.firmwareVersion = FW_VERSION;
	a.attested.quote.pcrSelect.count = 1;
	ps = &a.attested.quote.pcrSelect.pcrSelections[0];
	ps->hash = bank_get(bank)->alg;
	ps->sizeofSelect = 3;
	for (k = 0; k < 3; k++)
		ps->pcrSelect[k] = (uint8_t)(pcrs >> (8 * k));
	a.attested.quote.pcrDigest.size = 32;
	memcpy(a.attested.quote.pcrDigest.buffer, digest, 32);
	*alen = 0;
	return Tss2_MU_TPMS_ATTEST_Marshal(&a, att, cap, alen) == 0 ? 0 : -1;
}

/*
 * Sign att (alen bytes) with the AK through ctx (this thread's): the
 * marshalled TPMT_SIGNATURE into sig (cap bytes).  Return 0 or -1.
 */
static int
quote_sign(EVP_PKEY_CTX *ctx, const uint8_t *att, size_t alen, uint8_t *sig,
    size_t cap, size_t *slen)
{
	TPMT_SIGNATURE ts;
	uint8_t md[32], der[512];
	const unsigned char *dp = der;
	size_t dlen = sizeof(der);
	ECDSA_SIG *es;
	const BIGNUM *r, *sv;

	if (EVP_Digest(att, alen, md, NULL, EVP_sha256(), NULL) != 1 ||
	    EVP_PKEY_sign(ctx, der, &dlen, md, sizeof(md)) != 1)
		return -1;
	memset(&ts, 0, sizeof(ts));
	if (pub.rsa) {
		if (dlen != 256)
			return -1;
		ts.sigAlg = TPM2_ALG_RSASSA;
		ts.signature.rsassa.hash = TPM2_ALG_SHA256;
		ts.signature.rsassa.sig.size = (uint16_t)dlen;
		memcpy(ts.signature.rsassa.sig.buffer, der, dlen);
	} else {
		if ((es = d2i_ECDSA_SIG(NULL, &dp, (long)dlen)) == NULL)
			return -1;
		ECDSA_SIG_get0(es, &r, &sv);
		ts.sigAlg = TPM2_ALG_ECDSA;
		ts.signature.ecdsa.hash = TPM2_ALG_SHA256;
		ts.signature.ecdsa.signatureR.size = 32;
		ts.signature.ecdsa.signatureS.size = 32;
		BN_bn2binpad(r, ts.signature.ecdsa.signatureR.buffer, 32);
		BN_bn2binpad(sv, ts.signature.ecdsa.signatureS.buffer, 32);
		ECDSA_SIG_free(es);
	}
	*slen = 0;
	return Tss2_MU_TPMT_SIGNATURE_Marshal(&ts, sig, cap, slen) == 0 ? 0 :
	    -1;
}

/*
 * Make the quote of s for nonce now: TPMS_ATTEST into att, TPMT_SIGNATURE
 * into sig.  Return 0 or -1.
 */
static int
quote_make(const struct psub *s, const uint8_t *nonce, size_t nlen,
    const uint8_t *digest, uint8_t *att, size_t *alen, uint8_t *sig,
    size_t *slen)
{
	if (quote_att(s->bank, s->pcrs, nonce, nlen, digest, CLOCK_BASE_MS +
	    mono_ms(), att, sizeof(TPMS_ATTEST), alen) != 0)
		return -1;
	pub.signs++;
	return quote_sign(pub.sign, att, *alen, sig, sizeof(TPMT_SIGNATURE),
	    slen);
}

/* Whether s takes its quotes from a pool of pre-signed ones. */
static int
presigning(const struct psub *s)
{
	return pub.presign > 0 && s->stream == ST_PCR;
}

/*
 * Take pre-signed quote n of s into att and sig: 0, or 1 if it is not
 * ready yet.
 */
static int
pool_take(struct psub *s, uint8_t *att, size_t *alen, uint8_t *sig,
    size_t *slen)
{
	struct presigned *p;
	int r = 1;

	pthread_mutex_lock(&pub.pmx);
	p = &s->pool[s->seq % pub.presign];
	if (p->ready && p->seq == s->seq) {
		memcpy(att, p->att, p->alen);
		memcpy(sig, p->sig, p->slen);
		*alen = p->alen;
		*slen = p->slen;
		p->ready = 0;
		pub.pooled--;
		r = 0;
		pthread_cond_signal(&pub.pcv);
	}
	pthread_mutex_unlock(&pub.pmx);
	return r;
}

/* What a signer thread copies of a subscription to sign its quote n. */
struct job {
	struct psub	*s;
	uint32_t	 id, gen;
	uint64_t	 seq, clock;
	int		 hash, bank;
	uint32_t	 pcrs;
	uint8_t		 seed[NONCE_SEED_MAX];
	size_t		 seed_len;
	uint8_t		 digest[32];
};

/* With pub.pmx held: the next quote to sign (the emptiest pool), or 0. */
static int
job_next(struct job *j)
{
	struct psub *s, *best = NULL;
	uint64_t ahead, least = UINT64_MAX;
	size_t i;

	for (i = 0; i < pub.nactive; i++) {
		s = pub.active[i];
		if (!presigning(s))
			continue;
		if (s->pool_next < s->seq)
			s->pool_next = s->seq;
		ahead = s->pool_next - s->seq;
		if (ahead < pub.presign && ahead < least) {
			least = ahead;
			best = s;
		}
	}
	if ((s = best) == NULL)
		return 0;
	j->s = s;
	j->id = s->id;
	j->gen = s->gen;
	j->seq = s->pool_next++;
	j->clock = CLOCK_BASE_MS + s->clock0 + j->seq * pub.presign_step;
	j->hash = s->hash;
	j->bank = s->bank;
	j->pcrs = s->pcrs;
	memcpy(j->seed, s->seed, s->seed_len);
	j->seed_len = s->seed_len;
	memcpy(j->digest, s->digest, sizeof(j->digest));
	return 1;
}

/* With pub.pmx held: whether j's subscription is still there, unchanged. */
static int
job_live(const struct job *j)
{
	size_t i;

	for (i = 0; i < pub.nactive; i++)
		if (pub.active[i] == j->s)
			return j->s->id == j->id && j->s->gen == j->gen &&
			    j->seq >= j->s->seq &&
			    j->seq < j->s->seq + pub.presign;
	return 0;
}

/* A signer thread (nice 19): fill the pools, forever. */
static void *
signer(void *arg)
{
	EVP_PKEY_CTX *ctx = sign_ctx();
	struct presigned *p;
	struct job j;
	uint8_t nonce[DIGEST_MAX], att[ATT_CAP], sig[SIG_CAP];
	size_t nlen, alen, slen;

	(void)arg;
	/* Spare CPU only: the loop that sends (and rivd) come first. */
	setpriority(PRIO_PROCESS, (id_t)gettid(), 19);
	pthread_mutex_lock(&pub.pmx);
	for (;;) {
		if (!job_next(&j)) {
			pthread_cond_wait(&pub.pcv, &pub.pmx);
			continue;
		}
		pthread_mutex_unlock(&pub.pmx);
		if (nonce_derive(j.hash, j.seed, j.seed_len, j.seq, nonce,
		    &nlen) != 0 || quote_att(j.bank, j.pcrs, nonce, nlen,
		    j.digest, j.clock, att, sizeof(att), &alen) != 0 ||
		    quote_sign(ctx, att, alen, sig, sizeof(sig), &slen) != 0)
			fatal("a signer thread cannot quote");
		pthread_mutex_lock(&pub.pmx);
		pub.psigns++;
		if (!job_live(&j)) {
			pub.stale++;
			continue;
		}
		p = &j.s->pool[j.seq % pub.presign];
		p->seq = j.seq;
		p->alen = (uint16_t)alen;
		p->slen = (uint16_t)slen;
		memcpy(p->att, att, alen);
		memcpy(p->sig, sig, slen);
		if (!p->ready)
			pub.pooled++;
		p->ready = 1;
	}
	return NULL;
}

/* Start the signer threads (with -Q). */
static void
signers_start(void)
{
	int i;

	if (pub.presign == 0)
		return;
	for (i = 0; i < pub.nthreads; i++)
		if (pthread_create(&pub.threads[i], NULL, signer, NULL) != 0)
			fatal("cannot start a signer thread");
}

/* Write a message with the session's framing (hello: end-of-message). */
static void
sess_write(struct psess *ss, const char *msg, size_t len, int eom)
{
	struct evbuffer *out = bufferevent_get_output(ss->bev);

	if (eom) {
		evbuffer_add(out, msg, len);
		evbuffer_add(out, "]]>]]>", 6);
		return;
	}
	evbuffer_add_printf(out, "\n#%zu\n", len);
	evbuffer_add(out, msg, len);
	evbuffer_add(out, "\n##\n", 4);
}

/* The current time as riv-attester's eventTime (libyang, nanoseconds). */
static void
event_time(char *buf, size_t cap)
{
	struct timespec ts;
	struct tm tm;
	char s[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, cap, "%s.%09ld+00:00", s, ts.tv_nsec);
}

/*
 * Send the next evidence notification of s with trigger (an identity of
 * riv-attestation-streams).  Return 0, 1 if its next pre-signed quote is
 * not ready (nothing sent), or -1.
 */
static int
sub_send(struct psub *s, const char *trigger)
{
	uint8_t nonce[DIGEST_MAX], att[sizeof(TPMS_ATTEST)];
	uint8_t sig[sizeof(TPMT_SIGNATURE)], digest[32];
	char when[48], a64[4 * sizeof(TPMS_ATTEST) / 3 + 8];
	char s64[4 * sizeof(TPMT_SIGNATURE) / 3 + 8], v64[96];
	const char *name = s->stream == ST_PCR ? "pcr-trust-evidence" :
	    "ima-log";
	size_t nlen, alen, slen, n = 0, raw = 0, cap;
	uint64_t from = 0, to = 0;
	int p;

	if (s->stream == ST_IMA) {
		from = s->next_entry;
		to = from + (pub.ima_entries < s->max_entries ?
		    pub.ima_entries : s->max_entries);
		ima_ensure(to);
		raw = pub.ima.off[to] - pub.ima.off[from];
		sub_digest(s, to, digest);
	} else
		memcpy(digest, s->digest, sizeof(digest));
	if (presigning(s)) {
		/* Quote n not before its clock says (quote 0 anchors it). */
		if (s->seq > 0 && mono_ms() < s->sent0 + s->seq *
		    pub.presign_step)
			return 1;
		if (pool_take(s, att, &alen, sig, &slen) != 0) {
			pub.starved++;
			return 1;
		}
		if (s->seq == 0)
			s->sent0 = mono_ms();
	} else if (nonce_derive(s->hash, s->seed, s->seed_len, s->seq, nonce,
	    &nlen) != 0 || quote_make(s, nonce, nlen, digest, att, &alen, sig,
	    &slen) != 0) {
		fprintf(stderr, "bench_publisher: subscription %u: cannot "
		    "quote\n", s->id);
		return -1;
	}
	b64(att, alen, a64);
	b64(sig, slen, s64);
	event_time(when, sizeof(when));
	cap = 4096 + PCR_COUNT * 160 + 4 * (raw + 2) / 3 + 8;
	msg_reserve(cap);
	if (append(pub.msg, cap, &n, "<notification xmlns=\"" NTF_NS "\">"
	    "<eventTime>%s</eventTime><%s xmlns=\"" RAS_NS "\">"
	    "<subscription-id>%u</subscription-id>"
	    "<sequence-number>%llu</sequence-number><seed-id>%s</seed-id>"
	    "<trigger xmlns:ras=\"" RAS_NS "\">ras:%s</trigger>"
	    "<tpm><name>tpm0</name><quote>"
	    "<certificate-name>tpm0-ak</certificate-name>"
	    "<quote-data>%s</quote-data><quote-signature>%s</quote-signature>"
	    "<up-time>%llu</up-time><unsigned-pcr-values>"
	    "<tpm20-hash-algo xmlns:taa=\"" TAA_NS "\">taa:%s"
	    "</tpm20-hash-algo>", when, name, s->id,
	    (unsigned long long)s->seq, s->seed_b64, trigger, a64, s64,
	    (unsigned long long)(mono_ms() / 1000), tcgalg_name(s->bank)) != 0)
		return -1;
	for (p = 0; p < PCR_COUNT; p++) {
		if (!(s->pcrs & (1u << p)))
			continue;
		b64(sub_pcr(s, p, to), bank_get(s->bank)->size, v64);
		if (append(pub.msg, cap, &n, "<pcr-values><pcr-index>%d"
		    "</pcr-index><pcr-value>%s</pcr-value></pcr-values>", p,
		    v64) != 0)
			return -1;
	}
	if (append(pub.msg, cap, &n, "</unsigned-pcr-values></quote>") != 0)
		return -1;
	if (s->stream == ST_IMA) {
		if (append(pub.msg, cap, &n, "<first-event-number>%llu"
		    "</first-event-number><raw-entries>",
		    (unsigned long long)from) != 0 || cap - n < 4 * (raw + 2) /
		    3 + 1)
			return -1;
		b64(pub.ima.buf + pub.ima.off[from], raw, pub.msg + n);
		n += strlen(pub.msg + n);
		if (append(pub.msg, cap, &n, "</raw-entries>") != 0)
			return -1;
		s->next_entry = to;
	}
	if (append(pub.msg, cap, &n, "</tpm></%s></notification>", name) != 0)
		return -1;
	sess_write(s->sess, pub.msg, n, 0);
	if (presigning(s)) {	/* the signers read it */
		pthread_mutex_lock(&pub.pmx);
		s->seq++;
		pthread_mutex_unlock(&pub.pmx);
	} else
		s->seq++;
	pub.sent++;
	pub.bytes += n;
	return 0;
}

/* Send an RFC 8639 state-change notification (replay-completed). */
static void
sub_state(struct psub *s, const char *what)
{
	char when[48], buf[512];
	size_t n = 0;

	event_time(when, sizeof(when));
	if (append(buf, sizeof(buf), &n, "<notification xmlns=\"" NTF_NS
	    "\"><eventTime>%s</eventTime><%s xmlns=\"" SN_NS "\"><id>%u</id>"
	    "</%s></notification>", when, what, s->id, what) == 0)
		sess_write(s->sess, buf, n, 0);
}

/* Bytes waiting in a session's output. */
static size_t
sess_pending(const struct psess *ss)
{
	return evbuffer_get_length(bufferevent_get_output(ss->bev));
}

/* Add s to the subscriptions that get notifications. */
static void
active_add(struct psub *s)
{
	pthread_mutex_lock(&pub.pmx);
	if (pub.nactive == pub.capactive) {
		pub.capactive = pub.capactive ? pub.capactive * 2 : 256;
		if ((pub.active = realloc(pub.active, pub.capactive *
		    sizeof(*pub.active))) == NULL)
			fatal("out of memory");
	}
	s->slot = pub.nactive;
	pub.active[pub.nactive++] = s;
	pthread_cond_broadcast(&pub.pcv);
	pthread_mutex_unlock(&pub.pmx);
}

/* Remove s from the active subscriptions. */
static void
active_del(struct psub *s)
{
	struct psub *last;
	uint32_t i;

	pthread_mutex_lock(&pub.pmx);
	last = pub.active[--pub.nactive];
	pub.active[s->slot] = last;
	last->slot = s->slot;
	for (i = 0; s->pool != NULL && i < pub.presign; i++)
		if (s->pool[i].ready)
			pub.pooled--;
	pthread_mutex_unlock(&pub.pmx);
}

/* Free subscription s of its session. */
static void
sub_free(struct psub *s)
{
	struct psess *ss = s->sess;
	size_t i;

	active_del(s);
	for (i = 0; i < ss->nsubs; i++)
		if (ss->subs[i] == s) {
			ss->subs[i] = ss->subs[--ss->nsubs];
			break;
		}
	free(s->pool);
	free(s);
}

/* Reply to message-id mid with body (the content of <rpc-reply>). */
static void
reply(struct psess *ss, const char *mid, const char *body)
{
	char buf[2048];
	size_t n = 0;

	if (append(buf, sizeof(buf), &n, "<rpc-reply xmlns=\"" NC_NS "\" "
	    "message-id=\"%s\">%s</rpc-reply>", mid, body) == 0)
		sess_write(ss, buf, n, 0);
}

/* Reply with an rpc-error (tag, app-tag, message). */
static void
reply_error(struct psess *ss, const char *mid, const char *tag,
    const char *apptag, const char *msg)
{
	char body[1024];
	size_t n = 0;

	if (append(body, sizeof(body), &n, "<rpc-error><error-type>application"
	    "</error-type><error-tag>%s</error-tag><error-severity>error"
	    "</error-severity>%s%s%s<error-message xml:lang=\"en\">%s"
	    "</error-message></rpc-error>", tag, apptag ? "<error-app-tag>" :
	    "", apptag ? apptag : "", apptag ? "</error-app-tag>" : "",
	    msg) == 0)
		reply(ss, mid, body);
}

/* Read nonce-seed and nonce-hash-algo of rpc into s; 0 or -1. */
static int
parse_seed(const char *rpc, struct psub *s)
{
	char text[256];
	int bank;

	if (xml_text(rpc, "nonce-hash-algo", text, sizeof(text)) != NULL) {
		if ((bank = tcgalg_bank(text)) < 0 || !bank_available(bank))
			return -1;
		s->hash = bank;
	}
	if (xml_text(rpc, "nonce-seed", text, sizeof(text)) == NULL)
		return 0;
	if (unb64(text, strlen(text), s->seed, sizeof(s->seed),
	    &s->seed_len) != 0 || s->seed_len < NONCE_SEED_MIN ||
	    s->seed_len > NONCE_SEED_MAX ||
	    nonce_seed_id(s->hash, s->seed, s->seed_len, s->seed_id) != 0)
		return -1;
	b64(s->seed_id, NONCE_SEED_ID, s->seed_b64);
	return 0;
}

/* Read the PCR selection, max-entries of rpc into s; 0 or -1. */
static int
parse_selection(const char *rpc, struct psub *s)
{
	char text[64];
	const char *p;
	uint32_t pcrs = 0;
	unsigned long v;

	if (xml_text(rpc, "tpm20-hash-algo", text, sizeof(text)) != NULL &&
	    ((s->bank = tcgalg_bank(text)) < 0 || !bank_available(s->bank)))
		return -1;
	for (p = rpc; (p = xml_text(p, "pcr-index", text, sizeof(text))) !=
	    NULL;) {
		if ((v = strtoul(text, NULL, 10)) >= PCR_COUNT)
			return -1;
		pcrs |= 1u << v;
	}
	if (pcrs != 0)
		s->pcrs = pcrs;
	if (xml_text(rpc, "max-entries", text, sizeof(text)) != NULL)
		s->max_entries = (uint32_t)strtoul(text, NULL, 10);
	if (s->stream == ST_IMA && (s->pcrs & (1u << IMA_PCR)) &&
	    s->bank != BANK_SHA256)
		return -1;	/* only the sha256 bank replays IMA here */
	return 0;
}

/* Answer establish-subscription. */
static void
rpc_establish(struct psess *ss, const char *mid, const char *rpc)
{
	struct psub *s;
	char stream[64], body[512];
	size_t n = 0;

	if (xml_text(rpc, "stream", stream, sizeof(stream)) == NULL ||
	    (strcmp(stream, "pcr-trust-evidence") != 0 &&
	    strcmp(stream, "ima-log") != 0)) {
		reply_error(ss, mid, "invalid-value", NULL, "bench_publisher "
		    "publishes pcr-trust-evidence and ima-log");
		return;
	}
	if (ss->nsubs == SUBS_PER_SESS) {
		reply_error(ss, mid, "resource-denied", "ietf-subscribed-"
		    "notifications:insufficient-resources", "too many "
		    "subscriptions on this session");
		return;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("out of memory");
	s->sess = ss;
	s->stream = strcmp(stream, "ima-log") == 0 ? ST_IMA : ST_PCR;
	s->hash = BANK_SHA256;
	s->bank = BANK_SHA256;
	s->pcrs = s->stream == ST_IMA ? 1u << IMA_PCR : 0x3ffu;
	s->max_entries = 1000;
	if (parse_seed(rpc, s) != 0 || s->seed_len == 0 ||
	    parse_selection(rpc, s) != 0) {
		free(s);
		reply_error(ss, mid, "invalid-value", "riv-attestation-streams:"
		    "seed-invalid", "bad nonce-seed, hash or PCR selection");
		return;
	}
	s->id = pub.next_sub++;
	if (s->stream == ST_PCR)
		sub_digest(s, 0, s->digest);
	s->clock0 = mono_ms();
	if (presigning(s) && (s->pool = calloc(pub.presign,
	    sizeof(*s->pool))) == NULL)
		fatal("out of memory");
	ss->subs[ss->nsubs++] = s;
	active_add(s);
	if (append(body, sizeof(body), &n, "<id xmlns=\"" SN_NS "\">%u</id>"
	    "<seed-id xmlns=\"" RAS_NS "\">%s</seed-id>", s->id,
	    s->seed_b64) == 0)
		reply(ss, mid, body);
	debug("session %u: subscription %u to %s", ss->id, s->id, stream);
	if (!pub.nostart && !presigning(s)) {
		sub_send(s, "subscription-start");
		if (s->stream == ST_IMA)
			sub_state(s, "replay-completed");
	}
	if (pub.rate == 0)
		sess_fill(ss);
}

/* The subscription of ss named by the <id> of rpc, or NULL. */
static struct psub *
rpc_sub(struct psess *ss, const char *rpc)
{
	char text[32];
	uint32_t id;
	size_t i;

	if (xml_text(rpc, "id", text, sizeof(text)) == NULL)
		return NULL;
	id = (uint32_t)strtoul(text, NULL, 10);
	for (i = 0; i < ss->nsubs; i++)
		if (ss->subs[i]->id == id)
			return ss->subs[i];
	return NULL;
}

/* Answer modify-subscription: a new seed (and selection). */
static void
rpc_modify(struct psess *ss, const char *mid, const char *rpc)
{
	struct psub *s, tmp;
	uint32_t n;

	if ((s = rpc_sub(ss, rpc)) == NULL) {
		reply_error(ss, mid, "invalid-value", "ietf-subscribed-"
		    "notifications:no-such-subscription", "no such "
		    "subscription on this session");
		return;
	}
	tmp = *s;
	if (parse_seed(rpc, &tmp) != 0 || parse_selection(rpc, &tmp) != 0) {
		reply_error(ss, mid, "invalid-value", "riv-attestation-streams:"
		    "seed-invalid", "bad nonce-seed, hash or PCR selection");
		return;
	}
	pthread_mutex_lock(&pub.pmx);
	*s = tmp;
	if (s->stream == ST_PCR)
		sub_digest(s, 0, s->digest);
	s->gen++;	/* pre-signed quotes: the old chain, dropped (and
			 * the "modified" notification is not sent) */
	s->pool_next = s->seq;
	for (n = 0; s->pool != NULL && n < pub.presign; n++)
		if (s->pool[n].ready) {
			s->pool[n].ready = 0;
			pub.pooled--;
		}
	pthread_cond_broadcast(&pub.pcv);
	pthread_mutex_unlock(&pub.pmx);
	reply(ss, mid, "<ok/>");
	sub_send(s, "modified");
}

/* Handle one RPC of an established session. */
static void
sess_rpc(struct psess *ss, const char *msg)
{
	char mid[32] = "0";
	const char *p;
	size_t n;
	struct psub *s;

	pub.rpcs++;
	if ((p = strstr(msg, "message-id=\"")) != NULL) {
		p += 12;
		n = strcspn(p, "\"");
		if (n < sizeof(mid)) {
			memcpy(mid, p, n);
			mid[n] = '\0';
		}
	}
	if (strstr(msg, "<establish-subscription") != NULL)
		rpc_establish(ss, mid, msg);
	else if (strstr(msg, "<modify-subscription") != NULL)
		rpc_modify(ss, mid, msg);
	else if (strstr(msg, "<delete-subscription") != NULL ||
	    strstr(msg, "<kill-subscription") != NULL) {
		if ((s = rpc_sub(ss, msg)) == NULL)
			reply_error(ss, mid, "invalid-value", "ietf-subscribed-"
			    "notifications:no-such-subscription", "no such "
			    "subscription on this session");
		else {
			sub_free(s);
			reply(ss, mid, "<ok/>");
		}
	} else if (strstr(msg, "<close-session") != NULL) {
		reply(ss, mid, "<ok/>");
		ss->closing = 1;
	} else
		reply_error(ss, mid, "operation-not-supported", NULL,
		    "bench_publisher answers subscriptions only");
}

/* Take the peer's hello: chunked framing if it speaks base:1.1. */
static int
sess_hello(struct psess *ss, const char *msg)
{
	if (strstr(msg, "<hello") == NULL)
		return -1;
	if (strstr(msg, CAP_BASE11 "<") == NULL)
		return -1;	/* riv-attester would fall back; rivd won't */
	framer_set_chunked(&ss->fr);
	ss->up = 1;
	return 0;
}

/* Bytes arrived: frame them, handle every message. */
static void
sess_read_cb(struct bufferevent *bev, void *arg)
{
	struct psess *ss = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec v;
	struct riv_err err;
	const uint8_t *m;
	size_t used, len;
	int r;

	while (evbuffer_peek(in, -1, NULL, &v, 1) > 0 && v.iov_len > 0) {
		r = framer_feed(&ss->fr, v.iov_base, v.iov_len, &used, &err);
		evbuffer_drain(in, used);
		if (r < 0) {
			fprintf(stderr, "bench_publisher: session %u: %s\n",
			    ss->id, err.msg);
			sess_free(ss);
			return;
		}
		if (r == 0)
			continue;
		m = framer_message(&ss->fr, &len);
		if (!ss->up) {
			if (sess_hello(ss, (const char *)m) != 0) {
				fprintf(stderr, "bench_publisher: session %u: "
				    "no base:1.1 hello\n", ss->id);
				sess_free(ss);
				return;
			}
		} else
			sess_rpc(ss, (const char *)m);
		framer_next(&ss->fr);
	}
}

/* Flat out: queue notifications until the output holds FILL_WM bytes. */
static void
sess_fill(struct psess *ss)
{
	struct psub *s;
	size_t dry = 0;
	int r;

	ss->starved = 0;
	if (pub.rate != 0 || ss->nsubs == 0 || ss->closing)
		return;
	while (sess_pending(ss) < FILL_WM) {
		s = ss->subs[ss->rr++ % ss->nsubs];
		if ((r = sub_send(s, "periodic")) < 0)
			return;
		if (r == 0)
			dry = 0;
		else if (++dry >= ss->nsubs) {
			ss->starved = 1;	/* tick_cb comes back */
			return;
		}
	}
}

/* The output drained below the watermark. */
static void
sess_write_cb(struct bufferevent *bev, void *arg)
{
	struct psess *ss = arg;

	if (ss->closing && evbuffer_get_length(bufferevent_get_output(bev)) ==
	    0) {
		sess_free(ss);
		return;
	}
	sess_fill(ss);
}

/* Handshake done, closed, or failed. */
static void
sess_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct psess *ss = arg;
	unsigned long e;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		debug("session %u: TLS up", ss->id);
		return;
	}
	if (!ss->up) {
		pub.handshake_fail++;
		e = bufferevent_get_openssl_error(ss->bev);
		fprintf(stderr, "bench_publisher: session %u ended before its "
		    "hello (0x%x)%s%s\n", ss->id, what, e ? ": TLS: " : "",
		    e ? ERR_reason_error_string(e) : "");
	} else
		debug("session %u: closed (0x%x)", ss->id, what);
	sess_free(ss);
}

/* Free a session and its subscriptions. */
static void
sess_free(struct psess *ss)
{
	while (ss->nsubs > 0)
		sub_free(ss->subs[0]);
	bufferevent_free(ss->bev);
	framer_free(&ss->fr);
	free(ss);
	pub.nsess--;
}

/* The hello riv-attester (libnetconf2) sends, with a session-id. */
static void
sess_send_hello(struct psess *ss)
{
	char buf[4096];
	size_t n = 0;

	if (append(buf, sizeof(buf), &n, "<hello xmlns=\"" NC_NS "\">"
	    "<capabilities>"
	    "<capability>urn:ietf:params:netconf:base:1.0</capability>"
	    "<capability>urn:ietf:params:netconf:base:1.1</capability>"
	    "<capability>urn:ietf:params:netconf:capability:writable-running:"
	    "1.0</capability>"
	    "<capability>urn:ietf:params:netconf:capability:xpath:1.0"
	    "</capability>"
	    "<capability>urn:ietf:params:netconf:capability:interleave:1.0"
	    "</capability>"
	    "<capability>urn:ietf:params:xml:ns:yang:ietf-yang-metadata?"
	    "module=ietf-yang-metadata&amp;revision=2016-08-05</capability>"
	    "<capability>urn:ietf:params:xml:ns:yang:1?module=yang&amp;"
	    "revision=2022-06-16</capability>"
	    "<capability>urn:ietf:params:xml:ns:yang:ietf-inet-types?"
	    "module=ietf-inet-types&amp;revision=2013-07-15</capability>"
	    "<capability>urn:ietf:params:xml:ns:yang:ietf-yang-types?"
	    "module=ietf-yang-types&amp;revision=2013-07-15</capability>"
	    "<capability>urn:ietf:params:netconf:capability:yang-library:1.1?"
	    "revision=2019-01-04&amp;content-id=66</capability>"
	    "<capability>urn:ietf:params:xml:ns:netconf:base:1.0?"
	    "module=ietf-netconf&amp;revision=2013-09-29&amp;"
	    "features=writable-running,xpath</capability>"
	    "<capability>urn:ietf:params:xml:ns:yang:ietf-netconf-acm?"
	    "module=ietf-netconf-acm&amp;revision=2018-02-14</capability>"
	    "<capability>urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring?"
	    "module=ietf-netconf-monitoring&amp;revision=2010-10-04"
	    "</capability></capabilities><session-id>%u</session-id></hello>",
	    ss->id) == 0)
		sess_write(ss, buf, n, 1);
}

/* A TCP connection arrived: start TLS and the hello. */
static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct psess *ss;
	SSL *ssl;
	int one = 1;

	(void)l; (void)sa; (void)salen; (void)arg;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (pub.sndbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &pub.sndbuf,
		    sizeof(pub.sndbuf));
	if ((ss = calloc(1, sizeof(*ss))) == NULL ||
	    (ssl = SSL_new(pub.ssl)) == NULL)
		fatal("out of memory");
	ss->id = ++pub.next_sess;
	framer_init(&ss->fr, MSG_MAX);
	if ((ss->bev = bufferevent_openssl_socket_new(pub.base, fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE)) == NULL)
		fatal("cannot make a TLS bufferevent");
	pub.nsess++;
	bufferevent_openssl_set_allow_dirty_shutdown(ss->bev, 1);
	bufferevent_setcb(ss->bev, sess_read_cb, sess_write_cb, sess_event_cb,
	    ss);
	bufferevent_setwatermark(ss->bev, EV_WRITE, FILL_WM, 0);
	bufferevent_enable(ss->bev, EV_READ | EV_WRITE);
	sess_send_hello(ss);
}

/* Rate mode: spend the tokens earned since the last tick, round robin. */
static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timespec now;
	struct psub *s;
	size_t tried = 0;

	(void)fd; (void)what; (void)arg;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (pub.rate == 0 && pub.presign > 0)	/* the signers caught up? */
		for (tried = 0; tried < pub.nactive; tried++)
			if (pub.active[tried]->sess->starved)
				sess_fill(pub.active[tried]->sess);
	tried = 0;
	if (pub.rate <= 0 || pub.nactive == 0) {
		pub.last_tick = now;
		pub.tokens = 0;
		return;
	}
	pub.tokens += pub.rate * ts_diff(&pub.last_tick, &now);
	pub.last_tick = now;
	if (pub.tokens > pub.rate * BURST_S + 1)
		pub.tokens = pub.rate * BURST_S + 1;
	while (pub.tokens >= 1 && tried < pub.nactive) {
		s = pub.active[pub.rr++ % pub.nactive];
		if (s->sess->closing || sess_pending(s->sess) > HIGH_WM) {
			pub.deferred++;
			tried++;
			continue;
		}
		if (sub_send(s, "periodic") == 1) {
			tried++;	/* its next quote is not signed yet */
			continue;
		}
		tried = 0;
		pub.tokens -= 1;
	}
}

/* Set a new rate; flat out starts every session filling. */
static void
rate_set(double rate)
{
	size_t i;

	if (rate == pub.rate)
		return;
	debug("rate %g", rate);
	pub.rate = rate;
	pub.tokens = 0;
	clock_gettime(CLOCK_MONOTONIC, &pub.last_tick);
	if (rate == 0)
		for (i = 0; i < pub.nactive; i++)
			sess_fill(pub.active[i]->sess);
}

/* Every 100 ms: the rate file; every 200 ms: the status file. */
static void
poll_cb(evutil_socket_t fd, short what, void *arg)
{
	static unsigned calls;
	char line[64], tmp[4096];
	FILE *f;

	(void)fd; (void)what; (void)arg;
	if (pub.rate_file != NULL && (f = fopen(pub.rate_file, "r")) != NULL) {
		if (fgets(line, sizeof(line), f) != NULL && line[0] != '\0' &&
		    line[0] != '\n')
			rate_set(strtod(line, NULL));
		fclose(f);
	}
	if (pub.status_file == NULL || calls++ % 2 != 0)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", pub.status_file);
	if ((f = fopen(tmp, "w")) == NULL)
		return;
	pthread_mutex_lock(&pub.pmx);
	fprintf(f, "sessions %zu subscriptions %zu sent %llu bytes %llu "
	    "deferred %llu handshake_fail %llu rpcs %llu rate %g "
	    "signs %llu presigned %llu pool %llu starved %llu stale %llu\n",
	    pub.nsess, pub.nactive, (unsigned long long)pub.sent,
	    (unsigned long long)pub.bytes, (unsigned long long)pub.deferred,
	    (unsigned long long)pub.handshake_fail,
	    (unsigned long long)pub.rpcs, pub.rate,
	    (unsigned long long)(pub.signs + pub.psigns),
	    (unsigned long long)pub.pooled,
	    (unsigned long long)pub.presign * pub.nactive,
	    (unsigned long long)pub.starved, (unsigned long long)pub.stale);
	pthread_mutex_unlock(&pub.pmx);
	if (fclose(f) == 0)
		rename(tmp, pub.status_file);
}

/* SIGINT, SIGTERM: stop. */
static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig; (void)what; (void)arg;
	event_base_loopbreak(pub.base);
}

/* The TLS server context: mutual authentication against the CA. */
static void
tls_init(const char *cert, const char *key, const char *ca)
{
	if ((pub.ssl = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(pub.ssl, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_use_certificate_chain_file(pub.ssl, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(pub.ssl, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_load_verify_locations(pub.ssl, ca, NULL) != 1)
		fatal("TLS files %s, %s, %s: %s", cert, key, ca,
		    ERR_reason_error_string(ERR_get_error()));
	SSL_CTX_set_verify(pub.ssl, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_mode(pub.ssl, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(pub.ssl, SSL_SESS_CACHE_OFF);
}

/* Listen on nports ports from port on addr. */
static void
listen_all(const char *addr, int port, int nports)
{
	struct sockaddr_in sin;
	int i;

	for (i = 0; i < nports; i++) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)(port + i));
		if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
			fatal("%s: not an IPv4 address", addr);
		if (evconnlistener_new_bind(pub.base, accept_cb, NULL,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 4096,
		    (struct sockaddr *)&sin, sizeof(sin)) == NULL)
			fatal("cannot listen on %s port %d: %s", addr, port + i,
			    strerror(errno));
	}
}

/* Print the usage and exit with status. */
static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
"usage: bench_publisher -A AKFILE -c CERT -k KEY -C CA -p PORT [-P NPORTS]\n"
"           [-l ADDR] [-r RATE] [-R RATEFILE] [-S STATUSFILE] [-e ENTRIES]\n"
"           [-b SNDBUF] [-a ecdsa|rsa] [-M PRIMES] [-Q DEPTH [-j THREADS]]\n"
"           [-nv]\n"
"TEST-ONLY load generator for tests/bench_rivd.sh: quotes signed with a\n"
"software key, not a TPM.\n"
"  -A FILE  write the (software) AK as a TPM2B_PUBLIC to FILE\n"
"  -a ALG   AK: ecdsa (P-256, the default) or rsa (RSA-2048, RSASSA)\n"
"  -M N     primes of the RSA key (default 2; 3 signs faster)\n"
"  -Q N     keep N pre-signed quotes per pcr-trust-evidence subscription\n"
"  -T MS    TPM clock step of pre-signed quotes, and their pace (default 1)\n"
"           (no subscription-start notification then)\n"
"  -j N     signer threads with -Q (default 1)\n"
"  -r RATE  notifications/s over all subscriptions; 0 flat out; <0 idle\n"
"  -R FILE  re-read the rate from FILE every 100 ms\n"
"  -S FILE  write a status line to FILE every 200 ms\n"
"  -e N     IMA entries per ima-log notification (default %d)\n"
"  -b N     SO_SNDBUF of the sessions (default: the kernel's)\n"
"  -n       no first (subscription-start) notification\n",
	    IMA_DEFAULT);
	exit(status);
}

int
main(int argc, char **argv)
{
	const char *ak = NULL, *cert = NULL, *key = NULL, *ca = NULL;
	const char *addr = "127.0.0.1";
	struct event *sig_int, *sig_term;
	struct timeval tv_tick = { 0, TICK_US }, tv_poll = { 0, 100000 };
	int ch, port = 0, nports = 1;

	pub.ima_entries = IMA_DEFAULT;
	pub.presign_step = 1;
	pub.next_sub = SUB_ID_FIRST;
	pub.rate = -1;
	pub.primes = 2;
	pub.nthreads = 1;
	while ((ch = getopt(argc, argv, "a:A:b:c:C:e:hj:k:l:M:np:P:Q:r:R:S:T:v"))
	    != -1) {
		switch (ch) {
		case 'a':
			if (strcmp(optarg, "rsa") == 0)
				pub.rsa = 1;
			else if (strcmp(optarg, "ecdsa") != 0)
				usage(2);
			break;
		case 'A': ak = optarg; break;
		case 'j': pub.nthreads = atoi(optarg); break;
		case 'M': pub.primes = atoi(optarg); break;
		case 'T': pub.presign_step = (uint32_t)strtoul(optarg, NULL,
		    10);
			break;
		case 'Q': pub.presign = (uint32_t)strtoul(optarg, NULL, 10);
		    break;
		case 'b': pub.sndbuf = atoi(optarg); break;
		case 'c': cert = optarg; break;
		case 'C': ca = optarg; break;
		case 'e': pub.ima_entries = (uint32_t)strtoul(optarg, NULL,
		    10); break;
		case 'k': key = optarg; break;
		case 'l': addr = optarg; break;
		case 'n': pub.nostart = 1; break;
		case 'p': port = atoi(optarg); break;
		case 'P': nports = atoi(optarg); break;
		case 'r': pub.rate = strtod(optarg, NULL); break;
		case 'R': pub.rate_file = optarg; break;
		case 'S': pub.status_file = optarg; break;
		case 'v': pub.verbose = 1; break;
		case 'h': usage(0);
		default: usage(2);
		}
	}
	if (ak == NULL || cert == NULL || key == NULL || ca == NULL ||
	    port <= 0 || nports < 1 || nports > PORTS_MAX ||
	    pub.ima_entries == 0 || pub.nthreads < 1 ||
	    pub.nthreads > THREADS_MAX || optind != argc)
		usage(2);
	pthread_mutex_init(&pub.pmx, NULL);
	pthread_cond_init(&pub.pcv, NULL);
	signal(SIGPIPE, SIG_IGN);
	clock_gettime(CLOCK_MONOTONIC, &pub.t0);
	pub.last_tick = pub.t0;
	ak_make(ak);
	pcr_values_init();
	tls_init(cert, key, ca);
	signers_start();
	if ((pub.base = event_base_new()) == NULL)
		fatal("cannot start the event loop");
	listen_all(addr, port, nports);
	pub.tick = event_new(pub.base, -1, EV_PERSIST, tick_cb, NULL);
	pub.poll = event_new(pub.base, -1, EV_PERSIST, poll_cb, NULL);
	event_add(pub.tick, &tv_tick);
	event_add(pub.poll, &tv_poll);
	sig_int = evsignal_new(pub.base, SIGINT, signal_cb, NULL);
	sig_term = evsignal_new(pub.base, SIGTERM, signal_cb, NULL);
	evsignal_add(sig_int, NULL);
	evsignal_add(sig_term, NULL);
	fprintf(stderr, "bench_publisher: TEST-ONLY, software %s AK: ready: "
	    "%s ports %d-%d, rate %g\n", pub.rsa ? "RSA-2048" : "ECDSA P-256",
	    addr, port, port + nports - 1, pub.rate);
	event_base_dispatch(pub.base);
	fprintf(stderr, "bench_publisher: stopping: %zu sessions, %llu "
	    "notifications sent\n", pub.nsess, (unsigned long long)pub.sent);
	return 0;
}
