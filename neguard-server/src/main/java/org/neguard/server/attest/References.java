package org.neguard.server.attest;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.neguard.api.WireTime;
import org.neguard.api.attest.BaselineInfo;
import org.neguard.attest.Evidence;
import org.neguard.measure.PlatformTim;
import org.neguard.measure.TreeDigest;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * What a device's evidence is judged against, and the SQL of it: the packages the server records
 * it runs (their vendor-signed RIMs are in the package store), the operator-approved baselines of
 * its platform components, and its committed reference (the list of its last attestation that
 * passed). Thread-safe.
 */
@Component
final class References {
  private static final TypeReference<List<TreeDigest.Leaf>> LEAVES = new TypeReference<>() {};

  private final JdbcClient jdbc;
  private final ObjectMapper json;

  References(JdbcClient jdbc, ObjectMapper json) {
    this.jdbc = jdbc;
    this.json = json;
  }

  /** A package a device runs, as the server records it. */
  record Installed(String name, String version, long securityVersion) {}

  /** An approved or pending platform baseline. */
  record Baseline(String id, String deviceId, String component, String digest, String state,
      Instant proposedAt, Instant decidedAt) {}

  /** One component of a device's committed reference. */
  record Committed(String component, PlatformTim.Reference reference, String digest) {}

  List<Installed> installed(String deviceId) {
    return jdbc.sql("SELECT name, version, security_version FROM device_packages"
            + " WHERE device_id = ? ORDER BY name")
        .param(deviceId)
        .query((rs, i) -> new Installed(rs.getString(1), rs.getString(2), rs.getLong(3)))
        .list();
  }

  private static Baseline baseline(java.sql.ResultSet rs, int i) throws java.sql.SQLException {
    java.time.OffsetDateTime d = rs.getObject("decided_at", java.time.OffsetDateTime.class);
    return new Baseline(rs.getString("id"), rs.getString("device_id"),
        rs.getString("component"), rs.getString("digest"), rs.getString("state"),
        rs.getObject("proposed_at", java.time.OffsetDateTime.class).toInstant(),
        d == null ? null : d.toInstant());
  }

  /** A baseline's columns but its files (a blob of an entry per file, read only when named). */
  private static final String BASELINE = "SELECT id, device_id, component, digest, state,"
      + " proposed_at, decided_at FROM platform_baselines";

  /** The device's approved baselines, by component. */
  Map<String, Baseline> approved(String deviceId) {
    Map<String, Baseline> out = new LinkedHashMap<>();
    jdbc.sql(BASELINE + " WHERE device_id = ? AND state = 'approved' ORDER BY component")
        .param(deviceId).query(References::baseline).list()
        .forEach(b -> out.put(b.component(), b));
    return out;
  }

  Optional<Baseline> baseline(String id) {
    return jdbc.sql("SELECT * FROM platform_baselines WHERE id = ?").param(id)
        .query(References::baseline).optional();
  }

  /** The baseline row, locked until the transaction ends. */
  Optional<Baseline> lockBaseline(String id) {
    return jdbc.sql("SELECT * FROM platform_baselines WHERE id = ? FOR UPDATE").param(id)
        .query(References::baseline).optional();
  }

  /** The files a baseline was measured with. */
  List<TreeDigest.Leaf> files(String baselineId) {
    byte[] b = jdbc.sql("SELECT files FROM platform_baselines WHERE id = ?").param(baselineId)
        .query((rs, i) -> rs.getBytes(1)).single();
    try {
      return List.copyOf(json.readValue(b, LEAVES));
    } catch (IOException e) {
      throw new UncheckedIOException("baseline " + baselineId + " files unreadable", e);
    }
  }

  /**
   * Proposes {@code c} as the baseline of its component on the device, unless the same digest
   * is pending already. Returns the pending baseline's id.
   */
  String propose(String deviceId, Evidence.Component c, String attestationId, Instant now) {
    Optional<String> pending = jdbc.sql("SELECT id FROM platform_baselines WHERE device_id = ?"
            + " AND component = ? AND digest = ? AND state = 'pending'")
        .params(deviceId, c.name(), c.digest()).query(String.class).optional();
    if (pending.isPresent()) {
      return pending.get();
    }
    String id = "bl-" + UUID.randomUUID();
    byte[] files;
    try {
      files = json.writeValueAsBytes(c.leaves());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    jdbc.sql("INSERT INTO platform_baselines (id, device_id, component, digest, files, state,"
            + " proposed_at, attestation_id) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)")
        .params(id, deviceId, c.name(), c.digest(), files, Attestations.at(now), attestationId)
        .update();
    return id;
  }

  List<Baseline> list(String state, String deviceId, int limit) {
    StringBuilder sql = new StringBuilder("SELECT * FROM platform_baselines WHERE 1 = 1");
    List<Object> params = new java.util.ArrayList<>();
    if (state != null) {
      sql.append(" AND state = ?");
      params.add(state);
    }
    if (deviceId != null) {
      sql.append(" AND device_id = ?");
      params.add(deviceId);
    }
    sql.append(" ORDER BY proposed_at DESC, id LIMIT ?");
    params.add(limit);
    return jdbc.sql(sql.toString()).params(params).query(References::baseline).list();
  }

  /** The pending baselines of {@code component} with {@code digest}, on every device. */
  List<Baseline> pending(String component, String digest) {
    return jdbc.sql("SELECT * FROM platform_baselines WHERE state = 'pending' AND component = ?"
            + " AND digest = ? ORDER BY device_id, id")
        .params(component, digest).query(References::baseline).list();
  }

  List<String> approvers(String baselineId) {
    return jdbc.sql("SELECT approver FROM baseline_approvals WHERE baseline_id = ?"
            + " ORDER BY approved_at, approver")
        .param(baselineId).query(String.class).list();
  }

  /** Adds {@code approver}'s approval; false when they approved it already. */
  boolean approve(String baselineId, String approver, Instant now) {
    if (approvers(baselineId).contains(approver)) {
      return false;
    }
    jdbc.sql("INSERT INTO baseline_approvals (baseline_id, approver, approved_at)"
            + " VALUES (?, ?, ?)")
        .params(baselineId, approver, Attestations.at(now)).update();
    return true;
  }

  /** Makes the baseline the approved one of its component: an approved one before it is superseded. */
  void decide(Baseline b, String state, Instant now) {
    if (state.equals("approved")) {
      jdbc.sql("UPDATE platform_baselines SET state = 'superseded', decided_at = ?"
              + " WHERE device_id = ? AND component = ? AND state = 'approved'")
          .params(Attestations.at(now), b.deviceId(), b.component()).update();
    }
    jdbc.sql("UPDATE platform_baselines SET state = ?, decided_at = ? WHERE id = ?")
        .params(state, Attestations.at(now), b.id()).update();
  }

  BaselineInfo view(Baseline b) {
    int files = jdbc.sql("SELECT files FROM platform_baselines WHERE id = ?").param(b.id())
        .query((rs, i) -> rs.getBytes(1)).optional().map(bytes -> {
          try {
            return json.readTree(bytes).size();
          } catch (IOException e) {
            return -1;
          }
        }).orElse(-1);
    return new BaselineInfo(b.id(), b.deviceId(), b.component(), b.digest(), files, b.state(),
        WireTime.of(b.proposedAt()), approvers(b.id()));
  }

  /** The device's committed reference. */
  List<Committed> committed(String deviceId) {
    return jdbc.sql("SELECT component, reference, digest FROM device_references"
            + " WHERE device_id = ? ORDER BY component")
        .param(deviceId)
        .query((rs, i) -> new Committed(rs.getString(1),
            PlatformTim.Reference.valueOf(rs.getString(2)), rs.getString(3)))
        .list();
  }

  /**
   * Makes {@code components} the device's committed reference (ATT-4), writing only the rows that
   * change: a runtime attestation that passes measures what the one before it did, and rewriting
   * the same rows every few minutes for every NE was database work for nothing. A row kept names
   * the attestation that committed its digest first; a changed or new component names this one,
   * and a component no longer measured is removed. The caller holds the device's row lock, so
   * the reference read here is the one replaced.
   *
   * @return how many rows changed: 0 when the reference stays what it was
   */
  int commit(String deviceId, List<Evidence.Component> components, String attestationId) {
    int changed = 0;
    Map<String, Committed> before = new LinkedHashMap<>();
    committed(deviceId).forEach(c -> before.put(c.component(), c));
    for (Evidence.Component c : components) {
      Committed was = before.remove(c.name());
      if (was == null) {
        changed++;
        jdbc.sql("INSERT INTO device_references (device_id, component, reference, digest,"
                + " attestation_id) VALUES (?, ?, ?, ?, ?)")
            .params(deviceId, c.name(), c.reference().name(), c.digest(), attestationId)
            .update();
      } else if (was.reference() != c.reference() || !was.digest().equals(c.digest())) {
        changed++;
        jdbc.sql("UPDATE device_references SET reference = ?, digest = ?, attestation_id = ?"
                + " WHERE device_id = ? AND component = ?")
            .params(c.reference().name(), c.digest(), attestationId, deviceId, c.name())
            .update();
      }
    }
    for (String gone : before.keySet()) {
      changed++;
      jdbc.sql("DELETE FROM device_references WHERE device_id = ? AND component = ?")
          .params(deviceId, gone).update();
    }
    return changed;
  }
}
