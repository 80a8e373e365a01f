-- The console's sessions (console.ConsoleSessions, Spring Session JDBC with table name
-- console_sessions): in the database every replica shares, so that a browser signed in on one
-- replica is signed in on all and the balancer needs no affinity. Spring Session's own schema
-- (its PostgreSQL script, tables renamed), made here rather than by Spring Session's initializer,
-- so that H2 and PostgreSQL get the same tables through the same migrations.
--
-- A row exists only from login on (no session before login); logout, a disabled account's next
-- request and the cleanup (each replica, once a minute: DELETE ... WHERE expiry_time < now)
-- delete it; attributes go with it (ON DELETE CASCADE). Times are epoch milliseconds.
-- session_id is a random UUID (the cookie's value, base64), changed at login; primary_id is
-- another random UUID that never leaves the server. principal_name is the user name.
-- attribute_bytes are Java-serialized values read back only through an allow-list of classes.
CREATE TABLE console_sessions (
  primary_id CHAR(36) NOT NULL,
  session_id CHAR(36) NOT NULL,
  creation_time BIGINT NOT NULL,
  last_access_time BIGINT NOT NULL,
  max_inactive_interval INT NOT NULL,
  expiry_time BIGINT NOT NULL,
  principal_name VARCHAR(100),
  CONSTRAINT console_sessions_pk PRIMARY KEY (primary_id)
);
CREATE UNIQUE INDEX console_sessions_ix1 ON console_sessions (session_id);
CREATE INDEX console_sessions_ix2 ON console_sessions (expiry_time);
CREATE INDEX console_sessions_ix3 ON console_sessions (principal_name);

CREATE TABLE console_sessions_attributes (
  session_primary_id CHAR(36) NOT NULL,
  attribute_name VARCHAR(200) NOT NULL,
  attribute_bytes BYTEA NOT NULL,
  CONSTRAINT console_sessions_attributes_pk PRIMARY KEY (session_primary_id, attribute_name),
  CONSTRAINT console_sessions_attributes_fk FOREIGN KEY (session_primary_id)
    REFERENCES console_sessions (primary_id) ON DELETE CASCADE
);
