package org.neguard.server.attest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.neguard.api.WireTime;
import org.neguard.api.attest.AttestationResult;
import org.neguard.api.problem.ProblemReason;
import org.neguard.server.device.DeviceRows;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * SQL of the {@code attestations} table: one row per nonce, judged once (a conditional update
 * on {@code judged_at IS NULL}, so two answers, or an answer and the expiry, cannot both win).
 * Thread-safe.
 */
@Component
final class Attestations {
  /** At most this much of the reasons' JSON is kept (the column's size). */
  private static final int MAX_REASONS = 8000;

  private final JdbcClient jdbc;
  /** For batches of one statement (JdbcClient has none). */
  private final JdbcTemplate batch;
  private final ObjectMapper json;
  private final java.security.SecureRandom random = new java.security.SecureRandom();

  Attestations(JdbcClient jdbc, JdbcTemplate batch, ObjectMapper json) {
    this.jdbc = jdbc;
    this.batch = batch;
    this.json = json;
  }

  /** One row. */
  record Row(String id, String deviceId, String nonce, String reason, String deploymentId,
      String orderId, String requestedBy, Instant requestedAt, Instant expiresAt,
      Instant judgedAt, String result, String trustBase, String tim,
      List<ProblemReason> reasons) {
    boolean open(Instant now) {
      return judgedAt == null && now.isBefore(expiresAt);
    }

    AttestationResult view(String trustState) {
      return new AttestationResult(id, deviceId, reason, result, trustBase, tim, trustState,
          WireTime.of(requestedAt), WireTime.of(judgedAt), reasons);
    }
  }

  static OffsetDateTime at(Instant i) {
    return i == null ? null : OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
  }

  private static Instant instant(ResultSet rs, String column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  private Row row(ResultSet rs, int i) throws SQLException {
    return new Row(rs.getString("id"), rs.getString("device_id"), rs.getString("nonce"),
        rs.getString("reason"), rs.getString("deployment_id"), rs.getString("order_id"),
        rs.getString("requested_by"), instant(rs, "requested_at"), instant(rs, "expires_at"),
        instant(rs, "judged_at"), rs.getString("result"), rs.getString("trust_base"),
        rs.getString("tim"), reasons(rs.getString("reason_message")));
  }

  private List<ProblemReason> reasons(String stored) {
    if (stored == null || stored.isEmpty()) {
      return List.of();
    }
    try {
      return List.copyOf(json.readValue(stored, new TypeReference<List<ProblemReason>>() {}));
    } catch (JsonProcessingException | IllegalArgumentException e) {
      return List.of(new ProblemReason("INTERNAL", "stored reasons unreadable: " + stored, null));
    }
  }

  /**
   * The reasons as stored: JSON, each message and subject clipped, and the list cut short
   * (with a last entry that says how many were left out) to fit the column.
   */
  String store(List<ProblemReason> reasons) {
    List<ProblemReason> kept = new ArrayList<>();
    for (int i = 0; i < reasons.size(); i++) {
      ProblemReason r = reasons.get(i);
      kept.add(new ProblemReason(r.code(), clip(r.message(), 2000), clip(r.subject(), 512)));
      if (write(kept).length() > MAX_REASONS - 200) {
        kept.remove(kept.size() - 1);
        kept.add(new ProblemReason(r.code(), (reasons.size() - i) + " more reasons not kept"
            + " (the first of them: " + r.code() + ")", null));
        break;
      }
    }
    return write(kept);
  }

  private static String clip(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max) + "...";
  }

  private String write(List<ProblemReason> reasons) {
    try {
      return json.writeValueAsString(reasons);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("reasons always serialize", e);
    }
  }

  /**
   * Asks a device for evidence: a new row with a fresh nonce of 32 random bytes (far beyond
   * guessing, within the evidence format's 16 to 64), awaiting evidence until {@code expiresAt}.
   */
  Row ask(String deviceId, String reason, String deploymentId, String orderId,
      String requestedBy, Instant now, Instant expiresAt) {
    Row r = unasked(deviceId, reason, deploymentId, orderId, requestedBy, now, expiresAt);
    jdbc.sql(INSERT).params(insertParams(r)).update();
    return r;
  }

  /** {@link #ask} for many devices at once: one batch of inserts (the scheduler's round). */
  void askAll(List<Row> rows) {
    if (!rows.isEmpty()) {
      batch.batchUpdate(INSERT, rows.stream().map(Attestations::insertParams).toList());
    }
  }

  /** A challenge not yet recorded: its fresh nonce, for {@link #ask} or {@link #askAll}. */
  Row unasked(String deviceId, String reason, String deploymentId, String orderId,
      String requestedBy, Instant now, Instant expiresAt) {
    byte[] nonce = new byte[32];
    random.nextBytes(nonce);
    return new Row("at-" + java.util.UUID.randomUUID(), deviceId,
        java.util.HexFormat.of().formatHex(nonce), reason, deploymentId, orderId, requestedBy,
        now, expiresAt, null, null, null, null, List.of());
  }

  /** open_device_id: the device while the row awaits evidence (V21, {@link #OPEN}). */
  private static final String INSERT = "INSERT INTO attestations (id, device_id, nonce, reason,"
      + " deployment_id, order_id, requested_by, requested_at, expires_at, open_device_id)"
      + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

  private static Object[] insertParams(Row r) {
    return new Object[] {r.id(), r.deviceId(), r.nonce(), r.reason(), r.deploymentId(),
        r.orderId(), r.requestedBy(), at(r.requestedAt()), at(r.expiresAt()), r.deviceId()};
  }

  Optional<Row> find(String id) {
    return jdbc.sql("SELECT * FROM attestations WHERE id = ?").param(id).query(this::row)
        .optional();
  }

  /**
   * The device's challenges awaiting evidence at {@code now}, oldest first: every reason but
   * AFTER_UPDATE (whose evidence comes with the order's feedback).
   */
  List<Row> open(String deviceId, Instant now) {
    return jdbc.sql(OPEN).params(deviceId, at(now)).query(this::row).list();
  }

  /**
   * A device's open challenges, first asked first: parameters the device id and the time (UTC);
   * alias {@code a}. Shared with the poll's 304 path, which reads the first inside the device's
   * admission ({@link Pve#FIRST_OPEN_CHALLENGE}). open_device_id is device_id while judged_at is
   * null and null after (the table's CHECK), so it asks for device_id = ? AND judged_at IS NULL
   * in a column only attestations_device_open indexes: the plan cannot fall to an index of
   * device_id alone or of judged_at alone, whatever statistics H2 or PostgreSQL hold (V21).
   */
  static final String OPEN_OF_DEVICE = " FROM attestations a WHERE a.open_device_id = ?"
      + " AND a.expires_at > ? AND a.reason <> 'AFTER_UPDATE' ORDER BY a.requested_at, a.id";

  /** {@link #open}'s query. */
  static final String OPEN = "SELECT a.*" + OPEN_OF_DEVICE;

  /**
   * Which of {@code deviceIds} have a challenge awaiting evidence at {@code now} (as
   * {@link #open}): one query for a scheduler round's batch instead of one per device.
   */
  java.util.Set<String> withOpen(List<String> deviceIds, Instant now) {
    if (deviceIds.isEmpty()) {
      return java.util.Set.of();
    }
    List<Object> params = new ArrayList<>(deviceIds);
    params.add(at(now));
    return new java.util.HashSet<>(jdbc.sql("SELECT DISTINCT open_device_id FROM attestations"
            + " WHERE open_device_id IN (" + Sql.placeholders(deviceIds.size())
            + ") AND expires_at > ? AND reason <> 'AFTER_UPDATE'")
        .params(params).query(String.class).list());
  }

  /** Challenges of the device that expired unanswered since {@code since}, newest first. */
  List<Row> recentlyExpired(String deviceId, Instant since) {
    return jdbc.sql("SELECT * FROM attestations WHERE device_id = ? AND result = 'EXPIRED'"
            + " AND reason <> 'AFTER_UPDATE' AND expires_at > ? ORDER BY expires_at DESC"
            + " LIMIT 5")
        .params(deviceId, at(since)).query(this::row).list();
  }

  /** The attestation of an order's completion evidence. */
  Optional<Row> byOrder(String orderId) {
    return jdbc.sql("SELECT * FROM attestations WHERE order_id = ? AND reason = 'AFTER_UPDATE'")
        .param(orderId).query(this::row).optional();
  }

  /** The newest attestation (not AFTER_UPDATE) of the device requested at or after {@code since}. */
  Optional<Row> latestSince(String deviceId, Instant since) {
    return jdbc.sql("SELECT * FROM attestations WHERE device_id = ? AND requested_at >= ?"
            + " AND reason <> 'AFTER_UPDATE' ORDER BY requested_at DESC, id DESC LIMIT 1")
        .params(deviceId, at(since)).query(this::row).optional();
  }

  /** The device's attestations, newest first. */
  List<Row> ofDevice(String deviceId, int limit) {
    return jdbc.sql("SELECT * FROM attestations WHERE device_id = ?"
            + " ORDER BY requested_at DESC, id DESC LIMIT ?")
        .params(deviceId, limit).query(this::row).list();
  }

  /** Every device's attestations, newest first. */
  List<Row> all(int limit) {
    return jdbc.sql("SELECT * FROM attestations ORDER BY requested_at DESC, id DESC LIMIT ?")
        .param(limit).query(this::row).list();
  }

  /** The failed attestations of a deployment's devices (BEFORE_UPDATE and AFTER_UPDATE). */
  List<Row> failures(String deploymentId) {
    return jdbc.sql("SELECT * FROM attestations WHERE deployment_id = ? AND result IN ('FAIL',"
            + " 'NO_REFERENCE') ORDER BY judged_at, id")
        .param(deploymentId).query(this::row).list();
  }

  /**
   * Records the judgement, once.
   *
   * @return false when the row was judged (or expired) already
   */
  boolean judge(String id, Instant now, String result, String trustBase, String tim,
      List<ProblemReason> reasons) {
    String codes = String.join(",", reasons.stream().map(ProblemReason::code).distinct()
        .toList());
    return jdbc.sql("UPDATE attestations SET judged_at = ?, result = ?, trust_base = ?, tim = ?,"
            + " reason_codes = ?, reason_message = ?, open_device_id = NULL"
            + " WHERE id = ? AND judged_at IS NULL")
        .params(at(now), result, trustBase, tim,
            codes.length() > 1000 ? codes.substring(0, 1000) : codes, store(reasons), id)
        .update() == 1;
  }

  /**
   * Lists a scheduled pass that mattered (V25): it stays when routine passes leave the table
   * ({@link AttestationHistory}). Under the row's lock, so that two transactions keeping one
   * pass (two deployments' rounds) list it once rather than one failing on the key.
   *
   * @return false when the row is gone: deleted as a routine pass since the caller read it
   */
  boolean keep(String id) {
    if (jdbc.sql("SELECT id FROM attestations WHERE id = ? FOR UPDATE").param(id)
        .query(String.class).optional().isEmpty()) {
      return false;
    }
    jdbc.sql("INSERT INTO attestations_kept (id) SELECT ? WHERE NOT EXISTS"
        + " (SELECT 1 FROM attestations_kept WHERE id = ?)").params(id, id).update();
    return true;
  }

  /**
   * Whether the device's newest {@code n} judged challenges (not completions) all expired
   * unanswered.
   */
  boolean silent(String deviceId, int n) {
    List<String> results = jdbc.sql("SELECT result FROM attestations WHERE device_id = ? AND"
            + " judged_at IS NOT NULL AND reason <> 'AFTER_UPDATE'"
            + " ORDER BY judged_at DESC, id DESC LIMIT ?")
        .params(deviceId, n).query(String.class).list();
    return results.size() == n && results.stream().allMatch("EXPIRED"::equals);
  }

  /**
   * A batch of expiries: how many challenges past their expiry it read, and those it judged
   * (fewer when another transaction, a replica's round, judged some first).
   */
  record Expired(int read, List<Row> judged) {}

  /**
   * Marks at most {@code limit} unanswered challenges past their expiry EXPIRED. Their devices'
   * rows are locked first ({@link DeviceRows}): a device's evidence locks its row before its
   * challenge ({@link Pve}), and so must this, or the two wait for each other; two replicas
   * expiring the same rows take them one after the other, the second finding them judged.
   */
  Expired expireBatch(Instant now, int limit) {
    List<Row> due = jdbc.sql("SELECT * FROM attestations WHERE judged_at IS NULL AND"
            + " expires_at <= ? ORDER BY expires_at, id LIMIT ?")
        .params(at(now), limit).query(this::row).list();
    if (due.isEmpty()) {
      return new Expired(0, List.of());
    }
    DeviceRows.lockInOrder(jdbc, due.stream().map(Row::deviceId).toList());
    List<Row> expired = new ArrayList<>();
    for (Row r : due) {
      if (judge(r.id(), now, "EXPIRED", null, null, List.of(new ProblemReason("CONFLICT",
          "no evidence over the nonce before it expired at " + WireTime.of(r.expiresAt()),
          null)))) {
        expired.add(r);
      }
    }
    return new Expired(due.size(), expired);
  }
}
