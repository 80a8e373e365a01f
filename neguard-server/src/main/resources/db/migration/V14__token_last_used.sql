-- When each API token was last used (issue 18, "Users and tokens"): written at most once a
-- minute per token, by a conditional UPDATE (auth.TokenStore.touch), so that a busy token costs
-- no write per request and two replicas never move it backwards. NULL: never used since V14.
ALTER TABLE api_tokens ADD COLUMN last_used_at TIMESTAMP WITH TIME ZONE;
