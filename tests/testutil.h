/*
 * testutil.h — helpers shared by the Check suites: locating the evidence
 * corpus and reading files from it.
 */
#ifndef RIV_TESTUTIL_H
#define RIV_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "util.h"

/* Return the corpus directory (RIV_CORPUS, else ../shared/corpus). */
static inline const char *
corpus_dir(void)
{
	const char *d = getenv("RIV_CORPUS");

	return d != NULL && *d != '\0' ? d : "../shared/corpus";
}

/* Build the path of a corpus file into buf. */
static inline const char *
corpus_path(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", corpus_dir(), rel);
	return buf;
}

/* Read a corpus file, failing the test if it cannot be read. */
static inline uint8_t *
corpus_read(const char *rel, size_t *len)
{
	char path[4096];
	uint8_t *buf = NULL;
	struct riv_err err;

	corpus_path(path, sizeof(path), rel);
	ck_assert_msg(file_read(path, RIV_FILE_MAX, &buf, len, &err) ==
	    RIV_OK, "cannot read corpus file %s: %s", path, err.msg);
	return buf;
}

/* Run a suite and return the process exit status for automake. */
static inline int
run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

#endif
