-- The key of the console's pre-login CSRF cookie (console.ConsoleCsrfKey): the HMAC-SHA256 key of
-- the login form's signed token, one for every replica of this database, so that a login page
-- served by one replica may be posted to another (no sticky routing before login). Made by the
-- first replica that needs it: INSERT ... ON CONFLICT DO NOTHING, then read back, so that two
-- replicas at once agree on the one row. Whoever can read this table can mint login-form tokens
-- (docs/CONSOLE.md says what that allows). Rotation: delete the row, restart every replica.
CREATE TABLE console_keys (
  purpose VARCHAR(32) PRIMARY KEY,
  secret BYTEA NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL
);
