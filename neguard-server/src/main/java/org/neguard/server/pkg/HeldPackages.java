package org.neguard.server.pkg;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.neguard.api.WireTime;
import org.neguard.api.pkg.HeldPackage;
import org.neguard.api.pkg.PackageFinding;
import org.neguard.measure.Sha256;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.web.ApiException;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.neguard.vuln.Finding;
import org.neguard.vuln.Unassessable;
import org.neguard.vuln.Vex;
import org.neguard.vuln.VexReader;
import org.neguard.vuln.VexStatement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The publication gate's held packages (issue 16): a verified package whose SBOM has findings at
 * or above the threshold is kept here rather than refused and lost; a VEX statement an approver
 * adds re-judges it, and it is published once nothing reaches the threshold. Thread-safe.
 */
@Component
final class HeldPackages {
  private static final Logger LOG = LoggerFactory.getLogger(HeldPackages.class);
  /** At most this many findings are named in a refusal (all are listed in GET .../held). */
  private static final int MAX_REASONS = 50;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final PackageHolds holds;
  private final PackageStore store;
  private final PublicationGate gate;
  private final AuditLog audit;
  private final TransactionTemplate tx;
  private final ApplicationEventPublisher events;
  private final Clock clock = Clock.systemUTC();

  HeldPackages(PackageHolds holds, PackageStore store, PublicationGate gate, AuditLog audit,
      PlatformTransactionManager transactions, ApplicationEventPublisher events) {
    this.holds = holds;
    this.store = store;
    this.gate = gate;
    this.audit = audit;
    this.tx = new TransactionTemplate(transactions);
    this.events = events;
  }

  /**
   * Records {@code p} as held with the verdict's findings, and the refused upload in the audit
   * log, in one transaction.
   *
   * @return the refusal to answer the upload with
   * @throws DuplicateKeyException when another upload of the same name and version was recorded
   *     first (nothing written then)
   */
  ApiException hold(String actor, PackageStore.StoredPackage p, byte[] sbom,
      PublicationGate.VulnVerdict v) {
    byte[] findings = findingsJson(v);
    tx.executeWithoutResult(s -> {
      holds.insert(p, sbom, findings, clock.instant());
      audit.append(AuditEvent.failure(actor, "PACKAGE_UPLOAD", target(p),
          "KNOWN_VULNERABILITY: held, not published (" + v.failing().size() + " finding(s) at or"
              + " above " + v.failOn() + ": " + ids(v.failing()) + "); sha256 " + p.sha256()));
    });
    return heldRefusal(p.name(), p.version(), v.failOn().name(), findings(findings));
  }

  /** The refusal for an upload of a package held now (again, the same file). */
  ApiException stillHeld(PackageHolds.Hold h) {
    return heldRefusal(h.pkg().name(), h.pkg().version(), failOn(h), findings(h.findings()));
  }

  List<HeldPackage> list() {
    return holds.held().stream().map(this::view).toList();
  }

  Optional<HeldPackage> find(String name, String version) {
    return holds.find(name, version).map(this::view);
  }

  /**
   * Adds the VEX document in {@code body} to the held package {@code name} {@code version},
   * re-judges it, and publishes it when no finding reaches the threshold any more. The document
   * is stored only when it is valid and applies to a finding of this package; the document, the
   * re-judgement and the publication are one transaction.
   *
   * @throws ApiException 404 when no such package is held, CONFLICT when it is published
   *     already, MALFORMED/SIZE_LIMIT for a bad document, BAD_INPUT when no statement applies
   *     to a finding of this package, ENGINE_UNAVAILABLE without a vulnerability database
   */
  HeldPackage addVex(String actor, String name, String version, long declaredLength,
      InputStream body, String source) throws IOException {
    String target = "package " + name + " " + version;
    PackageHolds.Hold h = holds.find(name, version).orElse(null);
    if (h == null) {
      boolean published = store.find(name, version).isPresent();
      throw refuse(actor, target, published
          ? new RefusalException(ReasonCode.CONFLICT, target + " is published and was never"
              + " held; VEX statements re-judge held packages only")
          : null, "no package " + name + " " + version + " is held");
    }
    if (!PackageHolds.HELD.equals(h.state())) {
      throw refuse(actor, target, new RefusalException(ReasonCode.CONFLICT, target + " is"
          + " published already (released by " + h.releasedBy().orElse("?") + "); nothing to"
          + " re-judge"), null);
    }
    if (actor.equals(h.pkg().uploadedBy())) {
      // Four-eyes, as for deployments: whoever uploaded a held package (a user may hold the
      // publisher and approver roles both) cannot also release it with their own statement.
      throw refuse(actor, target, new RefusalException(ReasonCode.FOUR_EYES, actor
          + " uploaded " + target + " and may not release it with a VEX statement: another"
          + " approver must (four-eyes)"), null);
    }
    byte[] doc;
    List<VexStatement> added;
    try {
      if (declaredLength > VexReader.MAX_BYTES) {
        throw new RefusalException(ReasonCode.SIZE_LIMIT, source + ": a VEX document of "
            + declaredLength + " bytes, more than " + VexReader.MAX_BYTES);
      }
      doc = body.readNBytes(VexReader.MAX_BYTES + 1);
      added = VexReader.read(doc, source);
    } catch (RefusalException e) {
      throw refuse(actor, target, e, null);
    }
    if (!gate.hasVulnDb()) {
      throw refuse(actor, target, new RefusalException(ReasonCode.ENGINE_UNAVAILABLE, "this"
          + " server runs without its vulnerability database (--vulndb): " + target
          + " cannot be judged again, so it stays held"), null);
    }
    // The stored statements are read, the package judged with them and the new ones, and the
    // judgement written, all under the hold's row lock: judged outside it, two approvers posting
    // at once would each be judged without the other's statement, and the later write would
    // keep the package held with a judgement that misses the first statement (a lost update).
    Rejudged r = tx.execute(s -> rejudge(actor, h.pkg(), target, doc, source, added));
    if (r.refusal() != null) {
      throw refuse(actor, target, r.refusal(), null);
    }
    if (r.released()) {
      publishedEvent(h.pkg());
    }
    return holds.find(name, version).map(this::view).orElseThrow();
  }

  /** The outcome of one re-judgement: a refusal (nothing written), or whether it published. */
  private record Rejudged(RefusalException refusal, boolean released) {}

  /** Within the caller's transaction: the locked re-judgement {@link #addVex} describes. */
  private Rejudged rejudge(String actor, PackageStore.StoredPackage pkg, String target,
      byte[] doc, String source, List<VexStatement> added) {
    String name = pkg.name();
    String version = pkg.version();
    PackageHolds.Hold h = holds.lock(name, version).orElseThrow();
    if (!PackageHolds.HELD.equals(h.state())) {
      return new Rejudged(new RefusalException(ReasonCode.CONFLICT, target + " is published"
          + " already (released by " + h.releasedBy().orElse("?") + ", whose statement was"
          + " judged first); nothing to re-judge, and this document was not stored"), false);
    }
    List<VexStatement> all = new ArrayList<>(added);
    for (PackageHolds.StoredVex sv : holds.vex(name, version)) {
      try {
        all.addAll(VexReader.read(sv.document(), sv.source()));
      } catch (RefusalException e) {
        // Stored only after it was read; a reader grown stricter since must not silently drop a
        // decision, nor let the rest publish the package without it.
        return new Rejudged(new RefusalException(ReasonCode.INTERNAL, "the VEX document "
            + sv.source() + " stored for " + target + " on " + sv.addedAt() + " no longer"
            + " reads: " + e.getMessage()), false);
      }
    }
    PublicationGate.VulnVerdict v;
    try {
      v = gate.judge(Optional.of(h.sbom()), all, target);
    } catch (RefusalException e) {
      return new Rejudged(e, false);
    } catch (IOException e) {
      // The database's index is read as the SBOM is matched; the transaction rolls back.
      throw new java.io.UncheckedIOException(e);
    }
    List<Finding> findings = v.assessment().map(a -> a.findings()).orElse(List.of());
    long applying = findings.stream()
        .filter(f -> added.stream().anyMatch(st -> Vex.applies(st, f))).count();
    if (applying == 0) {
      return new Rejudged(new RefusalException(ReasonCode.BAD_INPUT, source + ": none"
          + " of its " + added.size() + " statement(s) applies to a finding of " + target
          + " (findings: " + ids(findings) + "); a statement applies when it names the"
          + " finding's vulnerability and the component's exact package URL, or no product."
          + " Nothing was stored"), false);
    }
    byte[] json = findingsJson(v);
    Instant now = clock.instant();
    String sha = Sha256.hex(doc);
    holds.addVex(name, version, doc, sha, source, added.size(), actor, now);
    audit.append(AuditEvent.success(actor, "PACKAGE_VEX", target, added.size()
        + " VEX statement(s) from " + source + " (sha256 " + sha + ") added; " + applying
        + " finding(s) with one that applies; " + v.failing().size() + " finding(s) at or"
        + " above " + v.failOn() + " left" + (v.holds() ? ": " + ids(v.failing()) : "")));
    if (v.holds()) {
      holds.rejudged(name, version, json, now);
      return new Rejudged(null, false);
    }
    if (!holds.release(name, version, json, actor, now)) {
      throw new IllegalStateException(target + " was released while its row was locked");
    }
    store.insert(h.pkg());
    audit.append(AuditEvent.success(actor, "PACKAGE_PUBLISH", target, "published: no"
        + " finding at or above " + v.failOn() + " is left that a VEX statement does not"
        + " suppress; sha256 " + h.pkg().sha256()));
    return new Rejudged(null, true);
  }

  private void publishedEvent(PackageStore.StoredPackage p) {
    try {
      events.publishEvent(new PackageStored(p.name(), p.version(), p.sha256()));
    } catch (RuntimeException e) {
      LOG.error("package {} {} is published, but a follower of the store failed on it: {}",
          p.name(), p.version(), e.toString(), e);
    }
  }

  private ApiException refuse(String actor, String target, RefusalException e,
      String notFound) {
    if (e == null) {
      audit.append(AuditEvent.failure(actor, "PACKAGE_VEX", target, "BAD_INPUT: " + notFound));
      return ApiException.notFound(notFound + "; 'GET /api/packages/held' lists the held ones");
    }
    audit.append(AuditEvent.failure(actor, "PACKAGE_VEX", target,
        e.reasons().stream().map(r -> r.code() + ": " + r.message())
            .collect(Collectors.joining("; "))));
    return ApiException.from(e);
  }

  private HeldPackage view(PackageHolds.Hold h) {
    PackageStore.StoredPackage p = h.pkg();
    return new HeldPackage(p.name(), p.version(), h.state(), p.sha256(), p.vendor(),
        p.uploadedBy(), WireTime.of(p.uploadedAt()), failOn(h), findings(h.findings()),
        holds.vexCount(p.name(), p.version()), WireTime.of(h.judgedAt()),
        h.releasedBy().orElse(null));
  }

  /** The judgement as stored: the threshold and every finding, failing ones first. */
  record Judgement(String failOn, List<PackageFinding> findings) {}

  private static byte[] findingsJson(PublicationGate.VulnVerdict v) {
    List<PackageFinding> out = new ArrayList<>();
    List<Finding> all = v.assessment().map(a -> a.findings()).orElse(List.of());
    for (Finding f : all) {
      if (v.failing().contains(f)) {
        out.add(wire(f, true));
      }
    }
    for (Finding f : all) {
      if (!v.failing().contains(f)) {
        out.add(wire(f, false));
      }
    }
    try {
      return JSON.writeValueAsBytes(new Judgement(v.failOn().name(), out));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write findings", e);
    }
  }

  private static Judgement judgement(byte[] json) {
    try {
      return JSON.readValue(json, Judgement.class);
    } catch (IOException e) {
      throw new IllegalStateException("stored findings do not read", e);
    }
  }

  private static List<PackageFinding> findings(byte[] json) {
    return judgement(json).findings();
  }

  private static String failOn(PackageHolds.Hold h) {
    return judgement(h.findings()).failOn();
  }

  static PackageFinding wire(Finding f, boolean failing) {
    // A component without a package URL is named by its name and version (Unassessable).
    String component = !f.component().purl().isEmpty() ? f.component().purl()
        : f.component().name() + (f.component().version().isEmpty() ? ""
            : " " + f.component().version()) + " (no package URL)";
    return new PackageFinding(f.advisoryId(), f.cves(), f.severity().name(),
        component, f.fixedVersion().orElse(null), f.summary(), failing,
        f.vex().map(s -> new PackageFinding.Vex(s.status().name(),
            s.justification().orElse(null), s.impactStatement().orElse(null), s.author(),
            WireTime.of(s.timestamp()), s.source())).orElse(null));
  }

  private static ApiException heldRefusal(String name, String version, String failOn,
      List<PackageFinding> findings) {
    List<PackageFinding> failing = findings.stream().filter(PackageFinding::failing).toList();
    long unassessed = failing.stream()
        .filter(f -> Unassessable.ADVISORY_ID.equals(f.advisoryId())).count();
    long known = failing.size() - unassessed;
    List<Reason> reasons = new ArrayList<>();
    reasons.add(Reason.about(known > 0 ? ReasonCode.KNOWN_VULNERABILITY
        : ReasonCode.SCAN_INCOMPLETE, "package " + name + " " + version,
        "held, not published: " + (known == 0 ? "" : known + " known vulnerabilit"
            + (known == 1 ? "y" : "ies") + " at or above " + failOn + " that no VEX"
            + " statement suppresses") + (known > 0 && unassessed > 0 ? ", and " : "")
            + (unassessed == 0 ? "" : unassessed + " component(s) that could not be assessed"
                + " (no package URL, or an ecosystem without version rules; the server's"
                + " --vuln-unassessable hold)") + ". The package is kept: publish a version"
            + " that fixes them (or whose SBOM identifies every component), or an approver"
            + " other than the uploader adds a VEX statement saying why the product is not"
            + " affected ('neguard pkg vex " + name + " " + version + " --file VEX.json'; for"
            + " a component not assessed, vulnerability " + Unassessable.ADVISORY_ID + ");"
            + " 'neguard pkg held' lists the held packages"));
    for (PackageFinding f : failing.subList(0, Math.min(MAX_REASONS, failing.size()))) {
      if (Unassessable.ADVISORY_ID.equals(f.advisoryId())) {
        reasons.add(Reason.about(ReasonCode.SCAN_INCOMPLETE, f.component(), f.summary()));
        continue;
      }
      reasons.add(Reason.about(ReasonCode.KNOWN_VULNERABILITY, f.component(),
          f.advisoryId() + (f.cves().isEmpty() || f.cves().equals(List.of(f.advisoryId()))
              ? "" : " (" + String.join(", ", f.cves()) + ")") + ", severity " + f.severity()
              + (f.fixedVersion() == null ? ", no fixed version known"
                  : ", fixed in " + f.fixedVersion()) + (f.summary() == null
                  || f.summary().isEmpty() ? "" : ": " + f.summary())));
    }
    return ApiException.from(new RefusalException(reasons));
  }

  private static String ids(List<Finding> findings) {
    String s = findings.stream().map(f -> f.advisoryId() + " " + f.component().name())
        .limit(20).collect(Collectors.joining(", "));
    return findings.size() > 20 ? s + ", …" : s;
  }

  private static String target(PackageStore.StoredPackage p) {
    return "package " + p.name() + " " + p.version();
  }
}
