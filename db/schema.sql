-- schema.sql — rivd's verdict store, schema version 6.
--
-- The readable reference: rivd builds the same schema with the numbered
-- migrations in db/db.c, applied by PRAGMA user_version when it opens the
-- database (tests/check_store.c checks that both give the same schema).
-- `sqlite3 rivd.db < db/schema.sql` makes a database rivd accepts as
-- version 6.  Version 4 made verdicts_result a partial index: verdicts
-- that pass (nearly all) no longer pay for an entry in it.  Version 5
-- chains each source's verdicts (prev_id) instead of indexing them by
-- attester: see verdicts.  Version 6 writes the CHECKs on a column's
-- values as comparisons joined by OR: SQLite 3.40 builds a temporary
-- B-tree for every row it checks against "IN (a, b, c, ...)".
--
-- Times are microseconds since the epoch (UTC).  Names are those of
-- rivd.conf; tpm is '' for an attester appraised as one TPM.  Sequence
-- numbers are unsigned 64-bit values stored in SQLite's signed INTEGER
-- (the bits are kept).

PRAGMA application_id = 1919514212;	-- 0x72697664, "rivd"

-- One row per appraised notification, or per verdict that judges no
-- notification (evidence 0: a missed heartbeat, a malformed or foreign
-- message, a refused subscription).  Ids follow the commit order and are
-- never reused (AUTOINCREMENT), so readers (rivctl tail) may use them as
-- a cursor.
--
-- The verdicts of one attester, stream and TPM (a source) form a chain:
-- prev_id names the source's verdict before (0: its first), and the
-- source's posture row names its latest.  Readers of one attester's
-- verdicts walk the chains back from posture (rivctl verdicts
-- --attester); there is no index by attester, which would make each
-- commit write one index page per attester that had a verdict in it.
--
-- Nothing here refuses a second verdict on the same evidence; the nonce
-- chain does: a notification it took in is never appraised again (one
-- seen before is a replay: a verdict with evidence 0, the original keeps
-- its own), the state a verdict leaves is committed with it, and after a
-- restart or a reconnection every subscription has a new seed, so no
-- notification sent before matches it (evidence 0 again: an unknown
-- seed).  A notification ahead of the chain whose quote did not verify is
-- not taken in (a forged number must not move the chain): sent again, it
-- is judged, and stored, again.
CREATE TABLE verdicts (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	attester	TEXT NOT NULL,
	stream		TEXT NOT NULL,
	tpm		TEXT NOT NULL DEFAULT '',
	subscription	INTEGER NOT NULL,
	sequence	INTEGER NOT NULL,
	result		TEXT NOT NULL
			CHECK (result = 'pass' OR result = 'fail' OR
			    result = 'error' OR result = 'stale'),
	codes		TEXT NOT NULL DEFAULT '',	-- comma-separated
	reasons		TEXT NOT NULL DEFAULT '[]',	-- JSON array of strings
	nonce		TEXT NOT NULL DEFAULT '',	-- lowercase hex
	pcr_digest	TEXT NOT NULL DEFAULT '',	-- lowercase hex
	received_us	INTEGER NOT NULL,
	committed_us	INTEGER NOT NULL,
	evidence	INTEGER NOT NULL DEFAULT 1 CHECK (evidence IN (0, 1)),
	prev_id		INTEGER NOT NULL DEFAULT 0	-- the source's previous
);
CREATE INDEX verdicts_received ON verdicts (received_us);
-- Verdicts that did not pass, by result (rivctl verdicts --result
-- without pass, which says "result <> 'pass'" so that SQLite uses it);
-- since version 4 not those that pass: they were nearly all of the
-- index, each paid for its entry, and a query for them reads most of
-- the table anyway.
CREATE INDEX verdicts_result ON verdicts (result)
	WHERE result <> 'pass';
-- An attester's verdicts that did not pass, by id: acknowledgements.
CREATE INDEX verdicts_problems ON verdicts (attester, id)
	WHERE result <> 'pass';

-- The appraiser's serialised state after the last committed verdict of
-- each attester/stream/TPM: where rivd resumes after a restart.
CREATE TABLE state (
	attester	TEXT NOT NULL,
	stream		TEXT NOT NULL,
	tpm		TEXT NOT NULL DEFAULT '',
	sequence	INTEGER NOT NULL,
	blob		BLOB,
	updated_us	INTEGER NOT NULL,
	PRIMARY KEY (attester, stream, tpm)
);

-- Posture: the latest result of each attester/stream/TPM, since when it
-- holds, its latest verdict (where its chain starts), and its verdicts
-- counted by result and those on evidence.
CREATE TABLE posture (
	attester	TEXT NOT NULL,
	stream		TEXT NOT NULL,
	tpm		TEXT NOT NULL DEFAULT '',
	result		TEXT NOT NULL,
	since_us	INTEGER NOT NULL,	-- first verdict with this result
	verdict_id	INTEGER NOT NULL,	-- the latest verdict
	npass		INTEGER NOT NULL DEFAULT 0,
	nfail		INTEGER NOT NULL DEFAULT 0,
	nerror		INTEGER NOT NULL DEFAULT 0,
	nstale		INTEGER NOT NULL DEFAULT 0,
	nevidence	INTEGER NOT NULL DEFAULT 0,	-- verdicts on evidence
	PRIMARY KEY (attester, stream, tpm)
);

-- Each attester: its connection as rivd last noted it and its overall
-- posture, the worst of its streams' (fail, error, stale, pass); the
-- pseudo-stream 'session' (messages too malformed to belong to a stream)
-- has a posture row but does not weigh on the overall posture.
CREATE TABLE attesters (
	name		TEXT PRIMARY KEY,
	connection	TEXT,			-- NULL: never noted
	detail		TEXT NOT NULL DEFAULT '',
	connection_since_us INTEGER,
	posture		TEXT,			-- NULL: no verdict yet
	posture_since_us INTEGER,
	updated_us	INTEGER NOT NULL
);

-- Each attester's subscription to each stream, as rivd last noted it.
CREATE TABLE subscriptions (
	attester	TEXT NOT NULL,
	stream		TEXT NOT NULL,
	subscription	INTEGER NOT NULL,
	state		TEXT NOT NULL,
	detail		TEXT NOT NULL DEFAULT '',
	since_us	INTEGER NOT NULL,
	updated_us	INTEGER NOT NULL,
	PRIMARY KEY (attester, stream)
);

-- Changes: a stream's posture (stream set) or an attester's overall
-- posture (stream NULL), its connection, a subscription's state.
CREATE TABLE events (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	time_us		INTEGER NOT NULL,
	attester	TEXT NOT NULL,
	stream		TEXT,
	tpm		TEXT,
	what		TEXT NOT NULL
			CHECK (what = 'posture' OR what = 'connection' OR
			    what = 'subscription'),
	old		TEXT,			-- NULL: nothing before
	new		TEXT NOT NULL,
	detail		TEXT NOT NULL DEFAULT '',
	verdict_id	INTEGER			-- posture: the verdict that
						-- caused it (NULL before v3)
);
CREATE INDEX events_attester ON events (attester, id);
CREATE INDEX events_overall ON events (attester, id)
	WHERE what = 'posture' AND stream IS NULL;

-- The management server's audit trail: who did what from where, and
-- how it ended.
CREATE TABLE audit (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	time_us		INTEGER NOT NULL,
	user		TEXT NOT NULL,
	source		TEXT NOT NULL DEFAULT '',	-- "ssh 127.0.0.1"
	operation	TEXT NOT NULL,			-- "edit-config"
	detail		TEXT NOT NULL DEFAULT '',	-- at most 64 KiB
	outcome		TEXT NOT NULL			-- 'ok' or the error
);

-- An operator acknowledged an attester's verdicts up to verdict_id:
-- those that did not pass are no longer counted as unacknowledged.
CREATE TABLE acknowledgements (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	time_us		INTEGER NOT NULL,
	user		TEXT NOT NULL,
	attester	TEXT NOT NULL,
	verdict_id	INTEGER NOT NULL,	-- the last one acknowledged
	comment		TEXT NOT NULL DEFAULT ''
);
CREATE INDEX acknowledgements_attester ON acknowledgements
	(attester, verdict_id);

PRAGMA user_version = 6;
