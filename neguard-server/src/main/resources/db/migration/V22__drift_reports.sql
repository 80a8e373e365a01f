-- Port drift, what an outside review found (docs/SERVER.md "Port drift"): a device whose reports
-- are refused, or that stops reporting, is out of policy, not silently left at its last PASS; and
-- a device reporting in a loop is refused before it fills the findings, the audit log and the
-- alert receiver.
--
-- The row now exists from a device's first report, accepted or refused: last_inventory_at is
-- null until one is accepted, last_verdict until one is judged or refused.
ALTER TABLE device_drift ALTER COLUMN last_inventory_at DROP NOT NULL;
ALTER TABLE device_drift ALTER COLUMN last_verdict DROP NOT NULL;
-- The device's report budget (a token bucket: report_tokens as of tokens_at), spent under the
-- device's row lock so that replicas and concurrent requests share it.
ALTER TABLE device_drift ADD COLUMN report_tokens DOUBLE PRECISION;
ALTER TABLE device_drift ADD COLUMN tokens_at TIMESTAMP WITH TIME ZONE;
-- The last refused report (its time and reason), the refusals since the last accepted one, and
-- when the last of them was alerted: a device refused in a loop gets one alert per hour, with
-- the count, not one per report (each refusal is audited, as every refused request is).
ALTER TABLE device_drift ADD COLUMN refused_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE device_drift ADD COLUMN refusal VARCHAR(2000);
ALTER TABLE device_drift ADD COLUMN refusals INTEGER DEFAULT 0 NOT NULL;
ALTER TABLE device_drift ADD COLUMN refusal_alerted_at TIMESTAMP WITH TIME ZONE;
-- When the device's last incomplete report was alerted (sockets the agent left out, a table
-- it could not read): once, then at most hourly, until a complete one.
ALTER TABLE device_drift ADD COLUMN incomplete_alerted_at TIMESTAMP WITH TIME ZONE;
-- When the device was found overdue (no accepted report for the server's --drift-overdue),
-- audited and alerted once; cleared by its next accepted report.
ALTER TABLE device_drift ADD COLUMN overdue_at TIMESTAMP WITH TIME ZONE;
CREATE INDEX device_drift_last ON device_drift (last_inventory_at);
