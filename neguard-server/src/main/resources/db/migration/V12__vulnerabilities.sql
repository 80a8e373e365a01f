-- What the NEs run (issue 16, HRD-3, docs/VULNERABILITIES.md "What an NE runs"): each device's
-- last package report and its assessment against the server's vulnerability database.

-- The last OS package report per device (not device_packages: the NEGuard packages it runs),
-- as validated: the package list (JSON of OsPackage records,
-- in the agent's order, whose SHA-256 is `digest`) and the listening sockets with the package
-- owning each executable (JSON of SocketOwner records). Replaced by each report; a report that
-- says its list is unchanged replaces the sockets only.
CREATE TABLE device_os_packages (
  device_id VARCHAR(64) PRIMARY KEY REFERENCES devices (id),
  format VARCHAR(8) NOT NULL,
  release VARCHAR(64),
  digest VARCHAR(64) NOT NULL,
  package_count INTEGER NOT NULL,
  packages BYTEA NOT NULL,
  sockets BYTEA NOT NULL,
  notes VARCHAR(4000) NOT NULL,
  reported_at TIMESTAMP WITH TIME ZONE NOT NULL
);

-- The findings of the last assessment per device (JSON of VulnFinding records, most urgent
-- first), replaced as a whole by the next one, with the counts the fleet view sorts by
-- (count_*: UNKNOWN is a reserved word in H2).
-- `db_fingerprint` is the SHA-256 of the database's feeds.json when assessed: a device whose
-- fingerprint differs from the open database's is assessed again before it is shown.
CREATE TABLE device_vulnerabilities (
  device_id VARCHAR(64) PRIMARY KEY REFERENCES devices (id),
  db_fingerprint VARCHAR(64) NOT NULL,
  packages_digest VARCHAR(64) NOT NULL,
  state VARCHAR(16) NOT NULL,
  findings BYTEA NOT NULL,
  count_total INTEGER NOT NULL,
  count_reachable INTEGER NOT NULL,
  count_critical INTEGER NOT NULL,
  count_high INTEGER NOT NULL,
  count_medium INTEGER NOT NULL,
  count_low INTEGER NOT NULL,
  count_unknown INTEGER NOT NULL,
  assessed_at TIMESTAMP WITH TIME ZONE NOT NULL
);
