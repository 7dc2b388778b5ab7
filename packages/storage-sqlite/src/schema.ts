import type { Database } from 'better-sqlite3';

/*
 * Every table is keyed by tenant first (composite keys), so no query can reach a
 * row without naming its tenant. Events keep SQLite's rowid (`seq`) as their
 * storage key because rows of about 1 KiB are slow in a WITHOUT ROWID b-tree;
 * the tenant keys are unique indexes beside it.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE tenants (
    tenant_id     TEXT    NOT NULL PRIMARY KEY,
    last_position INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE streams (
    tenant_id TEXT    NOT NULL,
    stream_id TEXT    NOT NULL,
    version   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, stream_id)
  ) WITHOUT ROWID;

  CREATE TABLE events (
    seq          INTEGER PRIMARY KEY,
    tenant_id    TEXT    NOT NULL,
    position     INTEGER NOT NULL,
    stream_id    TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    event_id     TEXT    NOT NULL,
    type         TEXT    NOT NULL,
    data         TEXT    NOT NULL,
    metadata     TEXT    NOT NULL,
    content_hash TEXT    NOT NULL,
    recorded_at  TEXT    NOT NULL
  );
  CREATE UNIQUE INDEX events_by_position ON events (tenant_id, position);
  CREATE UNIQUE INDEX events_by_stream ON events (tenant_id, stream_id, version);
  CREATE UNIQUE INDEX events_by_id ON events (tenant_id, event_id);

  CREATE TABLE checkpoints (
    tenant_id     TEXT    NOT NULL,
    subscriber_id TEXT    NOT NULL,
    position      INTEGER NOT NULL,
    updated_at    TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, subscriber_id)
  ) WITHOUT ROWID;
  `,
  // Projections, snapshots and retention.
  `
  CREATE INDEX events_by_time ON events (tenant_id, recorded_at, position);

  CREATE TABLE states (
    tenant_id  TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    key        TEXT    NOT NULL,
    state      TEXT    NOT NULL,
    position   INTEGER NOT NULL,
    purged_at  TEXT,
    revision   INTEGER NOT NULL,
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, kind, name, version, key)
  ) WITHOUT ROWID;

  CREATE TABLE active_versions (
    tenant_id  TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, name)
  ) WITHOUT ROWID;
  `,
];

/** Applies the migrations this file has not yet seen, tracked by SQLite's `user_version`. */
export const migrate = (db: Database): void => {
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    for (let v = current; v < MIGRATIONS.length; v++) {
      db.exec(MIGRATIONS[v]!);
    }
    if (current < MIGRATIONS.length) db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
};
