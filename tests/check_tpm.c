/*
 * check_tpm.c — unit tests for riv-attester's TPM layer
 * (contrib/riv-attester/tpm.c) against a real software TPM: a swtpm
 * manufactured with the sha1 and sha256 banks, started on ports derived
 * from the process id and stopped at the end (and, on Linux, when this
 * process dies).  PCR extends are checked against values computed with
 * OpenSSL; attestation keys must come out the same each time and load
 * with the engine's akey_load; quotes must pass the engine's quote_parse,
 * quote_verify, quote_check_nonce and quote_check_pcrs (and tpm2-tools'
 * tpm2_checkquote when installed); tpm_reset must move resetCount, clear
 * the PCRs and, from locality 3, start PCR 0 at 0...03.
 * Exit 77 (skip) if swtpm or swtpm_setup is not installed.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include "bank.h"
#include "pcrset.h"
#include "quote.h"
#include "testutil.h"
#include "tpm.h"

#define NAME		"check"		/* tpm_open's name: AK file names */
#define ALL_PCRS	0xffffffu	/* PCRs 0-23 */
#define BANKS_WANTED	(1u << BANK_SHA1 | 1u << BANK_SHA256)
#define START_TRIES	8		/* ports to try for swtpm */

static char	 tmpdir[1024];		/* state/, logs, AK files */
static char	 tcti[64];		/* "swtpm:host=127.0.0.1,port=P" */
static pid_t	 swtpm_pid = -1;

/* Tell whether program name is an executable file on PATH. */
static int
on_path(const char *name)
{
	const char *path = getenv("PATH"), *p, *end;
	char file[4096];

	for (p = path != NULL ? path : "/usr/bin:/bin"; *p != '\0'; p = end) {
		end = p + strcspn(p, ":");
		snprintf(file, sizeof(file), "%.*s/%s", (int)(end - p), p,
		    name);
		if (access(file, X_OK) == 0)
			return 1;
		if (*end == ':')
			end++;
	}
	return 0;
}

/*
 * Start argv[0] (found on PATH) with its output appended to log; on Linux
 * it is killed when this process dies.  The pid, or -1.
 */
static pid_t
spawn(char *const argv[], const char *log)
{
	pid_t parent = getpid(), pid;
	int fd;

	if ((pid = fork()) != 0)
		return pid;
#ifdef __linux__
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != parent)
		_exit(127);
#else
	(void)parent;
#endif
	if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644)) == -1 ||
	    dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
		_exit(127);
	close(fd);
	if ((fd = open("/dev/null", O_RDONLY)) != -1)
		dup2(fd, 0);
	execvp(argv[0], argv);
	_exit(127);
}

/* Run argv to its end; its exit status, or -1. */
static int
run(char *const argv[], const char *log)
{
	pid_t pid;
	int status;

	if ((pid = spawn(argv, log)) == -1)
		return -1;
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Sleep for ms milliseconds. */
static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Tell whether something accepts TCP connections on 127.0.0.1:port. */
static int
port_answers(int port)
{
	struct sockaddr_in sin;
	int fd, ok;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return 0;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	close(fd);
	return ok;
}

/* Print a log file to stderr, for a failed set-up. */
static void
show_log(const char *path)
{
	char line[512];
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return;
	fprintf(stderr, "---- %s\n", path);
	while (fgets(line, sizeof(line), f) != NULL)
		fputs(line, stderr);
	fclose(f);
}

/* Stop swtpm: SIGTERM, then SIGKILL if it lingers. */
static void
swtpm_stop(void)
{
	int i, status;

	if (swtpm_pid <= 0)
		return;
	kill(swtpm_pid, SIGTERM);
	for (i = 0; i < 100; i++) {
		if (waitpid(swtpm_pid, &status, WNOHANG) == swtpm_pid)
			break;
		sleep_ms(20);
	}
	if (i == 100) {
		kill(swtpm_pid, SIGKILL);
		waitpid(swtpm_pid, &status, 0);
	}
	swtpm_pid = -1;
}

/*
 * Start swtpm on port (commands) and port + 1 (control) and wait until it
 * answers; 0, or -1 if it exited (port taken) or never answered.
 */
static int
swtpm_try(int port, const char *state, const char *log)
{
	char server[64], ctrl[64], statearg[1200], logarg[1200];
	char *argv[] = { "swtpm", "socket", "--tpm2", "--tpmstate", statearg,
	    "--server", server, "--ctrl", ctrl, "--flags",
	    "not-need-init,startup-clear", "--log", logarg, NULL };
	int i, status;

	snprintf(server, sizeof(server), "type=tcp,port=%d,bindaddr=127.0.0.1",
	    port);
	snprintf(ctrl, sizeof(ctrl), "type=tcp,port=%d,bindaddr=127.0.0.1",
	    port + 1);
	snprintf(statearg, sizeof(statearg), "dir=%s", state);
	snprintf(logarg, sizeof(logarg), "file=%s", log);
	if ((swtpm_pid = spawn(argv, log)) == -1)
		return -1;
	for (i = 0; i < 250; i++) {
		if (waitpid(swtpm_pid, &status, WNOHANG) == swtpm_pid) {
			swtpm_pid = -1;		/* could not bind: port taken */
			return -1;
		}
		/*
		 * Answered, and by our swtpm: one that lost a port to another
		 * process exits at once (binding is the first thing it does).
		 */
		if (port_answers(port) && port_answers(port + 1)) {
			sleep_ms(50);
			if (waitpid(swtpm_pid, &status, WNOHANG) == swtpm_pid) {
				swtpm_pid = -1;
				return -1;
			}
			return 0;
		}
		sleep_ms(20);
	}
	swtpm_stop();
	return -1;
}

/* Remove a directory tree (no symbolic links followed). */
static void
rm_tree(const char *path)
{
	char sub[2048];
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (lstat(path, &st) == -1)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			rm_tree(sub);
		}
		closedir(d);
	}
	rmdir(path);
}

/* Fixture: stop swtpm and remove its state. */
static void
fixture_teardown(void)
{
	swtpm_stop();
	if (tmpdir[0] != '\0')
		rm_tree(tmpdir);
}

/*
 * Fixture: manufacture a TPM with the sha1 and sha256 banks only and
 * start swtpm on it.
 */
static void
fixture_setup(void)
{
	const char *base = getenv("TMPDIR");
	char state[1100], log[1100], setup_log[1100];
	char *setup[] = { "swtpm_setup", "--tpm2", "--tpmstate", state,
	    "--pcr-banks", "sha1,sha256", "--config", "/dev/null",
	    "--logfile", setup_log, NULL };
	int attempt, port;

	snprintf(tmpdir, sizeof(tmpdir), "%s/check_tpm.XXXXXX",
	    base != NULL && *base != '\0' ? base : "/tmp");
	ck_assert_msg(mkdtemp(tmpdir) != NULL, "mkdtemp: %s", strerror(errno));
	snprintf(state, sizeof(state), "%s/state", tmpdir);
	snprintf(log, sizeof(log), "%s/swtpm.log", tmpdir);
	snprintf(setup_log, sizeof(setup_log), "%s/swtpm_setup.log", tmpdir);
	ck_assert_int_eq(mkdir(state, 0700), 0);
	if (run(setup, setup_log) != 0) {
		show_log(setup_log);
		fixture_teardown();	/* Check runs it only after a set-up */
		ck_abort_msg("swtpm_setup failed");
	}
	/* an even port for commands, the next for control */
	port = 20000 + (int)(getpid() % 10000) * 2;
	for (attempt = 0; attempt < START_TRIES; attempt++) {
		if (swtpm_try(port, state, log) == 0)
			break;
		port = 20000 + (port - 20000 + 1002) % 20000;
	}
	if (attempt == START_TRIES) {
		show_log(log);
		fixture_teardown();
		ck_abort_msg("swtpm does not start (last port %d)", port);
	}
	snprintf(tcti, sizeof(tcti), "swtpm:host=127.0.0.1,port=%d", port);
}

/*
 * Open the swtpm and reset it, so that each test starts from fresh PCRs
 * and no transient object is left by a test that failed.
 */
static struct tpm *
fresh_tpm(void)
{
	struct riv_err err;
	struct tpm *t;

	ck_assert_msg(tpm_open(tcti, NAME, &t, &err) == 0, "tpm_open: %s",
	    err.msg);
	ck_assert_msg(tpm_reset(t, 0, &err) == 0, "tpm_reset: %s", err.msg);
	return t;
}

/* Read PCRs of mask in bank into set, asserting success. */
static void
read_ok(struct tpm *t, int bank, uint32_t mask, struct pcrset *set)
{
	struct riv_err err;

	ck_assert_msg(tpm_pcr_read(t, bank, mask, set, &err) == 0,
	    "tpm_pcr_read %s: %s", bank_get(bank)->name, err.msg);
}

/* Fill digests[bank] with the bank's hash of text, for every bank. */
static void
digests_of(const char *text, uint8_t digests[BANK_COUNT][DIGEST_MAX])
{
	int b;

	memset(digests, 0, BANK_COUNT * DIGEST_MAX);
	for (b = 0; b < BANK_COUNT; b++)
		if (bank_available(b))
			ck_assert_int_eq(bank_hash(b, text, strlen(text),
			    digests[b]), 0);
}

/* Assert that PCR pcr of bank in set is bytes v, its last byte last. */
static void
assert_pcr_fill(const struct pcrset *set, int bank, unsigned pcr, int v,
    int last)
{
	uint8_t want[DIGEST_MAX];
	size_t size = bank_get(bank)->size;
	const uint8_t *got = pcrset_get(set, bank, pcr);

	ck_assert_msg(got != NULL, "%s PCR %u missing", bank_get(bank)->name,
	    pcr);
	memset(want, v, size);
	want[size - 1] = (uint8_t)last;
	ck_assert_msg(memcmp(got, want, size) == 0, "%s PCR %u: %02x..%02x, "
	    "wanted %02x..%02x", bank_get(bank)->name, pcr, got[0],
	    got[size - 1], v, last);
}

/* Quote sel with nonce, asserting success. */
static void
quote_ok(struct tpm *t, const uint8_t *nonce, size_t nlen,
    const uint32_t sel[BANK_COUNT], struct tpm_quote *tq)
{
	struct riv_err err;

	ck_assert_msg(tpm_quote(t, nonce, nlen, sel, tq, &err) == 0,
	    "tpm_quote: %s", err.msg);
}

/*
 * Check a quote with the engine: the AK (TPM2B_PUBLIC), signature, nonce
 * and, if set is not NULL, the PCR digest; fills q.
 */
static void
engine_verify(const struct tpm_quote *tq, const uint8_t *pub, size_t publen,
    const uint8_t *nonce, size_t nlen, const struct pcrset *set,
    struct quote *q)
{
	struct riv_err err;
	struct akey ak;

	ck_assert_msg(akey_load(pub, publen, &ak, &err) == RIV_OK,
	    "akey_load: %s", err.msg);
	ck_assert_msg(quote_parse(tq->attest, tq->attest_len, q, &err) ==
	    RIV_OK, "quote_parse: %s", err.msg);
	ck_assert_msg(quote_verify(tq->attest, tq->attest_len, tq->sig,
	    tq->sig_len, &ak, q, &err) == RIV_OK, "quote_verify: %s",
	    err.msg);
	ck_assert_msg(quote_check_nonce(q, nonce, nlen, &err) == RIV_OK,
	    "quote_check_nonce: %s", err.msg);
	if (set != NULL)
		ck_assert_msg(quote_check_pcrs(q, set, &err) == RIV_OK,
		    "quote_check_pcrs: %s", err.msg);
	ck_assert_uint_eq(q->clock, tq->clock);
	ck_assert_uint_eq(q->reset_count, tq->reset_count);
	ck_assert_uint_eq(q->restart_count, tq->restart_count);
	akey_free(&ak);
}

/* Write len bytes to file name in tmpdir, its path into path. */
static void
put_file(const char *name, const uint8_t *buf, size_t len, char *path,
    size_t pathlen)
{
	FILE *f;

	snprintf(path, pathlen, "%s/%s", tmpdir, name);
	ck_assert_msg((f = fopen(path, "wb")) != NULL, "%s: %s", path,
	    strerror(errno));
	ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_open_banks)
{
	struct tpm *t = fresh_tpm();

	ck_assert_uint_eq(tpm_banks(t), BANKS_WANTED);
	ck_assert_int_eq(tpm_swtpm(t), 1);
	ck_assert_str_eq(tpm_name(t), NAME);
	tpm_close(t);
}
END_TEST

START_TEST(test_open_nothing_listens)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct riv_err err = { "" };
	struct tpm *t = NULL;
	char conf[64];
	int fd;

	/* a port bound but not listening: connections are refused */
	ck_assert_int_ne(fd = socket(AF_INET, SOCK_STREAM, 0), -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(conf, sizeof(conf), "swtpm:host=127.0.0.1,port=%d",
	    ntohs(sin.sin_port));
	ck_assert_int_eq(tpm_open(conf, "router-7", &t, &err), -1);
	ck_assert_ptr_null(t);
	ck_assert_msg(strstr(err.msg, "router-7") != NULL &&
	    strstr(err.msg, conf) != NULL, "error names no TPM: %s", err.msg);
	close(fd);

	ck_assert_int_eq(tpm_open("swtpm:port=2321,path=/x", "r8", &t, &err),
	    -1);
	ck_assert_msg(strstr(err.msg, "r8") != NULL &&
	    strstr(err.msg, "path=/x") != NULL, "%s", err.msg);
	ck_assert_int_eq(tpm_open("swtpm:port=65535", "r9", &t, &err), -1);
	ck_assert_msg(strstr(err.msg, "65535") != NULL, "%s", err.msg);
}
END_TEST

START_TEST(test_extend_read)
{
	uint8_t d[BANK_COUNT][DIGEST_MAX], want[BANK_COUNT][DIGEST_MAX];
	struct pcrset before, after;
	struct riv_err err = { "" };
	struct tpm *t = fresh_tpm();
	int b;

	pcrset_init(&before);
	read_ok(t, BANK_SHA1, 1u << 16, &before);
	read_ok(t, BANK_SHA256, 1u << 16, &before);
	digests_of("riv-attester check_tpm", d);
	/* sha384 is in the mask but not allocated: skipped */
	ck_assert_msg(tpm_extend(t, 16, (const uint8_t (*)[DIGEST_MAX])d,
	    BANKS_WANTED | 1u << BANK_SHA384, &err) == 0, "tpm_extend: %s",
	    err.msg);
	pcrset_init(&after);
	read_ok(t, BANK_SHA1, 1u << 16, &after);
	read_ok(t, BANK_SHA256, 1u << 16, &after);
	for (b = BANK_SHA1; b <= BANK_SHA256; b++) {
		memcpy(want[b], pcrset_get(&before, b, 16), bank_get(b)->size);
		ck_assert_int_eq(bank_extend(b, want[b], d[b]), 0);
		ck_assert_msg(memcmp(pcrset_get(&after, b, 16), want[b],
		    bank_get(b)->size) == 0, "%s PCR 16 is not H(old || "
		    "digest)", bank_get(b)->name);
		ck_assert_msg(memcmp(pcrset_get(&before, b, 16), want[b],
		    bank_get(b)->size) != 0, "PCR 16 unchanged");
	}
	/* one bank only: the other keeps its value */
	digests_of("sha256 only", d);
	ck_assert_int_eq(tpm_extend(t, 16, (const uint8_t (*)[DIGEST_MAX])d,
	    1u << BANK_SHA256, &err), 0);
	pcrset_init(&before);
	read_ok(t, BANK_SHA1, 1u << 16, &before);
	ck_assert_mem_eq(pcrset_get(&before, BANK_SHA1, 16),
	    pcrset_get(&after, BANK_SHA1, 16), 20);

	ck_assert_int_eq(tpm_extend(t, 24, (const uint8_t (*)[DIGEST_MAX])d,
	    BANKS_WANTED, &err), -1);
	ck_assert_msg(strstr(err.msg, "PCR 24") != NULL, "%s", err.msg);
	tpm_close(t);
}
END_TEST

START_TEST(test_pcr_read_all)
{
	uint8_t d[BANK_COUNT][DIGEST_MAX], want[DIGEST_MAX];
	struct riv_err err = { "" };
	struct tpm *t = fresh_tpm();
	struct pcrset set;
	unsigned p;
	int b;

	/* PCR 9 and 23 come in the second and third TPM2_PCR_Read */
	digests_of("nine", d);
	ck_assert_int_eq(tpm_extend(t, 9, (const uint8_t (*)[DIGEST_MAX])d,
	    BANKS_WANTED, &err), 0);
	digests_of("twenty-three", d);
	ck_assert_int_eq(tpm_extend(t, 23, (const uint8_t (*)[DIGEST_MAX])d,
	    BANKS_WANTED, &err), 0);
	pcrset_init(&set);
	for (b = BANK_SHA1; b <= BANK_SHA256; b++) {
		read_ok(t, b, ALL_PCRS, &set);
		ck_assert_uint_eq(set.mask[b], ALL_PCRS);
		for (p = 0; p < PCR_COUNT; p++) {
			if (p == 9 || p == 23)
				continue;
			/* PCRs 17-22 start at all ones, the rest at zero */
			if (p >= 17 && p <= 22)
				assert_pcr_fill(&set, b, p, 0xff, 0xff);
			else
				assert_pcr_fill(&set, b, p, 0, 0);
		}
		memset(want, 0, sizeof(want));
		digests_of("nine", d);
		ck_assert_int_eq(bank_extend(b, want, d[b]), 0);
		ck_assert_mem_eq(pcrset_get(&set, b, 9), want,
		    bank_get(b)->size);
		memset(want, 0, sizeof(want));
		digests_of("twenty-three", d);
		ck_assert_int_eq(bank_extend(b, want, d[b]), 0);
		ck_assert_mem_eq(pcrset_get(&set, b, 23), want,
		    bank_get(b)->size);
	}
	/* a read replaces that bank's values and keeps the other bank's */
	read_ok(t, BANK_SHA256, 1u << 9, &set);
	ck_assert_uint_eq(set.mask[BANK_SHA256], 1u << 9);
	ck_assert_uint_eq(set.mask[BANK_SHA1], ALL_PCRS);
	ck_assert_int_eq(tpm_pcr_read(t, BANK_SHA384, 1, &set, &err), -1);
	ck_assert_msg(strstr(err.msg, "sha384") != NULL &&
	    strstr(err.msg, NAME) != NULL, "%s", err.msg);
	ck_assert_int_eq(tpm_pcr_read(t, BANK_SHA256, 1u << 24, &set, &err),
	    -1);
	tpm_close(t);
}
END_TEST

/* AK files, TPM2B_PUBLIC and PEM, must hold the key tpm_ak returned. */
static void
check_ak_files(const uint8_t *pub, size_t publen, uint16_t scheme)
{
	char path[2048];
	uint8_t *buf;
	size_t len;
	struct akey ak, pem;
	struct riv_err err;
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s-ak.pub", tmpdir, NAME);
	ck_assert_msg(file_read(path, QUOTE_FILE_MAX, &buf, &len, &err) ==
	    RIV_OK, "%s", err.msg);
	ck_assert_uint_eq(len, publen);
	ck_assert_mem_eq(buf, pub, len);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0644);
	ck_assert_msg(akey_load(buf, len, &ak, &err) == RIV_OK,
	    "akey_load(.pub): %s", err.msg);
	free(buf);
	ck_assert_int_eq(ak.tpm, 1);
	ck_assert_uint_eq(ak.attrs, TPMA_OBJECT_FIXEDTPM |
	    TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
	    TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED |
	    TPMA_OBJECT_SIGN_ENCRYPT);
	ck_assert_uint_eq(ak.symmetric, TPM_ALG_NULL);
	ck_assert_uint_eq(ak.scheme, scheme);
	ck_assert_uint_eq(ak.hash, TPM_ALG_SHA256);

	snprintf(path, sizeof(path), "%s/%s-ak.pem", tmpdir, NAME);
	ck_assert_msg(file_read(path, QUOTE_FILE_MAX, &buf, &len, &err) ==
	    RIV_OK, "%s", err.msg);
	ck_assert_msg(len > 26 && memcmp(buf, "-----BEGIN PUBLIC KEY-----",
	    26) == 0, "not a PEM PUBLIC KEY");
	ck_assert_msg(akey_load(buf, len, &pem, &err) == RIV_OK,
	    "akey_load(.pem): %s", err.msg);
	free(buf);
	ck_assert_int_eq(pem.tpm, 0);
	ck_assert_int_eq(EVP_PKEY_eq(ak.pkey, pem.pkey), 1);
	if (scheme == TPM_ALG_RSASSA)
		ck_assert_int_eq(EVP_PKEY_get_bits(pem.pkey), 2048);
	else
		ck_assert(EVP_PKEY_is_a(pem.pkey, "EC"));
	akey_free(&ak);
	akey_free(&pem);
}

START_TEST(test_ak_deterministic)
{
	uint8_t rsa[TPM_PUB_MAX], rsa2[TPM_PUB_MAX];
	uint8_t ecc[TPM_PUB_MAX], ecc2[TPM_PUB_MAX];
	size_t rlen, rlen2, elen, elen2;
	struct riv_err err;
	struct tpm *t = fresh_tpm();

	ck_assert_msg(tpm_ak(t, TPM_AK_RSA, tmpdir, rsa, &rlen, &err) == 0,
	    "tpm_ak RSA: %s", err.msg);
	check_ak_files(rsa, rlen, TPM_ALG_RSASSA);
	ck_assert_msg(tpm_ak(t, TPM_AK_RSA, NULL, rsa2, &rlen2, &err) == 0,
	    "tpm_ak RSA again: %s", err.msg);
	ck_assert_uint_eq(rlen, rlen2);
	ck_assert_mem_eq(rsa, rsa2, rlen);

	ck_assert_msg(tpm_ak(t, TPM_AK_ECC, tmpdir, ecc, &elen, &err) == 0,
	    "tpm_ak ECC: %s", err.msg);
	check_ak_files(ecc, elen, TPM_ALG_ECDSA);
	ck_assert_msg(tpm_ak(t, TPM_AK_ECC, NULL, ecc2, &elen2, &err) == 0,
	    "tpm_ak ECC again: %s", err.msg);
	ck_assert_uint_eq(elen, elen2);
	ck_assert_mem_eq(ecc, ecc2, elen);
	ck_assert(rlen != elen || memcmp(rsa, ecc, rlen) != 0);
	tpm_close(t);

	/* another connection, after a reset: still the same keys */
	t = fresh_tpm();
	ck_assert_int_eq(tpm_ak(t, TPM_AK_ECC, NULL, ecc2, &elen2, &err), 0);
	ck_assert_uint_eq(elen, elen2);
	ck_assert_mem_eq(ecc, ecc2, elen);
	ck_assert_int_eq(tpm_ak(t, TPM_AK_RSA, NULL, rsa2, &rlen2, &err), 0);
	ck_assert_uint_eq(rlen, rlen2);
	ck_assert_mem_eq(rsa, rsa2, rlen);
	tpm_close(t);
}
END_TEST

/* A 32-byte nonce, as a nonce chain would make. */
static void
make_nonce(uint8_t *nonce, size_t len, int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		nonce[i] = (uint8_t)(seed * 31 + i * 7 + 1);
}

/* Quote sha1 PCRs 0, 16, 23 and sha256 PCRs 0-23 with an AK of alg. */
START_TEST(test_quote_verifies)
{
	static const uint16_t schemes[] = { TPM_ALG_RSASSA, TPM_ALG_ECDSA };
	uint8_t pub[TPM_PUB_MAX], nonce[32], other[32];
	uint8_t d[BANK_COUNT][DIGEST_MAX];
	uint32_t sel[BANK_COUNT] = { 0 };
	struct tpm_quote tq, later;
	struct quote q;
	struct pcrset set;
	struct riv_err err;
	size_t publen;
	struct tpm *t = fresh_tpm();

	ck_assert_msg(tpm_ak(t, (enum tpm_ak_alg)_i, NULL, pub, &publen,
	    &err) == 0, "tpm_ak: %s", err.msg);
	digests_of("measured before the quote", d);
	ck_assert_int_eq(tpm_extend(t, 16, (const uint8_t (*)[DIGEST_MAX])d,
	    BANKS_WANTED, &err), 0);
	make_nonce(nonce, sizeof(nonce), _i);
	sel[BANK_SHA1] = 1u << 0 | 1u << 16 | 1u << 23;
	sel[BANK_SHA256] = ALL_PCRS;
	quote_ok(t, nonce, sizeof(nonce), sel, &tq);
	pcrset_init(&set);
	read_ok(t, BANK_SHA1, sel[BANK_SHA1], &set);
	read_ok(t, BANK_SHA256, sel[BANK_SHA256], &set);
	engine_verify(&tq, pub, publen, nonce, sizeof(nonce), &set, &q);
	ck_assert_uint_eq(q.sig_alg, schemes[_i]);
	ck_assert_uint_eq(q.sig_hash, TPM_ALG_SHA256);
	ck_assert_uint_eq(q.nsel, 2);
	ck_assert_uint_eq(q.sel[0].alg, TPM_ALG_SHA1);
	ck_assert_uint_eq(q.sel[0].mask, sel[BANK_SHA1]);
	ck_assert_uint_eq(q.sel[1].alg, TPM_ALG_SHA256);
	ck_assert_uint_eq(q.sel[1].mask, sel[BANK_SHA256]);
	ck_assert_uint_eq(q.restart_count, 0);

	/* another nonce, or PCR values from after a later extend, fail */
	make_nonce(other, sizeof(other), _i + 1);
	ck_assert_int_eq(quote_check_nonce(&q, other, sizeof(other), &err),
	    RIV_FAIL);
	ck_assert_int_eq(tpm_extend(t, 16, (const uint8_t (*)[DIGEST_MAX])d,
	    BANKS_WANTED, &err), 0);
	read_ok(t, BANK_SHA256, sel[BANK_SHA256], &set);
	ck_assert_int_eq(quote_check_pcrs(&q, &set, &err), RIV_FAIL);

	/* the TPM clock moves forward between quotes */
	sleep_ms(20);
	quote_ok(t, nonce, sizeof(nonce), sel, &later);
	ck_assert_uint_gt(later.clock, tq.clock);
	ck_assert_uint_eq(later.reset_count, tq.reset_count);
	tpm_close(t);
}
END_TEST

START_TEST(test_quote_limits)
{
	uint8_t pub[TPM_PUB_MAX], nonce[65];
	uint32_t sel[BANK_COUNT] = { 0 };
	struct tpm_quote tq;
	struct quote q;
	struct riv_err err = { "" };
	size_t publen;
	struct tpm *t = fresh_tpm();

	make_nonce(nonce, sizeof(nonce), 7);
	sel[BANK_SHA256] = 1u << 0;
	ck_assert_int_eq(tpm_quote(t, nonce, 32, sel, &tq, &err), -1);
	ck_assert_msg(strstr(err.msg, "no AK") != NULL, "%s", err.msg);

	ck_assert_int_eq(tpm_ak(t, TPM_AK_ECC, NULL, pub, &publen, &err), 0);
	ck_assert_int_eq(tpm_quote(t, nonce, 65, sel, &tq, &err), -1);
	ck_assert_msg(strstr(err.msg, "65 bytes") != NULL &&
	    strstr(err.msg, NAME) != NULL, "%s", err.msg);
	quote_ok(t, nonce, 64, sel, &tq);
	engine_verify(&tq, pub, publen, nonce, 64, NULL, &q);
	quote_ok(t, NULL, 0, sel, &tq);
	engine_verify(&tq, pub, publen, NULL, 0, NULL, &q);

	sel[BANK_SHA384] = 1u << 0;
	ck_assert_int_eq(tpm_quote(t, nonce, 32, sel, &tq, &err), -1);
	ck_assert_msg(strstr(err.msg, "sha384") != NULL &&
	    strstr(err.msg, "not allocated") != NULL &&
	    strstr(err.msg, NAME) != NULL, "%s", err.msg);
	sel[BANK_SHA384] = 0;
	sel[BANK_SHA1] = 1u << 24;
	ck_assert_int_eq(tpm_quote(t, nonce, 32, sel, &tq, &err), -1);
	ck_assert_msg(strstr(err.msg, "above 23") != NULL, "%s", err.msg);
	tpm_close(t);
}
END_TEST

START_TEST(test_reset)
{
	uint8_t pub[TPM_PUB_MAX], nonce[32], d[BANK_COUNT][DIGEST_MAX];
	uint32_t sel[BANK_COUNT] = { 0 };
	struct tpm_quote before, after;
	struct pcrset set;
	struct quote q;
	struct riv_err err;
	size_t publen;
	struct tpm *t = fresh_tpm();

	ck_assert_int_eq(tpm_ak(t, TPM_AK_ECC, NULL, pub, &publen, &err), 0);
	digests_of("before the reset", d);
	ck_assert_int_eq(tpm_extend(t, 16, (const uint8_t (*)[DIGEST_MAX])d,
	    BANKS_WANTED, &err), 0);
	make_nonce(nonce, sizeof(nonce), 3);
	sel[BANK_SHA256] = 1u << 16;
	quote_ok(t, nonce, sizeof(nonce), sel, &before);

	ck_assert_msg(tpm_reset(t, 0, &err) == 0, "tpm_reset: %s", err.msg);
	pcrset_init(&set);
	read_ok(t, BANK_SHA1, 1u << 16, &set);
	read_ok(t, BANK_SHA256, 1u << 16, &set);
	assert_pcr_fill(&set, BANK_SHA1, 16, 0, 0);
	assert_pcr_fill(&set, BANK_SHA256, 16, 0, 0);
	/* the AK is back, the same key: its quotes verify with the old pub */
	quote_ok(t, nonce, sizeof(nonce), sel, &after);
	engine_verify(&after, pub, publen, nonce, sizeof(nonce), &set, &q);
	ck_assert_uint_eq(after.reset_count, before.reset_count + 1);
	ck_assert_uint_eq(after.restart_count, 0);

	ck_assert_msg(tpm_reset(t, 0, &err) == 0, "tpm_reset: %s", err.msg);
	quote_ok(t, nonce, sizeof(nonce), sel, &before);
	ck_assert_uint_eq(before.reset_count, after.reset_count + 1);
	tpm_close(t);
}
END_TEST

START_TEST(test_reset_locality)
{
	static const int refused[] = { 1, 2, 4, 5, -1 };
	uint8_t pub[TPM_PUB_MAX], nonce[32];
	uint32_t sel[BANK_COUNT] = { 0 };
	struct tpm_quote tq;
	struct pcrset set;
	struct quote q;
	struct riv_err err = { "" };
	size_t publen, i;
	struct tpm *t = fresh_tpm();

	ck_assert_int_eq(tpm_ak(t, TPM_AK_RSA, NULL, pub, &publen, &err), 0);
	ck_assert_msg(tpm_reset(t, 3, &err) == 0, "tpm_reset 3: %s", err.msg);
	pcrset_init(&set);
	read_ok(t, BANK_SHA1, 1u << 0, &set);
	read_ok(t, BANK_SHA256, 1u << 0, &set);
	assert_pcr_fill(&set, BANK_SHA1, 0, 0, 3);
	assert_pcr_fill(&set, BANK_SHA256, 0, 0, 3);
	/* back at locality 0: PCR 16 is extended as usual, quotes verify */
	make_nonce(nonce, sizeof(nonce), 5);
	sel[BANK_SHA1] = sel[BANK_SHA256] = 1u << 0;
	quote_ok(t, nonce, sizeof(nonce), sel, &tq);
	engine_verify(&tq, pub, publen, nonce, sizeof(nonce), &set, &q);

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		ck_assert_int_eq(tpm_reset(t, refused[i], &err), -1);
		ck_assert_msg(strstr(err.msg, "locality") != NULL, "%s",
		    err.msg);
	}
	/* a refused reset leaves the TPM as it was */
	quote_ok(t, nonce, sizeof(nonce), sel, &tq);
	ck_assert_msg(tpm_reset(t, 0, &err) == 0, "tpm_reset 0: %s", err.msg);
	pcrset_init(&set);
	read_ok(t, BANK_SHA256, 1u << 0, &set);
	assert_pcr_fill(&set, BANK_SHA256, 0, 0, 0);
	tpm_close(t);
}
END_TEST

/* tpm2-tools' own check of a quote, as a second opinion. */
START_TEST(test_tpm2_checkquote)
{
	uint8_t nonce[32], bad[32];
	uint32_t sel[BANK_COUNT] = { 0 };
	char msg[2048], sig[2048], pem[2048], log[2048], hex[65], badhex[65];
	char *argv[] = { "tpm2_checkquote", "-u", pem, "-m", msg, "-s", sig,
	    "-g", "sha256", "-q", hex, NULL };
	struct tpm_quote tq;
	struct riv_err err;
	struct tpm *t;

	if (!on_path("tpm2_checkquote"))
		return;		/* optional: tpm2-tools not installed */
	t = fresh_tpm();
	ck_assert_int_eq(tpm_ak(t, (enum tpm_ak_alg)_i, tmpdir, NULL, NULL,
	    &err), 0);
	make_nonce(nonce, sizeof(nonce), 11);
	sel[BANK_SHA256] = 0xff;
	quote_ok(t, nonce, sizeof(nonce), sel, &tq);
	tpm_close(t);
	put_file("q.msg", tq.attest, tq.attest_len, msg, sizeof(msg));
	put_file("q.sig", tq.sig, tq.sig_len, sig, sizeof(sig));
	snprintf(pem, sizeof(pem), "%s/%s-ak.pem", tmpdir, NAME);
	snprintf(log, sizeof(log), "%s/checkquote.log", tmpdir);
	hex_encode(nonce, sizeof(nonce), hex);
	ck_assert_msg(run(argv, log) == 0, "tpm2_checkquote fails (see %s)",
	    log);
	make_nonce(bad, sizeof(bad), 12);
	hex_encode(bad, sizeof(bad), badhex);
	memcpy(hex, badhex, sizeof(hex));
	ck_assert_int_ne(run(argv, log), 0);
}
END_TEST

/* Run the swtpm tests, or skip (77) without swtpm. */
int
main(void)
{
	Suite *s = suite_create("tpm");
	TCase *tc = tcase_create("swtpm");

	if (!on_path("swtpm") || !on_path("swtpm_setup")) {
		printf("SKIP: swtpm or swtpm_setup not found: this test needs "
		    "a software TPM (Debian packages swtpm and swtpm-tools)\n");
		return 77;
	}
	tcase_add_unchecked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_open_banks);
	tcase_add_test(tc, test_open_nothing_listens);
	tcase_add_test(tc, test_extend_read);
	tcase_add_test(tc, test_pcr_read_all);
	tcase_add_test(tc, test_ak_deterministic);
	tcase_add_loop_test(tc, test_quote_verifies, TPM_AK_RSA, TPM_AK_ECC + 1);
	tcase_add_test(tc, test_quote_limits);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_reset_locality);
	tcase_add_loop_test(tc, test_tpm2_checkquote, TPM_AK_RSA,
	    TPM_AK_ECC + 1);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
