package org.neguard.agent;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.neguard.attest.Evidence;
import org.neguard.measure.PlatformTim;
import org.neguard.measure.TreeDigest;
import org.neguard.measure.TreeMeasurement;
import org.neguard.measure.TreeMeasurer;
import org.neguard.pkg.Manifest;
import org.neguard.pkg.ManifestCodec;
import org.neguard.verdict.RefusalException;

/**
 * What this NE measures (docs/MEASUREMENT.md): the active package's slot, whose reference is the
 * RIM of the signed manifest kept at install, and the platform directories of
 * {@code measure.paths}, whose reference is a baseline operators approve. The platform TIM is the
 * chain of them all. Reads only.
 */
public final class Measurements {
  private Measurements() {}

  /**
   * One measured component, with the signed reference when it has one.
   *
   * @param component the measurement (name, reference kind, digest, files)
   * @param signedRim for the package: the RIM of the manifest kept at install (its signature is
   *     {@code verify-installed}'s to check); empty for a platform component
   * @param differences for the package: the files that differ from the signed manifest
   */
  public record Measured(Evidence.Component component, Optional<String> signedRim,
      TreeMeasurement.Diff differences) {
    /** Whether the component is what its signed reference says (always true for platform). */
    public boolean matches() {
      return signedRim.map(r -> r.equals(component.digest())).orElse(true);
    }
  }

  /** All of this NE's components, and their TIM. */
  public record Result(List<Measured> components, String tim) {
    public Result {
      components = List.copyOf(components);
    }

    /** The components as evidence carries them. */
    public List<Evidence.Component> evidence() {
      return components.stream().map(Measured::component).toList();
    }
  }

  /**
   * Measures the NE of {@code config}.
   *
   * @throws RefusalException UNSAFE_PATH when {@code current} leads anywhere but a slot; a kept
   *     manifest that cannot be read; BAD_INPUT for a platform path that is not a directory
   */
  public static Result measure(AgentConfig config) throws IOException, RefusalException {
    List<Measured> out = new ArrayList<>();
    Slots slots = new Slots(config.installRoot());
    Optional<Path> active = slots.activeSlot(); // never a tree the link was pointed at by hand
    if (active.isPresent()) {
      String slot = active.get().getFileName().toString();
      TreeMeasurement m = TreeMeasurer.measure(active.get());
      Optional<SlotManifests.Kept> kept = new SlotManifests(config.stateDir()).load(slot);
      String name = slot.substring(0, slot.lastIndexOf('@'));
      if (kept.isPresent()) {
        Manifest manifest = ManifestCodec.decode(kept.get().manifest());
        List<TreeDigest.Leaf> signed = manifest.files().stream()
            .map(f -> new TreeDigest.Leaf(f.path(), f.sha256(), f.modeBits())).toList();
        out.add(new Measured(new Evidence.Component(manifest.name(),
            PlatformTim.Reference.VENDOR_SIGNED, m.digest(), m.leaves()),
            Optional.of(manifest.rim().digest()), m.diff(signed)));
      } else {
        // No signed reference kept: measured, and reported as not matching one.
        out.add(new Measured(new Evidence.Component(name, PlatformTim.Reference.VENDOR_SIGNED,
            m.digest(), m.leaves()), Optional.of("(none kept)"), m.diff(List.of())));
      }
    }
    for (Map.Entry<String, Path> p : new java.util.TreeMap<>(config.measurePaths()).entrySet()) {
      TreeMeasurement m;
      try {
        m = TreeMeasurer.measure(p.getValue());
      } catch (IOException e) {
        throw RefusalException.about(org.neguard.verdict.ReasonCode.BAD_INPUT, p.getKey(),
            "measure.paths " + p.getKey() + "=" + p.getValue() + ": " + e.getMessage());
      }
      out.add(new Measured(new Evidence.Component("platform:" + p.getKey(),
          PlatformTim.Reference.OPERATOR_BASELINE, m.digest(), m.leaves()), Optional.empty(),
          new TreeMeasurement.Diff(List.of(), List.of(), List.of())));
    }
    String tim = PlatformTim.of(out.stream().map(x -> new PlatformTim.Component(
        x.component().name(), x.component().digest(), x.component().reference())).toList());
    return new Result(out, tim);
  }
}
