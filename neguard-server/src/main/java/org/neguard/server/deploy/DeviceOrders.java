package org.neguard.server.deploy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.neguard.api.WireTime;
import org.neguard.api.attest.AttestationResult;
import org.neguard.api.device.AttestationChallenge;
import org.neguard.api.device.DeviceOrder;
import org.neguard.api.device.Feedback;
import org.neguard.api.device.InstalledPackage;
import org.neguard.api.device.Poll;
import org.neguard.api.problem.ProblemReason;
import org.neguard.attest.Expectation;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.attest.Pve;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.device.Devices;
import org.neguard.server.keys.ServerKeys;
import org.neguard.server.web.ApiException;
import org.neguard.verdict.ReasonCode;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * A device's orders as the agents' API serves them: what to do now (poll), which bundles it may
 * download, and its feedback. Thread-safe.
 */
@Component
final class DeviceOrders {
  /** When a device polls next (seconds). */
  static final int POLL_AFTER_SECONDS = 30;
  private static final Set<String> STATUSES = Set.of(Targets.DOWNLOADING, Targets.INSTALLING,
      Targets.SUCCEEDED, Targets.FAILED);

  /**
   * A device's live orders: issued and not finished, of a running or paused deployment (a pause
   * stops new waves; orders already issued stay valid until their notAfter).
   */
  private static final String LIVE = " FROM deployment_targets t JOIN deployments d ON d.id ="
      + " t.deployment_id WHERE t.device_id = ? AND t.state IN " + Targets.LIVE_SQL
      + " AND d.state IN ('running', 'paused')";

  /** Which live order a poll names when there are several: the first issued. */
  private static final String LIVE_ORDER = " ORDER BY t.issued_at, t.order_id";

  private final JdbcClient jdbc;
  private final Changes changes;
  private final AuditLog audit;
  private final DeploymentStore store;
  private final DeployClock clock;
  private final DeployValidation validation;

  DeviceOrders(JdbcClient jdbc, Changes changes, AuditLog audit, DeploymentStore store,
      DeployClock clock, DeployValidation validation) {
    this.validation = validation;
    this.jdbc = jdbc;
    this.changes = changes;
    this.audit = audit;
    this.store = store;
    this.clock = clock;
  }

  /** The cheap part of a poll: enough to compute the ETag. */
  record PollState(String orderId, String state, boolean renew,
      AttestationChallenge challenge) {
    /** Digest of the actionable order id, its state, the renewal flag and the nonce, quoted. */
    String etag() {
      try {
        byte[] d = MessageDigest.getInstance("SHA-256").digest(
            (orderId + "|" + state + "|" + renew + "|"
                + (challenge == null ? null : challenge.nonce()))
                .getBytes(StandardCharsets.UTF_8));
        return "\"" + HexFormat.of().formatHex(d, 0, 16) + "\"";
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("no SHA-256", e);
      }
    }

    /**
     * The 304 decision, made here alone for the controller and the 304 path ({@link
     * PollNotModified}): whether the device's {@code If-None-Match} is exactly this ETag.
     */
    boolean unchangedFor(String ifNoneMatch) {
      return etag().equals(ifNoneMatch);
    }
  }

  /**
   * Three indexed queries: the device's oldest live order (deployment_targets_device), its
   * current certificate's validity (primary key of device_certificates) and its open
   * attestation challenge (attestations_device_open); with a challenge open, the references it
   * names as known (the device's recorded packages and approved baselines, Pve.known).
   */
  PollState pollState(String deviceId, String certificateSerial) {
    record Live(String orderId, String state) {}
    Optional<Live> live = jdbc.sql("SELECT t.order_id, t.state" + LIVE + LIVE_ORDER
            + " LIMIT 1")
        .param(deviceId).query((rs, i) -> new Live(rs.getString(1), rs.getString(2)))
        .optional();
    record Cert(Instant issued, Instant notAfter) {}
    Optional<Cert> cert = jdbc.sql("SELECT issued_at, not_after FROM device_certificates"
            + " WHERE serial = ?")
        .param(certificateSerial)
        .query((rs, i) -> new Cert(DeploymentRow.instant(rs, "issued_at"),
            DeploymentRow.instant(rs, "not_after")))
        .optional();
    boolean renew = cert.map(c -> ServerKeys.renewalDue(c.issued(), c.notAfter(), clock.now()))
        .orElse(false);
    return new PollState(live.map(Live::orderId).orElse(null),
        live.map(Live::state).orElse(null), renew, validation.pv().challenge(deviceId).orElse(null));
  }

  /**
   * {@link #pollState}'s inputs read inside the device's admission ({@link
   * org.neguard.server.device.DeviceGate}): the poll's 304 path then pays one statement per poll
   * instead of four, the same rows read (its live order, its certificate, its open challenge)
   * at the same moment, nothing cached. Null when the challenges are not in the database (an
   * engine test's stand-in for the validation entity): {@link #pollState} then.
   */
  Devices.Joined<PollState> pollJoin() {
    return validation.challengesInDatabase() ? pollJoin : null;
  }

  private final Devices.Joined<PollState> pollJoin = new Devices.Joined<>() {
    @Override
    public String columns() {
      return ", crt.issued_at, crt.not_after, lo.order_id, lo.state, ch.nonce, ch.reason,"
          + " ch.expires_at";
    }

    @Override
    public String joins() {
      return " LEFT JOIN deployment_targets lo ON lo.order_id = (SELECT t.order_id" + LIVE
          + LIVE_ORDER + " LIMIT 1) LEFT JOIN attestations ch ON ch.id = ("
          + Pve.FIRST_OPEN_CHALLENGE + ")";
    }

    @Override
    public List<Object> params(String deviceId) {
      List<Object> p = new java.util.ArrayList<>(3);
      p.add(deviceId);
      p.addAll(Pve.challengeParams(deviceId));
      return p;
    }

    @Override
    public PollState read(ResultSet rs, int first) throws SQLException {
      Instant issued = instant(rs.getObject(first, OffsetDateTime.class));
      Instant notAfter = instant(rs.getObject(first + 1, OffsetDateTime.class));
      // As pollState: no renewal asked when the certificate's row is not there.
      boolean renew = issued != null && ServerKeys.renewalDue(issued, notAfter, clock.now());
      String nonce = rs.getString(first + 4);
      AttestationChallenge challenge = nonce == null ? null : new AttestationChallenge(nonce,
          rs.getString(first + 5), WireTime.of(instant(rs.getObject(first + 6,
              OffsetDateTime.class))));
      return new PollState(rs.getString(first + 2), rs.getString(first + 3), renew, challenge);
    }
  };

  private static Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }

  /** The full answer for {@code state} (one more query when there is an order). */
  Poll poll(PollState state) {
    DeviceOrder order = null;
    if (state.orderId() != null) {
      order = jdbc.sql("SELECT t.order_id, t.deployment_id, t.order_jws, d.bundle_sha256 FROM"
              + " deployment_targets t JOIN deployments d ON d.id = t.deployment_id WHERE"
              + " t.order_id = ?")
          .param(state.orderId())
          .query((rs, i) -> new DeviceOrder(rs.getString(1), rs.getString(2), rs.getString(3),
              "/api/device/v1/bundles/" + rs.getString(4)))
          .optional().orElse(null);
    }
    return new Poll(order, state.renew(), POLL_AFTER_SECONDS, state.challenge());
  }

  /** Whether one of the device's live orders names bundle {@code sha256}. */
  boolean mayDownload(String deviceId, String sha256) {
    return jdbc.sql("SELECT COUNT(*)" + LIVE + " AND d.bundle_sha256 = ?")
        .params(deviceId, sha256).query(Long.class).single() > 0;
  }

  /** Records a refused download. */
  void refuseDownload(String deviceId, String sha256) {
    audit.append(AuditEvent.denied(actor(deviceId), "BUNDLE_DOWNLOAD", "bundle " + sha256,
        "NOT_AUTHORIZED: no live order of device " + deviceId + " names this bundle"));
  }

  static String actor(String deviceId) {
    return "device:" + deviceId;
  }

  private record OrderRow(String deploymentId, String deviceId, String state,
      String packageName, String packageVersion, long securityVersion, String kind,
      String attestationNonce, String expectedTim, byte[] expectedComponents) {}

  /**
   * Records a device's feedback on its order, forward only.
   *
   * @throws ApiException 403 NOT_AUTHORIZED when the order is not this device's (or does not
   *     exist); 409 CONFLICT after a final status or for a step back; 400 for a bad body
   */
  void feedback(String deviceId, Feedback f) {
    String target = "order " + (f == null ? "(none)" : f.orderId());
    changes.run(actor(deviceId), "ORDER_FEEDBACK", target, tx -> {
      check(f);
      OrderRow o = order(f.orderId()).orElse(null);
      if (o == null || !o.deviceId().equals(deviceId)) {
        // One answer whether the order does not exist or is another device's: a device
        // learns nothing of other devices' orders.
        throw ApiException.of(ReasonCode.NOT_AUTHORIZED, "order " + f.orderId()
            + " is not an order of this device");
      }
      // The deployment's row lock, as for every change of it: the scheduler's expiry or a
      // cancel and this feedback serialize.
      store.lock(o.deploymentId());
      tx.mark();
      Locked locked = lockedState(f.orderId());
      String now = locked.state();
      if (Targets.FINAL.contains(now)) {
        throw ApiException.of(ReasonCode.CONFLICT, "order " + f.orderId() + " is already "
            + now + "; a final status is not changed");
      }
      if (Targets.rank(f.status()) < Targets.rank(now)) {
        throw ApiException.of(ReasonCode.CONFLICT, "order " + f.orderId() + " is " + now
            + "; feedback moves forward only, not to " + f.status());
      }
      if (locked.notAfter() != null && !clock.now().isBefore(locked.notAfter())) {
        // Past its validity the order is void (the agent must not act on it); the scheduler
        // fails it with the same code. A late success would count an install nobody ordered.
        throw ApiException.of(ReasonCode.ORDER_VALIDITY, "order " + f.orderId() + " was valid"
            + " until " + locked.notAfter() + "; feedback on it is no longer taken");
      }
      InstalledPackage claimed = f.installed();
      if (claimed != null && (!o.packageName().equals(claimed.name())
          || !o.packageVersion().equals(claimed.version())
          || o.securityVersion() != claimed.securityVersion())) {
        // What a device runs after an order is the order's package, as the server knows it:
        // a device's word would let it lower the security version the rollback check reads.
        throw ApiException.badInput("installed must be the order's package " + o.packageName()
            + " " + o.packageVersion() + " (security version " + o.securityVersion() + ")");
      }
      if (Targets.SUCCEEDED.equals(f.status()) && o.attestationNonce() != null) {
        AttestationResult judged = judge(deviceId, o, f);
        if (!"PASS".equals(judged.result())) {
          failAttestation(o, f, judged);
          return null;
        }
      }
      record(o, f);
      if (Targets.FINAL.contains(f.status())) {
        audit.append(Targets.SUCCEEDED.equals(f.status())
            ? AuditEvent.success(actor(deviceId), "ORDER_FEEDBACK", target, "succeeded,"
                + " installed " + o.packageName() + " " + o.packageVersion()
                + " security version " + o.securityVersion())
            : AuditEvent.failure(actor(deviceId), "ORDER_FEEDBACK", target, "failed: "
                + codes(f.reasons()) + " " + message(f.reasons())));
      }
      return null;
    });
  }

  /**
   * ATT-4: the completion evidence of an order that carries an attestation nonce, judged by the
   * validation entity against the expectation stored when the order was issued (ATT-2), in this
   * transaction: the device's committed reference, its trust state and this target change
   * together or not at all.
   *
   * @throws ApiException 400 when the success carries no evidence (the order stays as it was)
   */
  private AttestationResult judge(String deviceId, OrderRow o, Feedback f) {
    if (f.evidence() == null || f.evidence().isBlank()) {
      throw ApiException.badInput("order " + f.orderId() + " carries an attestation nonce:"
          + " report success with the evidence measured after the install, signed over that"
          + " nonce (ATT-4); without it the install is not committed");
    }
    if (o.expectedTim() == null || o.expectedComponents() == null) {
      throw new IllegalStateException("order " + f.orderId() + " has a nonce but no expectation");
    }
    Expectation expected = new Expectation(DeployValidation.decode(o.expectedComponents()),
        o.expectedTim());
    boolean recovery = DeploymentRow.RECOVERY.equals(o.kind());
    return validation.ask(() -> validation.pv().afterUpdate(deviceId, f.orderId(),
        f.evidence(), expected, recovery));
  }

  /**
   * The install did not measure as expected: the target fails ATTESTATION_FAILED with the
   * validation entity's reasons, and what the device runs (device_packages, the security-version
   * floor) is not moved: only an attested install is committed.
   */
  private void failAttestation(OrderRow o, Feedback f, AttestationResult judged) {
    List<ProblemReason> reasons = new java.util.ArrayList<>();
    reasons.add(new ProblemReason(ReasonCode.ATTESTATION_FAILED.name(), "the evidence after"
        + " the install was judged " + judged.result() + " (attestation " + judged.id() + ")",
        null));
    if (judged.reasons() != null) {
      reasons.addAll(judged.reasons());
    }
    jdbc.sql("UPDATE deployment_targets SET state = 'failed', progress = ?, reason_codes = ?,"
            + " reason_message = ?, updated_at = ? WHERE order_id = ?")
        .params(f.progress(), codes(reasons), DeploymentStore.clip(message(reasons), 2000),
            DeploymentStore.at(clock.now()), f.orderId())
        .update();
    audit.append(AuditEvent.failure(actor(o.deviceId()), "ORDER_FEEDBACK",
        "order " + f.orderId(), "succeeded reported, but ATTESTATION_FAILED: "
            + DeploymentStore.clip(message(reasons), 1500) + "; " + o.packageName() + " "
            + o.packageVersion() + " not committed"));
  }

  private static void check(Feedback f) {
    if (f == null || f.orderId() == null || f.status() == null) {
      throw ApiException.badInput("give orderId and status");
    }
    if (!STATUSES.contains(f.status())) {
      throw ApiException.badInput("status must be downloading, installing, succeeded or"
          + " failed: '" + f.status() + "'");
    }
    if (f.reasons() != null && f.reasons().stream().anyMatch(r -> r == null)) {
      throw ApiException.badInput("reasons must not hold empty entries");
    }
    if (f.progress() != null && (f.progress() < 0 || f.progress() > 100)) {
      throw ApiException.badInput("progress must be 0 to 100: " + f.progress());
    }
  }

  private Optional<OrderRow> order(String orderId) {
    return jdbc.sql("SELECT t.deployment_id, t.device_id, t.state, d.package_name,"
            + " d.package_version, d.security_version, d.kind, t.attestation_nonce,"
            + " t.expected_tim, t.expected_components FROM deployment_targets t"
            + " JOIN deployments d ON d.id = t.deployment_id WHERE t.order_id = ?")
        .param(orderId)
        .query((rs, i) -> new OrderRow(rs.getString(1), rs.getString(2), rs.getString(3),
            rs.getString(4), rs.getString(5), rs.getLong(6), rs.getString(7),
            rs.getString(8), rs.getString(9), rs.getBytes(10)))
        .optional();
  }

  private record Locked(String state, Instant notAfter) {}

  private Locked lockedState(String orderId) {
    return jdbc.sql("SELECT state, not_after FROM deployment_targets WHERE order_id = ?"
            + " FOR UPDATE")
        .param(orderId)
        .query((rs, i) -> new Locked(rs.getString(1), DeploymentRow.instant(rs, "not_after")))
        .single();
  }

  private void record(OrderRow o, Feedback f) {
    boolean failed = Targets.FAILED.equals(f.status());
    jdbc.sql("UPDATE deployment_targets SET state = ?, progress = ?, reason_codes = ?,"
            + " reason_message = ?, updated_at = ? WHERE order_id = ?")
        .params(f.status(), f.progress(), failed ? codes(f.reasons()) : "",
            failed ? DeploymentStore.clip(message(f.reasons()), 2000) : "",
            DeploymentStore.at(clock.now()), f.orderId())
        .update();
    if (Targets.SUCCEEDED.equals(f.status())) {
      int n = jdbc.sql("UPDATE device_packages SET version = ?, security_version = ?"
              + " WHERE device_id = ? AND name = ?")
          .params(o.packageVersion(), o.securityVersion(), o.deviceId(), o.packageName())
          .update();
      if (n == 0) {
        jdbc.sql("INSERT INTO device_packages (device_id, name, version, security_version)"
                + " VALUES (?, ?, ?, ?)")
            .params(o.deviceId(), o.packageName(), o.packageVersion(), o.securityVersion())
            .update();
      }
    }
  }

  private static String codes(List<ProblemReason> reasons) {
    if (reasons == null || reasons.isEmpty()) {
      return ReasonCode.INTERNAL.name();
    }
    return DeploymentStore.clip(String.join(",",
        reasons.stream().map(ProblemReason::code).toList()), 1000);
  }

  private static String message(List<ProblemReason> reasons) {
    if (reasons == null || reasons.isEmpty()) {
      return "the device reported a failure without a reason";
    }
    return String.join("; ", reasons.stream().map(ProblemReason::message).toList());
  }
}
