package org.neguard.server.attest;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.neguard.api.WireTime;
import org.neguard.api.attest.AttestationPolicy;
import org.neguard.server.web.ApiException;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The failure policies per NE type (REC-1): what a failed attestation of a trusted NE sets off.
 * Quarantine is always the first action (fail closed: an NE that failed gets no update but a
 * recovery), whatever the stored policy says.
 */
final class Policies {
  static final String QUARANTINE = "quarantine";
  static final String ROLLBACK = "rollback";
  static final String REINSTALL = "reinstall=";
  /** {@code reinstall=<package>@<version>}, with the package-name and version rules. */
  private static final Pattern REINSTALL_ACTION = Pattern.compile(
      "reinstall=[A-Za-z0-9][A-Za-z0-9._+-]{0,127}@[A-Za-z0-9][A-Za-z0-9._+~:-]{0,127}");

  private Policies() {}

  /** The actions for {@code neType}: the stored policy, quarantine alone when there is none. */
  static List<String> actions(JdbcClient jdbc, String neType) {
    return jdbc.sql("SELECT actions FROM attestation_policies WHERE ne_type = ?").param(neType)
        .query(String.class).optional().map(Policies::split).orElse(List.of(QUARANTINE));
  }

  static List<String> split(String stored) {
    return List.of(stored.split(","));
  }

  /**
   * Checks and normalizes a requested list: known actions only, quarantine first, no action
   * twice, at most one reinstall.
   *
   * @throws ApiException 400 naming the bad action
   */
  static List<String> normalize(List<String> requested) {
    if (requested == null) {
      throw ApiException.badInput("give actions: quarantine, rollback, reinstall=PACKAGE@VERSION");
    }
    Set<String> out = new LinkedHashSet<>();
    out.add(QUARANTINE);
    int reinstalls = 0;
    for (String a : requested) {
      if (a == null) {
        throw ApiException.badInput("actions must not hold empty entries");
      }
      if (a.equals(QUARANTINE) || a.equals(ROLLBACK)) {
        out.add(a);
      } else if (REINSTALL_ACTION.matcher(a).matches()) {
        if (++reinstalls > 1) {
          throw ApiException.badInput("at most one reinstall action: " + a);
        }
        out.add(a);
      } else {
        throw ApiException.badInput("unknown action '" + a + "': quarantine, rollback or"
            + " reinstall=PACKAGE@VERSION");
      }
    }
    return List.copyOf(new ArrayList<>(out));
  }

  static List<AttestationPolicy> list(JdbcClient jdbc) {
    return jdbc.sql("SELECT ne_type, actions, updated_by, updated_at FROM attestation_policies"
            + " ORDER BY ne_type")
        .query((rs, i) -> new AttestationPolicy(rs.getString(1), split(rs.getString(2)),
            rs.getString(3), WireTime.of(rs.getObject(4, java.time.OffsetDateTime.class)
                .toInstant())))
        .list();
  }

  static void put(JdbcClient jdbc, String neType, List<String> actions, String by, Instant now) {
    String joined = String.join(",", actions);
    int n = jdbc.sql("UPDATE attestation_policies SET actions = ?, updated_by = ?, updated_at = ?"
            + " WHERE ne_type = ?")
        .params(joined, by, Attestations.at(now), neType).update();
    if (n == 0) {
      jdbc.sql("INSERT INTO attestation_policies (ne_type, actions, updated_by, updated_at)"
              + " VALUES (?, ?, ?, ?)")
          .params(neType, joined, by, Attestations.at(now)).update();
    }
  }
}
