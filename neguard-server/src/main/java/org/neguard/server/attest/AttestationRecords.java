package org.neguard.server.attest;

import java.time.OffsetDateTime;
import java.util.List;
import org.neguard.api.WireTime;
import org.neguard.api.attest.AttestationPolicy;
import org.neguard.api.attest.BaselineInfo;
import org.neguard.api.attest.DeviceTrust;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The validation entity's records as its API lists them (trust states, failure policies,
 * baselines), for the readers in the server: the API's controller and the console's integrity
 * evidence, so that both read the same rows the same way.
 */
@Component
public final class AttestationRecords {
  private final JdbcClient jdbc;
  private final Baselines baselines;

  AttestationRecords(JdbcClient jdbc, Baselines baselines) {
    this.jdbc = jdbc;
    this.baselines = baselines;
  }

  /**
   * Every device's trust state, last result and its TPM binding's EK trust (null without a
   * binding), by id; only those in {@code trustState}.
   */
  public List<DeviceTrust> trustStates(String trustState) {
    return jdbc.sql("SELECT d.id, d.ne_type, d.trust_state, d.trust_reason, d.attested_at,"
            + " d.next_attestation_at, (SELECT a.result FROM attestations a WHERE a.device_id ="
            + " d.id AND a.judged_at IS NOT NULL ORDER BY a.judged_at DESC, a.id DESC LIMIT 1),"
            + " (SELECT b.ek_trust FROM device_tpm_bindings b WHERE b.device_id = d.id)"
            + " FROM devices d" + (trustState == null ? "" : " WHERE d.trust_state = ?")
            + " ORDER BY d.id")
        .params(trustState == null ? List.of() : List.of(trustState))
        .query((rs, i) -> new DeviceTrust(rs.getString(1), rs.getString(2), rs.getString(3),
            rs.getString(4), time(rs.getObject(5, OffsetDateTime.class)),
            time(rs.getObject(6, OffsetDateTime.class)), rs.getString(7), rs.getString(8)))
        .list();
  }

  /** The failure policy of each NE type. */
  public List<AttestationPolicy> policies() {
    return Policies.list(jdbc);
  }

  /** The baselines in {@code state} (null: all), at most {@code limit}. */
  public List<BaselineInfo> baselines(String state, int limit) {
    return baselines.list(state, null, limit);
  }

  private static String time(OffsetDateTime t) {
    return t == null ? null : WireTime.of(t.toInstant());
  }
}
