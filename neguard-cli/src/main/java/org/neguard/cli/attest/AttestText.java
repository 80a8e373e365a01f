package org.neguard.cli.attest;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.neguard.api.attest.AttestationPolicy;
import org.neguard.api.attest.AttestationResult;
import org.neguard.api.attest.BaselineInfo;
import org.neguard.api.attest.DeviceTrust;
import org.neguard.api.problem.Problem;
import org.neguard.api.problem.ProblemReason;
import org.neguard.api.problem.Verdict;
import org.neguard.cli.support.Output;
import org.neguard.verdict.ReasonCode;

/**
 * Attestations, trust states, baselines and policies for people to read, and what a result that
 * is not PASS means for the exit code. Every value from the server goes through {@link
 * Output#printable}: a device names its own components and files.
 */
final class AttestText {
  static final String PASS = "PASS";
  /** The code of a negative result that came without reasons (the server's word for it). */
  static final String FAILED = ReasonCode.ATTESTATION_FAILED.name();
  private static final String STATUS = "%-24s %-12s %-12s %-17s %-24s %-24s %s";
  private static final String HISTORY = "%-20s %-14s %-17s %-12s %-12s %-24s %-24s %s";
  private static final String BASELINE = "%-20s %-20s %-24s %-19s %5s %-10s %-24s %s";
  private static final String POLICY = "%-16s %-48s %-12s %s";

  private AttestText() {}

  /** Whether the validation entity has judged it (a result is set once the evidence came). */
  static boolean judged(AttestationResult r) {
    return r.result() != null && !r.result().isBlank();
  }

  /** The result in a few lines: result, trust base, TIM, trust state and the reasons. */
  static String describe(AttestationResult r) {
    StringBuilder b = new StringBuilder();
    b.append("Attestation ").append(r.id()).append(" of device ").append(r.deviceId())
        .append(" (").append(r.reason()).append(")\n");
    line(b, "result", judged(r) ? r.result() : "awaiting the device's evidence");
    line(b, "trust base", trustBase(r.trustBase()));
    line(b, "TIM", r.tim() == null ? "not verified" : r.tim());
    line(b, "trust state", r.trustState());
    line(b, "requested", r.requestedAt());
    line(b, "judged", r.judgedAt() == null ? "not yet" : r.judgedAt());
    List<ProblemReason> reasons = reasons(r);
    if (!reasons.isEmpty()) {
      b.append("  reasons\n");
      for (ProblemReason p : reasons) {
        b.append("    ").append(reason(p)).append('\n');
      }
    }
    return Output.printableLines(b.toString().stripTrailing());
  }

  /**
   * What the trust base means for how far the result can be trusted: a software key is a file on
   * the NE, so malware with root on it could sign anything; a TPM quote cannot be forged so.
   */
  static String trustBase(String base) {
    if (base == null) {
      return "not verified";
    }
    return switch (base) {
      case "SOFTWARE_KEY" -> "SOFTWARE_KEY (a key file on the NE: root malware there could sign"
          + " anything)";
      case "TPM" -> "TPM (quote by an attestation key bound to the NE's TPM)";
      default -> base;
    };
  }

  /** {@code CODE  message [subject]}: the subject names the component or file. */
  static String reason(ProblemReason p) {
    return p.code() + "  " + p.message()
        + (p.subject() == null || p.message().contains(p.subject()) ? ""
            : " [" + p.subject() + "]");
  }

  static List<ProblemReason> reasons(AttestationResult r) {
    return r.reasons() == null ? List.of() : r.reasons();
  }

  /**
   * Why a judged result is not PASS, as a problem: the server's reasons, or one that says what
   * the result means and what to do when it gave none.
   */
  static Problem problem(AttestationResult r) {
    List<ProblemReason> reasons = new ArrayList<>(reasons(r));
    if (reasons.isEmpty()) {
      ReasonCode code = "NO_REFERENCE".equals(r.result()) ? ReasonCode.NO_REFERENCE
          : ReasonCode.ATTESTATION_FAILED;
      reasons.add(new ProblemReason(code.name(), whatToDo(r), r.deviceId()));
    }
    return new Problem(Verdict.FAIL, reasons);
  }

  private static String whatToDo(AttestationResult r) {
    String d = r.deviceId();
    return switch (r.result()) {
      case "PENDING_BASELINE" -> "device " + d + " measured a platform component without an"
          + " approved baseline: two approvers review 'neguard attest baseline list --state"
          + " pending', approve it, then 'neguard attest " + d + " --wait' again";
      case "NO_REFERENCE" -> "device " + d + " runs software without a vendor-signed RIM on the"
          + " server: upload the signed package it runs, then attest it again";
      case "EXPIRED" -> "device " + d + " did not answer the challenge in time: is its agent"
          + " running and polling? Then 'neguard attest " + d + " --wait' again";
      default -> "attestation " + r.id() + " of device " + d + " is " + r.result()
          + "; 'neguard attest history " + d + "' shows its reasons";
    };
  }

  static String statusTable(List<DeviceTrust> devices) {
    StringBuilder b = new StringBuilder(String.format(STATUS, "DEVICE", "NE TYPE", "TRUST",
        "LAST RESULT", "ATTESTED AT", "NEXT", "REASON"));
    for (DeviceTrust d : devices) {
      b.append('\n').append(Output.printable(String.format(STATUS, d.deviceId(), d.neType(),
          d.trustState(), or(d.lastResult(), "none"), or(d.attestedAt(), "never"),
          or(d.nextAttestationAt(), "-"), or(d.trustReason(), "")).stripTrailing()));
    }
    return b.toString();
  }

  static String historyTable(List<AttestationResult> list) {
    StringBuilder b = new StringBuilder(String.format(HISTORY, "ID", "REASON", "RESULT",
        "TRUST BASE", "TRUST", "REQUESTED", "JUDGED", "REASONS"));
    for (AttestationResult r : list) {
      String codes = reasons(r).stream().map(AttestText::reason)
          .collect(Collectors.joining("; "));
      b.append('\n').append(Output.printable(String.format(HISTORY, r.id(), r.reason(),
          judged(r) ? r.result() : "awaited", or(r.trustBase(), "-"), r.trustState(),
          r.requestedAt(), or(r.judgedAt(), "-"), codes).stripTrailing()));
    }
    return b.toString();
  }

  static String baselineTable(List<BaselineInfo> list) {
    StringBuilder b = new StringBuilder(String.format(BASELINE, "ID", "DEVICE", "COMPONENT",
        "DIGEST", "FILES", "STATE", "PROPOSED", "APPROVERS"));
    for (BaselineInfo i : list) {
      b.append('\n').append(Output.printable(String.format(BASELINE, i.id(), i.deviceId(),
          i.component(), shortDigest(i.digest()), i.files(), i.state(), i.proposedAt(),
          String.join(",", approvers(i))).stripTrailing()));
    }
    return b.toString();
  }

  /** One baseline with its files, as approve and reject print it. */
  static String baseline(BaselineInfo i) {
    StringBuilder b = new StringBuilder();
    b.append("Baseline ").append(i.id()).append(": component ").append(i.component())
        .append(" of device ").append(i.deviceId()).append('\n');
    line(b, "digest", i.digest());
    line(b, "state", i.state());
    line(b, "proposed", i.proposedAt());
    line(b, "approvers", approvers(i).isEmpty() ? "none yet"
        : String.join(", ", approvers(i)) + " (" + approvers(i).size() + " of 2)");
    line(b, "files", String.valueOf(i.files()));
    return Output.printableLines(b.toString().stripTrailing());
  }

  static String policyTable(List<AttestationPolicy> list) {
    StringBuilder b = new StringBuilder(String.format(POLICY, "NE TYPE", "ACTIONS",
        "UPDATED BY", "UPDATED AT"));
    for (AttestationPolicy p : list) {
      b.append('\n').append(Output.printable(String.format(POLICY, p.neType(),
          String.join(",", p.actions() == null ? List.of() : p.actions()),
          or(p.updatedBy(), "-"), or(p.updatedAt(), "-")).stripTrailing()));
    }
    return b.toString();
  }

  private static List<String> approvers(BaselineInfo i) {
    return i.approvers() == null ? List.of() : i.approvers();
  }

  private static String shortDigest(String d) {
    return d == null ? "-" : d.length() > 16 ? d.substring(0, 16) + "..." : d;
  }

  private static String or(String s, String dflt) {
    return s == null || s.isBlank() ? dflt : s;
  }

  private static void line(StringBuilder b, String key, String value) {
    b.append(String.format("  %-12s ", key)).append(value).append('\n');
  }
}
