-- Run on every InitializeAsync, before the migrations: the store's schema and the table that
-- records which migrations ran. $schema$ is replaced by the configured (quoted) schema name.
CREATE SCHEMA IF NOT EXISTS $schema$;

CREATE TABLE IF NOT EXISTS $schema$.schema_version (
    component  text    NOT NULL PRIMARY KEY,
    version    integer NOT NULL
);
