package org.neguard.tuf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/** k-of-n thresholds: distinct keys of the role count, each once. */
@DisplayName("SRC-2 TUF thresholds: a 2-of-3 root, each key counted once")
class TufThresholdTest {
  private static final Instant EXPIRES = Instant.parse("2027-01-01T00:00:00Z");
  private final List<SigningKey> rootKeys = List.of(SigningKey.generate(KeyType.ED25519),
      SigningKey.generate(KeyType.ECDSA_P256), SigningKey.generate(KeyType.ED25519));
  private final SigningKey online = SigningKey.generate(KeyType.ED25519);
  private final RootMetadata root = RootBuilder.create(EXPIRES)
      .role(Role.ROOT, rootKeys.stream().map(SigningKey::key).toList(), 2)
      .role(Role.TARGETS, List.of(online.key()), 1)
      .role(Role.SNAPSHOT, List.of(online.key()), 1)
      .role(Role.TIMESTAMP, List.of(online.key()), 1)
      .build();

  private static void assertSignatureRefused(Metadata md) {
    assertThatThrownBy(() -> RootChain.checkFirst(md))
        .isInstanceOfSatisfying(RefusalException.class,
            e -> assertThat(e.code()).isEqualTo(ReasonCode.REPO_SIGNATURE));
  }

  @Test
  @DisplayName("SRC-2: one signature of a 2-of-3 root is refused, two are accepted")
  void twoOfThree() throws Exception {
    Metadata one = root.toMetadata().sign(rootKeys.get(1));
    assertThat(root.countValidSignatures(Role.ROOT, one)).isEqualTo(1);
    assertSignatureRefused(one);
    Metadata two = one.sign(rootKeys.get(2));
    assertThat(RootChain.checkFirst(two)).isEqualTo(root);
    assertThat(RootChain.checkFirst(two.sign(rootKeys.get(0)))).isEqualTo(root);
  }

  @Test
  @DisplayName("SRC-2: the same key's signature twice counts once")
  void sameKeyTwice_countsOnce() {
    Metadata one = root.toMetadata().sign(rootKeys.get(0));
    List<Signature> twice = new ArrayList<>(one.signatures());
    twice.add(one.signatures().get(0));
    Metadata doubled = new Metadata(one.signed(), twice);
    assertThat(root.countValidSignatures(Role.ROOT, doubled)).isEqualTo(1);
    assertSignatureRefused(doubled);
    // An ECDSA key's second, different signature of the same data still counts once.
    Metadata ec = root.toMetadata().sign(rootKeys.get(1));
    List<Signature> two = new ArrayList<>(ec.signatures());
    two.addAll(root.toMetadata().sign(rootKeys.get(1)).signatures());
    assertThat(two.get(0).sig()).isNotEqualTo(two.get(1).sig());
    assertSignatureRefused(new Metadata(ec.signed(), two));
  }

  @Test
  @DisplayName("SRC-2: signatures by keys of another role, unknown keys or damaged ones do not "
      + "count")
  void otherSignatures_doNotCount() {
    Metadata md = root.toMetadata().sign(rootKeys.get(0)).sign(online)
        .sign(SigningKey.generate(KeyType.ED25519));
    List<Signature> sigs = new ArrayList<>(md.signatures());
    sigs.add(new Signature(rootKeys.get(2).keyId(), "zz"));
    sigs.add(new Signature(rootKeys.get(1).keyId(), "00".repeat(70)));
    Metadata all = new Metadata(md.signed(), sigs);
    assertThat(root.countValidSignatures(Role.ROOT, all)).isEqualTo(1);
    assertSignatureRefused(all);
  }

  @Test
  @DisplayName("SRC-2: a signature replaced by the same key's is not added twice")
  void signAgain_replaces() {
    Metadata md = root.toMetadata().sign(rootKeys.get(0)).sign(rootKeys.get(0));
    assertThat(md.signatures()).hasSize(1);
  }

  @Test
  @DisplayName("SRC-2: a threshold that cannot be met, or a key listed twice, is refused")
  void builder_refusesBadThresholds() {
    assertThatThrownBy(() -> RootBuilder.create(EXPIRES)
        .role(Role.ROOT, List.of(rootKeys.get(0).key()), 2))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RootBuilder.create(EXPIRES)
        .role(Role.ROOT, List.of(rootKeys.get(0).key(), rootKeys.get(0).key()), 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("twice");
    assertThatThrownBy(() -> RootBuilder.create(EXPIRES)
        .role(Role.ROOT, List.of(rootKeys.get(0).key()), 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RootBuilder.create(EXPIRES)
        .role(Role.ROOT, List.of(rootKeys.get(0).key()), 1).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no keys");
  }

  @Test
  @DisplayName("SRC-2: a root chain step: old threshold, own threshold, version + 1")
  void chainStep() throws Exception {
    RootMetadata next = RootBuilder.next(root, EXPIRES).build();
    assertThat(next.version()).isEqualTo(2);
    Metadata md = next.toMetadata().sign(rootKeys.get(0)).sign(rootKeys.get(2));
    assertThat(RootChain.checkStep(root, md)).isEqualTo(next);
    assertThatThrownBy(() -> RootChain.checkStep(next, md))
        .isInstanceOfSatisfying(RefusalException.class,
            e -> assertThat(e.code()).isEqualTo(ReasonCode.REPO_ROLLBACK));
  }
}
