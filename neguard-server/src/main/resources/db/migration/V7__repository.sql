-- The TUF repository of the verified packages (issue 13, docs/REPOSITORY.md, docs/SERVER.md).
-- Everything a replica serves lives here, so that every replica sharing the database serves the
-- same files. The online keys (timestamp, snapshot, targets) are rows of server_keys (V4) with
-- the purposes 'repo-timestamp', 'repo-snapshot' and 'repo-targets'.

-- Every root ever published, exactly as uploaded (signed offline): served as N.root.json, the
-- newest also as root.json. Never updated or deleted: a client may start from any of them.
CREATE TABLE repo_roots (
  version INTEGER PRIMARY KEY,
  content BYTEA NOT NULL,
  sha256 VARCHAR(64) NOT NULL,
  expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
  uploaded_by VARCHAR(64) NOT NULL,
  uploaded_at TIMESTAMP WITH TIME ZONE NOT NULL
);

-- The metadata the server signs with its online keys: role 'targets', 'snapshot' or
-- 'timestamp'. The newest version of a role is the current one (timestamp.json; the versions
-- timestamp and snapshot name); a superseded version stays servable for a while (a client that
-- read the previous timestamp may still be fetching the files it names: consistent snapshots)
-- and is then deleted. The primary key makes two different files of one version impossible.
CREATE TABLE repo_metadata (
  role VARCHAR(16) NOT NULL,
  version INTEGER NOT NULL,
  content BYTEA NOT NULL,
  length BIGINT NOT NULL,
  sha256 VARCHAR(64) NOT NULL,
  expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
  published_at TIMESTAMP WITH TIME ZONE NOT NULL,
  superseded_at TIMESTAMP WITH TIME ZONE,
  PRIMARY KEY (role, version)
);
CREATE INDEX repo_metadata_superseded ON repo_metadata (superseded_at);

-- The one row every publication locks (SELECT ... FOR UPDATE) before it reads what is published
-- and signs the next versions, so that two replicas never publish at once. It also records what
-- the current targets were made from: the root version and the digest of the package set.
CREATE TABLE repo_publisher (
  id INTEGER PRIMARY KEY,
  root_version INTEGER NOT NULL,
  targets_digest VARCHAR(64) NOT NULL,
  published_at TIMESTAMP WITH TIME ZONE
);
INSERT INTO repo_publisher (id, root_version, targets_digest) VALUES (1, 0, '');
