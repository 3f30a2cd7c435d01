-- Snapshot store schema, version 1.
-- A snapshot is one metadata row plus its compressed content split into chunk rows, each with
-- the CRC-32C of its bytes. Both are written in one transaction: a half-written snapshot is
-- never visible. AUTOINCREMENT: a deleted snapshot's id is never given to a later one.
CREATE TABLE IF NOT EXISTS snapshots (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    last_zxid        INTEGER NOT NULL,
    created_unix_ms  INTEGER NOT NULL,
    node_count       INTEGER NOT NULL,
    digest           INTEGER NOT NULL,  -- caller's tree digest, a uint64 stored as its int64 bits
    format_version   INTEGER NOT NULL,  -- caller's content format
    compression      TEXT    NOT NULL,  -- 'br' (Brotli)
    chunk_size       INTEGER NOT NULL,
    chunk_count      INTEGER NOT NULL,
    raw_size         INTEGER NOT NULL,
    raw_crc32c       INTEGER NOT NULL,  -- CRC-32C of the uncompressed content
    compressed_size  INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_snapshots_last_zxid ON snapshots (last_zxid DESC, id DESC);

CREATE TABLE IF NOT EXISTS snapshot_chunks (
    snapshot_id  INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
    chunk_index  INTEGER NOT NULL,
    crc32c       INTEGER NOT NULL,      -- CRC-32C of data
    data         BLOB    NOT NULL,
    PRIMARY KEY (snapshot_id, chunk_index)
);
