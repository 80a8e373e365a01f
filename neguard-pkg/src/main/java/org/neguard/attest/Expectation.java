package org.neguard.attest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.neguard.measure.PlatformTim;
import org.neguard.measure.TreeDigest;
import org.neguard.measure.TreeMeasurement;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * What an NE's measurements must be (ATT-2, ATT-3): the reference component list, and the
 * list expected after an update, computed from the previous reference and the new package's
 * signed RIM only, never from the NE's word. The validation entity computes it before an
 * update (ATT-2) and the agent after installing (ATT-3), with this one class, so both sides
 * expect the same TIM by construction.
 *
 * @param components the expected components, in chain order
 * @param tim their platform TIM
 */
public record Expectation(List<Evidence.Component> components, String tim) {
  public Expectation {
    components = List.copyOf(components);
    Objects.requireNonNull(tim, "tim");
  }

  /** The expectation of exactly {@code components} (a reference the PVE holds). */
  public static Expectation of(List<Evidence.Component> components) {
    List<Evidence.Component> sorted = new ArrayList<>(components);
    List<PlatformTim.Component> chain = PlatformTim.sorted(sorted.stream()
        .map(Evidence.Component::chained).toList());
    Map<String, Evidence.Component> byName = new LinkedHashMap<>();
    sorted.forEach(c -> byName.put(c.name(), c));
    return new Expectation(chain.stream().map(c -> byName.get(c.name())).toList(),
        PlatformTim.of(chain));
  }

  /**
   * The expectation after package {@code name} is installed with the signed RIM
   * {@code rimDigest} over {@code rimFiles}: its component replaced (or added), every other
   * component as before.
   *
   * @throws RefusalException MEASUREMENT_MISMATCH if {@code rimDigest} is not the tree digest
   *     of {@code rimFiles} (a manifest whose RIM does not match its own file list)
   */
  public Expectation afterUpdate(String name, String rimDigest, List<TreeDigest.Leaf> rimFiles)
      throws RefusalException {
    String computed = TreeDigest.of(rimFiles);
    if (!computed.equals(rimDigest)) {
      throw RefusalException.about(ReasonCode.MEASUREMENT_MISMATCH, name, "the RIM of " + name
          + " is " + rimDigest + " but its files' tree digest is " + computed);
    }
    List<Evidence.Component> next = new ArrayList<>();
    for (Evidence.Component c : components) {
      if (!c.name().equals(name)) {
        next.add(c);
      }
    }
    next.add(new Evidence.Component(name, PlatformTim.Reference.VENDOR_SIGNED, rimDigest,
        rimFiles));
    return of(next);
  }

  /**
   * How {@code measured} differs from this expectation: per component, missing, unexpected, or
   * its files changed, missing or extra. Empty when the TIMs are equal.
   */
  public List<Difference> compare(List<Evidence.Component> measured) {
    Map<String, Evidence.Component> got = new LinkedHashMap<>();
    measured.forEach(c -> got.put(c.name(), c));
    List<Difference> out = new ArrayList<>();
    for (Evidence.Component want : components) {
      Evidence.Component have = got.remove(want.name());
      if (have == null) {
        out.add(new Difference(want.name(), "missing", List.of()));
      } else if (!have.digest().equals(want.digest())) {
        List<String> files = new ArrayList<>();
        if (have.filesReported() && want.filesReported()) { // else: no files to name
          TreeMeasurement.Diff d = TreeMeasurement.of(have.leaves()).diff(want.leaves());
          d.changed().forEach(p -> files.add("changed " + p));
          d.missing().forEach(p -> files.add("missing " + p));
          d.extra().forEach(p -> files.add("extra " + p));
        }
        out.add(new Difference(want.name(), "changed", files));
      }
    }
    got.keySet().forEach(n -> out.add(new Difference(n, "unexpected", List.of())));
    return List.copyOf(out);
  }

  /**
   * One component that is not as expected.
   *
   * @param component its name
   * @param kind {@code missing}, {@code unexpected} or {@code changed}
   * @param files for {@code changed}: {@code "changed PATH"}, {@code "missing PATH"},
   *     {@code "extra PATH"}; empty when either side is a digest without its files
   */
  public record Difference(String component, String kind, List<String> files) {
    public Difference {
      files = List.copyOf(files);
    }
  }
}
