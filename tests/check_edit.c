/*
 * check_edit.c — unit tests for NETCONF <edit-config> semantics (nc_edit.c)
 * on riv-verifier data (and ietf-netconf-acm for ordered-by user lists):
 * every operation, inherited and nested, every default-operation, choices,
 * defaults, every error tag, and that a failed edit leaves the datastore
 * byte for byte as it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "nc_edit.h"
#include "rivd.h"
#include "testutil.h"

#define RV	"xmlns=\"urn:rivd:params:xml:ns:yang:riv-verifier\""
#define NC	"xmlns:nc=\"urn:ietf:params:xml:ns:netconf:base:1.0\""
#define YI	"xmlns:yang=\"urn:ietf:params:xml:ns:yang:1\""
#define NACM	"xmlns=\"urn:ietf:params:xml:ns:yang:ietf-netconf-acm\""
/* A riv-verifier <verifier> holding body. */
#define VER(body)	"<verifier " RV " " NC ">" body "</verifier>"
/* An operation attribute. */
#define OP(o)		" nc:operation=\"" o "\""
/* Attester a's path, for error paths. */
#define PATH_A		"/riv-verifier:verifier/attester[name='a']"

/* The datastore most tests start from. */
static const char base_xml[] =
    "<verifier " RV ">"
    "<attester><name>a</name><address>10.0.0.1</address><port>6513</port>"
    "<tls><ca>/ca.pem</ca></tls>"
    "<tpm><name>t0</name><ak>/ak0</ak></tpm>"
    "<tpm><name>t1</name><ak>/ak1</ak></tpm>"
    "<subscription><stream>ima-log</stream><period>100</period>"
    "<pcr>10</pcr><pcr>0</pcr></subscription>"
    "</attester>"
    "<attester><name>b</name><address>10.0.0.2</address>"
    "<ssh><key>/k</key><host-key>/hk</host-key></ssh>"
    "<tpm><name>t0</name><ak>/akb</ak></tpm>"
    "</attester>"
    "</verifier>";

static struct ly_ctx *ctx;

/*
 * Build the management server's context (src/yangctx.c) from
 * RIV_SRCDIR/yang (default ../yang), plus ietf-netconf-acm.
 */
static void
ctx_build(void)
{
	const char *src = getenv("RIV_SRCDIR");
	struct riv_err err;
	char dir[4096];

	if (src == NULL || *src == '\0')
		src = "..";
	snprintf(dir, sizeof(dir), "%s/yang", src);
	if (yang_context(dir, 1, &ctx, &err) != 0) {
		fprintf(stderr, "check_edit: %s\n", err.msg);
		exit(1);
	}
	if (ly_ctx_load_module(ctx, "ietf-netconf-acm", NULL, NULL) == NULL) {
		fprintf(stderr, "check_edit: cannot load ietf-netconf-acm from "
		    "%s: %s\n", dir, ly_errmsg(ctx));
		exit(1);
	}
}

/* Parse and validate a datastore (defaults added). */
static struct lyd_node *
data(const char *xml)
{
	struct lyd_node *t = NULL;

	ck_assert_msg(lyd_parse_data_mem(ctx, xml, LYD_XML, LYD_PARSE_STRICT,
	    LYD_VALIDATE_NO_STATE, &t) == LY_SUCCESS, "datastore: %s",
	    ly_errmsg(ctx));
	return t;
}

/* Print a tree as compact XML (explicit nodes only); free the result. */
static char *
print(const struct lyd_node *t)
{
	char *s = NULL;

	if (t == NULL)
		return strdup("");
	ck_assert(lyd_print_mem(&s, t, LYD_XML, LYD_PRINT_WITHSIBLINGS |
	    LYD_PRINT_SHRINK) == LY_SUCCESS);
	return s != NULL ? s : strdup("");
}

/* Count the occurrences of needle in the printed tree. */
static int
count(const struct lyd_node *t, const char *needle)
{
	char *s = print(t);
	const char *p = s;
	int n = 0;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	free(s);
	return n;
}

/* Whether the printed tree holds needle. */
static int
has(const struct lyd_node *t, const char *needle)
{
	return count(t, needle) > 0;
}

/* Parse the edit xml (which must parse) and apply it to *t. */
static int
run(struct lyd_node **t, const char *xml, enum edit_default d,
    struct edit_error *err)
{
	struct lyd_node *edit = NULL;
	int rc;

	ck_assert_msg(edit_parse(ctx, xml, &edit, err) == 0, "edit_parse: "
	    "%s: %s at %s", err->tag, err->msg, err->path);
	rc = edit_apply(t, edit, d, err);
	lyd_free_siblings(edit);
	return rc;
}

/* Apply the edit xml to *t; it must succeed. */
static void
ok(struct lyd_node **t, const char *xml, enum edit_default d)
{
	struct edit_error err;

	ck_assert_msg(run(t, xml, d, &err) == 0, "edit_apply: %s: %s at %s",
	    err.tag, err.msg, err.path);
}

/*
 * Apply the edit xml to *t; it must fail with tag (and path, unless NULL)
 * and leave *t byte-identical.
 */
static void
fails(struct lyd_node **t, const char *xml, enum edit_default d,
    const char *tag, const char *path)
{
	struct lyd_node *before_ptr = *t;
	struct edit_error err;
	char *before, *after;

	before = print(*t);
	ck_assert_int_eq(run(t, xml, d, &err), -1);
	ck_assert_ptr_nonnull(err.tag);
	ck_assert_str_eq(err.tag, tag);
	if (path != NULL)
		ck_assert_str_eq(err.path, path);
	ck_assert(err.msg[0] != '\0');
	ck_assert_ptr_eq(*t, before_ptr);
	after = print(*t);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
}

/* Whether the tree validates as a datastore. */
static int
valid(struct lyd_node **t)
{
	return lyd_validate_all(t, NULL, LYD_VALIDATE_NO_STATE, NULL) ==
	    LY_SUCCESS;
}

/* Parse xml as an edit; it must fail with tag and path. */
static void
parse_fails(const char *xml, const char *tag, const char *path)
{
	struct lyd_node *edit = NULL;
	struct edit_error err;

	ck_assert_int_eq(edit_parse(ctx, xml, &edit, &err), -1);
	ck_assert_ptr_null(edit);
	ck_assert_ptr_nonnull(err.tag);
	ck_assert_str_eq(err.tag, tag);
	ck_assert_str_eq(err.path, path);
	ck_assert(err.msg[0] != '\0');
}

START_TEST(merge_leaf)
{
	struct lyd_node *t = data(base_xml);

	ok(&t, VER("<attester><name>a</name><port>830</port></attester>"),
	    EDIT_DEFAULT_MERGE);
	ck_assert(has(t, "<port>830</port>"));
	ck_assert(!has(t, "<port>6513</port>"));
	ck_assert(has(t, "<address>10.0.0.1</address>"));
	ck_assert_int_eq(count(t, "<tpm>"), 3);
	ck_assert(valid(&t));
	lyd_free_siblings(t);
}
END_TEST

/*
 * A merge of a leaf in a small container or list entry (libyang keeps
 * no hash table for few siblings) replaces its value: never a second
 * instance.
 */
START_TEST(merge_leaf_few_siblings)
{
	struct lyd_node *t = data("<verifier " RV "><tls><ca>/ca.pem</ca>"
	    "</tls><management><user><name>u</name><role>read-only</role>"
	    "<authorized-keys>/k</authorized-keys></user></management>"
	    "</verifier>");

	ok(&t, VER("<management><user><name>u</name><role>read-write</role>"
	    "</user></management><tls><ca>/other.pem</ca></tls>"),
	    EDIT_DEFAULT_MERGE);
	ck_assert_int_eq(count(t, "<role>"), 1);
	ck_assert(has(t, "<role>read-write</role>"));
	ck_assert_int_eq(count(t, "<ca>"), 1);
	ck_assert(has(t, "<ca>/other.pem</ca>"));
	ck_assert(has(t, "<authorized-keys>/k</authorized-keys>"));
	ck_assert(valid(&t));
	lyd_free_siblings(t);
}
END_TEST

START_TEST(merge_new_entry)
{
	struct lyd_node *t = data(base_xml);

	ok(&t, VER("<attester><name>c</name><address>h.example</address>"
	    "<tpm><name>tc</name><ak>/akc</ak></tpm></attester>"),
	    EDIT_DEFAULT_MERGE);
	ck_assert(has(t, "<name>c</name><address>h.example</address>"));
	ck_assert(has(t, "<ak>/akc</ak>"));
	ck_assert_int_eq(count(t, "<attester>"), 3);
	ck_assert(valid(&t));
	lyd_free_siblings(t);
}
END_TEST

START_TEST(merge_nested_entry)
{
	struct lyd_node *t = data(base_xml);

	ok(&t, VER("<attester><name>a</name>"
	    "<tpm><name>t2</name><ak>/ak2</ak></tpm></attester>"),
	    EDIT_DEFAULT_MERGE);
	ck_assert(has(t, "<tpm><name>t0</name><ak>/ak0</ak></tpm>"
	    "<tpm><name>t1</name><ak>/ak1</ak></tpm>"
	    "<tpm><name>t2</name><ak>/ak2</ak></tpm>"));
	/* Merging the same again changes nothing. */
	ok(&t, VER("<attester><name>a</name>"
	    "<tpm><name>t2</name><ak>/ak2</ak></tpm></attester>"),
	    EDIT_DEFAULT_MERGE);
	ck_assert_int_eq(count(t, "<name>t2</name>"), 1);
	ck_assert(valid(&t));
	lyd_free_siblings(t);
}
END_TEST

START_TEST(merge_leaflist)
{
	struct lyd_node *t = data(base_xml);

	ok(&t, VER("<attester><name>a</name><subscription>"
	    "<stream>ima-log</stream><pcr>5</pcr><pcr>10</pcr>"
	    "<device-event xmlns:ras=\"urn:rivd:params:xml:ns:yang:"
	    "riv-attestation-streams\">ras:switchover</device-event>"
	    "</subscription></attester>"), EDIT_DEFAULT_MERGE);
	ck_assert_int_eq(count(t, "<pcr>10</pcr>"), 1);
	ck_assert_int_eq(count(t, "<pcr>0</pcr>"), 1);
	ck_assert_int_eq(count(t, "<pcr>5</pcr>"), 1);
	ck_assert(has(t, "switchover</device-event>"));
	ck_assert(has(t, "<period>100</period>"));
	ck_assert(valid(&t));
	lyd_free_siblings(t);
}
END_TEST

START_TEST(replace_entry)
{
	struct lyd_node *t = data(base_xml);

	ok(&t, VER("<attester" OP("replace") "><name>a</name>"
	    "<address>10.9.9.9</address>"
	    "<tpm><name>t9</name><ak>/ak9</ak></tpm></attester>"),
	    EDIT_DEFAULT_MERGE);
	ck_assert(has(t, "<attester><name>a</name><address>10.9.9.9</address>"
	    "<tpm><name>t9</name><ak>/ak9</ak></tpm></attester>"));
	ck_assert(!has(t, "<port>"));
	ck_assert(!has(t, "/ca.pem"));
	ck_assert(!has(t, "<ak>/ak0</ak>"));
	ck_assert(!has(t, "<subscription>"));
	/* Attester b is untouched. */
	ck_assert(has(t, "<ak>/akb</ak>"));
	ck_assert(valid(&t));
	lyd_free_siblings(t);
}
END_TEST

START_TEST(replace_leaf_and_absent)
{
	struct lyd_node *t = data(base_xml);

	ok(&t, VER("<attester><name>a</name><port" OP("replace") ">1</port>"
	    "<reference-values" OP("replace") ">/ref</reference-values>"
	    "</attester>"), EDIT_DEFAULT_MERGE);
	ck_assert(has(t, "<port>1</port>"));
	ck_assert(has(t, "<reference-values>/ref</reference-values>"));
	ck_assert_int_eq(count(t, "<tpm>"), 3);
	ck_assert(valid(&t));
	lyd_free_siblings(t);
}
END_TEST

START_TEST(replace_nested_ops)
{
	struct lyd_node *t = data(base_xml);

	/* Inside a replace, nested operations act on the old content. */
	ok(&t, VER("<attester" OP("replace") "><name>a</name>"
	    "<address>10.0.0.1</address>"
	    "<tpm" OP("merge") "><name>t0</name></tpm>"
	    "<tpm" OP("delete") "><name>t1</name></tpm>"
	    "<port" OP("remove") "/></attester>"), EDIT_DEFAULT_MERGE);
	ck_assert(has(t, "<tpm><name>t0</name><ak>/ak0</ak></tpm>"));
	ck_assert(!has(t, "<name>t1</name>"));
	ck_assert(!has(t, "<port>"));
	ck_assert(!has(t, "<subscription>"));
	ck_assert(valid(&t));
	fails(&t, VER("<attester" OP("replace") "><name>a</name>"
	    "<address>10.0.0.1</address>"
	    "<tpm" OP("delete") "><name>t1</name></tpm></attester>"),
	    EDIT_DEFAULT_MERGE, "data-missing", PATH_A "/tpm[name='t1']");
	lyd_free_siblings(t);
}
END_TEST

START_TEST(create_ok_and_exists)
{
	struct lyd_node *t = data(base_xml);

	ok(&t, VER("<attester><name>b</name><tpm" OP("create") ">"
	    "<name>t1</name><ak>/akb1</ak></tpm>"
	    "<ima-policy" OP("create") ">/pol</ima-policy></attester>"),
	    EDIT_DEFAULT_MERGE);
	ck_assert(has(t, "<tpm><name>t1</name><ak>/akb1</ak></tpm>"));
	ck_assert(has(t, "<ima-policy>/pol</ima-policy>"));
	fails(&t, VER("<attester><name>a</name><tpm" OP("create") ">"
	    "<name>t0</name><ak>/x</ak></tpm></attester>"),
	    EDIT_DEFAULT_MERGE, "data-exists", PATH_A "/tpm[name='t0']");
	fails(&t, VER("<attester><name>a</name><port" OP("create")
	    ">1</port></attester>"), EDIT_DEFAULT_MERGE, "data-exists",
	    PATH_A "/port");
	fails(&t, VER("<attester" OP("create") "><name>b</name></attester>"),
	    EDIT_DEFAULT_MERGE, "data-exists",
	    "/riv-verifier:verifier/attester[name='b']");
	lyd_free_siblings(t);
}
END_TEST

START_TEST(delete_existing_and_missing)
{
	struct lyd_node *t = data(base_xml);

	ok(&t, VER("<attester><name>a</name><tpm" OP("delete") ">"
	    "<name>t1</name></tpm></attester>"), EDIT_DEFAULT_MERGE);
	ck_assert(!has(t, "<name>t1</name>"));
	ck_assert(has(t, "<name>t0</name><ak>/ak0</ak>"));
	ck_assert(valid(&t));
	fails(&t, VER("<attester><name>a</name><tpm" OP("delete") ">"
	    "<name>t1</name></tpm></attester>"), EDIT_DEFAULT_MERGE,
	    "data-missing", PATH_A "/tpm[name='t1']");
	fails(&t, VER("<attester" OP("delete") "><name>zz</name></attester>"),
	    EDIT_DEFAULT_MERGE, "data-missing",
	    "/riv-verifier:verifier/attester[name='zz']");
	ok(&t, VER("<attester" OP("delete") "><name>b</name></attester>"),
	    EDIT_DEFAULT_MERGE);
	ck_assert_int_eq(count(t, "<attester>"), 1);
	ck_assert(!has(t, "/akb"));
	lyd_free_siblings(t);
}
END_TEST

START_TEST(delete_leaf_value_ignored)
{
	struct lyd_node *t = data(base_xml);

	/* The value of a deleted leaf need not match. */
	ok(&t, VER("<attester><name>a</name><port" OP("delete") ">1</port>"
	    "</attester>"), EDIT_DEFAULT_MERGE);
	ck_assert(!has(t, "<port>"));
	ck_assert(has(t, "<address>10.0.0.1</address>"));
	fails(&t, VER("<attester><name>a</name><port" OP("delete")
	    ">1</port></attester>"), EDIT_DEFAULT_MERGE, "data-missing",
	    PATH_A "/port");
	lyd_free_siblings(t);
}
END_TEST

START_TEST(delete_leaflist_entry)
{
	struct lyd_node *t = data(base_xml);

	ok(&t, VER("<attester><name>a</name><subscription>"
	    "<stream>ima-log</stream><pcr" OP("delete") ">0</pcr>"
	    "</subscription></attester>"), EDIT_DEFAULT_MERGE);
	ck_assert(!has(t, "<pcr>0</pcr>"));
	ck_assert(has(t, "<pcr>10</pcr>"));
	fails(&t, VER("<attester><name>a</name><subscription>"
	    "<stream>ima-log</stream><pcr" OP("delete") ">7</pcr>"
	    "</subscription></attester>"), EDIT_DEFAULT_MERGE,
	    "data-missing", PATH_A "/subscription[stream='ima-log']"
	    "/pcr[.='7']");
	ck_assert(valid(&t));
	lyd_free_siblings(t);
}
END_TEST

START_TEST(remove_present_and_absent)
{
	struct lyd_node *t = data(base_xml);
	char *before, *after;

	before = print(t);
	ok(&t, VER("<attester><name>a</name><ima-policy" OP("remove") "/>"
	    "<tpm" OP("remove") "><name>t7</name></tpm></attester>"
	    "<attester" OP("remove") "><name>zz</name></attester>"),
	    EDIT_DEFAULT_MERGE);
	after = print(t);
	ck_assert_str_eq(before, after);
	ok(&t, VER("<attester><name>a</name><port" OP("remove") "/>"
	    "<subscription" OP("remove") "><stream>ima-log</stream>"
	    "</subscription></attester>"), EDIT_DEFAULT_MERGE);
	ck_assert(!has(t, "<port>"));
	ck_assert(!has(t, "<subscription>"));
	ck_assert(has(t, "<name>t1</name>"));
	ck_assert(valid(&t));
	free(before);
	free(after);
	lyd_free_siblings(t);
}
END_TEST

START_TEST(nested_ops_in_merge)
{
	struct lyd_node *t = data(base_xml);

	ok(&t, VER("<attester><name>a</name>"
	    "<tpm" OP("delete") "><name>t0</name></tpm>"
	    "<tpm><name>t2</name><ak>/ak2</ak></tpm>"
	    "<tpm" OP("replace") "><name>t1</name><ak>/new1</ak></tpm>"
	    "</attester>"), EDIT_DEFAULT_MERGE);
	ck_assert(!has(t, "<name>t0</name><ak>/ak0</ak>"));
	ck_assert(has(t, "<tpm><name>t1</name><ak>/new1</ak></tpm>"));
	ck_assert(has(t, "<tpm><name>t2</name><ak>/ak2</ak></tpm>"));
	/* b's t0 stays. */
	ck_assert(has(t, "<name>t0</name><ak>/akb</ak>"));
	ck_assert(valid(&t));
	lyd_free_siblings(t);
}
END_TEST

START_TEST(nested_below_created)
{
	struct lyd_node *t = data(base_xml);

	/* delete below a node being created: nothing to delete. */
	fails(&t, VER("<attester><name>c</name><address>h</address>"
	    "<tpm><name>t0</name><ak>/a</ak></tpm>"
	    "<tpm" OP("delete") "><name>t1</name></tpm></attester>"),
	    EDIT_DEFAULT_MERGE, "data-missing",
	    "/riv-verifier:verifier/attester[name='c']/tpm[name='t1']");
	/* remove below a node being created: just not created. */
	ok(&t, VER("<attester><name>c</name><address>h</address>"
	    "<tpm><name>t0</name><ak>/a</ak></tpm>"
	    "<tpm" OP("remove") "><name>t1</name><ak>/b</ak></tpm>"
	    "<port" OP("remove") ">7</port></attester>"),
	    EDIT_DEFAULT_MERGE);
	ck_assert(has(t, "<attester><name>c</name><address>h</address>"
	    "<tpm><name>t0</name><ak>/a</ak></tpm></attester>"));
	ck_assert(!has(t, "<ak>/b</ak>"));
	ck_assert(valid(&t));
	lyd_free_siblings(t);
}
END_TEST

START_TEST(default_none_noop)
{
	struct lyd_node *t = data(base_xml);
	char *before, *after;

	before = print(t);
	ok(&t, VER("<attester><name>a</name><port>1</port>"
	    "<tpm><name>t9</name><ak>/x</ak></tpm></attester>"
	    "<attester><name>zz</name><address>q</address></attester>"),
	    EDIT_DEFAULT_NONE);
	after = print(t);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	lyd_free_siblings(t);
}
END_TEST

START_TEST(default_none_with_ops)
{
	struct lyd_node *t = data(base_xml);

	ok(&t, VER("<attester><name>a</name><address>ignored</address>"
	    "<tpm" OP("create") "><name>t5</name><ak>/ak5</ak></tpm>"
	    "<port" OP("merge") ">2</port>"
	    "<tpm" OP("delete") "><name>t0</name></tpm></attester>"),
	    EDIT_DEFAULT_NONE);
	ck_assert(has(t, "<address>10.0.0.1</address>"));
	ck_assert(!has(t, "ignored"));
	ck_assert(has(t, "<port>2</port>"));
	ck_assert(has(t, "<tpm><name>t5</name><ak>/ak5</ak></tpm>"));
	ck_assert(!has(t, "<ak>/ak0</ak>"));
	ck_assert(valid(&t));
	/* delete needs the node, whatever the default-operation. */
	fails(&t, VER("<attester><name>zz</name><tpm" OP("delete") ">"
	    "<name>t0</name></tpm></attester>"), EDIT_DEFAULT_NONE,
	    "data-missing",
	    "/riv-verifier:verifier/attester[name='zz']/tpm[name='t0']");
	lyd_free_siblings(t);
}
END_TEST

START_TEST(default_none_implicit_parent)
{
	struct lyd_node *t = data(base_xml);

	/* The absent attester is created with its key only. */
	ok(&t, VER("<attester><name>c</name><address>dropped</address>"
	    "<tpm" OP("create") "><name>tc</name><ak>/akc</ak></tpm>"
	    "</attester>"), EDIT_DEFAULT_NONE);
	ck_assert(has(t, "<attester><name>c</name>"
	    "<tpm><name>tc</name><ak>/akc</ak></tpm></attester>"));
	ck_assert(!has(t, "dropped"));
	/* ... so it lacks its mandatory address. */
	ck_assert(!valid(&t));
	lyd_free_siblings(t);
}
END_TEST

START_TEST(default_replace)
{
	struct lyd_node *t = data(base_xml);

	ok(&t, VER("<attester><name>c</name><address>h</address>"
	    "<tpm><name>t0</name><ak>/akc</ak></tpm></attester>"),
	    EDIT_DEFAULT_REPLACE);
	ck_assert_int_eq(count(t, "<attester>"), 1);
	ck_assert(has(t, "<attester><name>c</name><address>h</address>"
	    "<tpm><name>t0</name><ak>/akc</ak></tpm></attester>"));
	ck_assert(!has(t, "<name>a</name>"));
	ck_assert(!has(t, "<name>b</name>"));
	ck_assert(valid(&t));
	lyd_free_siblings(t);
}
END_TEST

START_TEST(default_replace_ops)
{
	struct lyd_node *t = data(base_xml);

	/* Nodes deleted or removed are not in the result. */
	ok(&t, VER("<attester><name>a</name><address>10.0.0.1</address>"
	    "<tpm><name>t0</name><ak>/ak0</ak></tpm>"
	    "<port" OP("delete") "/><ima-policy" OP("remove") "/></attester>"
	    "<attester" OP("delete") "><name>b</name></attester>"),
	    EDIT_DEFAULT_REPLACE);
	ck_assert(has(t, "<verifier " RV "><attester><name>a</name>"
	    "<address>10.0.0.1</address>"
	    "<tpm><name>t0</name><ak>/ak0</ak></tpm></attester></verifier>"));
	ck_assert(valid(&t));
	fails(&t, VER("<attester" OP("delete") "><name>b</name></attester>"),
	    EDIT_DEFAULT_REPLACE, "data-missing",
	    "/riv-verifier:verifier/attester[name='b']");
	/* An empty edit empties the datastore. */
	ck_assert_int_eq(edit_apply(&t, NULL, EDIT_DEFAULT_REPLACE, NULL), 0);
	ck_assert_ptr_null(t);
}
END_TEST

START_TEST(case_tls_to_ssh)
{
	struct lyd_node *t = data(base_xml);

	ok(&t, VER("<attester><name>a</name><ssh><key>/ka</key>"
	    "<host-key>/hka</host-key></ssh></attester>"),
	    EDIT_DEFAULT_MERGE);
	ck_assert(!has(t, "<tls>"));
	ck_assert(!has(t, "/ca.pem"));
	ck_assert(has(t, "<ssh><key>/ka</key><host-key>/hka</host-key></ssh>"));
	ck_assert(valid(&t));
	ck_assert(!has(t, "<tls>"));
	ck_assert(has(t, "<ssh><key>/ka</key>"));
	lyd_free_siblings(t);
}
END_TEST

START_TEST(case_ssh_to_tls)
{
	struct lyd_node *t = data(base_xml);

	ok(&t, VER("<attester><name>b</name><tls><server-name>b.example"
	    "</server-name></tls></attester>"), EDIT_DEFAULT_MERGE);
	ck_assert_int_eq(count(t, "<ssh>"), 0);
	ck_assert(has(t, "<tls><server-name>b.example</server-name></tls>"));
	ck_assert(valid(&t));
	ck_assert(has(t, "<server-name>b.example</server-name>"));
	lyd_free_siblings(t);
}
END_TEST

START_TEST(case_delete_and_create)
{
	struct lyd_node *t = data(base_xml);

	/* The delete of the old case comes after the new case: no matter. */
	ok(&t, VER("<attester><name>a</name><ssh><key>/ka</key>"
	    "<host-key>/hka</host-key></ssh><tls" OP("delete") "/>"
	    "</attester>"), EDIT_DEFAULT_MERGE);
	ck_assert(!has(t, "/ca.pem"));
	ck_assert(has(t, "<host-key>/hka</host-key>"));
	ck_assert(valid(&t));
	/* A leaf of the ssh case changes, tls stays away. */
	ok(&t, VER("<attester><name>a</name><ssh><user>op</user></ssh>"
	    "</attester>"), EDIT_DEFAULT_MERGE);
	ck_assert(has(t, "<ssh><user>op</user><key>/ka</key>"));
	ck_assert(valid(&t));
	lyd_free_siblings(t);
}
END_TEST

START_TEST(defaults_absent)
{
	struct lyd_node *t = data(base_xml);

	/* store/batch exists only as a default: create succeeds. */
	ok(&t, VER("<store><batch" OP("create") ">10</batch></store>"),
	    EDIT_DEFAULT_MERGE);
	ck_assert(has(t, "<store><batch>10</batch></store>"));
	ck_assert(valid(&t));
	ck_assert(has(t, "<batch>10</batch>"));
	/* linger is a default only: delete fails, remove does nothing. */
	fails(&t, VER("<store><linger" OP("delete") "/></store>"),
	    EDIT_DEFAULT_MERGE, "data-missing",
	    "/riv-verifier:verifier/store/linger");
	ok(&t, VER("<store><linger" OP("remove") "/></store>"),
	    EDIT_DEFAULT_MERGE);
	ck_assert(!has(t, "<linger>"));
	/* The explicit batch is there now. */
	fails(&t, VER("<store><batch" OP("create") ">11</batch></store>"),
	    EDIT_DEFAULT_MERGE, "data-exists",
	    "/riv-verifier:verifier/store/batch");
	ok(&t, VER("<store><batch" OP("delete") "/></store>"),
	    EDIT_DEFAULT_MERGE);
	ck_assert(!has(t, "<batch>"));
	ck_assert(valid(&t));
	lyd_free_siblings(t);
}
END_TEST

START_TEST(presence_container)
{
	struct lyd_node *t = data(base_xml);

	ok(&t, VER("<management" OP("create") "><user><name>op</name>"
	    "<role>read-write</role></user></management>"),
	    EDIT_DEFAULT_MERGE);
	ck_assert(has(t, "<management><user><name>op</name>"
	    "<role>read-write</role></user></management>"));
	fails(&t, VER("<management" OP("create") "/>"), EDIT_DEFAULT_MERGE,
	    "data-exists", "/riv-verifier:verifier/management");
	ok(&t, VER("<management><ssh><address>::1</address>"
	    "<host-key>/h</host-key></ssh></management>"),
	    EDIT_DEFAULT_MERGE);
	ck_assert(has(t, "<ssh><address>::1</address><host-key>/h</host-key>"
	    "</ssh><user>"));
	ck_assert(valid(&t));
	ok(&t, VER("<management" OP("delete") "/>"), EDIT_DEFAULT_MERGE);
	ck_assert(!has(t, "<management"));
	fails(&t, VER("<management" OP("delete") "/>"), EDIT_DEFAULT_MERGE,
	    "data-missing", "/riv-verifier:verifier/management");
	/* An empty presence container is created by merge. */
	ok(&t, VER("<management/>"), EDIT_DEFAULT_MERGE);
	ck_assert(has(t, "<management/>"));
	ck_assert(valid(&t));
	lyd_free_siblings(t);
}
END_TEST

START_TEST(empty_tree_and_edit)
{
	struct lyd_node *t = NULL;
	char *before, *after;

	ok(&t, VER("<attester><name>a</name><address>x</address>"
	    "<tpm><name>t</name><ak>/k</ak></tpm></attester>"),
	    EDIT_DEFAULT_MERGE);
	ck_assert(has(t, "<attester><name>a</name><address>x</address>"));
	ck_assert(valid(&t));
	before = print(t);
	ck_assert_int_eq(edit_apply(&t, NULL, EDIT_DEFAULT_MERGE, NULL), 0);
	after = print(t);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	ok(&t, VER("<attester" OP("delete") "><name>a</name></attester>"),
	    EDIT_DEFAULT_MERGE);
	ck_assert(!has(t, "<attester>"));
	/* Delete the whole top-level container: the datastore empties. */
	ok(&t, "<verifier " RV " " NC OP("remove") "/>", EDIT_DEFAULT_MERGE);
	ck_assert(t == NULL || !has(t, "<verifier"));
	lyd_free_siblings(t);
}
END_TEST

START_TEST(failure_keeps_tree)
{
	struct lyd_node *t = data(base_xml);

	/* Changes made before the failing node are discarded. */
	fails(&t, VER("<attester><name>a</name><port>1</port>"
	    "<tpm" OP("delete") "><name>t0</name></tpm></attester>"
	    "<attester" OP("delete") "><name>b</name></attester>"
	    "<attester><name>c</name><address>h</address></attester>"
	    "<attester" OP("create") "><name>a</name></attester>"),
	    EDIT_DEFAULT_MERGE, "data-exists",
	    "/riv-verifier:verifier/attester[name='a']");
	ck_assert(has(t, "<port>6513</port>"));
	ck_assert(has(t, "<name>b</name>"));
	fails(&t, VER("<attester" OP("replace") "><name>a</name>"
	    "<address>x</address><tpm" OP("delete") "><name>t5</name></tpm>"
	    "</attester>"), EDIT_DEFAULT_REPLACE, "data-missing",
	    PATH_A "/tpm[name='t5']");
	fails(&t, VER("<attester " YI " yang:insert=\"first\">"
	    "<name>a</name></attester>"), EDIT_DEFAULT_MERGE,
	    "operation-not-supported", PATH_A);
	lyd_free_siblings(t);
}
END_TEST

START_TEST(parse_errors)
{
	struct lyd_node *edit = NULL;
	struct edit_error err;

	parse_fails(VER("<attester" OP("bogus") "><name>a</name></attester>"),
	    "bad-attribute", "/riv-verifier:verifier");
	parse_fails(VER("<attester><name>a</name><foo/></attester>"),
	    "unknown-element", PATH_A);
	parse_fails("<bogus xmlns=\"urn:nowhere\"/>", "unknown-element", "");
	parse_fails(VER("<attester><address>x</address></attester>"),
	    "missing-element", "/riv-verifier:verifier/attester");
	parse_fails(VER("<attester><name>a</name><port>x</port></attester>"),
	    "invalid-value", PATH_A "/port");
	parse_fails(VER("<attester><name>a</name><state/></attester>"),
	    "invalid-value", PATH_A "/state");
	parse_fails(VER("<store><synchronous>bogus</synchronous></store>"),
	    "invalid-value", "/riv-verifier:verifier/store/synchronous");
	parse_fails(VER("<attester><name>a</name><port nc:foo=\"1\">1</port>"
	    "</attester>"), "unknown-attribute", PATH_A);
	parse_fails("<verifier " RV ">", "invalid-value", "");
	/* Empty <config>: an empty edit. */
	ck_assert_int_eq(edit_parse(ctx, "", &edit, &err), 0);
	ck_assert_ptr_null(edit);
	ck_assert_int_eq(edit_parse(ctx, NULL, &edit, &err), -1);
	ck_assert_int_eq(edit_parse(NULL, "", &edit, NULL), -1);
	ck_assert_int_eq(edit_apply(NULL, NULL, EDIT_DEFAULT_MERGE, &err), -1);
	ck_assert_str_eq(err.tag, "operation-failed");
}
END_TEST

START_TEST(parse_valueless_delete)
{
	struct lyd_node *t = data(base_xml);

	/* A deleted or removed leaf needs no valid value. */
	ok(&t, VER("<attester><name>a</name><port" OP("delete") "/>"
	    "<ima-policy" OP("remove") "/>"
	    "<tpm><name>t0</name><ak" OP("remove") "/></tpm></attester>"),
	    EDIT_DEFAULT_MERGE);
	ck_assert(!has(t, "<port>"));
	ck_assert(has(t, "<tpm><name>t0</name></tpm>"));
	fails(&t, VER("<attester><name>a</name><port" OP("delete") "/>"
	    "</attester>"), EDIT_DEFAULT_MERGE, "data-missing",
	    PATH_A "/port");
	lyd_free_siblings(t);
	/* Anything else still needs a valid value. */
	parse_fails(VER("<attester><name>a</name><port/></attester>"),
	    "invalid-value", PATH_A "/port");
	parse_fails(VER("<attester><name>a</name><port" OP("merge")
	    "/></attester>"), "invalid-value", PATH_A "/port");
	parse_fails(VER("<attester><name>a</name><subscription>"
	    "<stream>ima-log</stream><pcr" OP("delete") "/></subscription>"
	    "</attester>"), "invalid-value",
	    PATH_A "/subscription[stream='ima-log']/pcr");
	parse_fails(VER("<attester><name>a</name><port" OP("delete") "/>"
	    "<bogus" OP("delete") "/></attester>"), "invalid-value",
	    PATH_A "/port");
	parse_fails(VER("<attester><name" OP("delete") "/></attester>"),
	    "invalid-value", "/riv-verifier:verifier/attester/name");
}
END_TEST

START_TEST(parse_operations)
{
	struct lyd_node *edit = NULL, *t = data(base_xml);
	struct edit_error err;

	/* The attribute may use any prefix. */
	ck_assert_int_eq(edit_parse(ctx, "<verifier " RV
	    " xmlns:x=\"urn:ietf:params:xml:ns:netconf:base:1.0\">"
	    "<attester x:operation='delete'><name>a</name></attester>"
	    "</verifier>", &edit, &err), 0);
	ck_assert_ptr_nonnull(edit);
	ck_assert_int_eq(edit_apply(&t, edit, EDIT_DEFAULT_MERGE, &err), 0);
	ck_assert(!has(t, "<name>a</name>"));
	/* The edit is left as it was: the same delete now fails. */
	ck_assert_int_eq(edit_apply(&t, edit, EDIT_DEFAULT_MERGE, &err), -1);
	ck_assert_str_eq(err.tag, "data-missing");
	lyd_free_siblings(edit);
	lyd_free_siblings(t);
}
END_TEST

START_TEST(user_ordered_append)
{
	struct lyd_node *t;
	char *s;

	t = data("<nacm " NACM "><rule-list><name>r1</name></rule-list>"
	    "<rule-list><name>r2</name></rule-list></nacm>");
	ok(&t, "<nacm " NACM "><rule-list><name>r0</name></rule-list>"
	    "<rule-list><name>r1</name><group>g</group></rule-list></nacm>",
	    EDIT_DEFAULT_MERGE);
	s = print(t);
	ck_assert_msg(strstr(s, "<rule-list><name>r1</name><group>g</group>"
	    "</rule-list><rule-list><name>r2</name></rule-list>"
	    "<rule-list><name>r0</name></rule-list>") != NULL, "%s", s);
	free(s);
	/* A replace of the parent takes the edit's order. */
	ok(&t, "<nacm " NACM " " NC OP("replace") ">"
	    "<rule-list><name>r2</name></rule-list>"
	    "<rule-list><name>r0</name></rule-list>"
	    "<rule-list><name>r1</name></rule-list></nacm>",
	    EDIT_DEFAULT_MERGE);
	s = print(t);
	ck_assert_msg(strstr(s, "<rule-list><name>r2</name></rule-list>"
	    "<rule-list><name>r0</name></rule-list>"
	    "<rule-list><name>r1</name></rule-list>") != NULL, "%s", s);
	ck_assert(strstr(s, "<group>") == NULL);
	free(s);
	ck_assert(valid(&t));
	fails(&t, "<nacm " NACM " " YI "><rule-list yang:insert=\"first\">"
	    "<name>r9</name></rule-list></nacm>", EDIT_DEFAULT_MERGE,
	    "operation-not-supported",
	    "/ietf-netconf-acm:nacm/rule-list[name='r9']");
	ok(&t, "<nacm " NACM " " YI "><rule-list yang:insert=\"last\">"
	    "<name>r9</name></rule-list></nacm>", EDIT_DEFAULT_MERGE);
	s = print(t);
	ck_assert_msg(strstr(s, "<name>r1</name></rule-list>"
	    "<rule-list><name>r9</name></rule-list>") != NULL, "%s", s);
	free(s);
	lyd_free_siblings(t);
}
END_TEST

START_TEST(nacm_rule_choice)
{
	struct lyd_node *t;

	t = data("<nacm " NACM "><rule-list><name>r</name><rule>"
	    "<name>x</name><module-name>m</module-name>"
	    "<notification-name>n</notification-name>"
	    "<access-operations>read</access-operations>"
	    "<action>permit</action></rule></rule-list></nacm>");
	/* rule-type: case protocol-operation replaces case notification. */
	ok(&t, "<nacm " NACM "><rule-list><name>r</name><rule><name>x</name>"
	    "<rpc-name>get</rpc-name></rule></rule-list></nacm>",
	    EDIT_DEFAULT_MERGE);
	ck_assert(has(t, "<rpc-name>get</rpc-name>"));
	ck_assert(!has(t, "<notification-name>"));
	ck_assert(has(t, "<module-name>m</module-name>"));
	ck_assert(has(t, "<action>permit</action>"));
	ck_assert(valid(&t));
	lyd_free_siblings(t);
}
END_TEST

START_TEST(api_misuse)
{
	struct lyd_node *t = data(base_xml), *edit = NULL, *att, *other = NULL;
	struct ly_ctx *ctx2 = NULL;
	struct edit_error err;
	char dir[4096];
	const char *src = getenv("RIV_SRCDIR");

	ck_assert_int_eq(edit_parse(ctx, VER("<attester><name>a</name>"
	    "<port>1</port></attester>"), &edit, &err), 0);
	/* A nested node is no edit. */
	att = lyd_child(edit);
	ck_assert_ptr_nonnull(att);
	ck_assert_int_eq(edit_apply(&t, att, EDIT_DEFAULT_MERGE, &err), -1);
	ck_assert_str_eq(err.tag, "invalid-value");
	ck_assert(has(t, "<port>6513</port>"));
	/* A datastore of another context. */
	snprintf(dir, sizeof(dir), "%s/yang", src != NULL && *src != '\0' ?
	    src : "..");
	ck_assert(ly_ctx_new(dir, LY_CTX_DISABLE_SEARCHDIR_CWD, &ctx2) ==
	    LY_SUCCESS);
	ck_assert_ptr_nonnull(ly_ctx_load_module(ctx2, "ietf-netconf-acm",
	    NULL, NULL));
	ck_assert(lyd_parse_data_mem(ctx2, "<nacm " NACM "/>", LYD_XML, 0,
	    LYD_VALIDATE_NO_STATE, &other) == LY_SUCCESS);
	ck_assert_ptr_nonnull(other);
	ck_assert_int_eq(edit_apply(&other, edit, EDIT_DEFAULT_MERGE, &err),
	    -1);
	ck_assert_str_eq(err.tag, "operation-failed");
	/* An invalid default-operation. */
	ck_assert_int_eq(edit_apply(&t, edit, (enum edit_default)7, &err), -1);
	ck_assert_str_eq(err.tag, "invalid-value");
	/* The edit itself is fine. */
	ck_assert_int_eq(edit_apply(&t, edit, EDIT_DEFAULT_MERGE, NULL), 0);
	ck_assert(has(t, "<port>1</port>"));
	lyd_free_siblings(other);
	ly_ctx_destroy(ctx2);
	lyd_free_siblings(edit);
	lyd_free_siblings(t);
}
END_TEST

/* Edits of every kind, for every_edit_every_default. */
static const char *const edits[] = {
	VER(""),
	VER("<attester" OP("create") "><name>a</name></attester>"),
	VER("<attester" OP("replace") "><name>a</name></attester>"),
	VER("<attester" OP("delete") "><name>a</name></attester>"),
	VER("<attester" OP("remove") "><name>q</name></attester>"),
	VER("<attester><name>b</name><tls" OP("create") "/></attester>"),
	VER("<attester><name>b</name><ssh" OP("replace") "><key>/x</key>"
	    "</ssh></attester>"),
	VER("<attester><name>a</name><tls><ca" OP("delete") "/></tls>"
	    "<ssh" OP("remove") "/></attester>"),
	VER("<limits" OP("replace") "/><store" OP("delete") "/>"),
	VER("<management><user" OP("create") "><name>u</name></user>"
	    "</management>"),
	"<verifier " RV " " NC OP("delete") "/>"
	    "<nacm " NACM " " NC OP("create") "/>",
	"<nacm " NACM " " NC "><enable-nacm" OP("remove") "/>"
	    "<groups" OP("replace") "><group><name>g</name>"
	    "<user-name>x</user-name></group></groups></nacm>",
};

START_TEST(every_edit_every_default)
{
	static const enum edit_default dflts[] = {
		EDIT_DEFAULT_MERGE, EDIT_DEFAULT_REPLACE, EDIT_DEFAULT_NONE
	};
	struct lyd_node *t, *edit;
	struct edit_error err;
	char *before, *after;
	size_t i, j;
	int rc;

	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		for (j = 0; j < 3; j++) {
			t = data(base_xml);
			edit = NULL;
			ck_assert_msg(edit_parse(ctx, edits[i], &edit, &err) ==
			    0, "edit %zu: %s", i, err.msg);
			before = print(t);
			rc = edit_apply(&t, edit, dflts[j], &err);
			after = print(t);
			if (rc == -1) {
				ck_assert_ptr_nonnull(err.tag);
				ck_assert_str_eq(before, after);
			} else
				ck_assert_int_eq(rc, 0);
			/* Applying twice never crashes either. */
			(void)edit_apply(&t, edit, dflts[j], &err);
			free(before);
			free(after);
			lyd_free_siblings(edit);
			lyd_free_siblings(t);
		}
	}
}
END_TEST

/* The suite. */
static Suite *
edit_suite(void)
{
	Suite *s = suite_create("edit");
	TCase *tc = tcase_create("edit");

	tcase_add_test(tc, merge_leaf);
	tcase_add_test(tc, merge_leaf_few_siblings);
	tcase_add_test(tc, merge_new_entry);
	tcase_add_test(tc, merge_nested_entry);
	tcase_add_test(tc, merge_leaflist);
	tcase_add_test(tc, replace_entry);
	tcase_add_test(tc, replace_leaf_and_absent);
	tcase_add_test(tc, replace_nested_ops);
	tcase_add_test(tc, create_ok_and_exists);
	tcase_add_test(tc, delete_existing_and_missing);
	tcase_add_test(tc, delete_leaf_value_ignored);
	tcase_add_test(tc, delete_leaflist_entry);
	tcase_add_test(tc, remove_present_and_absent);
	tcase_add_test(tc, nested_ops_in_merge);
	tcase_add_test(tc, nested_below_created);
	tcase_add_test(tc, default_none_noop);
	tcase_add_test(tc, default_none_with_ops);
	tcase_add_test(tc, default_none_implicit_parent);
	tcase_add_test(tc, default_replace);
	tcase_add_test(tc, default_replace_ops);
	tcase_add_test(tc, case_tls_to_ssh);
	tcase_add_test(tc, case_ssh_to_tls);
	tcase_add_test(tc, case_delete_and_create);
	tcase_add_test(tc, defaults_absent);
	tcase_add_test(tc, presence_container);
	tcase_add_test(tc, empty_tree_and_edit);
	tcase_add_test(tc, failure_keeps_tree);
	tcase_add_test(tc, parse_errors);
	tcase_add_test(tc, parse_valueless_delete);
	tcase_add_test(tc, parse_operations);
	tcase_add_test(tc, user_ordered_append);
	tcase_add_test(tc, nacm_rule_choice);
	tcase_add_test(tc, api_misuse);
	tcase_add_test(tc, every_edit_every_default);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int rc;

	ctx_build();
	rc = run_suite(edit_suite());
	ly_ctx_destroy(ctx);
	return rc;
}
