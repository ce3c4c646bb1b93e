/*
 * attester.h — riv-attester, the reference publisher of the rivd attestation
 * streams (yang/riv-attestation-streams): every struct and prototype of the
 * daemon, grouped by the file that defines them.
 *
 * One thread does everything: accept, read RPCs (libnetconf2 nc_ps_poll),
 * run timers, quote with the TPMs and send notifications.  Blocking is
 * harmless here (an attester serves a handful of verifiers), and one thread
 * is what libnetconf2 2.0.24 needs (accept and poll in two threads crashed).
 */
#ifndef RIV_ATTESTER_H
#define RIV_ATTESTER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <nc_server.h>

#include "bank.h"
#include "bootlog.h"
#include "ncserver.h"
#include "pcrset.h"
#include "tpm.h"
#include "util.h"

#define ATT_TPM_MAX	8	/* TPMs of a device: route processors, cards */
#define ATT_NAME_MAX	32	/* a TPM's name */
#define ATT_SUB_MAX	256	/* subscriptions held at once */
#define ATT_EVENT_MAX	16	/* device events queued per subscription */
#define ATT_IMA_PCR	10	/* the PCR IMA extends */
#define ATT_CH_MAX	32	/* call-home receivers */
#define SUB_DYNAMIC_ID_MIN 0x80000000u	/* dynamic ids; configured below */
#define ATT_ADMIN_MAX	8	/* --admin-user users */

/* The three streams of riv-attestation-streams. */
enum att_stream {
	STREAM_PCR,		/* pcr-trust-evidence */
	STREAM_BIOS,		/* bios-log */
	STREAM_IMA,		/* ima-log */
	STREAM_COUNT
};

/* Device events (identities derived from ras:device-event). */
enum att_event {
	EV_STARTUP_COMPLETE,
	EV_SOFTWARE_UPGRADE,
	EV_SWITCHOVER,
	EV_CARD_INSERT,
	EV_CARD_REMOVE,
	EV_CERT_CHANGE,
	EV_COUNT
};

/* A log the attester serves: bytes plus the offset of every entry. */
struct att_log {
	uint8_t		*buf;
	size_t		 len, cap;
	size_t		*off;		/* off[i]: entry i; off[n] = len */
	uint64_t	 n, ncap;
	struct bootlog_event *ev;	/* boot log: each event, parsed */
	size_t		 evcap;
};

/* One TPM of the device, with the logs that describe its PCRs. */
struct att_tpm {
	char		 name[ATT_NAME_MAX];
	char		 cert[ATT_NAME_MAX + 8];	/* AK certificate name */
	char		*tcti;
	struct tpm	*tpm;
	uint32_t	 banks;		/* allocated banks */
	int		 rp;		/* a route processor (else a card) */
	int		 standby;	/* a standby route processor */
	int		 present;	/* inserted (line cards) */
	int		 failed;	/* stopped answering */
	uint32_t	 ak_gen;	/* AK generation (cert-change) */
	uint32_t	 boot;		/* TPM resets so far (log restarts) */
	uint32_t	 pcr_changes[PCR_COUNT];	/* extends per PCR */
	struct timespec	 boot_time;	/* wall clock of the last reset */
	struct att_log	 bios;		/* measured-boot log of this boot */
	struct att_log	 ima;		/* IMA list, kernel binary format */
	char		*bios_name;	/* file the boot log came from */
	int		 bios_locality;	/* startup locality it needs */
};

/* A device event waiting to be reported. */
struct att_pending {
	enum att_event	 event;
	char		 detail[256];
};

/* A receiver that configured subscriptions call home to. */
struct att_ch {
	char		 host[256];
	uint16_t	 port;
	int		 ssh;		/* over SSH, else TLS */
	struct nc_session *session;	/* NULL while not connected */
	char		 user[256];	/* the receiver's certificate CN, or
					   its SSH user: the session's
					   NETCONF user */
	int		 fd;		/* our end of the session's pair */
	int		 refs;		/* subscriptions delivered here */
	int		 close_pending;	/* no longer used: close the session */
	uint32_t	 backoff_ms;	/* wait after the next failure */
	struct timespec	 next_try;
};

/* One subscription, dynamic (session set) or configured. */
struct att_sub {
	uint32_t	 id;
	enum att_stream	 stream;
	struct nc_session *session;	/* dynamic: its session */
	int		 configured;
	struct att_ch	*ch;		/* configured: where it calls home */
	char		 ch_host[256];
	uint16_t	 ch_port;
	int		 ch_ssh;	/* call home over SSH, else TLS */
	int		 dead;		/* ended; freed by the loop */

	int		 hash;		/* bank of the nonce chain hash */
	uint8_t		 seed[64];
	size_t		 seed_len;
	uint8_t		 seed_id[8];
	uint64_t	 seq;		/* n of the next notification */
	uint64_t	 seq_reserved;	/* configured: first n not reserved */

	uint32_t	 sel[BANK_COUNT];	/* PCR selection per bank */
	uint32_t	 tpms;		/* named TPMs (bit per index); 0: the
					   active ones */
	uint32_t	 period_cs;	/* 0: not periodic */
	int64_t		 anchor_ms;	/* anchor-time, ms since 1970; 0 none */
	int		 on_change;
	uint32_t	 dampening_cs;
	uint32_t	 events;	/* bit per enum att_event */
	uint16_t	 heartbeat;	/* seconds */
	int		 raw;		/* raw log entries */
	uint32_t	 max_entries;
	time_t		 stop_time;	/* 0: none */

	/* Progress per TPM. */
	uint64_t	 next_entry[ATT_TPM_MAX];	/* log streams */
	uint64_t	 cfg_start[ATT_TPM_MAX];	/* from log-start */
	uint32_t	 boot_seen[ATT_TPM_MAX];
	uint32_t	 changes_seen[ATT_TPM_MAX][PCR_COUNT];
	int		 quoted[ATT_TPM_MAX];	/* a quote was sent */
	uint32_t	 active_seen;	/* TPM set of the last notification */

	/* Timers (monotonic). */
	struct timespec	 next_period;
	struct timespec	 last_sent;
	struct timespec	 change_seen;	/* first unreported change */
	int		 change_pending;
	int		 started_pending;	/* subscription-started to send */
	int		 start_pending;	/* first notification not sent yet */
	int		 modified_pending;
	int		 replay_pending;	/* replay-completed to send */
	int		 suspended;	/* no TPM to quote (RFC 8639) */
	struct att_pending pending[ATT_EVENT_MAX];
	size_t		 npending;

	uint64_t	 sent;		/* notifications sent */
};

/*
 * The draft's stream `attestation` (ietf.c): the /tpm:rats-support-structures
 * parameters of ietf-tpm-remote-attestation-stream and the test-only hostile
 * modes.
 */
#define IETF_LATE_QUOTE		0x01	/* quote 12 s after its extends */
#define IETF_NO_HEARTBEAT	0x02	/* no heartbeat quotes */
#define IETF_EXTEND_AFTER	0x04	/* pcr-extend after its quote */
#define IETF_WRONG_EXTEND	0x08	/* extended-with altered */
#define IETF_WRONG_NONCE	0x10	/* quotes with a random nonce */
struct ietf_conf {
	uint8_t		 marshalling;	/* marshalling-period, seconds */
	uint16_t	 heartbeat;	/* tpm20-subscription-heartbeat */
	uint32_t	 pcrs;		/* tpm20-pcr-index (subscribable) */
	int		 pcrs_set;	/* configured (else 0-23) */
	uint32_t	 hostile;	/* IETF_* test-only modes */
};

/* The daemon. */
struct attester {
	struct ly_ctx	*ctx;
	struct lyd_node	*oper;		/* operational data for validation */
	struct att_tpm	 tpms[ATT_TPM_MAX];
	size_t		 ntpms;
	enum tpm_ak_alg	 ak_alg;
	char		*state_dir;
	char		*bios_file;
	char		*ima_file;
	char		*bios_file_owned;	/* after an upgrade */
	struct att_sub	*subs[ATT_SUB_MAX];
	size_t		 nsubs;
	uint32_t	 next_id;
	struct timespec	 start_time;	/* wall clock at start */
	const char	*admins[ATT_ADMIN_MAX];	/* read every seed */
	size_t		 nadmins;
	uint32_t	 send_timeout_ms;	/* --send-timeout */
	struct ietf_conf ietf;		/* stream attestation */
	volatile int	 quit;
	int		 verbose;
};

extern struct attester att;

/* main.c */
void		 log_info(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 log_warnx(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 log_debug(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 mono_now(struct timespec *);
int64_t		 ts_ms_left(const struct timespec *, const struct timespec *,
		    uint32_t);
void		 ts_add_cs(struct timespec *, uint32_t);

/* device.c */
int		 device_add_tpm(const char *, struct riv_err *);
int		 device_start(struct riv_err *);
void		 device_stop(void);
int		 device_tpm_index(const char *);
uint32_t	 device_active_set(void);
int		 device_switchover(struct riv_err *);
int		 device_reboot(int, const char *, struct riv_err *);
int		 device_measure(const char *, struct riv_err *);
int		 device_tamper(unsigned, struct riv_err *);
int		 device_card(const char *, int, struct riv_err *);
int		 device_cert_change(const char *, struct riv_err *);
const char	*device_event_name(enum att_event);
int		 device_event_by_name(const char *);

/* logs.c */
void		 log_clear(struct att_log *);
void		 log_free(struct att_log *);
int		 log_append(struct att_log *, const uint8_t *, size_t);
int		 bios_load(struct att_tpm *, const char *, struct riv_err *);
int		 bios_replay(struct att_tpm *, struct riv_err *);
int		 ima_load(struct att_tpm *, const char *, struct riv_err *);
int		 ima_replay(struct att_tpm *, struct riv_err *);
int		 ima_measure_file(struct att_tpm *, const char *,
		    struct riv_err *);
int		 ima_boot_aggregate(struct att_tpm *, struct riv_err *);

/* yang.c */
int		 yang_init(const char *, struct riv_err *);
void		 yang_free(void);
int		 yang_update_oper(void);
const char	*stream_name(enum att_stream);
int		 stream_by_name(const char *);
const char	*yang_leaf(const struct lyd_node *, const char *);
const struct lyd_value_binary *yang_bin(const struct lyd_node *);

/* server.c */
struct server_conf {
	const char	*tls_listen, *tls_cert, *tls_key, *tls_ca;
	const char	*ssh_listen, *ssh_host_key, *ssh_authorized_keys;
	const char	*ssh_user;
};
int		 server_init(const struct server_conf *, struct riv_err *);
void		 server_add_session(struct nc_session *);
void		 server_note_fd(struct nc_session *, int);
int		 server_session_fd(struct nc_session *);
void		 server_end_session(struct nc_session *);

/* config.c */
struct nc_server_reply *config_get(struct lyd_node *, const char *);
struct nc_server_reply *config_edit(struct lyd_node *, const char *);
void		 config_hide_seeds(struct lyd_node *, const char *);
int		 config_load(struct riv_err *);
int		 config_oper(struct lyd_node **);
int		 config_seq_reserve(struct att_sub *);
void		 config_seq_restore(struct att_sub *);
void		 config_free(void);

/* callhome.c */
int		 callhome_init(const struct server_conf *, struct riv_err *);
struct att_ch	*callhome_get(const char *, uint16_t, int);
void		 callhome_run(void);
int		 callhome_session_gone(struct nc_session *);
const char	*callhome_user(const struct nc_session *);
void		 callhome_free(void);
void		 server_poll(int);
void		 server_free(void);

/* callhome_ssh.c */
int		 callhome_ssh_init(const char *, const char *, const char *,
		    struct riv_err *);
int		 callhome_ssh_ready(void);
int		 callhome_ssh_connect(int, int, char *, size_t,
		    struct riv_err *);
void		 callhome_ssh_free(void);

/* subs.c */
struct nc_server_reply *sub_establish(struct lyd_node *, struct nc_session *);
struct nc_server_reply *sub_modify(struct lyd_node *, struct nc_session *);
struct nc_server_reply *sub_delete(struct lyd_node *, struct nc_session *,
		    int);
void		 sub_session_gone(struct nc_session *);
void		 sub_callhome_up(struct att_ch *);
struct nc_server_reply *sub_configure(const struct lyd_node *, int);
void		 sub_device_event(enum att_event, const char *);
void		 sub_run(void);
int64_t		 sub_next_due_ms(void);
void		 sub_free_all(void);

uint32_t	 sub_tpm_set(const struct att_sub *);
int		 sub_structured_ima(uint32_t);
int		 sub_stopped(uint32_t, time_t, int *);
#define SEL_BANK	1	/* sub_parse_pcrs: bank not allocated */
#define SEL_PCR		2	/* sub_parse_pcrs: no such PCR */
int		 sub_parse_pcrs(const struct lyd_node *, const char *, uint32_t,
		    uint32_t[BANK_COUNT], struct riv_err *);

/* ietf.c */
int		 ietf_is_stream(const struct lyd_node *);
struct nc_server_reply *ietf_establish(struct lyd_node *, struct nc_session *);
struct nc_server_reply *ietf_delete(struct lyd_node *, struct nc_session *,
		    int);
struct nc_server_reply *ietf_challenge(struct lyd_node *);
struct nc_server_reply *ietf_log_retrieval(struct lyd_node *);
void		 ietf_session_gone(struct nc_session *);
void		 ietf_run(int);
int64_t		 ietf_next_due_ms(void);
int		 ietf_oper(struct lyd_node **);
int		 ietf_config_tree(struct lyd_node **);
int		 ietf_hostile(const char *, struct riv_err *);
void		 ietf_status(FILE *);

/* notify.c */
int		 notify_send(struct nc_session *, struct lyd_node *);
int		 notify_bin(struct lyd_node *, const char *, const uint8_t *,
		    size_t);
int		 notify_uint(struct lyd_node *, const char *, unsigned long long);
int		 notify_pcr_values(struct lyd_node *, struct att_tpm *,
		    const uint32_t *, struct riv_err *);
int		 notify_bios_entry(struct lyd_node *,
		    const struct bootlog_event *);
int		 notify_ima_entry(struct lyd_node *, const uint8_t *, size_t,
		    uint64_t);
int		 notify_evidence(struct att_sub *, const char *, const char *);
int		 notify_state(struct att_sub *, const char *, const char *);
int		 notify_started(struct att_sub *);
int		 notify_ima_check(const struct att_log *, uint64_t, uint64_t *,
		    char *, size_t);
int		 notify_ima_path_ok(const char *);
void		 notify_init(void);

/* control.c */
int		 control_open(const char *, struct riv_err *);
void		 control_poll(void);
void		 control_close(void);
int		 control_client(const char *, int, char **);

#endif
