package org.neguard.tuf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * TUF's list of attacks (issue 13), each against the Java client and a repository the writer
 * produced, served over HTTP on 127.0.0.1. Each attack is built so that the check under test is
 * the only one that can catch it (signed with the real keys wherever the attack allows), and
 * each asserts the reason code and that the state directory's trusted metadata did not change.
 */
@DisplayName("OBJ-1, SRC-2 TUF client: the workflow, and every attack on TUF's list refused")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TufClientAttackTest {
  @TempDir Path tmp;
  TufRepo repo;
  TufClient client;

  @BeforeEach
  void setUp() throws Exception {
    repo = new TufRepo(tmp);
    client = repo.client();
  }

  @AfterEach
  void tearDown() {
    repo.close();
  }

  /** Refused with {@code code}; the state directory is byte for byte what it was. */
  private void assertRefused(ReasonCode code, Executable action) throws Exception {
    assertRefused(code, "", action);
  }

  /**
   * As above, and the message names {@code what}: where two checks of the same code would both
   * catch an attack (defence in depth), the message tells which one did.
   */
  private void assertRefused(ReasonCode code, String what, Executable action) throws Exception {
    Map<String, String> before = repo.state();
    assertThatThrownBy(action::execute)
        .isInstanceOfSatisfying(RefusalException.class,
            e -> assertThat(e.code()).as(e.getMessage()).isEqualTo(code))
        .hasMessageContaining(what);
    assertThat(repo.state()).as("the state directory is unchanged").isEqualTo(before);
  }

  private TufClient freshClient() {
    return new TufClient(repo.config());
  }

  // --- The workflow -----------------------------------------------------------------------------

  @Test
  @DisplayName("OBJ-1: refresh, target info with custom.neguard, download with length and hash")
  void refreshAndDownload() throws Exception {
    TrustedMetadata t = client.refresh();
    assertThat(t.root().version()).isEqualTo(1);
    assertThat(t.targets().targets()).containsOnlyKeys("nms-agent-1.0.0.ngp");
    TargetFile target = client.targetInfo("nms-agent-1.0.0.ngp").orElseThrow();
    assertThat(target.neguard().orElseThrow().neType()).isEqualTo("MME");
    assertThat(target.neguard().orElseThrow().securityVersion()).isEqualTo(3);
    Path file = client.download(target, repo.downloads);
    assertThat(file).hasFileName("nms-agent-1.0.0.ngp").hasContent("the first package");
    assertThat(repo.state()).containsOnlyKeys("root.json", "timestamp.json", "snapshot.json",
        "targets.json");
    assertThat(client.targetInfo("other-1.0.ngp")).isEmpty();
  }

  @Test
  @DisplayName("OBJ-1: a refresh with nothing new fetches only timestamp.json (and the next "
      + "root's 404)")
  void noChangeRefresh_fetchesOnlyTheTimestamp() throws Exception {
    client.refresh();
    repo.requests.clear();
    freshClient().refresh();
    assertThat(repo.requests).containsExactly("metadata/2.root.json", "metadata/timestamp.json");
  }

  @Test
  @DisplayName("OBJ-1: a new upload is seen; an unchanged state reads back without fetching")
  void newUpload_isSeen() throws Exception {
    client.refresh();
    repo.addTarget("nms-agent-1.1.0.ngp", "the second package".getBytes(StandardCharsets.UTF_8));
    repo.publish();
    TrustedMetadata t = freshClient().refresh();
    assertThat(t.targets().targets()).containsOnlyKeys("nms-agent-1.0.0.ngp",
        "nms-agent-1.1.0.ngp");
    assertThat(freshClient().trusted().targets().version()).isEqualTo(2);
  }

  @Test
  @DisplayName("SRC-2: a refresh before bootstrap is a TRUST_CONFIG error")
  void notBootstrapped() throws Exception {
    TufClient c = new TufClient(repo.config().withClock(repo.clock));
    Files.delete(repo.stateDir.resolve("root.json"));
    assertThatThrownBy(c::refresh).isInstanceOfSatisfying(RefusalException.class,
        e -> assertThat(e.code()).isEqualTo(ReasonCode.TRUST_CONFIG));
  }

  // --- Arbitrary installation ------------------------------------------------------------------

  @Test
  @DisplayName("OBJ-1 arbitrary installation: target bytes that differ from the signed hash")
  void arbitraryInstallation_refused() throws Exception {
    client.refresh();
    TargetFile target = client.targetInfo("nms-agent-1.0.0.ngp").orElseThrow();
    // Same length, other bytes: only the hash can tell.
    Files.write(repo.targetFile(target), "THE FIRST PACKAGE".getBytes(StandardCharsets.UTF_8));
    assertRefused(ReasonCode.DIGEST_MISMATCH, () -> client.download(target, repo.downloads));
    try (var files = Files.list(repo.downloads)) {
      assertThat(files).as("nothing is left in the download directory").isEmpty();
    }
  }

  // --- Endless data ----------------------------------------------------------------------------

  @Test
  @DisplayName("OBJ-1 endless data: a target longer than its signed length is cut off")
  void endlessTarget_refused() throws Exception {
    client.refresh();
    TargetFile target = client.targetInfo("nms-agent-1.0.0.ngp").orElseThrow();
    repo.overrides.put("targets/" + target.consistentFileName(), TufRepo::endless);
    assertRefused(ReasonCode.SIZE_LIMIT, "the download was stopped",
        () -> client.download(target, repo.downloads));
    // Stopped while reading: of the endless gigabyte, at most what the sockets buffered was sent.
    assertThat(repo.bytesServed.get()).isLessThan(64L << 20);
    try (var files = Files.list(repo.downloads)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  @DisplayName("OBJ-1 endless data: endless timestamp.json is cut off at the limit")
  void endlessTimestamp_refused() throws Exception {
    client.refresh();
    repo.overrides.put("metadata/timestamp.json", TufRepo::endless);
    assertRefused(ReasonCode.SIZE_LIMIT, "the download was stopped", freshClient()::refresh);
  }

  @Test
  @DisplayName("OBJ-1 endless data: a snapshot longer than the length the timestamp signs")
  void snapshotLongerThanItsLength_refused() throws Exception {
    client.refresh();
    repo.publish();
    // The real snapshot followed by whitespace: still valid JSON, signature intact.
    byte[] padded = (new String(repo.published.snapshotBytes(), StandardCharsets.UTF_8)
        + "          ").getBytes(StandardCharsets.UTF_8);
    repo.overrides.put("metadata/" + repo.published.snapshotFileName(), TufRepo.bytes(padded));
    assertRefused(ReasonCode.SIZE_LIMIT, freshClient()::refresh);
  }

  @Test
  @DisplayName("OBJ-1 endless data: an endless root is cut off at the limit")
  void endlessRoot_refused() throws Exception {
    client.refresh();
    repo.overrides.put("metadata/2.root.json", TufRepo::endless);
    assertRefused(ReasonCode.SIZE_LIMIT, "the download was stopped", freshClient()::refresh);
  }

  // --- Rollback and fast-forward ---------------------------------------------------------------

  @Test
  @DisplayName("OBJ-1 rollback: an older timestamp than the trusted one")
  void olderTimestamp_refused() throws Exception {
    repo.renewTimestamp(TufRepo.NOW.plus(Duration.ofDays(1)));
    byte[] older = repo.published.timestampBytes();
    repo.renewTimestamp(TufRepo.NOW.plus(Duration.ofDays(1)));
    client.refresh();
    // Same snapshot, lower timestamp version: only the timestamp's own version check is left.
    Files.write(repo.metadataFile("timestamp.json"), older);
    assertRefused(ReasonCode.REPO_ROLLBACK, freshClient()::refresh);
  }

  @Test
  @DisplayName("OBJ-1 rollback: a newer timestamp naming an older snapshot")
  void timestampNamingAnOlderSnapshot_refused() throws Exception {
    Published first = repo.published;
    repo.publish();
    client.refresh();
    // The timestamp key signs a higher timestamp version over the first snapshot.
    Metadata ts = new TimestampMetadata(repo.published.timestamp().version() + 1,
        TufRepo.NOW.plus(Duration.ofDays(1)),
        MetaFile.of(first.snapshot().version(), first.snapshotBytes())).toMetadata()
        .sign(repo.online.timestamp());
    Files.write(repo.metadataFile("timestamp.json"), ts.toBytes());
    assertRefused(ReasonCode.REPO_ROLLBACK, "the snapshot the timestamp names",
        freshClient()::refresh);
  }

  @Test
  @DisplayName("OBJ-1 rollback: a snapshot naming an older targets version")
  void snapshotNamingOlderTargets_refused() throws Exception {
    Published first = repo.published;
    repo.publish();
    client.refresh();
    // Snapshot and timestamp keys sign a newer snapshot over the first targets.
    Metadata snapshot = new SnapshotMetadata(repo.published.snapshot().version() + 1,
        TufRepo.NOW.plus(Duration.ofDays(7)), Map.of("targets.json",
            MetaFile.of(first.targets().version(), first.targetsBytes()))).toMetadata()
        .sign(repo.online.snapshot());
    Metadata ts = new TimestampMetadata(repo.published.timestamp().version() + 1,
        TufRepo.NOW.plus(Duration.ofDays(1)), MetaFile.of(snapshot.version(),
            snapshot.toBytes())).toMetadata().sign(repo.online.timestamp());
    Files.write(repo.metadataFile(Role.SNAPSHOT.fileName(snapshot.version())),
        snapshot.toBytes());
    Files.write(repo.metadataFile("timestamp.json"), ts.toBytes());
    assertRefused(ReasonCode.REPO_ROLLBACK, "targets.json in the snapshot",
        freshClient()::refresh);
  }

  @Test
  @DisplayName("OBJ-1 rollback: a root served under the next version's name with another version")
  void rootOfAnotherVersion_refused() throws Exception {
    client.refresh();
    // Version 3, signed by everyone, served as 2.root.json: skips a version.
    RootMetadata v3 = RootBuilder.next(repo.root, TufRepo.NOW.plus(Expiries.ROOT)).version(3)
        .build();
    Metadata md = v3.toMetadata().sign(repo.rootKeys.get(0)).sign(repo.rootKeys.get(1));
    Files.write(repo.metadataFile("2.root.json"), md.toBytes());
    assertRefused(ReasonCode.REPO_ROLLBACK, freshClient()::refresh);
  }

  @Test
  @DisplayName("OBJ-1 fast-forward: after a timestamp key rotation the trusted timestamp and "
      + "snapshot are forgotten, so the repository recovers from a fast-forward")
  void fastForward_recoveredByRotatingTheTimestampKey() throws Exception {
    client.refresh();
    // The compromised timestamp key signs a very high version, which the client trusts.
    Metadata ff = TufRepo.resign(repo.published.timestamp(), repo.online.timestamp(),
        s -> s.put("version", 1_000_000));
    Files.write(repo.metadataFile("timestamp.json"), ff.toBytes());
    assertThat(freshClient().refresh().timestamp().version()).isEqualTo(1_000_000);
    // Recovery: root version 2 names a new timestamp key; the server signs version 3 with it.
    OnlineKeys rotated = new OnlineKeys(repo.online.targets(), repo.online.snapshot(),
        SigningKey.generate(KeyType.ED25519));
    RootMetadata v2 = RootBuilder.next(repo.root, TufRepo.NOW.plus(Expiries.ROOT))
        .role(Role.TIMESTAMP, List.of(rotated.timestamp().key()), 1).build();
    repo.publishRoot(v2, rotated, repo.rootKeys.get(0), repo.rootKeys.get(2));
    TrustedMetadata t = freshClient().refresh();
    assertThat(t.root().version()).isEqualTo(2);
    assertThat(t.timestamp().version()).isEqualTo(repo.published.timestamp().version())
        .isLessThan(1_000_000);
    assertThat(freshClient().trusted().timestamp().version()).isLessThan(1_000_000);
  }

  @Test
  @DisplayName("OBJ-1 fast-forward: after a snapshot key rotation the trusted snapshot and "
      + "timestamp are forgotten, so the repository recovers from a fast-forwarded snapshot")
  void fastForward_recoveredByRotatingTheSnapshotKey() throws Exception {
    client.refresh();
    // The compromised snapshot key signs a very high version; the timestamp lists it.
    Metadata ff = TufRepo.resign(repo.published.snapshot(), repo.online.snapshot(),
        s -> s.put("version", 1_000_000));
    Files.write(repo.metadataFile(Role.SNAPSHOT.fileName(1_000_000)), ff.toBytes());
    Metadata ts = new TimestampMetadata(repo.published.timestamp().version() + 1,
        TufRepo.NOW.plus(Duration.ofDays(1)), MetaFile.of(1_000_000, ff.toBytes()))
        .toMetadata().sign(repo.online.timestamp());
    Files.write(repo.metadataFile("timestamp.json"), ts.toBytes());
    assertThat(freshClient().refresh().snapshot().version()).isEqualTo(1_000_000);
    // Recovery: root version 2 names a new snapshot key; the server signs anew with it.
    OnlineKeys rotated = new OnlineKeys(repo.online.targets(),
        SigningKey.generate(KeyType.ECDSA_P256), repo.online.timestamp());
    RootMetadata v2 = RootBuilder.next(repo.root, TufRepo.NOW.plus(Expiries.ROOT))
        .role(Role.SNAPSHOT, List.of(rotated.snapshot().key()), 1).build();
    repo.publishRoot(v2, rotated, repo.rootKeys.get(1), repo.rootKeys.get(2));
    TrustedMetadata t = freshClient().refresh();
    assertThat(t.root().version()).isEqualTo(2);
    assertThat(t.snapshot().version()).isLessThan(1_000_000);
    assertThat(freshClient().trusted().snapshot().version()).isLessThan(1_000_000);
  }

  // --- Indefinite freeze -----------------------------------------------------------------------

  @Test
  @DisplayName("OBJ-1 indefinite freeze: an expired timestamp")
  void expiredTimestamp_refused() throws Exception {
    client.refresh();
    repo.renewTimestamp(TufRepo.NOW.minusSeconds(1));
    assertRefused(ReasonCode.REPO_EXPIRED, freshClient()::refresh);
  }

  @Test
  @DisplayName("OBJ-1 indefinite freeze: the same timestamp replayed after it expired")
  void frozenTimestamp_refusedOnceExpired() throws Exception {
    client.refresh();
    repo.clock.set(TufRepo.NOW.plus(Duration.ofDays(2)));
    assertRefused(ReasonCode.REPO_EXPIRED, freshClient()::refresh);
  }

  @Test
  @DisplayName("OBJ-1 indefinite freeze: an expired snapshot under a fresh timestamp")
  void expiredSnapshot_refused() throws Exception {
    client.refresh();
    repo.publish(new Expiries(TufRepo.NOW.plus(Duration.ofDays(90)), TufRepo.NOW.minusSeconds(1),
        TufRepo.NOW.plus(Duration.ofDays(1))));
    assertRefused(ReasonCode.REPO_EXPIRED, freshClient()::refresh);
  }

  @Test
  @DisplayName("OBJ-1 indefinite freeze: expired targets under a fresh snapshot")
  void expiredTargets_refused() throws Exception {
    client.refresh();
    repo.publish(new Expiries(TufRepo.NOW.minusSeconds(1), TufRepo.NOW.plus(Duration.ofDays(7)),
        TufRepo.NOW.plus(Duration.ofDays(1))));
    assertRefused(ReasonCode.REPO_EXPIRED, freshClient()::refresh);
  }

  // --- Mix-and-match ---------------------------------------------------------------------------

  @Test
  @DisplayName("OBJ-1 mix-and-match: targets of one snapshot served with another's snapshot")
  void mixAndMatch_refused() throws Exception {
    client.refresh();
    Versions before = repo.published.versions();
    // Two publications of the same versions with different targets, both signed by the real
    // keys: serve the first's snapshot and timestamp with the second's targets (same length,
    // same version: only the snapshot's hash can tell them apart).
    TargetFile first = repo.targets.get(0);
    TargetFile one =
        repo.addTarget("nms-agent-1.1.0.ngp", "second".getBytes(StandardCharsets.UTF_8));
    Published a = RepositoryWriter.publish(repo.root, repo.online, List.of(first, one), before,
        Expiries.defaults(TufRepo.NOW));
    TargetFile two =
        repo.addTarget("nms-agent-1.2.0.ngp", "third!".getBytes(StandardCharsets.UTF_8));
    Published b;
    do { // An ECDSA signature's DER is 70 to 72 bytes: sign until the lengths match.
      b = RepositoryWriter.publish(repo.root, repo.online, List.of(first, two), before,
          Expiries.defaults(TufRepo.NOW));
    } while (b.targetsBytes().length != a.targetsBytes().length);
    repo.published = a;
    repo.writeAll();
    Files.write(repo.metadataFile(b.targetsFileName()), b.targetsBytes());
    assertRefused(ReasonCode.REPO_MISMATCH, freshClient()::refresh);
  }

  @Test
  @DisplayName("OBJ-1 mix-and-match: a snapshot file of another version than the timestamp names")
  void snapshotOfAnotherVersion_refused() throws Exception {
    client.refresh();
    // A snapshot whose version differs from the name it is served under, and a timestamp that
    // names no length or hash (the specification allows that): only the version check is left.
    Metadata snapshot = new SnapshotMetadata(7, TufRepo.NOW.plus(Duration.ofDays(7)),
        Map.of("targets.json", MetaFile.of(repo.published.targets().version(),
            repo.published.targetsBytes()))).toMetadata().sign(repo.online.snapshot());
    Metadata ts = new TimestampMetadata(repo.published.timestamp().version() + 1,
        TufRepo.NOW.plus(Duration.ofDays(1)), new MetaFile(8, null, null)).toMetadata()
        .sign(repo.online.timestamp());
    Files.write(repo.metadataFile("8.snapshot.json"), snapshot.toBytes());
    Files.write(repo.metadataFile("timestamp.json"), ts.toBytes());
    assertRefused(ReasonCode.REPO_MISMATCH, freshClient()::refresh);
  }

  // --- Malicious mirror ------------------------------------------------------------------------

  @Test
  @DisplayName("OBJ-1 malicious mirror: altered metadata (a longer expiry, not re-signed)")
  void alteredTimestamp_refused() throws Exception {
    client.refresh();
    repo.renewTimestamp(TufRepo.NOW.plus(Duration.ofDays(1)));
    ObjectNode signed = repo.published.timestamp().signed();
    signed.put("expires", "2030-01-01T00:00:00Z");
    Metadata altered = new Metadata(signed, repo.published.timestamp().signatures());
    Files.write(repo.metadataFile("timestamp.json"), altered.toBytes());
    assertRefused(ReasonCode.REPO_SIGNATURE, freshClient()::refresh);
  }

  @Test
  @DisplayName("OBJ-1 malicious mirror: metadata re-signed with the mirror's own key")
  void mirrorsOwnKey_refused() throws Exception {
    client.refresh();
    Metadata forged = TufRepo.resign(repo.published.timestamp(),
        SigningKey.generate(KeyType.ED25519), s -> s.put("version", 99));
    Files.write(repo.metadataFile("timestamp.json"), forged.toBytes());
    assertRefused(ReasonCode.REPO_SIGNATURE, freshClient()::refresh);
  }

  @Test
  @DisplayName("OBJ-1 malicious mirror: altered targets metadata under an intact snapshot")
  void alteredTargets_refused() throws Exception {
    client.refresh();
    repo.publish();
    // A target's length changed in place, signature kept: the snapshot's hash no longer fits.
    Path file = repo.metadataFile(repo.published.targetsFileName());
    String json = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    Files.write(file, json.replace("\"length\":17", "\"length\":18")
        .getBytes(StandardCharsets.UTF_8));
    assertRefused(ReasonCode.REPO_MISMATCH, freshClient()::refresh);
  }

  @Test
  @DisplayName("OBJ-1 malicious mirror: an old, validly signed timestamp (a replay)")
  void oldTimestampFromMirror_refused() throws Exception {
    byte[] old = repo.published.timestampBytes();
    repo.renewTimestamp(TufRepo.NOW.plus(Duration.ofDays(1)));
    client.refresh();
    Files.write(repo.metadataFile("timestamp.json"), old);
    assertRefused(ReasonCode.REPO_ROLLBACK, freshClient()::refresh);
  }

  // --- Root rotation ---------------------------------------------------------------------------

  @Test
  @DisplayName("SRC-2: a root not signed by the previous root's threshold is refused")
  void rootNotSignedByPreviousThreshold_refused() throws Exception {
    client.refresh();
    List<SigningKey> newKeys = List.of(SigningKey.generate(KeyType.ED25519),
        SigningKey.generate(KeyType.ED25519));
    RootMetadata v2 = RootBuilder.next(repo.root, TufRepo.NOW.plus(Expiries.ROOT))
        .role(Role.ROOT, newKeys.stream().map(SigningKey::key).toList(), 2).build();
    // One of the two old signatures the old root requires, and both of its own.
    Metadata md = v2.toMetadata().sign(repo.rootKeys.get(0)).sign(newKeys.get(0))
        .sign(newKeys.get(1));
    Files.write(repo.metadataFile("2.root.json"), md.toBytes());
    assertRefused(ReasonCode.REPO_SIGNATURE, freshClient()::refresh);
  }

  @Test
  @DisplayName("SRC-2: a root not signed by its own new threshold is refused")
  void rootNotSignedByItsOwnThreshold_refused() throws Exception {
    client.refresh();
    List<SigningKey> newKeys = List.of(SigningKey.generate(KeyType.ED25519),
        SigningKey.generate(KeyType.ED25519));
    RootMetadata v2 = RootBuilder.next(repo.root, TufRepo.NOW.plus(Expiries.ROOT))
        .role(Role.ROOT, newKeys.stream().map(SigningKey::key).toList(), 2).build();
    Metadata md = v2.toMetadata().sign(repo.rootKeys.get(0)).sign(repo.rootKeys.get(1))
        .sign(newKeys.get(0));
    Files.write(repo.metadataFile("2.root.json"), md.toBytes());
    assertRefused(ReasonCode.REPO_SIGNATURE, freshClient()::refresh);
  }

  @Test
  @DisplayName("SRC-2: a root rotation signed by the old and the new threshold is followed")
  void rootRotation_followed() throws Exception {
    client.refresh();
    List<SigningKey> newKeys = List.of(SigningKey.generate(KeyType.ECDSA_P256),
        SigningKey.generate(KeyType.ED25519));
    RootMetadata v2 = RootBuilder.next(repo.root, TufRepo.NOW.plus(Expiries.ROOT))
        .role(Role.ROOT, newKeys.stream().map(SigningKey::key).toList(), 2).build();
    repo.publishRoot(v2, repo.online, repo.rootKeys.get(1), repo.rootKeys.get(2),
        newKeys.get(0), newKeys.get(1));
    RootMetadata v3 = RootBuilder.next(v2, TufRepo.NOW.plus(Expiries.ROOT)).build();
    repo.publishRoot(v3, repo.online, newKeys.get(0), newKeys.get(1));
    assertThat(freshClient().refresh().root().version()).isEqualTo(3);
    assertThat(freshClient().trusted().root().version()).isEqualTo(3);
  }

  @Test
  @DisplayName("SRC-2: an expired final root is an indefinite freeze")
  void expiredRoot_refused() throws Exception {
    client.refresh();
    RootMetadata v2 = RootBuilder.next(repo.root, TufRepo.NOW.minusSeconds(1)).build();
    repo.publishRoot(v2, repo.online, repo.rootKeys.get(0), repo.rootKeys.get(1));
    assertRefused(ReasonCode.REPO_EXPIRED, freshClient()::refresh);
  }

  @Test
  @DisplayName("SRC-2: at most maxRootRotations newer roots are followed in one refresh")
  void maxRootRotations() throws Exception {
    client.refresh();
    for (int i = 0; i < 3; i++) {
      RootMetadata next = RootBuilder.next(repo.root, TufRepo.NOW.plus(Expiries.ROOT)).build();
      repo.publishRoot(next, repo.online, repo.rootKeys.get(0), repo.rootKeys.get(1));
    }
    TufClient limited = new TufClient(repo.config().withMaxRootRotations(2));
    assertThat(limited.refresh().root().version()).isEqualTo(3);
    assertThat(freshClient().refresh().root().version()).isEqualTo(4);
  }

  // --- Compromised online key after rotation ---------------------------------------------------

  @Test
  @DisplayName("OBJ-1 compromised online key: once root names a new timestamp key, metadata "
      + "signed by the old one is refused")
  void oldTimestampKeyAfterRotation_refused() throws Exception {
    client.refresh();
    SigningKey compromised = repo.online.timestamp();
    OnlineKeys rotated = new OnlineKeys(repo.online.targets(), repo.online.snapshot(),
        SigningKey.generate(KeyType.ECDSA_P256));
    RootMetadata v2 = RootBuilder.next(repo.root, TufRepo.NOW.plus(Expiries.ROOT))
        .role(Role.TIMESTAMP, List.of(rotated.timestamp().key()), 1).build();
    repo.publishRoot(v2, rotated, repo.rootKeys.get(0), repo.rootKeys.get(1));
    client.refresh();
    // The attacker holds the old key: a newer timestamp, signed by it.
    Metadata forged = TufRepo.resign(repo.published.timestamp(), compromised,
        s -> s.put("version", repo.published.timestamp().version() + 10));
    Files.write(repo.metadataFile("timestamp.json"), forged.toBytes());
    assertRefused(ReasonCode.REPO_SIGNATURE, freshClient()::refresh);
  }

  @Test
  @DisplayName("OBJ-1 compromised online key: old targets key after a targets key rotation")
  void oldTargetsKeyAfterRotation_refused() throws Exception {
    client.refresh();
    SigningKey compromised = repo.online.targets();
    OnlineKeys rotated = new OnlineKeys(SigningKey.generate(KeyType.ED25519),
        repo.online.snapshot(), repo.online.timestamp());
    RootMetadata v2 = RootBuilder.next(repo.root, TufRepo.NOW.plus(Expiries.ROOT))
        .role(Role.TARGETS, List.of(rotated.targets().key()), 1).build();
    repo.publishRoot(v2, rotated, repo.rootKeys.get(0), repo.rootKeys.get(1));
    client.refresh();
    // The old targets key signs new targets; the (honest) snapshot and timestamp keys list it.
    Metadata targets = TufRepo.resign(repo.published.targets(), compromised,
        s -> s.put("version", repo.published.targets().version() + 1));
    Metadata snapshot = new SnapshotMetadata(repo.published.snapshot().version() + 1,
        TufRepo.NOW.plus(Duration.ofDays(7)), Map.of("targets.json",
            MetaFile.of(targets.version(), targets.toBytes()))).toMetadata()
        .sign(repo.online.snapshot());
    Metadata ts = new TimestampMetadata(repo.published.timestamp().version() + 1,
        TufRepo.NOW.plus(Duration.ofDays(1)), MetaFile.of(snapshot.version(),
            snapshot.toBytes())).toMetadata().sign(repo.online.timestamp());
    Files.write(repo.metadataFile(Role.TARGETS.fileName(targets.version())), targets.toBytes());
    Files.write(repo.metadataFile(Role.SNAPSHOT.fileName(snapshot.version())),
        snapshot.toBytes());
    Files.write(repo.metadataFile("timestamp.json"), ts.toBytes());
    assertRefused(ReasonCode.REPO_SIGNATURE, freshClient()::refresh);
  }

  // --- Target names outside the repository's paths ---------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"../x", "a/b", ".hidden", "/etc/passwd", "..", "a\\b"})
  @DisplayName("OBJ-1: targets metadata naming a target outside the repository's paths")
  void unsafeTargetName_refused(String name) throws Exception {
    client.refresh();
    Metadata targets = TufRepo.resign(repo.published.targets(), repo.online.targets(), s -> {
      s.put("version", repo.published.targets().version() + 1);
      ObjectNode entry = ((ObjectNode) s.get("targets")).putObject(name);
      entry.put("length", 1);
      entry.putObject("hashes").put("sha256", "0".repeat(64));
    });
    Metadata snapshot = new SnapshotMetadata(repo.published.snapshot().version() + 1,
        TufRepo.NOW.plus(Duration.ofDays(7)), Map.of("targets.json",
            MetaFile.of(targets.version(), targets.toBytes()))).toMetadata()
        .sign(repo.online.snapshot());
    Metadata ts = new TimestampMetadata(repo.published.timestamp().version() + 1,
        TufRepo.NOW.plus(Duration.ofDays(1)), MetaFile.of(snapshot.version(),
            snapshot.toBytes())).toMetadata().sign(repo.online.timestamp());
    Files.write(repo.metadataFile(Role.TARGETS.fileName(targets.version())), targets.toBytes());
    Files.write(repo.metadataFile(Role.SNAPSHOT.fileName(snapshot.version())),
        snapshot.toBytes());
    Files.write(repo.metadataFile("timestamp.json"), ts.toBytes());
    assertRefused(ReasonCode.UNSAFE_PATH, freshClient()::refresh);
  }

  @ParameterizedTest
  @ValueSource(strings = {"../x", "a/b", ""})
  @DisplayName("OBJ-1: asking for a target by a path is refused before anything is fetched")
  void unsafeTargetNameAsked_refused(String name) throws Exception {
    client.refresh();
    repo.requests.clear();
    assertRefused(ReasonCode.UNSAFE_PATH, () -> client.targetInfo(name));
    assertThat(repo.requests).isEmpty();
  }

  @Test
  @DisplayName("SRC-2: a state directory that trusts another root refuses a second bootstrap")
  void bootstrapOfAnotherRoot_conflict() throws Exception {
    TufRepo other = new TufRepo(tmp.resolve("other"));
    try {
      assertRefused(ReasonCode.CONFLICT,
          () -> TufClient.bootstrap(repo.stateDir, other.roots.get(0).toBytes()));
      TufClient.bootstrap(repo.stateDir, repo.roots.get(0).toBytes()); // the same: nothing
    } finally {
      other.close();
    }
  }

  @Test
  @DisplayName("SRC-2: a bootstrap root without its own threshold of signatures is refused")
  void bootstrapOfUnderSignedRoot_refused() throws Exception {
    Metadata oneSig = repo.root.toMetadata().sign(repo.rootKeys.get(0));
    assertThatThrownBy(() -> TufClient.bootstrap(tmp.resolve("s2"), oneSig.toBytes()))
        .isInstanceOfSatisfying(RefusalException.class,
            e -> assertThat(e.code()).isEqualTo(ReasonCode.REPO_SIGNATURE));
    assertThat(tmp.resolve("s2").resolve("root.json")).doesNotExist();
  }

}
