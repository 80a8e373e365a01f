-- A stored package is identified by the SHA-256 of its whole bundle file, not by its manifest's:
-- two files can carry one manifest (a re-signed copy, a ZIP that shows different readers
-- different contents), and only the very file that was verified may be served. Rows from before
-- this migration get their digest at the next start (PackageIngest hashes the stored file).
ALTER TABLE packages ADD COLUMN file_sha256 VARCHAR(64);
CREATE UNIQUE INDEX packages_file_sha256 ON packages (file_sha256);
-- packages_name_version (V1) already makes name and version unique: of two parallel uploads of
-- different files for one name and version, the database lets exactly one be recorded.
