/*
 * rivd.h — the map of rivd, the streaming remote-attestation verifier:
 * every daemon struct and prototype, grouped by the file that defines
 * them.  The evidence engine (quote.h, bootlog.h, ima.h, ...) and the store
 * (db/store.h) keep their own headers.
 *
 * Threads: the loop thread owns every attester, session, buffer and timer
 * and appraises notifications; the store's writer thread owns the SQLite
 * write connection.  They exchange copied items over the store's queue.
 */
#ifndef RIV_RIVD_H
#define RIV_RIVD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <event2/event.h>

#include "bank.h"
#include "nonce.h"
#include "pcrset.h"
#include "quote.h"
#include "store.h"
#include "util.h"

struct bufferevent;
struct ly_ctx;
struct lyd_node;
struct xnode;
struct refvals;
struct ima_policy;
struct framer;
struct appraisal;
struct ssh_link;

#define RIVD_NAME_MAX	64
#define RIVD_TPM_MAX	8	/* TPMs per attester */
#define RIVD_SEEDS	2	/* current and previous seed per subscription */
#define RIVD_SEEN_WINDOW 256	/* sequence numbers remembered for replays */
#define CONF_EVENTS_MAX	16	/* device-event entries of a subscription */
#define NETCONF_NS	"urn:ietf:params:xml:ns:netconf:base:1.0"

enum stream_kind {
	STREAM_PCR,		/* pcr-trust-evidence */
	STREAM_BIOS,		/* bios-log */
	STREAM_IMA,		/* ima-log */
	STREAM_ATTESTATION,	/* attestation: the IETF draft's stream
				   (streams/ietf_attestation.c) */
	STREAM_KINDS
};

/* Configuration (conf.c): what rivd.conf says. */
struct conf_tpm {
	char		 name[RIVD_NAME_MAX];
	char		*ak_path;
};

struct conf_sub {
	int		 enabled;	/* the attester subscribes to it */
	enum stream_kind stream;
	uint32_t	 period_cs;	/* 0: not periodic */
	int		 on_change;
	uint32_t	 dampening_cs;
	char		*events[CONF_EVENTS_MAX];	/* device-event identities */
	size_t		 nevents;
	uint16_t	 heartbeat;
	int		 bank;
	uint32_t	 pcrs;		/* PCR mask */
	uint32_t	 reseed;	/* seconds; 0: never */
};

struct conf_attester {
	char		 name[RIVD_NAME_MAX];
	char		*address;
	uint16_t	 port;
	int		 ssh;		/* transport: SSH, else TLS */
	int		 callhome;	/* delivery call-home: configured
					   subscriptions, delivered by RFC
					   8071 call home */
	char		*tls_cert, *tls_key, *tls_ca, *server_name;
	char		*ssh_user, *ssh_key, *ssh_host_key;
	struct conf_tpm	 tpms[RIVD_TPM_MAX];
	size_t		 ntpms;
	char		*refvals_path;
	char		*policy_path;
	struct conf_sub	 subs[STREAM_KINDS];	/* by stream kind */
};

struct conf {
	char		*store_path;
	char		*synchronous;
	uint32_t	 batch, linger_ms;
	uint32_t	 max_message, max_entries, max_attesters;
	uint16_t	 connect_timeout, message_timeout;
	char		*ch_address;	/* call-home listener; NULL: none */
	uint16_t	 ch_port;	/* TLS; with ch_cert NULL: none */
	uint16_t	 ch_ssh_port;	/* SSH listener; 0: none */
	char		*ch_receiver;	/* the address attesters call */
	char		*ch_cert, *ch_key, *ch_ca;
	struct conf_attester *attesters;
	size_t		 nattesters;
};

/* One TPM of an attester: its name and attestation key. */
struct tpm_view {
	char		 name[RIVD_NAME_MAX];
	struct akey	 ak;
};

/* A seed of a subscription's nonce chain. */
struct seed {
	uint8_t		 bytes[NONCE_SEED_MAX];
	size_t		 len;
	uint8_t		 id[NONCE_SEED_ID];
	uint64_t	 from;		/* first sequence number it may cover */
};

/*
 * What a subscription to the draft's stream `attestation` holds instead
 * of a nonce chain (streams/ietf_attestation.c): the one nonce, the RPC
 * under way, the quotes counted, the certificate-name -> TPM map read
 * from /tpm:rats-support-structures.
 */
#define IETF_STREAM_MODULE "ietf-tpm-remote-attestation-stream"
#define STREAMS_MODULE "riv-attestation-streams"
#define IETF_NONCE_LEN	32
#define IETF_CERTS_MAX	16

struct ietf_cert {
	char		 name[RIVD_NAME_MAX];	/* certificate-name */
	int		 tpm;		/* index in the attester's TPMs */
};

struct ietf_sub {
	uint8_t		 nonce[IETF_NONCE_LEN];	/* of the subscription */
	uint8_t		 challenge[IETF_NONCE_LEN];	/* of the RPC */
	int		 rpc;		/* IETF_RPC_*: what rpc_id is */
	uint32_t	 live_id;	/* the attester's subscription, to
					   delete before a new one */
	int		 replaying;	/* before replay-completed */
	uint64_t	 quotes;	/* tpm20-attestations: the sequence */
	struct ietf_cert certs[IETF_CERTS_MAX];
	size_t		 ncerts;
	uint16_t	 attester_heartbeat;	/* its own, 0: unknown */
	uint32_t	 pcrs;		/* subscribed with: PCRs, bank */
	int		 bank;
	struct timespec	 hb_mark;	/* every subscribed PCR was quoted
					   since (monotonic) */
};

#define IETF_RPC_NONE		0
#define IETF_RPC_GET		1	/* <get> rats-support-structures */
#define IETF_RPC_ESTABLISH	2
#define IETF_RPC_CHALLENGE	3	/* tpm20-challenge-response-... */

/* One subscription to one stream of one attester. */
struct subscription {
	struct attester	*att;
	const struct conf_sub *conf;
	enum stream_kind stream;
	uint32_t	 id;		/* the attester's subscription id */
	int		 state;		/* SUB_* */
	uint32_t	 rpc_id;	/* message-id of the pending RPC */
	int		 hash;		/* nonce chain bank */
	struct seed	 seeds[RIVD_SEEDS];	/* [0] current */
	int		 nseeds;
	struct nonce_key *nkey;		/* the last seed's nonces, keyed */
	uint64_t	 next_seq;	/* next expected sequence number */
	uint64_t	 seen_base;	/* seen[] bit i: seen_base + i received */
	uint8_t		 seen[RIVD_SEEN_WINDOW / 8];
	uint64_t	 gaps;		/* sequence numbers never received */
	struct event	*heartbeat_ev;
	struct event	*reseed_ev;	/* attestation: the quote due after
					   pcr-extends */
	struct event	*retry_ev;	/* subscribe again after a refusal */
	struct event	*reply_ev;	/* the pending RPC's reply is due */
	int		 conf_changed;	/* modify once the subscription is up */
	int		 chain_open;	/* configured anew: the first number
					   received starts the chain */
	int		 stale;		/* a stale verdict was recorded */
	int		 last_result;	/* of its last verdict; -1: none */
	struct appraisal *appraisal;	/* streams/: per stream state */
	uint64_t	 notifications;
	struct ietf_sub	 ietf;		/* STREAM_ATTESTATION only */
};

#define SUB_IDLE	0	/* not subscribed */
#define SUB_PENDING	1	/* establish-subscription sent */
#define SUB_ACTIVE	2
#define SUB_MODIFYING	3	/* modify-subscription (new seed) sent */

/* An attester and its NETCONF session (session.c). */
struct attester {
	const struct conf_attester *conf;
	char		 name[RIVD_NAME_MAX];
	struct tpm_view	 tpms[RIVD_TPM_MAX];
	size_t		 ntpms;
	struct refvals	*refvals;
	struct ima_policy *policy;
	struct subscription subs[STREAM_KINDS];	/* by kind; conf NULL: none */

	int		 state;		/* ATT_* */
	struct bufferevent *bev;	/* TLS, or rivd's end of the SSH pair */
	struct ssh_link	*ssh;		/* ssh.c: the SSH side, if SSH */
	struct framer	*framer;
	int		 chunked;	/* base:1.1 framing after hello */
	int		 via_callhome;	/* the session came by call home */
	int		 removing;	/* its subscriptions' removal was
					   sent: a close awaits the reply */
	uint32_t	 next_msgid;
	struct event	*retry_ev;	/* reconnect timer */
	struct event	*deadline_ev;	/* connect / message deadline */
	struct event	*probe_ev;	/* answer to a probe due */
	uint32_t	 probe_id;	/* message-id of the probe */
	uint32_t	 backoff_ms;
	uint64_t	 reconnects;
	char		 last_error[RIV_ERR_MAX];
	int		 kept;		/* by a reload (attester.c) */
	struct timespec	 msg_start;	/* when rivd read the first bytes of
					   the message it frames now */
	struct timespec	 read_at;	/* and of the one it appraises */
};

#define ATT_IDLE	0	/* waiting to connect */
#define ATT_CONNECTING	1	/* TCP + TLS */
#define ATT_HELLO	2	/* hello sent, waiting for the attester's */
#define ATT_UP		3	/* subscriptions running */
#define ATT_AWAIT	4	/* configured: waiting for the call home */

/* The daemon. */
struct rivd {
	struct conf	*conf;
	struct event_base *base;
	struct ly_ctx	*ctx;
	struct store	*store;
	struct attester	**attesters;
	size_t		 nattesters;
	const char	*conf_path;
	void		*ssl_ctx;	/* SSL_CTX * shared by sessions */
	int		 verbose;
	int		 quit;
};

extern struct rivd rivd;

/* log.c */
void		 log_init(int);
void		 log_info(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 log_warnx(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 log_debug(const char *, ...)
		    __attribute__((format(printf, 1, 2)));

/* conf.c */
int		 conf_load(const char *, struct ly_ctx *, struct conf **,
		    struct riv_err *);
void		 conf_free(struct conf *);
const char	*stream_kind_name(enum stream_kind);
int		 stream_kind_by_name(const char *);
int		 conf_same_connection(const struct conf_attester *,
		    const struct conf_attester *);
int		 conf_same_sub(const struct conf_sub *, const struct conf_sub *);
int		 conf_same_callhome(const struct conf *, const struct conf *);

/* attester.c */
int		 attesters_make(struct riv_err *);
void		 attesters_start(void);
void		 attesters_free(void);
int		 attesters_reload(struct conf *, struct riv_err *);
struct attester	*attester_find(const char *);

/* yangctx.c */
int		 yang_context(const char *, int, struct ly_ctx **,
		    struct riv_err *);
const char	*leaf_text(const struct lyd_node *, const char *);

/*
 * callhome.c: the RFC 8071 listener for attesters with delivery
 * call-home (verifier/call-home).
 */
int		 callhome_init(struct riv_err *);
void		 callhome_free(void);

/*
 * request.c: a request of the management thread, carried out by the
 * loop thread (request_run waits for it).
 */
enum request_kind {
	REQ_APPLY,		/* apply the configuration file path */
	REQ_APPRAISE,		/* appraise-now attester (stream, or -1) */
	REQ_RESYNC		/* resync attester */
};

struct request {
	enum request_kind kind;
	char		 path[4096];
	char		 attester[RIVD_NAME_MAX];
	int		 stream;
	char		 user[RIVD_NAME_MAX];	/* who asked, for the log */
	int		 done;
	int		 rc;
	uint32_t	 count;		/* subscriptions acted on */
	struct riv_err	 err;
};

int		 request_init(struct riv_err *);
void		 request_shutdown(void);
int		 request_run(struct request *);
void		 request_conf_changed(void);
unsigned	 request_conf_generation(void);

/*
 * manage.c: the NETCONF management server, on its own thread.
 * manage_init reads the management settings of the configuration file
 * and sets up the listeners (0 without management); manage_start starts
 * the thread; manage_stop stops it and frees everything.
 */
int		 manage_init(const char *, const char *, const char *,
		    struct riv_err *);
int		 manage_start(struct riv_err *);
void		 manage_stop(void);

/* session.c */
const char	*tls_error(unsigned long);
int		 session_init(struct riv_err *);
void		 session_start(struct attester *);
void		 session_close(struct attester *, const char *);
void		 session_stop(struct attester *);
void		 session_probe(struct attester *);
void		 session_forget_tls(void);
void		 session_await_callhome(struct attester *);
int		 session_adopt(struct attester *, struct bufferevent *);
int		 session_send_rpc(struct attester *, const char *, uint32_t *);
void		 session_free_all(void);
int		 session_store_check(void);
int64_t		 session_paused_ms(void);

/*
 * ssh.c: NETCONF over SSH with libssh in non-blocking mode, driven by the
 * loop.  ssh_open starts connecting to a->conf's address and port and
 * sets *bev to rivd's end of a bufferevent pair: what session.c writes
 * to it goes to the "netconf" subsystem channel, what the attester sends
 * arrives on it.  When the channel is open (host key checked against
 * ssh/host-key, public-key authentication as ssh/user with ssh/key) the
 * pair's end gets BEV_EVENT_CONNECTED; on any failure BEV_EVENT_ERROR,
 * and ssh_error(a) says why; when the attester closes, BEV_EVENT_EOF.
 * ssh_close frees the SSH side (session.c frees *bev itself).
 */
int		 ssh_open(struct attester *, struct bufferevent **,
		    struct riv_err *);
const char	*ssh_error(const struct attester *);
void		 ssh_close(struct attester *);
struct ssh_link	*ssh_detach(struct attester *);
void		 ssh_release(struct ssh_link *);

/*
 * ssh.c, call home (RFC 8071 over SSH): ssh_call_accept runs the SSH
 * client over fd, a connection an attester opened to the call-home listener
 * (peer: its address, for the log); *bev is rivd's end of the pair.
 * The attester is recognised by its host key (the ssh/host-key of
 * exactly one attester with delivery call-home) before rivd authenticates
 * as its ssh/user.  When the netconf subsystem is open, *bev gets
 * BEV_EVENT_CONNECTED and ssh_call_attester names the attester; on any
 * failure BEV_EVENT_ERROR and ssh_call_error says why.  ssh_call_adopt
 * gives the link to its attester as its session (session_adopt);
 * ssh_call_free frees a link not given (callhome.c frees *bev itself).
 */
struct ssh_link	*ssh_call_accept(evutil_socket_t, const char *,
		    struct bufferevent **, struct riv_err *);
const char	*ssh_call_error(const struct ssh_link *);
struct attester	*ssh_call_attester(const struct ssh_link *);
int		 ssh_call_adopt(struct ssh_link *, struct attester *);
void		 ssh_call_free(struct ssh_link *);

/* message.c */
void		 message_take(struct attester *, const char *, size_t,
		    int64_t);
int		 message_is_reply(const char *);
struct lyd_node	*message_parse(const char *, const char *, char *, size_t);
int		 message_is(const struct lyd_node *, const char *,
		    const char *);
const struct lyd_node *message_child(const struct lyd_node *, const char *,
		    const char *);
const char	*message_value(const struct lyd_node *, char *, size_t);
const char	*message_text(const struct lyd_node *, const char *,
		    const char *, char *, size_t);
int		 message_tag_is(const char *, const char *);
int		 message_uint32(const char *, uint32_t *);

/* subscription.c */
void		 verdict_reason(struct verdict *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 verdict_fail(struct verdict *, const char *);
void		 verdict_error(struct verdict *, const char *);
int		 chain_check(struct subscription *, uint64_t, const uint8_t *,
		    size_t, uint8_t *, size_t *, struct verdict *);
void		 chain_commit(struct subscription *, uint64_t,
		    const uint8_t *);
void		 sub_establish(struct subscription *);
void		 sub_establish_all(struct attester *);
void		 sub_modify(struct subscription *);
void		 sub_delete(struct subscription *);
void		 sub_delete_all(struct attester *);
void		 sub_stop(struct subscription *);
void		 sub_resync(struct subscription *);
void		 sub_callhome_up(struct attester *);
void		 sub_probe_answered(struct attester *);
void		 sub_rpc_reply(struct attester *, uint32_t,
		    const struct lyd_node *);
void		 sub_malformed(struct attester *, const char *, size_t,
		    int64_t);
void		 verdict_start(struct verdict *, const struct subscription *,
		    int64_t);
void		 sub_record(struct subscription *, const char *,
		    struct verdict *, struct store_state *);
void		 sub_arm_heartbeat(struct subscription *);
void		 sub_error_verdict(struct subscription *, const char *,
		    const char *);
void		 sub_note(struct subscription *, const char *, const char *);
void		 sub_plan_retry(struct subscription *, int);
void		 sub_drop_id(struct attester *, uint32_t);
int		 sub_send_stream(struct subscription *, FILE *, char **);
void		 sub_notification(struct attester *, struct lyd_node *,
		    int64_t);
void		 sub_evidence(struct attester *, const struct xnode *,
		    int64_t);
void		 sub_session_down(struct attester *);
int		 sub_take_id(struct subscription *, const struct lyd_node *);

/* streams/appraise.c */
struct appraisal *appraisal_new(struct subscription *, struct riv_err *);
void		 appraisal_free(struct appraisal *);
void		 appraisal_log_start(const struct appraisal *, FILE *);
uint64_t	 appraisal_position(const struct appraisal *);
void		 appraisal_reset(struct appraisal *);
int		 appraisal_wants_resync(const struct appraisal *);
int		 appraisal_restore(struct appraisal *, const uint8_t *, size_t,
		    struct riv_err *);
int		 appraise_notification(struct subscription *,
		    const struct xnode *, struct verdict *, struct store_state *);

/*
 * streams/ietf_attestation.c: the stream `attestation` of
 * draft-ietf-rats-network-device-subscription-13 (one nonce, the TPM
 * clock, pcr-extend replay); subscription.c hands it its subscription's
 * life (establish, replies, modify, replay-completed) and its
 * notifications.
 */
void		 ietf_establish(struct subscription *);
void		 ietf_modify(struct subscription *);
void		 ietf_rpc_reply(struct subscription *,
		    const struct lyd_node *);
void		 ietf_replay_completed(struct subscription *);
void		 ietf_evidence(struct attester *, const struct xnode *,
		    int64_t);

#endif
