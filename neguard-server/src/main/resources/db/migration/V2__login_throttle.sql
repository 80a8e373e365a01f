-- Login throttling that holds under parallel guesses and across replicas (issue 10, finding 2).
-- The per-account counter stays in users (failed_logins, locked_until) and is now moved by one
-- conditional UPDATE before the password is checked. The per-address budget moves here from
-- memory, so that replicas sharing the database share it too.
CREATE TABLE login_addresses (
  address VARCHAR(64) PRIMARY KEY,
  window_start TIMESTAMP WITH TIME ZONE NOT NULL,
  attempts INTEGER NOT NULL
);
CREATE INDEX login_addresses_window ON login_addresses (window_start);
