package org.neguard.tuf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/** The writer the server publishes with, and the on-disk layout. */
@DisplayName("OBJ-1 TUF repository writer: one-step publication, renewals, layout")
class TufRepositoryWriterTest {
  private static final Instant NOW = Instant.parse("2026-12-04T12:00:00Z");
  private final SigningKey rootKey = SigningKey.generate(KeyType.ED25519);
  private final OnlineKeys keys = new OnlineKeys(SigningKey.generate(KeyType.ECDSA_P256),
      SigningKey.generate(KeyType.ED25519), SigningKey.generate(KeyType.ED25519));
  private final RootMetadata root = RootBuilder.create(NOW.plus(Expiries.ROOT))
      .role(Role.ROOT, List.of(rootKey.key()), 1)
      .role(Role.TARGETS, List.of(keys.targets().key()), 1)
      .role(Role.SNAPSHOT, List.of(keys.snapshot().key()), 1)
      .role(Role.TIMESTAMP, List.of(keys.timestamp().key()), 1)
      .build();
  private final TargetFile target = TargetFile.of("nms-1.0.ngp", 5,
      Crypto.sha256Hex("hello".getBytes(StandardCharsets.UTF_8)),
      new NeguardCustom("nms", "1.0", 1, "MME", "r"));

  @TempDir Path tmp;

  @Test
  @DisplayName("OBJ-1: a publication signs targets, snapshot and timestamp, each version + 1")
  void publish_versionsAndSignatures() throws Exception {
    Published p1 = RepositoryWriter.publish(root, keys, List.of(target), Versions.NONE,
        Expiries.defaults(NOW));
    assertThat(p1.versions()).isEqualTo(new Versions(1, 1, 1));
    Published p2 = RepositoryWriter.publish(root, keys, List.of(), p1.versions(),
        Expiries.defaults(NOW));
    assertThat(p2.versions()).isEqualTo(new Versions(2, 2, 2));
    root.verifyThreshold(Role.TARGETS, p2.targets());
    root.verifyThreshold(Role.SNAPSHOT, p2.snapshot());
    root.verifyThreshold(Role.TIMESTAMP, p2.timestamp());
    assertThat(p2.targets().expires()).isEqualTo(NOW.plus(Duration.ofDays(90)));
    assertThat(p2.snapshot().expires()).isEqualTo(NOW.plus(Duration.ofDays(7)));
    assertThat(p2.timestamp().expires()).isEqualTo(NOW.plus(Duration.ofDays(1)));
  }

  @Test
  @DisplayName("OBJ-1: renewing the timestamp keeps targets and snapshot; renewing the snapshot "
      + "keeps targets")
  void renewals() throws Exception {
    Published p = RepositoryWriter.publish(root, keys, List.of(target), Versions.NONE,
        Expiries.defaults(NOW));
    Published t = RepositoryWriter.renewTimestamp(root, keys, p, NOW.plus(Duration.ofDays(2)));
    assertThat(t.versions()).isEqualTo(new Versions(1, 1, 2));
    assertThat(t.snapshotBytes()).isEqualTo(p.snapshotBytes());
    assertThat(t.timestamp().timestamp().snapshotMeta()).isEqualTo(MetaFile.of(1,
        p.snapshotBytes()));
    Published s = RepositoryWriter.renewSnapshot(root, keys, t, NOW.plus(Duration.ofDays(8)),
        NOW.plus(Duration.ofDays(2)));
    assertThat(s.versions()).isEqualTo(new Versions(1, 2, 3));
    assertThat(s.targetsBytes()).isEqualTo(p.targetsBytes());
  }

  @Test
  @DisplayName("OBJ-1: renewal when less than half of a role's life is left")
  void needsRenewal() {
    Instant exp = NOW.plus(Duration.ofHours(24));
    assertThat(RepositoryWriter.needsRenewal(NOW, exp, NOW.plus(Duration.ofHours(11))))
        .isFalse();
    assertThat(RepositoryWriter.needsRenewal(NOW, exp, NOW.plus(Duration.ofHours(12)))).isTrue();
  }

  @Test
  @DisplayName("SRC-2: a key the root does not list for its role is refused before signing")
  void publish_refusesAKeyTheRootDoesNotList() {
    OnlineKeys wrong = new OnlineKeys(keys.targets(), keys.snapshot(),
        SigningKey.generate(KeyType.ED25519));
    assertThatThrownBy(() -> RepositoryWriter.publish(root, wrong, List.of(), Versions.NONE,
        Expiries.defaults(NOW))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("timestamp");
    assertThatThrownBy(() -> RepositoryWriter.publish(root, keys, List.of(target, target),
        Versions.NONE, Expiries.defaults(NOW))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("twice");
  }

  @Test
  @DisplayName("OBJ-1: stored bytes read back; bytes not in the written form are refused")
  void published_parse() throws Exception {
    Published p = RepositoryWriter.publish(root, keys, List.of(target), Versions.NONE,
        Expiries.defaults(NOW));
    assertThat(Published.parse(p.targetsBytes(), p.snapshotBytes(), p.timestampBytes()))
        .isNotNull();
    byte[] spaced = (new String(p.targetsBytes(), StandardCharsets.UTF_8) + " ")
        .getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> Published.parse(spaced, p.snapshotBytes(), p.timestampBytes()))
        .isInstanceOfSatisfying(RefusalException.class,
            e -> assertThat(e.code()).isEqualTo(ReasonCode.MALFORMED));
    assertThatThrownBy(() -> Published.parse(p.snapshotBytes(), p.snapshotBytes(),
        p.timestampBytes())).isInstanceOf(RefusalException.class);
  }

  @Test
  @DisplayName("OBJ-1: the layout: metadata/ with every root, targets/<sha256>.<name>")
  void layout() throws Exception {
    Published p = RepositoryWriter.publish(root, keys, List.of(target), Versions.NONE,
        Expiries.defaults(NOW));
    Path content = Files.writeString(tmp.resolve("c"), "hello");
    Metadata signedRoot = root.toMetadata().sign(rootKey);
    RepositoryLayout.write(tmp.resolve("repo"), List.of(signedRoot), p,
        Map.of("nms-1.0.ngp", content));
    assertThat(tmp.resolve("repo/metadata/1.root.json")).hasBinaryContent(signedRoot.toBytes());
    assertThat(tmp.resolve("repo/metadata/root.json")).hasBinaryContent(signedRoot.toBytes());
    assertThat(tmp.resolve("repo/metadata/1.targets.json")).hasBinaryContent(p.targetsBytes());
    assertThat(tmp.resolve("repo/metadata/1.snapshot.json")).hasBinaryContent(p.snapshotBytes());
    assertThat(tmp.resolve("repo/metadata/timestamp.json")).hasBinaryContent(p.timestampBytes());
    assertThat(tmp.resolve("repo/targets/" + target.sha256() + ".nms-1.0.ngp"))
        .hasContent("hello");
    Path other = Files.writeString(tmp.resolve("d"), "HELLO");
    assertThatThrownBy(() -> RepositoryLayout.write(tmp.resolve("repo2"), List.of(signedRoot), p,
        Map.of("nms-1.0.ngp", other))).isInstanceOf(IllegalArgumentException.class);
    assertThat(tmp.resolve("repo2/targets/" + target.sha256() + ".nms-1.0.ngp")).doesNotExist();
  }

  @Test
  @DisplayName("OBJ-1: one more package into 10,000 targets re-signs in one step, within seconds")
  void publish_tenThousandTargets() throws Exception {
    List<TargetFile> many = new java.util.ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      many.add(TargetFile.of("pkg-" + i + ".ngp", i, Crypto.sha256Hex(new byte[] {(byte) i}),
          new NeguardCustom("pkg", "" + i, i, "MME", "sha256:" + "c".repeat(64))));
    }
    Published p = RepositoryWriter.publish(root, keys, many, Versions.NONE,
        Expiries.defaults(NOW));
    many.add(target);
    long start = System.nanoTime();
    Published next = RepositoryWriter.publish(root, keys, many, p.versions(),
        Expiries.defaults(NOW));
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertThat(millis).as("publishing took %d ms", millis).isLessThan(20_000);
    assertThat(next.targetsBytes().length).isLessThan((int) ClientConfig.DEFAULT_MAX_TARGETS_BYTES);
    assertThat(Metadata.parse(next.targetsBytes(), ClientConfig.DEFAULT_MAX_TARGETS_BYTES)
        .targets().targets()).hasSize(10_001);
    assertThat(next.timestampBytes().length).isLessThan(1024);
  }
}
