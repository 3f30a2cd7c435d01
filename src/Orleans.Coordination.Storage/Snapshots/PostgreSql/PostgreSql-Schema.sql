-- Snapshot store schema, version 1.
-- A snapshot is one metadata row plus its compressed content split into chunk rows, each with
-- the CRC-32C of its bytes. Both are written in one transaction: a half-written snapshot is
-- never visible. Chunks are stored uncompressed by PostgreSQL (they are compressed already).
CREATE TABLE IF NOT EXISTS $schema$.snapshots (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    last_zxid        bigint NOT NULL,
    created_unix_ms  bigint NOT NULL,
    node_count       bigint NOT NULL,
    digest           bigint NOT NULL,  -- caller's tree digest, a uint64 stored as its int64 bits
    format_version   bigint NOT NULL,  -- caller's content format
    compression      text   NOT NULL,  -- 'br' (Brotli)
    chunk_size       bigint NOT NULL,
    chunk_count      bigint NOT NULL,
    raw_size         bigint NOT NULL,
    raw_crc32c       bigint NOT NULL,  -- CRC-32C of the uncompressed content
    compressed_size  bigint NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_snapshots_last_zxid ON $schema$.snapshots (last_zxid DESC, id DESC);

CREATE TABLE IF NOT EXISTS $schema$.snapshot_chunks (
    snapshot_id  bigint NOT NULL REFERENCES $schema$.snapshots (id) ON DELETE CASCADE,
    chunk_index  bigint NOT NULL,
    crc32c       bigint NOT NULL,      -- CRC-32C of data
    data         bytea  NOT NULL,
    PRIMARY KEY (snapshot_id, chunk_index)
);

ALTER TABLE $schema$.snapshot_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
