package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.agent.client.DeviceIdentity;
import org.neguard.api.device.AttestationChallenge;
import org.neguard.attest.Evidence;
import org.neguard.attest.EvidenceVerifier;
import org.neguard.attest.Expectation;
import org.neguard.measure.PlatformTim;
import org.neguard.order.Approval;
import org.neguard.order.DeploymentOrder;
import org.neguard.order.OrderAttestation;
import org.neguard.pkg.Manifest;
import org.neguard.pkg.ManifestCodec;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * ATT-3 on the NE, on real trees on disk: the slots and kept manifests the agent installs, a
 * platform directory of {@code measure.paths}, measured with {@link Measurements} as the agent
 * does before and after an update, and the evidence it signs over a nonce checked with the
 * validation entity's own {@link EvidenceVerifier}.
 */
@DisplayName("ATT-3 the agent's measurement around an update and its evidence")
class AttesterTest {
  static final String NONCE = "5a".repeat(16);

  @TempDir Path dir;
  Path install;
  Path platform;
  AgentConfig config;
  SlotManifests manifests;
  Slots slots;
  KeyPair key = DeviceIdentity.newKeyPair();

  @BeforeEach
  void setUp() throws Exception {
    install = Files.createDirectories(dir.resolve("install"));
    platform = Files.createDirectories(dir.resolve("platform-etc"));
    Files.writeString(platform.resolve("hosts"), "127.0.0.1 localhost\n");
    Path f = Files.writeString(dir.resolve("agent.properties"),
        "server.url=https://127.0.0.1:8444\nstate.dir=" + dir.resolve("state") + "\n"
            + "install.root=" + install + "\ntuf.root=root.json\ntrust.anchors=ca.pem\n"
            + "ne.type=mme\ndevice.id=ne-1\nmeasure.paths=etc=" + platform + "\n");
    config = AgentConfig.load(f);
    manifests = new SlotManifests(config.stateDir());
    slots = new Slots(install);
  }

  /**
   * Installs {@code version} of core as the agent does: the slot's files, the manifest kept
   * (its bytes as verified), then {@code current} switched to it.
   */
  Manifest installCore(String version, String library) throws Exception {
    Path slot = Files.createDirectories(install.resolve("versions/core@" + version));
    List<Manifest.FileEntry> files = new ArrayList<>();
    files.add(InstalledTreeTest.file(slot, "bin/mmed", "#!/bin/sh\necho mme " + version + "\n",
        "0755"));
    files.add(InstalledTreeTest.file(slot, "lib/core.so", library, "0644"));
    Manifest m = InstalledTreeTest.manifest("core", version, files);
    manifests.capture(m, ManifestCodec.encode(m), "signature".getBytes(StandardCharsets.UTF_8));
    manifests.keep(slot, m);
    slots.activate(slot);
    return m;
  }

  Measurements.Result measure() throws Exception {
    return Measurements.measure(config);
  }

  static DeploymentOrder order(String version, OrderAttestation attestation) {
    Instant now = Instant.now();
    return new DeploymentOrder("1.1", "ne-1", "core", version, "a".repeat(64), 10, "dep-1",
        List.of(new Approval("bob", now)), now, now, now.plusSeconds(3600), false, attestation);
  }

  @Test
  @DisplayName("ATT-3 an update that installs exactly its signed RIM matches the expectation;"
      + " the evidence over the order's nonce verifies with the device key and carries the"
      + " expected TIM (the one the validation entity computes, ATT-2)")
  void update_asSigned_matchesAndEvidenceVerifies() throws Exception {
    installCore("1.0", "core 1.0");
    Measurements.Result before = measure();
    Manifest m = installCore("2.0", "core 2.0");
    Measurements.Result after = measure();

    assertThat(Attester.differences(before, m, after)).isEmpty();
    String jws = new Attester("ne-1", null).sign(after, NONCE, key.getPrivate(), Instant.now());
    Evidence e = EvidenceVerifier.verify(jws, key.getPublic(), "ne-1",
        HexFormat.of().parseHex(NONCE), Optional.empty());
    assertThat(e.tim()).isEqualTo(Attester.expected(before, m).tim()).isEqualTo(after.tim());
    assertThat(e.trustBase()).isEqualTo(Evidence.TrustBase.SOFTWARE_KEY);
    assertThat(e.components()).extracting(Evidence.Component::name)
        .containsExactly("core", "platform:etc");
  }

  @Test
  @DisplayName("OBJ-2 a challenge's known components: a component measured at exactly the"
      + " digest committed to under this nonce goes without its files; one committed to another"
      + " digest, or under another nonce, with them (so the validation entity names the file);"
      + " the TIM is the same either way")
  void sign_knownComponents_onlyExactCommitmentsWithoutFiles() throws Exception {
    installCore("1.0", "core 1.0");
    Measurements.Result r = measure();
    Map<String, Evidence.Component> byName = new java.util.HashMap<>();
    r.evidence().forEach(c -> byName.put(c.name(), c));
    String core = byName.get("core").digest();
    String etc = byName.get("platform:etc").digest();
    AttestationChallenge ch = new AttestationChallenge(NONCE, "SCHEDULED",
        "2026-12-06T10:00:00Z", java.util.Arrays.asList(
            AttestationChallenge.KnownComponent.of(NONCE, "core", core),
            null,
            AttestationChallenge.KnownComponent.of(NONCE, "platform:etc", "00".repeat(32)),
            AttestationChallenge.KnownComponent.of("77".repeat(16), "platform:etc", etc)));
    assertThat(ch.known()).as("a null entry is dropped, not a refused poll").hasSize(3);
    String jws = new Attester("ne-1", null).sign(r, NONCE, ch::isKnown, key.getPrivate(),
        Instant.now());
    Evidence e = EvidenceVerifier.verify(jws, key.getPublic(), "ne-1",
        HexFormat.of().parseHex(NONCE), Optional.empty());
    Map<String, Evidence.Component> got = new java.util.HashMap<>();
    e.components().forEach(c -> got.put(c.name(), c));
    assertThat(got.get("core").filesReported()).isFalse();
    assertThat(got.get("core").leaves()).isEmpty();
    assertThat(got.get("core").digest()).isEqualTo(core);
    assertThat(got.get("platform:etc").filesReported())
        .as("committed to another digest, and to its own under another nonce").isTrue();
    assertThat(got.get("platform:etc").leaves()).hasSize(1);
    assertThat(e.tim()).isEqualTo(r.tim());
    assertThat(jws.length()).isLessThan(new Attester("ne-1", null).sign(r, NONCE,
        key.getPrivate(), Instant.now()).length());
    assertThat(ch.isKnown("platform:etc", etc)).isFalse();
    assertThat(ch.isKnown("core", etc)).as("another component's digest").isFalse();
    assertThat(new AttestationChallenge(NONCE, "SCHEDULED", "x").isKnown("core", core))
        .as("no list: every file").isFalse();
  }

  @Test
  @DisplayName("ATT-3 a first install (no package before: the platform paths only) matches"
      + " when the new slot is its signed RIM")
  void firstInstall_matches() throws Exception {
    Measurements.Result before = measure();
    assertThat(before.components()).hasSize(1);
    Manifest m = installCore("1.0", "core 1.0");
    assertThat(Attester.differences(before, m, measure())).isEmpty();
  }

  @Test
  @DisplayName("ATT-3 a file dropped into the new slot after the install (an install script,"
      + " an implant): a difference naming the component and the extra file: roll back")
  void extraFile_difference() throws Exception {
    installCore("1.0", "core 1.0");
    Measurements.Result before = measure();
    Manifest m = installCore("2.0", "core 2.0");
    Files.writeString(install.resolve("versions/core@2.0/bin/implant"), "nc -l 4444");
    List<Expectation.Difference> d = Attester.differences(before, m, measure());
    assertThat(d).containsExactly(new Expectation.Difference("core", "changed",
        List.of("extra bin/implant")));
    assertThat(Attester.describe(d)).isEqualTo("core changed (extra bin/implant)");
  }

  @Test
  @DisplayName("ATT-3 a file of the new slot modified after the install, and one removed: the"
      + " difference names each file")
  void modifiedAndMissingFile_difference() throws Exception {
    installCore("1.0", "core 1.0");
    Measurements.Result before = measure();
    Manifest m = installCore("2.0", "core 2.0");
    Files.writeString(install.resolve("versions/core@2.0/lib/core.so"), "core 2.0 patched");
    Files.delete(install.resolve("versions/core@2.0/bin/mmed"));
    assertThat(Attester.differences(before, m, measure())).containsExactly(
        new Expectation.Difference("core", "changed",
            List.of("changed lib/core.so", "missing bin/mmed")));
  }

  @Test
  @DisplayName("ATT-3 a platform file changed during the update (outside the package): a"
      + " difference of platform:etc, though the package is exactly its RIM")
  void platformChanged_difference() throws Exception {
    installCore("1.0", "core 1.0");
    Measurements.Result before = measure();
    Manifest m = installCore("2.0", "core 2.0");
    Files.writeString(platform.resolve("hosts"), "10.6.6.6 update.vendor.example\n");
    Files.writeString(platform.resolve("ld.so.preload"), "/tmp/evil.so\n");
    assertThat(Attester.differences(before, m, measure())).containsExactly(
        new Expectation.Difference("platform:etc", "changed",
            List.of("changed hosts", "extra ld.so.preload")));
  }

  @Test
  @DisplayName("ATT-3 the control: without the change the same update matches (the test above"
      + " fails on the change, not on the set-up)")
  void platformUnchanged_control() throws Exception {
    installCore("1.0", "core 1.0");
    Measurements.Result before = measure();
    Manifest m = installCore("2.0", "core 2.0");
    assertThat(Attester.differences(before, m, measure())).isEmpty();
  }

  @Test
  @DisplayName("ATT-3 (a) an order whose attestation names another RIM than the bundle's signed"
      + " manifest is refused MEASUREMENT_MISMATCH by the manifest judgement, before anything"
      + " is extracted; the same RIM passes; an order without attestation is judged as before")
  void rimOfTheOrder_mustBeTheManifests() throws Exception {
    Path slot = Files.createDirectories(dir.resolve("scratch"));
    Manifest m = InstalledTreeTest.manifest("core", "2.0", List.of(
        InstalledTreeTest.file(slot, "bin/mmed", "x", "0755")));
    DeploymentOrder other = order("2.0", new OrderAttestation(NONCE, "e".repeat(64)));
    assertThatThrownBy(() -> Agent.judge(m, other, "mme", Optional.empty()))
        .isInstanceOfSatisfying(RefusalException.class, e -> {
          assertThat(e.reasons().get(0).code()).isEqualTo(ReasonCode.MEASUREMENT_MISMATCH);
          assertThat(e.getMessage()).contains("e".repeat(64)).contains(m.rim().digest())
              .contains("nothing was installed");
        });
    assertThatCode(() -> Agent.judge(m, order("2.0", new OrderAttestation(NONCE,
        m.rim().digest())), "mme", Optional.empty())).doesNotThrowAnyException();
    assertThatCode(() -> Agent.judge(m, order("2.0", null), "mme", Optional.empty()))
        .doesNotThrowAnyException();
  }

  @Test
  @DisplayName("ATT-3 a manifest whose RIM is not the digest of its own files never makes an"
      + " expectation: MEASUREMENT_MISMATCH")
  void rimNotOfItsFiles_refused() throws Exception {
    installCore("1.0", "core 1.0");
    Measurements.Result before = measure();
    Manifest good = InstalledTreeTest.manifest("core", "2.0", List.of(
        InstalledTreeTest.file(dir.resolve("scratch"), "bin/mmed", "x", "0755")));
    Manifest lying = new Manifest(good.format(), good.name(), good.version(),
        good.securityVersion(), good.neType(), good.vendor(), good.created(),
        new Manifest.Rim(good.rim().algorithm(), "f".repeat(64)), good.files(),
        good.scanReports());
    assertThatThrownBy(() -> Attester.expected(before, lying))
        .isInstanceOfSatisfying(RefusalException.class, e -> assertThat(e.reasons().get(0)
            .code()).isEqualTo(ReasonCode.MEASUREMENT_MISMATCH));
  }

  @Test
  @DisplayName("ATT-3 with a Quoter the evidence is TPM-based: the quote is over the nonce and"
      + " the chain in TIM order; without one it rests on the software key")
  void quoter_quotesTheChainOverTheNonce() throws Exception {
    installCore("1.0", "core 1.0");
    Measurements.Result r = measure();
    AtomicReference<byte[]> nonce = new AtomicReference<>();
    AtomicReference<List<PlatformTim.Component>> chain = new AtomicReference<>();
    Quoter tpm = (n, c) -> {
      nonce.set(n);
      chain.set(c);
      return new Evidence.Quote(14, new byte[] {1, 2, 3}, new byte[] {4, 5}, new byte[] {6});
    };
    String jws = new Attester("ne-1", tpm).sign(r, NONCE, key.getPrivate(), Instant.now());
    assertThat(nonce.get()).isEqualTo(HexFormat.of().parseHex(NONCE));
    assertThat(chain.get()).extracting(PlatformTim.Component::name)
        .containsExactly("core", "platform:etc");
    assertThat(PlatformTim.of(chain.get())).isEqualTo(r.tim());
    String payload = new String(Base64.getUrlDecoder().decode(jws.split("\\.")[1]),
        StandardCharsets.UTF_8);
    assertThat(payload).contains("\"TPM\"").contains(NONCE);
  }

  @Test
  @DisplayName("ATT-3 a nonce that is not 16 to 64 bytes of lower-case hex is never signed:"
      + " BAD_INPUT")
  void badNonce_refused() throws Exception {
    Measurements.Result r = measure();
    Attester a = new Attester("ne-1", null);
    for (String bad : List.of("5a", "5A".repeat(16), "zz".repeat(16), "5a".repeat(65))) {
      assertThatThrownBy(() -> a.sign(r, bad, key.getPrivate(), Instant.now()))
          .as(bad).isInstanceOfSatisfying(RefusalException.class, e -> assertThat(
              e.reasons().get(0).code()).isEqualTo(ReasonCode.BAD_INPUT));
    }
  }
}
