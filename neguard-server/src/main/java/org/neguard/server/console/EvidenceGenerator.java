package org.neguard.server.console;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.neguard.api.attest.AttestationResult;
import org.neguard.api.attest.DeviceTrust;
import org.neguard.api.audit.AuditRecord;
import org.neguard.api.deploy.Deployment;
import org.neguard.api.device.Device;
import org.neguard.api.device.DeviceDrift;
import org.neguard.evidence.authz.RbacDocument;
import org.neguard.evidence.document.CaseDocument;
import org.neguard.evidence.hardening.HardeningDocument;
import org.neguard.evidence.integrity.IntegrityDocument;
import org.neguard.server.attest.AttestationRecords;
import org.neguard.server.attest.Pve;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.auth.EndpointCatalog;
import org.neguard.server.deploy.DeploymentViews;
import org.neguard.server.device.Devices;
import org.neguard.server.drift.DriftJudge;
import org.neguard.server.drift.HardeningPolicies;
import org.springframework.stereotype.Component;

/**
 * Generates the evidence documents of the console's Evidence page from the server's own records,
 * judged by the same classes as {@code neguard evidence} ({@code neguard-evidence}), stores each
 * once with its SHA-256 and records the generation as an audit row carrying both digests.
 */
@Component
final class EvidenceGenerator {
  /** The kinds of document, by their name on the page and in the table. */
  enum Kind {
    INTEGRITY, HARDENING, AUTHORIZATION;

    String id() {
      return name().toLowerCase(Locale.ROOT);
    }

    static Optional<Kind> find(String s) {
      for (Kind k : values()) {
        if (k.id().equals(s)) {
          return Optional.of(k);
        }
      }
      return Optional.empty();
    }
  }

  /** As many attestations per device, and audit rows in all, as `neguard evidence` reads. */
  private static final int PER_DEVICE = 1000;
  private static final int MAX_AUDIT = 200_000;
  private static final int MAX_BASELINES = 10_000;
  static final String SOURCE = "the OAM server's own records (console Evidence page)";

  /** The audit action of a generation, whose row is the reference a download is checked by. */
  static final String GENERATE = "EVIDENCE_GENERATE";

  /**
   * The digests at the end of a generation's audit detail. Anchored at the end, after the
   * verdict, so that no text before them can stand in for them.
   */
  private static final Pattern RECORDED =
      Pattern.compile("; html sha256 ([0-9a-f]{64}); json sha256 ([0-9a-f]{64})$");

  private final Pve pve;
  private final AttestationRecords attestations;
  private final AuditLog audit;
  private final DeploymentViews deployments;
  private final Devices devices;
  private final DriftJudge drift;
  private final HardeningPolicies policies;
  private final EndpointCatalog endpoints;
  private final EvidenceStore store;

  EvidenceGenerator(Pve pve, AttestationRecords attestations, AuditLog audit,
      DeploymentViews deployments, Devices devices, DriftJudge drift,
      HardeningPolicies policies, EndpointCatalog endpoints, EvidenceStore store) {
    this.pve = pve;
    this.attestations = attestations;
    this.audit = audit;
    this.deployments = deployments;
    this.devices = devices;
    this.drift = drift;
    this.policies = policies;
    this.endpoints = endpoints;
    this.store = store;
  }

  /** Generates, stores and audits one document of {@code kind}. */
  EvidenceStore.Stored generate(Kind kind, String actor) {
    // Millisecond precision, as the database keeps it: the date shown is the one in the document.
    Instant at = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    String verdict;
    String summary;
    byte[] html;
    byte[] json;
    if (kind == Kind.INTEGRITY) {
      IntegrityDocument.Document d = IntegrityDocument.build(observe(), at);
      verdict = d.verdict().toUpperCase(Locale.ROOT);
      summary = "passed: " + d.passed().size() + ", failed: " + String.join(" ", d.failed())
          + (d.failed().isEmpty() ? "none" : "") + ", not demonstrated: "
          + d.notDemonstrated().size();
      html = d.html().getBytes(StandardCharsets.UTF_8);
      json = d.json();
    } else {
      CaseDocument d = kind == Kind.HARDENING
          ? HardeningDocument.build(SOURCE, at, fleetDrift(), policies.list())
          : RbacDocument.build(SOURCE, at, endpoints.endpoints(), refusals());
      verdict = d.verdict();
      summary = d.summary();
      html = d.html().getBytes(StandardCharsets.UTF_8);
      json = d.json();
    }
    EvidenceStore.Stored s = store.insert(kind.id(), at, actor, verdict, summary, html, json);
    audit.append(AuditEvent.success(actor, GENERATE, auditTarget(s.id(), kind.id()),
        "verdict " + verdict + "; html sha256 " + s.htmlSha256() + "; json sha256 "
            + s.jsonSha256()));
    return s;
  }

  /** The audit target of document {@code id} of kind {@code kind}. */
  static String auditTarget(long id, String kind) {
    return "evidence document " + id + " (" + kind + ")";
  }

  /**
   * The SHA-256 of the {@code format} ({@code html} or {@code json}) bytes that a generation's
   * audit {@code detail} recorded, if it records one.
   */
  static Optional<String> recordedSha256(String detail, String format) {
    Matcher m = RECORDED.matcher(detail);
    if (!m.find()) {
      return Optional.empty();
    }
    return Optional.of(format.equals("html") ? m.group(1) : m.group(2));
  }

  /** The integrity evidence's records, read as `neguard evidence integrity` reads them. */
  private IntegrityDocument.Observed observe() {
    List<String> notes = new ArrayList<>();
    List<DeviceTrust> trust = attestations.trustStates(null);
    List<AttestationResult> history = new ArrayList<>();
    for (DeviceTrust d : trust) {
      List<AttestationResult> mine = pve.history(d.deviceId(), PER_DEVICE);
      if (mine.size() >= PER_DEVICE) {
        notes.add("device " + d.deviceId() + " has more than " + PER_DEVICE
            + " attestations: only the newest were read");
      }
      history.addAll(mine);
    }
    List<AuditRecord> rows = new ArrayList<>();
    long[] skipped = {0};
    audit.forEach(r -> {
      if (rows.size() < MAX_AUDIT) {
        rows.add(r);
      } else {
        skipped[0]++;
      }
    });
    if (skipped[0] > 0) {
      notes.add("the audit log holds more than " + MAX_AUDIT + " rows: only the first were read");
    }
    List<IntegrityDocument.Run> runs = new ArrayList<>();
    for (Deployment d : deployments.list()) {
      runs.add(new IntegrityDocument.Run(d.id(), d.kind() == null ? "update" : d.kind(),
          d.packageName(), d.packageVersion(), d.state(),
          d.stateReason() == null ? "" : d.stateReason(), deployments.targets(d.id())));
    }
    return new IntegrityDocument.Observed(SOURCE, trust, history, rows, runs,
        attestations.policies(), attestations.baselines(null, MAX_BASELINES), notes);
  }

  /** Every device's drift (its last inventory's verdict and its findings). */
  private List<DeviceDrift> fleetDrift() {
    List<DeviceDrift> out = new ArrayList<>();
    for (Device d : devices.list(null, null)) {
      out.add(drift.device(d.id()));
    }
    return out;
  }

  /** The audit rows of refused requests. */
  private List<AuditRecord> refusals() {
    List<AuditRecord> out = new ArrayList<>();
    audit.forEach(r -> {
      if (AuditEvent.DENIED.equals(r.outcome()) && out.size() < MAX_AUDIT) {
        out.add(r);
      }
    });
    return out;
  }
}
