package org.neguard.server.attest;

import java.io.IOException;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.neguard.api.WireTime;
import org.neguard.api.attest.AttestationResult;
import org.neguard.api.device.AttestationChallenge;
import org.neguard.api.problem.ProblemReason;
import org.neguard.attest.Evidence;
import org.neguard.attest.EvidenceVerifier;
import org.neguard.attest.Expectation;
import org.neguard.attest.TpmBinding;
import org.neguard.measure.PlatformTim;
import org.neguard.measure.TreeDigest;
import org.neguard.measure.TreeMeasurement;
import org.neguard.server.ServerConfig;
import org.neguard.server.alert.AlertWebhook;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.pkg.StoredBundles;
import org.neguard.server.tpm.TpmBindings;
import org.neguard.server.web.ApiException;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.neguard.verdict.RefusalException;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The platform validation entity (docs/ATTESTATION.md). Evidence is verified (signature, nonce,
 * TIM, TPM quote when the device is bound to one) and judged against references that never come
 * from the device's word: the RIMs of the vendor-signed packages the server records it runs,
 * and operator-approved baselines of its platform components. Each judgement, the trust state it
 * moves and the failure policy it sets off are one transaction, with the device's row locked so
 * that two answers of one device are judged one after the other. Thread-safe.
 */
@Component
public final class Pve implements PlatformValidation {
  private static final Logger LOG = LoggerFactory.getLogger(Pve.class);
  private static final java.util.concurrent.atomic.AtomicBoolean SAID_WHICH_ES256 =
      new java.util.concurrent.atomic.AtomicBoolean();
  static final String UNKNOWN = "unknown";
  static final String TRUSTED = "trusted";
  static final String UNTRUSTED = "untrusted";
  static final String QUARANTINED = "quarantined";
  static final String DISABLED = "disabled";

  /** Challenges in a row a trusted NE may leave unanswered before it is quarantined. */
  static final int SILENCE = 3;

  static final String PASS = "PASS";
  /** The runtime schedule's reason: its passes are the routine ones ({@link #audited}). */
  static final String SCHEDULED = "SCHEDULED";
  static final String FAIL = "FAIL";
  static final String PENDING_BASELINE = "PENDING_BASELINE";
  static final String NO_REFERENCE = "NO_REFERENCE";

  private final JdbcClient jdbc;
  private final Attestations attestations;
  private final References references;
  private final StoredBundles bundles;
  private final AuditLog audit;
  private final AlertWebhook webhook;
  private final ApplicationEventPublisher events;
  private final TransactionTemplate tx;
  private final ServerConfig.Attest config;
  private final java.security.SecureRandom random = new java.security.SecureRandom();
  /** The reasons the attestation scheduler asks for, and sets the next time itself. */
  private static final Set<String> SCHEDULE = Set.of("FIRST_CONTACT", SCHEDULED);
  private final TpmBindings tpm;
  private final KnownLists knownLists = new KnownLists(KNOWN_LISTS_KEPT);
  private final io.micrometer.core.instrument.Counter knownComputed;

  /**
   * Open challenges' known lists kept per replica (about 150 bytes per component: 30 MB for
   * lists of three components). A list answered here is dropped at once, one answered through
   * another replica or not at all when it expires (the challenge validity, 2 minutes by
   * default), so a fleet holds about its challenges of the last validity period; past the bound
   * a list is read per poll as before.
   */
  static final int KNOWN_LISTS_KEPT = 1 << 16;

  Pve(JdbcClient jdbc, Attestations attestations, References references, StoredBundles bundles,
      AuditLog audit, AlertWebhook webhook, ApplicationEventPublisher events,
      PlatformTransactionManager transactions, ServerConfig serverConfig, TpmBindings tpm,
      io.micrometer.core.instrument.MeterRegistry metrics) {
    this.jdbc = jdbc;
    this.attestations = attestations;
    this.references = references;
    this.bundles = bundles;
    this.audit = audit;
    this.webhook = webhook;
    this.events = events;
    this.tx = new TransactionTemplate(transactions);
    this.config = serverConfig.attest();
    this.tpm = tpm;
    this.knownComputed = metrics.counter(KNOWN_COMPUTED);
  }

  /** The counter of known lists read from the references ({@link KnownLists}: once a nonce). */
  static final String KNOWN_COMPUTED = "neguard.attest.known.computed";

  // --- devices' rows ---------------------------------------------------------------------------

  /** The columns of a device the validation entity reads. */
  record DeviceRow(String id, String neType, String trustState, String trustReason,
      boolean disabled) {}

  private Optional<DeviceRow> device(String deviceId, boolean lock) {
    return jdbc.sql("SELECT id, ne_type, trust_state, trust_reason, disabled_at FROM devices"
            + " WHERE id = ?" + (lock ? " FOR UPDATE" : ""))
        .param(deviceId)
        .query((rs, i) -> new DeviceRow(rs.getString(1), rs.getString(2), rs.getString(3),
            rs.getString(4), rs.getObject(5) != null))
        .optional();
  }

  private DeviceRow requireDevice(String deviceId, boolean lock) {
    return device(deviceId, lock).orElseThrow(() -> ApiException.notFound("no device "
        + deviceId));
  }

  private void setTrust(DeviceRow d, String state, String reason, Instant now) {
    jdbc.sql("UPDATE devices SET trust_state = ?, trust_reason = ?, trust_changed_at = ?"
            + " WHERE id = ?")
        .params(state, clip(reason, 2000), Attestations.at(now), d.id()).update();
  }

  private static String clip(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 3) + "...";
  }

  private Attestations.Row create(String deviceId, String reason, String deploymentId,
      String orderId, String requestedBy, Instant now, Instant expiresAt) {
    return attestations.ask(deviceId, reason, deploymentId, orderId, requestedBy, now,
        expiresAt);
  }

  // --- challenges ------------------------------------------------------------------------------

  /**
   * The id of the challenge {@link #challenge} answers, as a subquery for another statement (the
   * poll's 304 path reads it inside the device's admission: one statement per poll); {@link
   * #challengeParams} are its parameters.
   */
  public static final String FIRST_OPEN_CHALLENGE = "SELECT a.id" + Attestations.OPEN_OF_DEVICE
      + " LIMIT 1";

  /** The parameters of {@link #FIRST_OPEN_CHALLENGE} for {@code deviceId}, now. */
  public static List<Object> challengeParams(String deviceId) {
    return List.of(deviceId, Attestations.at(Instant.now()));
  }

  @Override
  public Optional<AttestationChallenge> challenge(String deviceId) {
    Instant now = Instant.now();
    return attestations.open(deviceId, now).stream().findFirst()
        .map(r -> new AttestationChallenge(r.nonce(), r.reason(), WireTime.of(r.expiresAt()),
            knownLists.get(r.nonce(), r.expiresAt(), now, () -> known(deviceId, r.nonce()))));
  }

  /**
   * The components {@link #judge} compares with a digest it holds the files of: each recorded
   * package's signed RIM, each approved platform baseline, as commitments under {@code nonce}
   * (AttestationChallenge.commitment: the NE learns whether it measured the expected digest,
   * not the digest). The NE reports a component it measured at exactly that digest without its
   * files (docs/MEASUREMENT.md, "Evidence"): they are the reference's, and a runtime attestation
   * of an unchanged NE is about a kilobyte instead of an entry per file. A hint: when it cannot
   * be made, null, and the NE reports every file.
   */
  private List<AttestationChallenge.KnownComponent> known(String deviceId, String nonce) {
    knownComputed.increment();
    try {
      List<AttestationChallenge.KnownComponent> out = new ArrayList<>();
      for (References.Installed p : references.installed(deviceId)) {
        bundles.find(p.name(), p.version()).ifPresent(b ->
            out.add(AttestationChallenge.KnownComponent.of(nonce, p.name(), b.rim())));
      }
      references.approved(deviceId).forEach((name, b) ->
          out.add(AttestationChallenge.KnownComponent.of(nonce, name, b.digest())));
      return out;
    } catch (RuntimeException e) {
      LOG.warn("device {}: the challenge names no known components ({}); the NE reports every"
          + " file", deviceId, e.toString());
      return null;
    }
  }

  /**
   * Asks {@code deviceId} for evidence now (an open challenge of it is answered instead, so
   * asking twice does not make two).
   *
   * @param reason REQUESTED, READMISSION, FIRST_CONTACT or SCHEDULED
   */
  public AttestationResult request(String deviceId, String actor, String reason) {
    return tx.execute(s -> {
      DeviceRow d = requireDevice(deviceId, true);
      if (d.disabled()) {
        throw ApiException.of(ReasonCode.DEVICE_DISABLED, "device " + deviceId
            + " is disabled: a disabled device is not attested");
      }
      Instant now = Instant.now();
      Optional<Attestations.Row> open = attestations.open(deviceId, now).stream().findFirst();
      Attestations.Row r = open.orElseGet(() -> create(deviceId, reason, null, null, actor, now,
          now.plus(config.challengeValidity())));
      if (open.isEmpty()) {
        audit.append(AuditEvent.success(actor, "ATTESTATION_REQUESTED", "device " + deviceId,
            reason + ": attestation " + r.id() + ", nonce valid until "
                + WireTime.of(r.expiresAt())));
      }
      return r.view(d.trustState());
    });
  }

  /** One attestation, with its device's trust state now. */
  Optional<AttestationResult> find(String id) {
    return attestations.find(id).map(r -> r.view(device(r.deviceId(), false)
        .map(DeviceRow::trustState).orElse(null)));
  }

  public List<AttestationResult> history(String deviceId, int limit) {
    String trust = deviceId == null ? null
        : device(deviceId, false).map(DeviceRow::trustState).orElse(null);
    List<Attestations.Row> rows = deviceId == null ? attestations.all(limit)
        : attestations.ofDevice(deviceId, limit);
    return rows.stream().map(r -> r.view(trust)).toList();
  }

  // --- evidence --------------------------------------------------------------------------------

  /**
   * Judges a device's answer to one of its open challenges (docs/ATTESTATION.md, "Judging
   * evidence"). Evidence that fails verification is a FAIL of the challenge it answers (the
   * oldest open one when it names none of them): a replay, another device's signature, a list
   * that is not its TIM all say the same thing about the NE.
   *
   * @param key the key of the certificate the device presented on this connection
   * @throws ApiException 409 CONFLICT when no challenge is open, or the evidence answers one
   *     that expired (the current one is still to be answered); 400 for an empty body
   */
  public AttestationResult submit(String deviceId, PublicKey key, String evidence) {
    if (evidence == null || evidence.isEmpty()) {
      throw ApiException.badInput("give evidence: the compact JWS over the challenge's nonce");
    }
    return tx.execute(s -> {
      DeviceRow d = requireDevice(deviceId, true);
      Instant now = Instant.now();
      List<Attestations.Row> open = attestations.open(deviceId, now);
      if (open.isEmpty()) {
        throw ApiException.of(ReasonCode.CONFLICT, "no attestation is awaited from device "
            + deviceId + ": evidence is taken only over a nonce the validation entity sent"
            + " (the poll carries it)");
      }
      Optional<TpmBinding> tpm = binding(deviceId);
      Attestations.Row answered = open.get(0);
      Evidence ev = null;
      RefusalException refused = null;
      for (Attestations.Row candidate : open) {
        try {
          ev = verified(evidence, key, deviceId, candidate.nonce(), tpm);
          answered = candidate;
          refused = null;
          break;
        } catch (RefusalException e) {
          refused = e;
          if (e.code() != ReasonCode.NONCE_MISMATCH) {
            break; // not about which nonce: the same for every candidate
          }
        }
      }
      if (ev == null && refused.code() == ReasonCode.NONCE_MISMATCH) {
        // Over a nonce that expired unanswered moments ago (a slow measurement): not an attack,
        // and the open challenge is still to be answered.
        for (Attestations.Row late : attestations.recentlyExpired(deviceId,
            now.minus(config.challengeValidity()))) {
          if (verifies(evidence, key, deviceId, late.nonce(), tpm)) {
            throw ApiException.of(ReasonCode.CONFLICT, "the evidence answers attestation "
                + late.id() + ", whose nonce expired at " + WireTime.of(late.expiresAt())
                + ": answer the open challenge " + open.get(0).id() + " instead");
          }
        }
      }
      Judgement j = ev == null ? Judgement.refused(refused) : judge(d, ev, answered.id(), now);
      return apply(d, answered, ev, j, now, false);
    });
  }

  private static boolean verifies(String evidence, PublicKey key, String deviceId, String nonce,
      Optional<TpmBinding> tpm) {
    try {
      EvidenceVerifier.verify(evidence, key, deviceId, HexFormat.of().parseHex(nonce), tpm);
      return true;
    } catch (RefusalException e) {
      return false;
    }
  }

  /**
   * {@link EvidenceVerifier#verify}, then for a TPM device its quote against the last one
   * accepted ({@link TpmBindings#accept}: the TPM's boot, the event log's growth), recorded in
   * the caller's transaction.
   */
  private Evidence verified(String evidence, PublicKey key, String deviceId, String nonce,
      Optional<TpmBinding> binding) throws RefusalException {
    if (!SAID_WHICH_ES256.getAndSet(true)) {
      // At the first evidence, not at start: loading and testing AWS-LC takes most of a second.
      LOG.info("ES256 evidence signatures checked by {}",
          EvidenceVerifier.es256Implementation());
    }
    Evidence ev = EvidenceVerifier.verify(evidence, key, deviceId,
        HexFormat.of().parseHex(nonce), binding);
    if (binding.isPresent()) {
      tpm.accept(deviceId, ev);
    }
    return ev;
  }

  /** For TPM evidence, whether the bound EK was certified by a manufacturer CA. */
  private String ekTrust(String deviceId, Evidence ev) {
    if (ev.trustBase() != Evidence.TrustBase.TPM) {
      return "";
    }
    return tpm.ekTrust(deviceId).map(t -> t.equals("CERTIFIED")
        ? ", EK certified by a TPM manufacturer CA"
        : ", EK unverified: no EK trust anchor configured").orElse("");
  }

  /** The device's TPM binding (its AK and PCR), when it was bound at enrollment. */
  private Optional<TpmBinding> binding(String deviceId) {
    return tpm.binding(deviceId);
  }

  /** A verdict on evidence, with what it proposes as platform baselines. */
  record Judgement(String result, List<ProblemReason> reasons,
      List<Evidence.Component> proposals) {
    static Judgement refused(RefusalException e) {
      return new Judgement(FAIL, e.reasons().stream().map(ProblemReason::of).toList(),
          List.of());
    }
  }

  private static ProblemReason reason(ReasonCode code, String subject, String message) {
    return ProblemReason.of(new Reason(code, message, subject));
  }

  /**
   * The evidence against the device's references: each recorded package by its signed RIM,
   * each platform component by its approved baseline. A component without a reference is
   * proposed as a baseline (PENDING_BASELINE) or, claiming a vendor reference, is software
   * without a signed RIM (NO_REFERENCE).
   */
  Judgement judge(DeviceRow d, Evidence ev, String attestationId, Instant now) {
    Map<String, Evidence.Component> measured = new LinkedHashMap<>();
    ev.components().forEach(c -> measured.put(c.name(), c));
    List<ProblemReason> mismatches = new ArrayList<>();
    List<ProblemReason> noReference = new ArrayList<>();
    List<Evidence.Component> proposals = new ArrayList<>();
    for (References.Installed p : references.installed(d.id())) {
      Evidence.Component c = measured.remove(p.name());
      Optional<StoredBundles.Bundle> b = bundles.find(p.name(), p.version());
      if (b.isEmpty()) {
        noReference.add(reason(ReasonCode.NO_REFERENCE, p.name(), "the NE runs " + p.name()
            + " " + p.version() + ", for which the server holds no vendor-signed package (no"
            + " RIM): upload the vendor's signed package, or recover the NE to one"));
        continue;
      }
      if (c == null) {
        mismatches.add(reason(ReasonCode.MEASUREMENT_MISMATCH, p.name(), "package " + p.name()
            + " " + p.version() + " is installed on the NE but missing from its evidence"));
      } else if (c.reference() != PlatformTim.Reference.VENDOR_SIGNED) {
        mismatches.add(reason(ReasonCode.MEASUREMENT_MISMATCH, p.name(), "package " + p.name()
            + " is measured with reference " + c.reference() + ", not VENDOR_SIGNED"));
      } else if (!c.digest().equals(b.get().rim())) {
        mismatches.add(reason(ReasonCode.MEASUREMENT_MISMATCH, p.name(), "package "
            + p.name() + " " + p.version() + " differs from its vendor-signed RIM: "
            + (c.filesReported() ? files(c, rimFiles(p)) : NOT_REPORTED) + " (measured "
            + c.digest() + ", signed RIM " + b.get().rim() + ")"));
      }
    }
    Map<String, References.Baseline> approved = references.approved(d.id());
    for (Evidence.Component c : measured.values()) {
      if (c.reference() == PlatformTim.Reference.VENDOR_SIGNED) {
        noReference.add(reason(ReasonCode.NO_REFERENCE, c.name(), "the NE measures software "
            + c.name() + " that the server does not record it running, so no vendor-signed"
            + " RIM vouches for it: recover the NE, or deploy the package through the server"));
        continue;
      }
      References.Baseline base = approved.remove(c.name());
      if (base == null && !c.filesReported()) {
        // Nothing to propose as a baseline, and no digest the NE was told to omit files for.
        mismatches.add(reason(ReasonCode.MEASUREMENT_MISMATCH, c.name(), "platform component "
            + c.name() + " has no approved baseline, yet the NE reported it without its files"));
      } else if (base == null) {
        proposals.add(c);
      } else if (!base.digest().equals(c.digest()) && !c.filesReported()) {
        mismatches.add(reason(ReasonCode.MEASUREMENT_MISMATCH, c.name(), "platform component "
            + c.name() + " differs from its approved baseline " + base.id() + ": "
            + NOT_REPORTED + " (measured " + c.digest() + ", baseline " + base.digest() + ")"));
      } else if (!base.digest().equals(c.digest())) {
        mismatches.add(reason(ReasonCode.MEASUREMENT_MISMATCH, c.name(), "platform component "
            + c.name() + " differs from its approved baseline " + base.id() + ": "
            + files(c, references.files(base.id())) + "; if the change was intended, approve"
            + " the new baseline proposed by this measurement"));
        proposals.add(c);
      }
    }
    for (References.Baseline missing : approved.values()) {
      mismatches.add(reason(ReasonCode.MEASUREMENT_MISMATCH, missing.component(),
          "platform component " + missing.component() + " has an approved baseline but is"
              + " missing from the evidence"));
    }
    if (!mismatches.isEmpty()) {
      List<ProblemReason> all = new ArrayList<>(mismatches);
      all.addAll(noReference);
      return new Judgement(FAIL, all, proposals);
    }
    if (!noReference.isEmpty()) {
      return new Judgement(NO_REFERENCE, noReference, proposals);
    }
    if (!proposals.isEmpty()) {
      return new Judgement(PENDING_BASELINE, proposals.stream().map(c -> reason(
          ReasonCode.NO_REFERENCE, c.name(), "platform component " + c.name() + " has no"
              + " approved baseline yet: approve the baseline its measurement proposed"
              + " (neguard attest baseline list)")).toList(), proposals);
    }
    return new Judgement(PASS, List.of(), List.of());
  }

  private List<TreeDigest.Leaf> rimFiles(References.Installed p) {
    try {
      return bundles.rimFiles(p.name(), p.version()).orElse(List.of());
    } catch (IOException e) {
      throw ApiException.of(ReasonCode.IO_ERROR, e.getMessage());
    }
  }

  /**
   * A component reported by its digest alone that differs from its reference: the NE omits the
   * files only of a component measured at the digest the challenge named ({@link #known}), so
   * either the reference changed since the challenge or the NE misreports; either way a
   * mismatch, and the next attestation carries the files.
   */
  static final String NOT_REPORTED = "the NE reported it by its digest alone, without its"
      + " files (files are omitted only for a component at the digest the challenge named)";

  /** The files that differ, named: at most 20 of them, then how many more. */
  static String files(Evidence.Component measured, List<TreeDigest.Leaf> reference) {
    TreeMeasurement.Diff diff = TreeMeasurement.of(measured.leaves()).diff(reference);
    List<String> named = new ArrayList<>();
    diff.changed().forEach(p -> named.add("changed " + p));
    diff.extra().forEach(p -> named.add("extra " + p));
    diff.missing().forEach(p -> named.add("missing " + p));
    if (named.isEmpty()) {
      return "no file differs, yet the digest does (file modes or the list itself)";
    }
    String shown = String.join(", ", named.subList(0, Math.min(20, named.size())));
    return named.size() > 20 ? shown + " and " + (named.size() - 20) + " more" : shown;
  }

  /**
   * Records a judgement and what follows from it: the trust state, the committed reference on a
   * pass, proposed baselines, and on a failure the device's policy.
   */
  private AttestationResult apply(DeviceRow d, Attestations.Row a, Evidence ev, Judgement j,
      Instant now, boolean recovery) {
    if (!attestations.judge(a.id(), now, j.result(), ev == null ? null : ev.trustBase().name(),
        ev == null ? null : ev.tim(), j.reasons())) {
      throw ApiException.of(ReasonCode.CONFLICT, "attestation " + a.id() + " was judged"
          + " already (answered twice, or it expired)");
    }
    knownLists.forget(a.nonce());
    for (Evidence.Component c : j.proposals()) {
      String id = references.propose(d.id(), c, a.id(), now);
      audit.append(AuditEvent.success(actor(d.id()), "BASELINE_PROPOSED", "device " + d.id(),
          "baseline " + id + " of " + c.name() + " (" + c.digest() + ", " + c.leaves().size()
              + " files) proposed by attestation " + a.id() + "; it needs "
              + config.baselineApprovals() + " approvers"));
    }
    String detail = a.reason() + " attestation " + a.id() + ": " + j.result()
        + (ev == null ? "" : " (" + ev.trustBase() + ekTrust(d.id(), ev) + ", TIM "
            + ev.tim() + ")")
        + (j.reasons().isEmpty() ? "" : "; " + summary(j.reasons()));
    String trust = d.trustState();
    switch (j.result()) {
      case PASS -> {
        int changed = references.commit(d.id(), ev.components(), a.id());
        jdbc.sql("UPDATE devices SET attested_at = ? WHERE id = ?")
            .params(Attestations.at(now), d.id()).update();
        boolean readmit = recovery || a.reason().equals("READMISSION");
        if (trust.equals(UNKNOWN) || trust.equals(UNTRUSTED)
            || (trust.equals(QUARANTINED) && readmit)) {
          String why = trust.equals(QUARANTINED) ? "readmitted: " + a.reason() + " attestation "
              + a.id() + " passed" + (recovery ? " after recovery order " + a.orderId() : "")
              : "attestation " + a.id() + " matched the vendor-signed RIMs and approved"
                  + " baselines";
          setTrust(d, TRUSTED, why, now);
          trust = TRUSTED;
          audit.append(AuditEvent.success(actor(d.id()), "TRUST_STATE", "device " + d.id(),
              d.trustState() + " -> trusted: " + why));
        }
        if (!SCHEDULE.contains(a.reason()) || !trust.equals(d.trustState())) {
          // A pass asked for otherwise (before or after an update, a readmission, an operator)
          // starts the interval again: a scheduled attestation could follow moments after it.
          // So does a pass that made the NE trusted: the round asked it at the untrusted
          // interval. The schedule's other passes leave the time the round set when it asked,
          // so a device is asked once an interval whenever it answers. A round passes over the
          // row while this holds it (SKIP LOCKED), and finds it no longer due once this
          // committed. Not for a device disabled meanwhile: a disabled device has no next time.
          jdbc.sql("UPDATE devices SET next_attestation_at = ? WHERE id = ? AND disabled_at IS"
                  + " NULL")
              .params(Attestations.at(AttestationScheduler.next(config, trust, null, now,
                  random)), d.id())
              .update();
        }
        if (audited(a, trust, d.trustState(), changed)) {
          audit.append(AuditEvent.success(actor(d.id()), "ATTESTATION", "device " + d.id(),
              detail));
          if (SCHEDULED.equals(a.reason())) {
            attestations.keep(a.id()); // the chain names it: not a routine pass
          }
        }
      }
      case PENDING_BASELINE -> {
        if (!trust.equals(QUARANTINED)) {
          setTrust(d, trust, "awaiting approval of the baseline of " + String.join(", ",
              j.proposals().stream().map(Evidence.Component::name).toList()), now);
        }
        audit.append(AuditEvent.success(actor(d.id()), "ATTESTATION", "device " + d.id(),
            detail));
      }
      default -> trust = failed(d, a, j, detail, now);
    }
    return new AttestationResult(a.id(), d.id(), a.reason(), j.result(),
        ev == null ? null : ev.trustBase().name(), ev == null ? null : ev.tim(), trust,
        WireTime.of(a.requestedAt()), WireTime.of(now), j.reasons());
  }

  /**
   * Whether a passed attestation gets a row in the hash-chained audit log: every one but a
   * scheduled re-attestation of a trusted NE that changed nothing (still trusted, the committed
   * reference as it was). Each row holds the log's head lock until its transaction commits, so one per
   * routine pass serialized a fleet's attestations on it (docs/BENCHMARKS.md, "The audit head
   * lock": 96 % of two replicas' database time at 150 attestations a second, 56 ms a wait) and
   * grew the log by 28.8 million rows a day for 100,000 NEs every 5 minutes. Such a pass stays
   * in the attestations table (GET /api/attestations) for --attest-pass-history once a newer one
   * exists ({@link AttestationHistory}); failures, trust changes, reference changes and every
   * attestation asked by a person or a deployment stay in the chain, and such a scheduled pass
   * is kept in the table for good.
   */
  static boolean audited(Attestations.Row a, String trustAfter, String trustBefore,
      int referencesChanged) {
    return !SCHEDULED.equals(a.reason()) || !TRUSTED.equals(trustBefore)
        || !TRUSTED.equals(trustAfter) || referencesChanged > 0;
  }

  /**
   * A failed attestation: an NE never trusted becomes untrusted (first contact, REC-3); a
   * trusted one is quarantined and its policy runs (REC-1). Returns the trust state after.
   */
  private String failed(DeviceRow d, Attestations.Row a, Judgement j, String detail,
      Instant now) {
    audit.append(AuditEvent.failure(actor(d.id()), "ATTESTATION", "device " + d.id(), detail));
    Map<String, Object> alert = new LinkedHashMap<>();
    alert.put("attestationId", a.id());
    alert.put("reason", a.reason());
    alert.put("result", j.result());
    alert.put("reasons", j.reasons());
    webhook.post("attestation.failed", d.id(), d.neType(), "attestation", alert);
    String trust = d.trustState();
    if (trust.equals(UNKNOWN)) {
      setTrust(d, UNTRUSTED, "first contact failed: " + summary(j.reasons()), now);
      audit.append(AuditEvent.failure(actor(d.id()), "TRUST_STATE", "device " + d.id(),
          "unknown -> untrusted: attestation " + a.id() + " " + j.result()));
      return UNTRUSTED;
    }
    if (trust.equals(TRUSTED)) {
      setTrust(d, QUARANTINED, "attestation " + a.id() + " " + j.result() + ": "
          + summary(j.reasons()), now);
      runPolicy(d, a, j);
      return QUARANTINED;
    }
    return trust;
  }

  /** REC-1: quarantine (always), then the NE type's recovery actions. */
  private void runPolicy(DeviceRow d, Attestations.Row a, Judgement j) {
    List<String> actions = Policies.actions(jdbc, d.neType());
    audit.append(AuditEvent.failure(actor(d.id()), "QUARANTINE", "device " + d.id(),
        "trusted -> quarantined: attestation " + a.id() + " " + j.result() + "; policy of "
            + d.neType() + ": " + String.join(", ", actions) + "; no deployment reaches it but"
            + " a recovery"));
    webhook.post("device.quarantined", d.id(), d.neType(), "quarantine",
        Map.of("attestationId", a.id(), "actions", actions));
    String why = "attestation " + a.id() + " " + j.result() + ": " + summary(j.reasons());
    for (String action : actions) {
      if (action.equals(Policies.ROLLBACK)) {
        List<References.Installed> installed = references.installed(d.id());
        if (installed.isEmpty()) {
          audit.append(AuditEvent.failure(actor(d.id()), "POLICY_ROLLBACK", "device " + d.id(),
              "no committed package to roll back to"));
        }
        for (References.Installed p : installed) {
          events.publishEvent(new PolicyTriggered(d.id(), d.neType(), Policies.ROLLBACK,
              p.name(), p.version(), why));
        }
      } else if (action.startsWith(Policies.REINSTALL)) {
        String target = action.substring(Policies.REINSTALL.length());
        int at = target.lastIndexOf('@');
        events.publishEvent(new PolicyTriggered(d.id(), d.neType(), "reinstall",
            target.substring(0, at), target.substring(at + 1), why));
      }
    }
  }

  private static String summary(List<ProblemReason> reasons) {
    StringBuilder b = new StringBuilder();
    for (ProblemReason r : reasons) {
      if (b.length() > 1500) {
        b.append("; ...");
        break;
      }
      b.append(b.isEmpty() ? "" : "; ").append(r.code()).append(": ").append(r.message());
    }
    return b.toString();
  }

  /** The audit rows' actor: the validation entity's judgement, not the device's word. */
  static String actor(String deviceId) {
    return "pve:" + deviceId;
  }

  // --- around deployments (PlatformValidation) ----------------------------------------------

  @Override
  public BeforeUpdate beforeUpdate(String deviceId, Instant since, String deploymentId) {
    DeviceRow d = requireDevice(deviceId, false);
    // An NE enrolled moments ago is unknown until its first contact is judged: waited for, as
    // its attestation asked now counts for this update too. Any other state is no NE to update.
    if (!d.trustState().equals(TRUSTED) && !d.trustState().equals(UNKNOWN)) {
      return new BeforeUpdate(Readiness.FAILED, null, ReasonCode.DEVICE_NOT_TRUSTED.name(),
          "device " + deviceId + " is " + d.trustState() + " (" + d.trustReason() + "): only a"
              + " recovery deployment reaches it");
    }
    Optional<Attestations.Row> latest = latestKept(deviceId, since);
    Instant now = Instant.now(); // after latestKept's lock, which may have been waited for
    if (latest.isPresent()) {
      Attestations.Row r = latest.get();
      if (PASS.equals(r.result())) {
        return new BeforeUpdate(Readiness.PASSED, r.id(), null, null);
      }
      if (r.open(now)) {
        return new BeforeUpdate(Readiness.PENDING, r.id(), null, "awaiting evidence for"
            + " attestation " + r.id());
      }
      if (r.result() != null && !r.result().equals("EXPIRED")) {
        return new BeforeUpdate(Readiness.FAILED, r.id(), ReasonCode.ATTESTATION_FAILED.name(),
            "attestation " + r.id() + " before the update: " + r.result()
                + (r.reasons().isEmpty() ? "" : " (" + summary(r.reasons()) + ")"));
      }
    }
    Attestations.Row r = create(deviceId, "BEFORE_UPDATE", deploymentId, null,
        "deployment:" + deploymentId, now, now.plus(config.challengeValidity()));
    return new BeforeUpdate(Readiness.PENDING, r.id(), null, "attestation " + r.id()
        + " asked before the update");
  }

  /**
   * The device's newest attestation since {@code since}; a scheduled pass among them kept for
   * good, since a wave takes it as the NE's attestation (ATT-1). The history may delete such a
   * pass between the read and its lock (a newer pass came meanwhile and the history is shorter
   * than the time since): read once more, then, if it went again, none (the gate asks anew)
   * rather than a gate resting on a row that no longer exists.
   */
  private Optional<Attestations.Row> latestKept(String deviceId, Instant since) {
    for (int read = 0; read < 2; read++) {
      Optional<Attestations.Row> latest = attestations.latestSince(deviceId, since);
      if (latest.isEmpty() || !PASS.equals(latest.get().result())
          || !SCHEDULED.equals(latest.get().reason()) || attestations.keep(latest.get().id())) {
        return latest;
      }
    }
    return Optional.empty();
  }

  @Override
  public Expectation expectedAfter(String deviceId, String packageName, String packageVersion,
      boolean recovery) {
    StoredBundles.Bundle b = bundles.find(packageName, packageVersion).orElseThrow(() ->
        ApiException.of(ReasonCode.NO_REFERENCE, "the server holds no vendor-signed package "
            + packageName + " " + packageVersion + ": no RIM to expect"));
    List<TreeDigest.Leaf> rim = rimFiles(new References.Installed(packageName, packageVersion,
        b.securityVersion()));
    List<Evidence.Component> base = new ArrayList<>();
    Map<String, References.Baseline> approved = references.approved(deviceId);
    if (recovery) {
      // What the NE measured while failing is no reference: only the approved baselines.
      for (References.Baseline bl : approved.values()) {
        base.add(new Evidence.Component(bl.component(), PlatformTim.Reference.OPERATOR_BASELINE,
            bl.digest(), references.files(bl.id())));
      }
    } else {
      List<References.Committed> committed = references.committed(deviceId);
      // An NE that passed with nothing to measure has an empty reference, not none.
      boolean attested = jdbc.sql("SELECT attested_at FROM devices WHERE id = ?")
          .param(deviceId).query((rs, i) -> rs.getObject(1) != null).optional().orElse(false);
      if (!attested) {
        throw ApiException.of(ReasonCode.NO_REFERENCE, "device " + deviceId + " never passed"
            + " an attestation: it has no committed reference to update from");
      }
      for (References.Committed c : committed) {
        References.Baseline bl = approved.get(c.component());
        // The files where an approved baseline holds them; else the digest alone (a committed
        // reference keeps no files), so that a mismatch is not told as every file extra.
        Evidence.Component known = new Evidence.Component(c.component(), c.reference(),
            c.digest(), List.of(), false);
        base.add(bl != null && bl.digest().equals(c.digest()) ? new Evidence.Component(
            c.component(), c.reference(), c.digest(), references.files(bl.id())) : known);
      }
    }
    try {
      return Expectation.of(base).afterUpdate(packageName, b.rim(), rim);
    } catch (RefusalException e) {
      throw ApiException.from(e);
    }
  }

  @Override
  public String orderNonce(String deviceId, String deploymentId, String orderId,
      Instant expiresAt) {
    return create(deviceId, "AFTER_UPDATE", deploymentId, orderId, "deployment:" + deploymentId,
        Instant.now(), expiresAt).nonce();
  }

  @Override
  public AttestationResult afterUpdate(String deviceId, String orderId, String evidenceJws,
      Expectation expected, boolean recovery) {
    DeviceRow d = requireDevice(deviceId, true);
    Attestations.Row a = attestations.byOrder(orderId)
        .filter(r -> r.deviceId().equals(deviceId))
        .orElseThrow(() -> ApiException.of(ReasonCode.NOT_AUTHORIZED, "order " + orderId
            + " of device " + deviceId + " has no attestation nonce"));
    Instant now = Instant.now();
    PublicKey key = org.neguard.server.access.CurrentDevice.current() == null ? null
        : org.neguard.server.access.CurrentDevice.current().publicKey();
    Judgement j;
    Evidence ev = null;
    if (key == null || evidenceJws == null) {
      j = new Judgement(FAIL, List.of(reason(ReasonCode.UNSIGNED, null, "no evidence over"
          + " the order's nonce from the device's own connection")), List.of());
    } else {
      try {
        ev = verified(evidenceJws, key, deviceId, a.nonce(), binding(deviceId));
        Optional<Evidence.Component> digestOnly = ev.components().stream()
            .filter(c -> !c.filesReported()).findFirst();
        if (digestOnly.isPresent()) {
          // The order carries no list of known digests: its evidence reports every file.
          throw RefusalException.about(ReasonCode.MEASUREMENT_MISMATCH, digestOnly.get().name(),
              "the evidence after the update reports component " + digestOnly.get().name()
                  + " by its digest alone: evidence over an order's nonce carries every file");
        }
        List<Expectation.Difference> diffs = expected.compare(ev.components());
        j = diffs.isEmpty() && ev.tim().equals(expected.tim())
            ? new Judgement(PASS, List.of(), List.of())
            : new Judgement(FAIL, diffs.stream().map(x -> reason(
                ReasonCode.MEASUREMENT_MISMATCH, x.component(), "after the update, component "
                    + x.component() + " is " + x.kind() + (x.files().isEmpty() ? ""
                    : ": " + String.join(", ", x.files().subList(0,
                        Math.min(20, x.files().size())))
                    + (x.files().size() > 20 ? " and " + (x.files().size() - 20) + " more"
                    : "")) + " (expected TIM " + expected.tim() + ")")).toList(), List.of());
        if (j.result().equals(FAIL) && j.reasons().isEmpty()) {
          j = new Judgement(FAIL, List.of(reason(ReasonCode.MEASUREMENT_MISMATCH, null,
              "TIM " + ev.tim() + " is not the expected " + expected.tim())), List.of());
        }
      } catch (RefusalException e) {
        j = Judgement.refused(e);
      }
    }
    return apply(d, a, ev, j, now, recovery);
  }

  @Override
  public List<AttestationResult> failures(String deploymentId) {
    return attestations.failures(deploymentId).stream().map(r -> r.view(null)).toList();
  }

  /**
   * After a challenge of {@code deviceId} expired unanswered: a trusted device whose last
   * {@link #SILENCE} challenges all expired is quarantined (no recovery is ordered: an NE that
   * does not answer would not install one either), audited and alerted.
   */
  void unanswered(String deviceId, Instant now) {
    DeviceRow d = device(deviceId, true).orElse(null);
    if (d == null || !d.trustState().equals(TRUSTED) || !attestations.silent(deviceId, SILENCE)) {
      return;
    }
    String why = "left its last " + SILENCE + " attestations unanswered: its platform cannot be"
        + " checked; find out why its agent does not answer, then readmit it";
    setTrust(d, QUARANTINED, why, now);
    audit.append(AuditEvent.failure(actor(deviceId), "QUARANTINE", "device " + deviceId,
        "trusted -> quarantined: " + why));
    webhook.post("device.quarantined", deviceId, d.neType(), "quarantine",
        Map.of("reason", why));
  }

  // --- readmission -----------------------------------------------------------------------------

  /** Asks a quarantined or untrusted device for evidence; a pass readmits it (trusted). */
  public AttestationResult readmit(String deviceId, String actor) {
    DeviceRow d = requireDevice(deviceId, false);
    if (!d.trustState().equals(QUARANTINED) && !d.trustState().equals(UNTRUSTED)) {
      throw ApiException.of(ReasonCode.CONFLICT, "device " + deviceId + " is " + d.trustState()
          + ": only a quarantined or untrusted device is readmitted");
    }
    return request(deviceId, actor, "READMISSION");
  }

  /** How long a device has to answer. */
  Duration challengeValidity() {
    return config.challengeValidity();
  }
}
