package org.neguard.cli.evidence;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.api.attest.AttestationPolicy;
import org.neguard.api.attest.AttestationResult;
import org.neguard.api.attest.BaselineInfo;
import org.neguard.api.attest.DeviceTrust;
import org.neguard.api.audit.AuditRecord;
import org.neguard.api.deploy.Deployment;
import org.neguard.api.deploy.Target;
import org.neguard.api.problem.ProblemReason;
import org.neguard.cli.attest.AttestApi;
import org.neguard.cli.support.ServerClient;
import org.neguard.cli.support.ServerProblemException;
import org.neguard.evidence.TestCase;
import org.neguard.evidence.integrity.IntegrityDocument;
import org.neguard.evidence.integrity.IntegrityDocument.Observed;
import org.neguard.evidence.integrity.IntegrityDocument.Run;
import org.neguard.io.AtomicFiles;
import org.neguard.verdict.RefusalException;

/**
 * {@code neguard evidence integrity}'s reading and writing: the server's records read over its
 * API, judged and written by {@link IntegrityDocument} (which the console's Evidence page uses
 * on the server's own records), and the two files written atomically. Not thread-safe.
 */
final class IntegrityEvidence {
  private static final int PAGE = 1000;
  private static final int MAX_AUDIT = 200_000;
  private static final int MAX_DEPLOYMENTS = 500;

  /** What was written and how each requirement came out (test case ids). */
  record Result(Path html, Path json, List<String> passed, List<String> failed,
      List<String> notDemonstrated) {}

  private IntegrityEvidence() {}

  static Result collect(ServerClient server, Path outDir) throws IOException {
    return write(observe(server), outDir);
  }

  /** {@link IntegrityDocument#cases}. */
  static List<TestCase> cases(Observed o) {
    return IntegrityDocument.cases(o);
  }

  /** Judges {@code o} and writes evidence-integrity.json and .html into {@code outDir}. */
  static Result write(Observed o, Path outDir) throws IOException {
    IntegrityDocument.Document d = IntegrityDocument.build(o, Instant.now());
    Path jsonFile = outDir.resolve("evidence-integrity.json");
    Path htmlFile = outDir.resolve("evidence-integrity.html");
    AtomicFiles.write(jsonFile, d.json());
    AtomicFiles.write(htmlFile, d.html().getBytes(StandardCharsets.UTF_8));
    return new Result(htmlFile, jsonFile, d.passed(), d.failed(), d.notDemonstrated());
  }

  /** Reads every source; one the user may not read, or the server lacks, becomes a note. */
  static Observed observe(ServerClient server) throws IOException {
    AttestApi api = new AttestApi(server);
    List<String> notes = new ArrayList<>();
    List<DeviceTrust> devices = read(notes, "trust states (GET /api/attestation/devices)",
        api::devices);
    List<AttestationResult> attestations = readAttestations(api, devices, notes);
    List<AuditRecord> audit = readAudit(server, notes);
    List<Run> runs = readDeployments(server, notes);
    List<AttestationPolicy> policies = read(notes,
        "failure policies (GET /api/attestation/policies)", api::policies);
    List<BaselineInfo> baselines = read(notes, "baselines (GET /api/baselines)",
        () -> api.baselines(null));
    return new Observed(server.server(), devices, attestations, audit, runs, policies,
        baselines, notes);
  }

  @FunctionalInterface
  private interface Source<T> {
    List<T> get() throws IOException, RefusalException;
  }

  private static <T> List<T> read(List<String> notes, String what, Source<T> s)
      throws IOException {
    try {
      return s.get();
    } catch (RefusalException e) {
      notes.add(what + " not read: " + first(e.reasons().get(0).code().name(), e.getMessage()));
    } catch (ServerProblemException e) {
      ProblemReason r = e.problem().reasons().get(0);
      notes.add(what + " not read: " + first(r.code(), r.message()));
    }
    return List.of();
  }

  private static String first(String code, String message) {
    String hint = code.equals("NOT_AUTHORIZED") || code.equals("NOT_AUTHENTICATED")
        ? " (log in as a user who may read it: operator or approver for attestations and"
            + " deployments, admin or auditor for the audit log)" : "";
    return code + " " + message + hint;
  }

  private static List<AttestationResult> readAttestations(AttestApi api,
      List<DeviceTrust> devices, List<String> notes) throws IOException {
    List<String> probe = new ArrayList<>();
    List<AttestationResult> all = read(probe, "attestations (GET /api/attestations)",
        () -> api.attestations(null, PAGE));
    if (probe.isEmpty() && all.size() < PAGE) {
      return all;
    }
    // More than one page (the server answers at most 1000), or no listing of every device's:
    // each device's own, at most a page each.
    Map<String, AttestationResult> byId = new LinkedHashMap<>();
    all.forEach(a -> byId.put(a.id(), a));
    for (DeviceTrust d : devices) {
      read(notes, "attestations of " + d.deviceId(), () -> api.attestations(d.deviceId(), PAGE))
          .forEach(a -> byId.put(a.id(), a));
    }
    if (devices.isEmpty()) {
      notes.addAll(probe);
    }
    return new ArrayList<>(byId.values());
  }

  private static List<AuditRecord> readAudit(ServerClient server, List<String> notes)
      throws IOException {
    List<AuditRecord> out = new ArrayList<>();
    long after = 0;
    while (out.size() < MAX_AUDIT) {
      long from = after;
      List<AuditRecord> page = read(notes, "audit log (GET /api/audit)",
          () -> server.audit(from, PAGE, false));
      out.addAll(page);
      if (page.size() < PAGE) {
        return out;
      }
      after = page.get(page.size() - 1).seq();
    }
    notes.add("the audit log holds more than " + MAX_AUDIT + " rows: only the first were read");
    return out;
  }

  private static List<Run> readDeployments(ServerClient server, List<String> notes)
      throws IOException {
    List<Deployment> list = read(notes, "deployments (GET /api/deployments)",
        server::deployments);
    List<Run> runs = new ArrayList<>();
    for (Deployment d : list) {
      if (runs.size() >= MAX_DEPLOYMENTS) {
        notes.add("more than " + MAX_DEPLOYMENTS + " deployments: only the first were read");
        break;
      }
      String id = d.id();
      List<Target> targets = read(notes, "targets of deployment " + id,
          () -> server.targets(id));
      runs.add(new Run(id, d.kind() == null ? "update" : d.kind(), d.packageName(),
          d.packageVersion(), d.state(), d.stateReason() == null ? "" : d.stateReason(),
          targets));
    }
    return runs;
  }
}
