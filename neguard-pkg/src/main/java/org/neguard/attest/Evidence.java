package org.neguard.attest;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiPredicate;
import java.util.regex.Pattern;
import org.neguard.measure.PlatformTim;
import org.neguard.measure.TreeDigest;

/**
 * What an NE answers a validation entity's nonce with (docs/MEASUREMENT.md, "Evidence"): its
 * components' digests, the platform TIM chained from them, and on a TPM the quote of the PCR
 * holding that chain. Signed as a whole by the device key ({@link EvidenceSigner}).
 *
 * @param format {@link #FORMAT}
 * @param deviceId the device that measured
 * @param nonce the validation entity's nonce, 16 to 64 bytes, hex
 * @param measuredAt when the measurement was taken (the device's clock)
 * @param trustBase what the evidence rests on: the device key alone, or a TPM quote
 * @param components every measured component, with its files' leaves unless its digest is one
 *     the validation entity holds the files of
 * @param tim the platform TIM ({@link PlatformTim#ALGORITHM}) of {@code components}
 * @param quote the TPM quote, present exactly when {@code trustBase} is TPM
 */
public record Evidence(String format, String deviceId, String nonce, Instant measuredAt,
    TrustBase trustBase, List<Component> components, String tim, Optional<Quote> quote) {
  public static final String FORMAT = "neguard-evidence-v1";
  /** Compiled once: {@code String.matches} compiled it for every evidence verified. */
  private static final Pattern NONCE = Pattern.compile("([0-9a-f]{2}){16,64}");

  /**
   * {@code measured}, each component for which {@code known} holds (its name, its measured
   * digest) reported without its files: the validation entity holds them (its challenge said
   * so, AttestationChallenge.isKnown). A changed component keeps its files, so that the
   * validation entity names what changed.
   */
  public static List<Component> withoutFilesWhere(List<Component> measured,
      BiPredicate<String, String> known) {
    List<Component> out = new ArrayList<>(measured.size());
    for (Component c : measured) {
      out.add(c.filesReported() && known.test(c.name(), c.digest()) ? c.withoutFiles() : c);
    }
    return List.copyOf(out);
  }

  /** What the evidence's trustworthiness rests on. */
  public enum TrustBase {
    /** The device's key, a file on the NE: root malware on the NE could sign anything. */
    SOFTWARE_KEY,
    /** A TPM 2.0 quote by an attestation key bound to the TPM at enrollment. */
    TPM
  }

  /**
   * One measured component.
   *
   * @param name the component's name ({@link PlatformTim.Component})
   * @param reference what its reference value rests on
   * @param digest its tree digest
   * @param leaves the measured files its digest is computed from; empty when not reported
   * @param filesReported whether the evidence carries the files: a component measured at the
   *     digest the validation entity said it holds the files of ({@code
   *     AttestationChallenge.known}) is reported by its digest alone
   */
  public record Component(String name, PlatformTim.Reference reference, String digest,
      List<TreeDigest.Leaf> leaves, boolean filesReported) {
    public Component {
      leaves = List.copyOf(leaves);
      new PlatformTim.Component(name, digest, reference); // the same name and digest rules
      if (!filesReported && !leaves.isEmpty()) {
        throw new IllegalArgumentException("component " + name + ": files not reported, yet "
            + leaves.size() + " given");
      }
    }

    /** A component reported with its files. */
    public Component(String name, PlatformTim.Reference reference, String digest,
        List<TreeDigest.Leaf> leaves) {
      this(name, reference, digest, leaves, true);
    }

    /** This component reported by its digest alone. */
    public Component withoutFiles() {
      return new Component(name, reference, digest, List.of(), false);
    }

    /** This component as the TIM chain sees it. */
    public PlatformTim.Component chained() {
      return new PlatformTim.Component(name, digest, reference);
    }
  }

  /**
   * A TPM quote of one SHA-256 PCR, with the event log that replays to it.
   *
   * @param pcr the PCR index the components were extended into
   * @param attest the TPMS_ATTEST bytes
   * @param signature the attestation key's signature over them
   * @param eventLog the agent's event log ({@link EventLog}) as bytes: read by the verifier
   *     only, with its one parser
   */
  public record Quote(int pcr, byte[] attest, byte[] signature, byte[] eventLog) {
    public Quote {
      if (pcr < 0 || pcr > 23) {
        throw new IllegalArgumentException("pcr not in 0..23: " + pcr);
      }
      attest = attest.clone();
      signature = signature.clone();
      eventLog = eventLog.clone();
    }

    @Override
    public byte[] eventLog() {
      return eventLog.clone();
    }

    @Override
    public byte[] attest() {
      return attest.clone();
    }

    @Override
    public byte[] signature() {
      return signature.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Quote q && pcr == q.pcr && java.util.Arrays.equals(attest, q.attest)
          && java.util.Arrays.equals(signature, q.signature)
          && java.util.Arrays.equals(eventLog, q.eventLog);
    }

    @Override
    public int hashCode() {
      return pcr * 31 + java.util.Arrays.hashCode(attest);
    }
  }

  public Evidence {
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(deviceId, "deviceId");
    Objects.requireNonNull(nonce, "nonce");
    Objects.requireNonNull(measuredAt, "measuredAt");
    Objects.requireNonNull(trustBase, "trustBase");
    Objects.requireNonNull(tim, "tim");
    components = List.copyOf(components);
    quote = Objects.requireNonNull(quote, "quote");
    if (!NONCE.matcher(nonce).matches()) {
      throw new IllegalArgumentException("nonce is not 16 to 64 bytes of lower-case hex: "
          + nonce);
    }
    if (quote.isPresent() != (trustBase == TrustBase.TPM)) {
      throw new IllegalArgumentException("a quote goes with trust base TPM, and only with it");
    }
  }

  /**
   * Evidence of {@code components} measured now for {@code nonce}, its TIM computed here.
   */
  public static Evidence of(String deviceId, byte[] nonce, Instant measuredAt,
      List<Component> components, Optional<Quote> quote) {
    return new Evidence(FORMAT, deviceId, HexFormat.of().formatHex(nonce), measuredAt,
        quote.isPresent() ? TrustBase.TPM : TrustBase.SOFTWARE_KEY, components,
        PlatformTim.of(components.stream().map(Component::chained).toList()), quote);
  }

  /** The components as the TIM chain sees them. */
  public List<PlatformTim.Component> chain() {
    return components.stream().map(Component::chained).toList();
  }
}
