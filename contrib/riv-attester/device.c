/*
 * device.c — the device riv-attester stands for: its TPMs (route
 * processors, one active at a time, and line cards), their boots (TPM reset,
 * boot log replayed, new IMA list) and the device events the control socket
 * acts out: switchover, upgrade, reboot, measure, tamper, card insert and
 * remove.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "attester.h"

#define RAS "riv-attestation-streams:"

static uint32_t	ak_gen_read(const struct att_tpm *);

static const char *const event_names[EV_COUNT] = {
	RAS "startup-complete",
	RAS "software-upgrade",
	RAS "switchover",
	RAS "line-card-insert",
	RAS "line-card-remove",
	RAS "certificate-change",
};

/* Return the identity (module-qualified) of a device event. */
const char *
device_event_name(enum att_event ev)
{
	return ev < EV_COUNT ? event_names[ev] : "?";
}

/* Return the event of an identity (with or without a prefix), or -1. */
int
device_event_by_name(const char *name)
{
	const char *colon = strchr(name, ':');
	int i;

	if (colon != NULL)
		name = colon + 1;
	for (i = 0; i < EV_COUNT; i++)
		if (strcmp(event_names[i] + strlen(RAS), name) == 0)
			return i;
	return -1;
}

/* Return the index of the TPM called name, or -1. */
int
device_tpm_index(const char *name)
{
	size_t i;

	for (i = 0; i < att.ntpms; i++)
		if (strcmp(att.tpms[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Add a TPM from "NAME=TCTI" (command line).  Return 0 or -1. */
int
device_add_tpm(const char *arg, struct riv_err *err)
{
	const char *eq = strchr(arg, '=');
	struct att_tpm *t;
	size_t n, i;

	if (eq == NULL || eq[1] == '\0')
		return err_set(err, -1, "--tpm %s: NAME=TCTI expected", arg);
	n = (size_t)(eq - arg);
	if (n == 0 || n >= ATT_NAME_MAX)
		return err_set(err, -1, "--tpm %s: a name of 1 to %d "
		    "characters is needed", arg, ATT_NAME_MAX - 1);
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)arg[i]) && arg[i] != '-' &&
		    arg[i] != '_')
			return err_set(err, -1, "--tpm %s: names use letters, "
			    "digits, - and _", arg);
	if (att.ntpms == ATT_TPM_MAX)
		return err_set(err, -1, "at most %d TPMs", ATT_TPM_MAX);
	t = &att.tpms[att.ntpms];
	memcpy(t->name, arg, n);
	t->name[n] = '\0';
	if (device_tpm_index(t->name) >= 0)
		return err_set(err, -1, "--tpm %s: name used twice", t->name);
	memcpy(t->cert, t->name, n);
	memcpy(t->cert + n, "-ak", 4);
	if ((t->tcti = strdup(eq + 1)) == NULL)
		return err_set(err, -1, "out of memory");
	t->present = 1;
	t->rp = att.ntpms == 0;
	att.ntpms++;
	return 0;
}

/*
 * Boot TPM t: reset it (swtpm), replay the boot log (file, or the one it
 * booted last), start its IMA list, and count the boot.
 */
static int
boot_tpm(struct att_tpm *t, const char *bios, struct riv_err *err)
{
	uint8_t pub[TPM_PUB_MAX];
	size_t publen = sizeof(pub);
	int b;

	if (bios != NULL && bios_load(t, bios, err) != 0)
		return -1;
	if (!tpm_swtpm(t->tpm)) {
		if (t->boot > 0)
			return err_set(err, -1, "TPM %s: a hardware TPM cannot "
			    "be reset by riv-attester", t->name);
	} else if (tpm_reset(t->tpm, t->bios_locality, err) != 0)
		return -1;
	if (tpm_ak(t->tpm, att.ak_alg, att.state_dir, pub, &publen, err) != 0)
		return -1;
	memset(t->pcr_changes, 0, sizeof(t->pcr_changes));
	if (tpm_swtpm(t->tpm) && t->bios.n > 0 && bios_replay(t, err) != 0)
		return -1;
	if (att.ima_file != NULL) {
		if (ima_load(t, att.ima_file, err) != 0 ||
		    ima_replay(t, err) != 0)
			return -1;
	} else if (ima_boot_aggregate(t, err) != 0)
		return -1;
	for (b = 0; b < PCR_COUNT; b++)
		t->pcr_changes[b]++;
	t->boot++;
	clock_gettime(CLOCK_REALTIME, &t->boot_time);
	log_info("TPM %s booted%s%s (%llu boot log events, %llu IMA entries)",
	    t->name, t->bios_name ? " with " : "", t->bios_name ?
	    t->bios_name : "", (unsigned long long)t->bios.n,
	    (unsigned long long)t->ima.n);
	return 0;
}

/* Open every TPM, create its AK and boot it.  Return 0 or -1. */
int
device_start(struct riv_err *err)
{
	struct att_tpm *t;
	size_t i;

	for (i = 0; i < att.ntpms; i++) {
		t = &att.tpms[i];
		if (tpm_open(t->tcti, t->name, &t->tpm, err) != 0)
			return -1;
		t->ak_gen = ak_gen_read(t);
		tpm_ak_generation(t->tpm, t->ak_gen);
		t->banks = tpm_banks(t->tpm);
		if (!tpm_swtpm(t->tpm))
			log_warnx("TPM %s is not a swtpm: its PCRs are what the "
			    "platform made them; --bios-log and --ima-log must "
			    "be this platform's own logs", t->name);
		if (boot_tpm(t, att.bios_file, err) != 0)
			return -1;
	}
	return 0;
}

/* Close every TPM. */
void
device_stop(void)
{
	size_t i;

	for (i = 0; i < att.ntpms; i++) {
		tpm_close(att.tpms[i].tpm);
		att.tpms[i].tpm = NULL;
		log_free(&att.tpms[i].bios);
		log_free(&att.tpms[i].ima);
		free(att.tpms[i].bios_name);
		att.tpms[i].bios_name = NULL;
	}
}

/*
 * The TPMs whose evidence describes the device now: the active route
 * processor and the inserted line cards.
 */
uint32_t
device_active_set(void)
{
	uint32_t set = 0;
	size_t i;

	for (i = 0; i < att.ntpms; i++)
		if (att.tpms[i].present && !att.tpms[i].failed &&
		    !att.tpms[i].standby)
			set |= 1u << i;
	return set;
}

/* Make the first standby route processor active, the active one standby. */
int
device_switchover(struct riv_err *err)
{
	char detail[2 * ATT_NAME_MAX + 8];
	int from = -1, to = -1;
	size_t i;

	for (i = 0; i < att.ntpms; i++) {
		if (!att.tpms[i].rp)
			continue;
		if (att.tpms[i].standby && to < 0)
			to = (int)i;
		else if (!att.tpms[i].standby && from < 0)
			from = (int)i;
	}
	if (from < 0 || to < 0)
		return err_set(err, -1, "switchover needs an active and a "
		    "standby route processor (--standby)");
	att.tpms[from].standby = 1;
	att.tpms[to].standby = 0;
	snprintf(detail, sizeof(detail), "%s -> %s", att.tpms[from].name,
	    att.tpms[to].name);
	log_info("switchover: %s", detail);
	yang_update_oper();
	sub_device_event(EV_SWITCHOVER, detail);
	return 0;
}

/*
 * Reboot the device: every TPM is reset and replays its boot log (the one
 * in bios if given: a software upgrade), and starts a new IMA list.
 */
int
device_reboot(int upgrade, const char *bios, struct riv_err *err)
{
	size_t i;

	if (upgrade) {
		free(att.bios_file_owned);
		att.bios_file = att.bios_file_owned = strdup(bios);
	}
	for (i = 0; i < att.ntpms; i++)
		if (att.tpms[i].present &&
		    boot_tpm(&att.tpms[i], upgrade ? bios : NULL, err) != 0)
			return -1;
	yang_update_oper();
	sub_device_event(upgrade ? EV_SOFTWARE_UPGRADE : EV_STARTUP_COMPLETE,
	    upgrade ? bios : "reboot");
	return 0;
}

/* Measure a file into the IMA list of every active TPM. */
int
device_measure(const char *path, struct riv_err *err)
{
	uint32_t set = device_active_set();
	size_t i;

	if (!notify_ima_path_ok(path) && sub_structured_ima(set))
		return err_set(err, -1, "measure: the IMA entry of this file "
		    "name would have no structured form, and an ima-log "
		    "subscription with log-entry-encoding structured would "
		    "have to carry it");

	for (i = 0; i < att.ntpms; i++)
		if ((set & (1u << i)) &&
		    ima_measure_file(&att.tpms[i], path, err) != 0)
			return -1;
	log_info("measured %s", path);
	return 0;
}

/* Read the AK generation of t from the state directory (0 if none). */
static uint32_t
ak_gen_read(const struct att_tpm *t)
{
	char path[1024];
	unsigned long gen = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.gen", att.state_dir, t->cert);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fscanf(f, "%lu", &gen) != 1)
		gen = 0;
	fclose(f);
	return (uint32_t)gen;
}

/* Write the AK generation of t to the state directory. */
static int
ak_gen_write(const struct att_tpm *t, struct riv_err *err)
{
	char path[1024], tmp[1040];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.gen", att.state_dir, t->cert);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return err_set(err, -1, "%s: cannot write", tmp);
	fprintf(f, "%u\n", t->ak_gen);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return err_set(err, -1, "%s: cannot write", path);
	}
	return 0;
}

/*
 * Replace the AK of TPM t (an AK certificate change): the next AK
 * generation, its files written over the old ones like at first use, the
 * generation kept in the state directory, and the certificate-change
 * event queued.
 */
static int
cert_change_one(struct att_tpm *t, struct riv_err *err)
{
	char detail[128];

	tpm_ak_generation(t->tpm, t->ak_gen + 1);
	if (tpm_ak(t->tpm, att.ak_alg, att.state_dir, NULL, NULL, err) != 0) {
		tpm_ak_generation(t->tpm, t->ak_gen);
		return -1;
	}
	t->ak_gen++;
	if (ak_gen_write(t, err) != 0)
		return -1;
	snprintf(detail, sizeof(detail), "%s: %s replaced (AK generation "
	    "%u)", t->name, t->cert, t->ak_gen);
	log_info("certificate change: %s", detail);
	sub_device_event(EV_CERT_CHANGE, detail);
	return 0;
}

/*
 * Change the AK certificate of the TPM called name, or of every TPM of
 * the active set if name is NULL.
 */
int
device_cert_change(const char *name, struct riv_err *err)
{
	uint32_t set = device_active_set();
	size_t i;
	int k;

	if (name != NULL) {
		if ((k = device_tpm_index(name)) < 0)
			return err_set(err, -1, "no TPM named %s", name);
		if (!att.tpms[k].present)
			return err_set(err, -1, "line card %s is removed", name);
		return cert_change_one(&att.tpms[k], err);
	}
	for (i = 0; i < att.ntpms; i++)
		if ((set & (1u << i)) && cert_change_one(&att.tpms[i], err) != 0)
			return -1;
	return 0;
}

/* Extend a random digest that no log records into pcr of active TPMs. */
int
device_tamper(unsigned pcr, struct riv_err *err)
{
	uint8_t d[BANK_COUNT][DIGEST_MAX];
	uint32_t set = device_active_set();
	size_t i;

	if (pcr >= PCR_COUNT)
		return err_set(err, -1, "tamper: PCR %u: 0 to 23", pcr);
	if (RAND_bytes((unsigned char *)d, sizeof(d)) != 1)
		return err_set(err, -1, "tamper: no random bytes");
	for (i = 0; i < att.ntpms; i++) {
		if (!(set & (1u << i)))
			continue;
		if (tpm_extend(att.tpms[i].tpm, pcr,
		    (const uint8_t (*)[DIGEST_MAX])d, att.tpms[i].banks,
		    err) != 0)
			return -1;
		att.tpms[i].pcr_changes[pcr]++;
	}
	log_info("tampered with PCR %u", pcr);
	return 0;
}

/* Insert (boot) or remove the line card whose TPM is called name. */
int
device_card(const char *name, int insert, struct riv_err *err)
{
	struct att_tpm *t;
	int i;

	if ((i = device_tpm_index(name)) < 0)
		return err_set(err, -1, "no TPM named %s", name);
	t = &att.tpms[i];
	if (t->rp)
		return err_set(err, -1, "%s is a route processor, not a line "
		    "card", name);
	if (t->present == insert)
		return err_set(err, -1, "line card %s is already %s", name,
		    insert ? "inserted" : "removed");
	if (insert && boot_tpm(t, NULL, err) != 0)
		return -1;
	t->present = insert;
	log_info("line card %s %s", name, insert ? "inserted" : "removed");
	yang_update_oper();
	sub_device_event(insert ? EV_CARD_INSERT : EV_CARD_REMOVE, name);
	return 0;
}
