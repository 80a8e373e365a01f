package org.neguard.measure;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.testing.Openssl;

/**
 * The published test vectors (docs/measurement-vectors.json, computed by another
 * implementation) against this one, and the PCR-style chain against openssl: another
 * implementation of docs/MEASUREMENT.md can check itself against the same file.
 */
class MeasurementVectorsTest {
  static JsonNode vectors() throws Exception {
    Path file = Path.of("").toAbsolutePath().getParent().resolve("docs/measurement-vectors.json");
    assertThat(file).as("run from the module directory, as Maven does").exists();
    return new ObjectMapper().readTree(file.toFile());
  }

  static PlatformTim.Component component(JsonNode c) {
    return new PlatformTim.Component(c.path("name").asText(), c.path("digest").asText(),
        PlatformTim.Reference.VENDOR_SIGNED);
  }

  @Test
  @DisplayName("ATT-2 INT-4 the published tree vectors are what TreeDigest computes")
  void trees_matchTheVectors() throws Exception {
    JsonNode trees = vectors().path("trees");
    assertThat(trees.size()).isEqualTo(3);
    for (JsonNode t : trees) {
      List<TreeDigest.Leaf> leaves = new ArrayList<>();
      for (JsonNode l : t.path("leaves")) {
        leaves.add(new TreeDigest.Leaf(l.path("path").asText(), l.path("sha256").asText(),
            Integer.parseInt(l.path("mode").asText(), 8)));
      }
      assertThat(TreeDigest.of(leaves)).as(t.path("name").asText())
          .isEqualTo(t.path("digest").asText());
    }
    JsonNode irregular = vectors().path("irregular").path(0);
    assertThat(TreeMeasurer.irregularDigest(irregular.path("type").asText(),
        irregular.path("target").asText())).isEqualTo(irregular.path("digest").asText());
  }

  @Test
  @DisplayName("ATT-2 ATT-4 the published chain vectors: name order, every step, the TIM")
  void chains_matchTheVectors() throws Exception {
    for (JsonNode ch : vectors().path("chains")) {
      List<PlatformTim.Component> cs = new ArrayList<>();
      ch.path("components").forEach(c -> cs.add(component(c)));
      List<String> order = new ArrayList<>();
      ch.path("order").forEach(n -> order.add(n.asText()));
      List<String> steps = new ArrayList<>();
      ch.path("steps").forEach(s -> steps.add(s.asText()));
      assertThat(PlatformTim.sorted(cs).stream().map(PlatformTim.Component::name))
          .containsExactlyElementsOf(order);
      assertThat(PlatformTim.replay(cs)).containsExactlyElementsOf(steps);
      assertThat(PlatformTim.of(cs)).isEqualTo(ch.path("tim").asText());
    }
  }

  @Test
  @DisplayName("ATT-2 each step of the chain is openssl's SHA-256 of the previous value and the"
      + " component digest (a TPM2 SHA-256 PCR extend)")
  void replay_eachStep_isOpensslOverPreviousAndDigest() throws Exception {
    List<PlatformTim.Component> cs = new ArrayList<>();
    vectors().path("chains").path(0).path("components").forEach(c -> cs.add(component(c)));
    List<String> steps = PlatformTim.replay(cs);
    List<PlatformTim.Component> order = PlatformTim.sorted(cs);
    HexFormat hex = HexFormat.of();
    for (int i = 0; i < order.size(); i++) {
      ByteArrayOutputStream in = new ByteArrayOutputStream();
      in.writeBytes(hex.parseHex(steps.get(i)));
      in.writeBytes(hex.parseHex(order.get(i).digest()));
      String out = Openssl.ok(null, in.toByteArray(), "dgst", "-sha256").stdout();
      Matcher m = Pattern.compile("= ?([0-9a-f]{64})\\s*$").matcher(out.trim());
      assertThat(m.find()).as("openssl output: %s", out).isTrue();
      assertThat(steps.get(i + 1)).isEqualTo(m.group(1));
    }
  }

  @Test
  @DisplayName("ATT-2 the TIM depends on every component but not on the order the list came in")
  void of_orderIndependent_butEveryDigestCounts() throws Exception {
    List<PlatformTim.Component> cs = new ArrayList<>();
    vectors().path("chains").path(0).path("components").forEach(c -> cs.add(component(c)));
    List<PlatformTim.Component> reversed = new ArrayList<>(cs);
    java.util.Collections.reverse(reversed);
    assertThat(PlatformTim.of(reversed)).isEqualTo(PlatformTim.of(cs));
    List<PlatformTim.Component> changed = new ArrayList<>(cs);
    changed.set(1, new PlatformTim.Component(cs.get(1).name(), "0".repeat(64),
        PlatformTim.Reference.VENDOR_SIGNED));
    assertThat(PlatformTim.of(changed)).isNotEqualTo(PlatformTim.of(cs));
    assertThat(PlatformTim.of(cs.subList(0, 2))).isNotEqualTo(PlatformTim.of(cs));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> PlatformTim.of(List.of(cs.get(0),
        cs.get(0)))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(
        "duplicate component");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new PlatformTim.Component(
        "../x", "0".repeat(64), PlatformTim.Reference.OPERATOR_BASELINE))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("../x");
  }
}
