package org.neguard.tuf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/** Canonical JSON vectors, the metadata model's round trips and its strict reading. */
@DisplayName("INT-4 TUF metadata: canonical JSON, round trips, strict parsing")
class TufMetadataTest {
  private static final Instant EXPIRES = Instant.parse("2027-01-01T00:00:00Z");

  private static String canonical(String json) throws Exception {
    return new String(CanonicalJson.encode(CanonicalJson.parseObject(
        json.getBytes(StandardCharsets.UTF_8), 1 << 20, "test")), StandardCharsets.UTF_8);
  }

  private static void assertRefused(ReasonCode code, org.junit.jupiter.api.function.Executable e) {
    assertThatThrownBy(e::execute).isInstanceOfSatisfying(RefusalException.class,
        r -> assertThat(r.code()).as(r.getMessage()).isEqualTo(code));
  }

  // --- Canonical JSON ---------------------------------------------------------------------------

  @Test
  @DisplayName("INT-4 canonical JSON: keys sorted, no whitespace, only quote and backslash escaped")
  void canonical_vectors() throws Exception {
    assertThat(canonical(" { \"b\" : 1, \"a\" : \"x\\\"y\\\\z\", \"c\": [true, null, -5, "
        + "{\"z\": {}, \"y\": []}] } "))
        .isEqualTo("{\"a\":\"x\\\"y\\\\z\",\"b\":1,\"c\":[true,null,-5,{\"y\":[],\"z\":{}}]}");
    assertThat(canonical("{\"n\": 12345678901234567890, \"m\": 0}"))
        .isEqualTo("{\"m\":0,\"n\":12345678901234567890}");
    // Non-ASCII as its UTF-8 bytes; a control character raw (canonical JSON escapes nothing else).
    byte[] bytes = CanonicalJson.encode(CanonicalJson.newObject().put("k", "é\n/"));
    assertThat(HexFormat.of().formatHex(bytes)).isEqualTo(
        HexFormat.of().formatHex("{\"k\":\"".getBytes(StandardCharsets.UTF_8))
            + "c3a90a2f" + "227d");
    // The file form escapes the control character, so that JSON parsers read it.
    ObjectNode control = CanonicalJson.newObject().put("k", "a\nb\u0001");
    assertThat(new String(CanonicalJson.encodeFile(control), StandardCharsets.UTF_8))
        .isEqualTo("{\"k\":\"a\\nb\\u0001\"}");
  }

  @Test
  @DisplayName("INT-4 canonical JSON: keys in UTF-16 code unit order, as tuf-js sorts them")
  void canonical_sortsByUtf16CodeUnits() {
    ObjectNode o = CanonicalJson.newObject().put("\uE000", 1).put("\uD83D\uDE00", 2).put("B", 3)
        .put("a", 4);
    assertThat(new String(CanonicalJson.encode(o), StandardCharsets.UTF_8))
        .isEqualTo("{\"B\":3,\"a\":4,\"\uD83D\uDE00\":2,\"\uE000\":1}");
  }

  @Test
  @DisplayName("INT-4 canonical JSON: floats have no canonical form and are refused")
  void canonical_refusesFloats() {
    assertThatThrownBy(() -> CanonicalJson.encode(CanonicalJson.newObject().put("f", 1.5)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("float");
    assertRefused(ReasonCode.MALFORMED, () -> canonical("{\"a\": {\"b\": [1.0]}}"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"{\"a\": 1, \"a\": 2}", "{\"a\": 1} {}", "[1]", "{\"a\": tru}", ""})
  @DisplayName("INT-4 strict JSON: duplicate keys, trailing data, non-objects refused")
  void strictParsing(String json) {
    assertRefused(ReasonCode.MALFORMED, () -> canonical(json));
  }

  @Test
  @DisplayName("INT-4 strict JSON: the size limit is checked before parsing")
  void sizeLimit() {
    assertRefused(ReasonCode.SIZE_LIMIT, () -> CanonicalJson.parseObject(new byte[11], 10, "x"));
  }

  // --- Keys -------------------------------------------------------------------------------------

  @Test
  @DisplayName("INT-4 keys: the key id of RFC 8032's first key, and its signature verifies")
  void ed25519_vector() {
    TufKey key = new TufKey("ed25519", "ed25519",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    // sha256 of {"keytype":"ed25519","keyval":{"public":"d75a..."},"scheme":"ed25519"}
    assertThat(key.keyId())
        .isEqualTo("74c181c7ad8a0855d4b55e44d2ba87aabdddb196832571f15f92fece332e4916");
    byte[] sig = HexFormat.of().parseHex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e0"
        + "65224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
    assertThat(key.verifies(new byte[0], sig)).isTrue();
    assertThat(key.verifies(new byte[1], sig)).isFalse();
    assertThat(key.verifies(new byte[0], new byte[3])).isFalse();
  }

  @Test
  @DisplayName("INT-4 keys: both types round-trip through TUF JSON, sign and verify")
  void keys_roundTrip() throws Exception {
    for (KeyType type : KeyType.values()) {
      SigningKey k = SigningKey.generate(type);
      TufKey back = TufKey.fromJson(k.key().toJson());
      assertThat(back).isEqualTo(k.key());
      assertThat(back.keyId()).isEqualTo(k.keyId()).matches("[0-9a-f]{64}");
      assertThat(back.type()).isEqualTo(type);
      assertThat(back.verifies("m".getBytes(StandardCharsets.UTF_8),
          k.sign("m".getBytes(StandardCharsets.UTF_8)))).isTrue();
      assertThat(TufKey.of(back.toPublicKey())).isEqualTo(back);
    }
    assertThat(SigningKey.generate(KeyType.ECDSA_P256).key().publicValue())
        .startsWith("-----BEGIN PUBLIC KEY-----\n").endsWith("-----END PUBLIC KEY-----\n");
    assertThat(SigningKey.generate(KeyType.ED25519).key().publicValue()).matches("[0-9a-f]{64}");
  }

  @Test
  @DisplayName("INT-4 keys: other key types and extra fields are refused")
  void keys_refused() {
    ObjectNode rsa = CanonicalJson.newObject().put("keytype", "rsa").put("scheme", "rsassa-pss");
    rsa.putObject("keyval").put("public", "x");
    assertRefused(ReasonCode.MALFORMED, () -> TufKey.fromJson(rsa));
    ObjectNode extra = SigningKey.generate(KeyType.ED25519).key().toJson();
    extra.putArray("keyid_hash_algorithms").add("sha256");
    assertRefused(ReasonCode.MALFORMED, () -> TufKey.fromJson(extra));
    ObjectNode shortKey = SigningKey.generate(KeyType.ED25519).key().toJson();
    ((ObjectNode) shortKey.get("keyval")).put("public", "abcd");
    assertRefused(ReasonCode.MALFORMED, () -> TufKey.fromJson(shortKey));
    assertThatThrownBy(() -> new SigningKey(SigningKey.generate(KeyType.ED25519).key(),
        SigningKey.generate(KeyType.ED25519).privateKey()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("other half");
  }

  // --- Metadata ---------------------------------------------------------------------------------

  private static RootMetadata root(List<SigningKey> rootKeys, int threshold, SigningKey online) {
    return RootBuilder.create(EXPIRES)
        .role(Role.ROOT, rootKeys.stream().map(SigningKey::key).toList(), threshold)
        .role(Role.TARGETS, List.of(online.key()), 1)
        .role(Role.SNAPSHOT, List.of(online.key()), 1)
        .role(Role.TIMESTAMP, List.of(online.key()), 1)
        .build();
  }

  @Test
  @DisplayName("INT-4 metadata: every role round-trips through bytes; the bytes are stable")
  void metadata_roundTrip() throws Exception {
    SigningKey k = SigningKey.generate(KeyType.ECDSA_P256);
    RootMetadata root = root(List.of(k), 1, k);
    Metadata md = root.toMetadata().sign(k);
    Metadata back = Metadata.parse(md.toBytes(), 1 << 20);
    assertThat(back.toBytes()).isEqualTo(md.toBytes());
    assertThat(back.root()).isEqualTo(root);
    assertThat(back.role()).isEqualTo(Role.ROOT);
    assertThat(back.version()).isEqualTo(1);
    assertThat(back.expires()).isEqualTo(EXPIRES);
    assertThat(back.signed().get("spec_version").asText()).isEqualTo("1.0.31");
    assertThat(back.signed().get("consistent_snapshot").asBoolean()).isTrue();
    TargetFile t = TargetFile.of("nms-1.0.ngp", 3, "a".repeat(64),
        new NeguardCustom("nms", "1.0", 2, "MME", "sha256:" + "b".repeat(64)));
    Published p = RepositoryWriter.publish(root, new OnlineKeys(k, k, k), List.of(t),
        Versions.NONE, new Expiries(EXPIRES, EXPIRES, EXPIRES));
    Published read = Published.parse(p.targetsBytes(), p.snapshotBytes(), p.timestampBytes());
    assertThat(read.targets().targets().targets().get("nms-1.0.ngp")).isEqualTo(t);
    assertThat(read.targets().targets().targets().get("nms-1.0.ngp").neguard())
        .contains(new NeguardCustom("nms", "1.0", 2, "MME", "sha256:" + "b".repeat(64)));
    assertThat(read.snapshot().snapshot().targetsMeta())
        .isEqualTo(MetaFile.of(1, p.targetsBytes()));
    assertThat(read.timestamp().timestamp().snapshotMeta())
        .isEqualTo(MetaFile.of(1, p.snapshotBytes()));
    assertThat(p.targetsFileName()).isEqualTo("1.targets.json");
    assertThat(p.snapshotFileName()).isEqualTo("1.snapshot.json");
    assertThat(new String(p.timestampBytes(), StandardCharsets.UTF_8)).contains(
        "\"meta\":{\"snapshot.json\":{\"hashes\":{\"sha256\":\"", "\"_type\":\"timestamp\"");
  }

  @Test
  @DisplayName("INT-4 metadata: a foreign envelope field, spec version, expiry or type is refused")
  void metadata_strict() throws Exception {
    SigningKey k = SigningKey.generate(KeyType.ED25519);
    Metadata md = root(List.of(k), 1, k).toMetadata().sign(k);
    String json = new String(md.toBytes(), StandardCharsets.UTF_8);
    for (String bad : List.of(json.replace("{\"signatures\"", "{\"x\":1,\"signatures\""),
        json.replace("\"1.0.31\"", "\"2.0.0\""),
        json.replace("\"2027-01-01T00:00:00Z\"", "\"2027-01-01\""),
        json.replace("\"_type\":\"root\"", "\"_type\":\"mirrors\""),
        json.replace("\"version\":1", "\"version\":0"),
        json.replace("\"version\":1", "\"version\":1.0"))) {
      assertRefused(ReasonCode.MALFORMED,
          () -> Metadata.parse(bad.getBytes(StandardCharsets.UTF_8), 1 << 20).root());
    }
    assertRefused(ReasonCode.MALFORMED, md::targets);
    assertRefused(ReasonCode.SIZE_LIMIT, () -> Metadata.parse(md.toBytes(), 100));
  }

  @Test
  @DisplayName("SRC-2: a key filed under an id that is not its own is refused (it would count "
      + "twice)")
  void root_keyUnderForeignId_refused() throws Exception {
    SigningKey k = SigningKey.generate(KeyType.ED25519);
    ObjectNode signed = root(List.of(k), 1, k).toSigned();
    ObjectNode keys = (ObjectNode) signed.get("keys");
    keys.set("f".repeat(64), keys.get(k.keyId()));
    assertRefused(ReasonCode.MALFORMED, () -> RootMetadata.fromSigned(signed));
  }

  @Test
  @DisplayName("OBJ-1: targets metadata naming a path is UNSAFE_PATH; the writer cannot write one")
  void targetNames() {
    for (String name : List.of("../x", "a/b", ".x", "", "x".repeat(256), "a b", "a\u0000")) {
      assertThat(TargetFile.isSafeName(name)).as(name).isFalse();
      assertThatThrownBy(() -> new TargetFile(name, 1, "a".repeat(64), null))
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(TargetFile.isSafeName("nms-agent_1.0.0+build.7.ngp")).isTrue();
  }
}
