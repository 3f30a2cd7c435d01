-- Run on every InitializeAsync, before the migrations: the table that records which of them ran.
CREATE TABLE IF NOT EXISTS schema_version (
    component  TEXT    NOT NULL PRIMARY KEY,
    version    INTEGER NOT NULL
);
