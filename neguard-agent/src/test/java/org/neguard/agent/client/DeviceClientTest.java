package org.neguard.agent.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.measure.Sha256;
import org.neguard.pki.CertificateIssuer;

/**
 * The device client's own checks, against a small HTTPS server standing in for the agents' port:
 * a download resumes with {@code Range} from a partial file, and a bundle whose bytes or length
 * are not the order's is deleted and refused; the identity keeps its key 0600.
 */
class DeviceClientTest {
  @TempDir Path dir;
  HttpsServer server;
  KeyPair caKey;
  X509Certificate ca;
  byte[] bundle;
  /** What the fake serves; {@link #bundle} unless a test swaps it. */
  volatile byte[] served;
  final List<String> ranges = new CopyOnWriteArrayList<>();
  final List<Integer> ports = new CopyOnWriteArrayList<>();
  /** The Connection header of each order-keys request. */
  final List<String> closes = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    caKey = DeviceIdentity.newKeyPair();
    ca = CertificateIssuer.forSubject("CN=Test Device CA", caKey.getPublic()).ca()
        .selfSigned(caKey.getPrivate());
    SSLContext context = agentsPort(caKey, ca, null);
    bundle = new byte[200_000];
    new Random(7).nextBytes(bundle);
    served = bundle;
    server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(context));
    server.createContext("/api/device/v1/bundles/", ex -> {
      byte[] body = served;
      String range = ex.getRequestHeaders().getFirst("Range");
      ranges.add(String.valueOf(range));
      int from = range == null ? 0 : Integer.parseInt(range.replaceAll("bytes=(\\d+)-", "$1"));
      if (from > 0) {
        ex.getResponseHeaders().add("Content-Range",
            "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
      }
      ex.sendResponseHeaders(from > 0 ? 206 : 200, body.length - from);
      ex.getResponseBody().write(body, from, body.length - from);
      ex.close();
    });
    server.createContext("/api/device/v1/order-keys", ex -> {
      ports.add(ex.getRemoteAddress().getPort());
      closes.add(String.valueOf(ex.getRequestHeaders().getFirst("Connection")));
      byte[] body = "[]".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    server.createContext("/api/device/v1/evidence", ex -> {
      String body = new String(ex.getRequestBody().readAllBytes(),
          java.nio.charset.StandardCharsets.UTF_8);
      evidenceBodies.add(body);
      if (body.contains("drop")) {
        // The HTTP server closes the connection without an answer: a read that fails.
        throw new java.io.IOException("dropped under the request");
      }
      boolean late = body.contains("late");
      byte[] answer = (late
          ? "{\"verdict\":\"fail\",\"reasons\":[{\"code\":\"CONFLICT\",\"message\":\"the nonce expired\"}]}"
          : "{\"id\":\"att-1\",\"deviceId\":\"dev-1\",\"reason\":\"REQUESTED\","
              + "\"result\":\"PASS\",\"trustBase\":\"SOFTWARE_KEY\",\"tim\":\"ab\","
              + "\"trustState\":\"trusted\",\"requestedAt\":\"2026-12-04T18:00:00Z\","
              + "\"judgedAt\":\"2026-12-04T18:00:01Z\",\"reasons\":[],\"newField\":1}")
          .getBytes(java.nio.charset.StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", late ? "application/problem+json"
          : "application/json");
      ex.sendResponseHeaders(late ? 409 : 200, answer.length);
      ex.getResponseBody().write(answer);
      ex.close();
    });
    server.createContext("/api/device/v1/enroll", ex -> {
      String request = new String(ex.getRequestBody().readAllBytes(),
          java.nio.charset.StandardCharsets.UTF_8);
      enrollKeys.add(csrKey(request));
      if (request.contains("_" + "1".repeat(64))) {
        throw new java.io.IOException("dropped under the request");
      }
      byte[] answer = ("{\"verdict\":\"fail\",\"reasons\":[{\"code\":"
          + "\"NOT_AUTHENTICATED\",\"message\":\"spent\"}]}")
          .getBytes(java.nio.charset.StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/problem+json");
      ex.sendResponseHeaders(401, answer.length);
      ex.getResponseBody().write(answer);
      ex.close();
    });
    server.start();
  }

  final List<String> evidenceBodies = new CopyOnWriteArrayList<>();
  /** The public key of each enrollment's CSR, hex of its SubjectPublicKeyInfo. */
  final List<String> enrollKeys = new CopyOnWriteArrayList<>();

  static String csrKey(String enrollRequest) throws java.io.IOException {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile(
        "-----BEGIN CERTIFICATE REQUEST-----(.*?)-----END").matcher(
            enrollRequest.replace("\\n", ""));
    if (!m.find()) {
      return "no CSR";
    }
    byte[] der = java.util.Base64.getMimeDecoder().decode(m.group(1));
    return java.util.HexFormat.of().formatHex(
        new org.bouncycastle.pkcs.PKCS10CertificationRequest(der).getSubjectPublicKeyInfo()
            .getEncoded());
  }

  /**
   * The TLS of a fake agents' port: a certificate for 127.0.0.1 issued by {@code ca}, and
   * {@code trust} for client certificates (null: the JDK's).
   */
  static SSLContext agentsPort(KeyPair caKey, X509Certificate ca,
      javax.net.ssl.TrustManager[] trust) throws Exception {
    KeyPair tlsKey = DeviceIdentity.newKeyPair();
    X509Certificate tls = CertificateIssuer.forSubject("CN=agents", tlsKey.getPublic())
        .serverAuth().subjectAltNames(List.of("127.0.0.1")).issuedBy(ca, caKey.getPrivate());
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("tls", tlsKey.getPrivate(), new char[0], new X509Certificate[] {tls, ca});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
    kmf.init(ks, new char[0]);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), trust, null);
    return context;
  }

  @Test
  @org.junit.jupiter.api.DisplayName("ATT-3 evidence is posted as EvidenceSubmission and the"
      + " judgement read (fields a newer server adds ignored); a 409 is the server's refusal"
      + " with its problem's code")
  void evidence_postedAndJudged() throws Exception {
    DeviceClient c = client();
    org.neguard.api.attest.AttestationResult r = c.evidence(
        new org.neguard.api.attest.EvidenceSubmission("a.b.c"));
    assertThat(r.result()).isEqualTo("PASS");
    assertThat(r.trustState()).isEqualTo("trusted");
    assertThat(evidenceBodies).containsExactly("{\"evidence\":\"a.b.c\"}");
    DeviceApiException e = catchThrowableOfType(DeviceApiException.class,
        () -> c.evidence(new org.neguard.api.attest.EvidenceSubmission("late")));
    assertThat(e.status()).isEqualTo(409);
    assertThat(e.code()).isEqualTo("CONFLICT");
  }

  /**
   * The JDK sends a POST again by itself when reading its answer fails: the copy would judge the
   * nonce a second time (a 409 for an answer lost, or a replay once a newer challenge is open).
   */
  @Test
  @org.junit.jupiter.api.DisplayName("ATT-3 evidence whose answer is lost is not sent again by"
      + " the HTTP client: the failure reaches the caller")
  void evidence_answerLost_sentOnce() {
    DeviceClient c = client();
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(
        () -> c.evidence(new org.neguard.api.attest.EvidenceSubmission("drop")));
    assertThat(t).isInstanceOf(java.io.IOException.class);
    assertThat(evidenceBodies).containsExactly("{\"evidence\":\"drop\"}");
  }

  /** The price of posting once (streaming mode): the JDK drops the body of a 401. */
  @Test
  void enroll_refused401_isTheServersRefusalWithoutItsBody() {
    DeviceClient c = DeviceClient.enrolling(
        URI.create("https://127.0.0.1:" + server.getAddress().getPort()),
        new DeviceClient.Trust(ca, null));
    DeviceApiException e = catchThrowableOfType(DeviceApiException.class,
        () -> c.enroll("net_0000000000000000_" + "0".repeat(64), "dev-1", "MME", List.of(),
            List.of()));
    assertThat(e.status()).isEqualTo(401);
    assertThat(e.code()).isEqualTo("NOT_AUTHENTICATED");
    assertThat(e.getMessage()).contains("enrollment token unknown, already used or expired");
  }

  @Test
  @org.junit.jupiter.api.DisplayName("SRC-1 an enrollment whose answer was lost is asked again"
      + " with the same key, sent once each time")
  void enroll_answerLost_askedAgainWithTheSameKey() {
    DeviceClient c = DeviceClient.enrolling(
        URI.create("https://127.0.0.1:" + server.getAddress().getPort()),
        new DeviceClient.Trust(ca, null));
    String token = "net_0000000000000000_" + "1".repeat(64);
    for (int i = 0; i < 2; i++) {
      assertThat(org.assertj.core.api.Assertions.catchThrowable(
          () -> c.enroll(token, "dev-1", "MME", List.of(), List.of())))
          .isInstanceOf(java.io.IOException.class);
    }
    assertThat(enrollKeys).hasSize(2).doesNotContain("no CSR");
    assertThat(enrollKeys.get(1)).isEqualTo(enrollKeys.get(0));
    DeviceClient other = DeviceClient.enrolling(
        URI.create("https://127.0.0.1:" + server.getAddress().getPort()),
        new DeviceClient.Trust(ca, null));
    org.assertj.core.api.Assertions.catchThrowable(
        () -> other.enroll(token, "dev-1", "MME", List.of(), List.of()));
    assertThat(enrollKeys.get(2)).as("another client, another key")
        .isNotEqualTo(enrollKeys.get(0));
  }

  @Test
  @org.junit.jupiter.api.DisplayName("SRC-1 an enrollment whose answer was lost before the agent"
      + " stopped is asked again after the restart with the key saved as pending in the identity"
      + " directory (0700); a pending key whose marker was damaged is replaced by a new one,"
      + " the old key's file removed")
  void enrollInto_answerLostThenRestart_sameKeyFromThePendingFile() throws Exception {
    Path id = dir.resolve("identity");
    String token = "net_0000000000000000_" + "1".repeat(64);
    for (int restart = 0; restart < 2; restart++) {
      DeviceClient agent = DeviceClient.enrolling(
          URI.create("https://127.0.0.1:" + server.getAddress().getPort()),
          new DeviceClient.Trust(ca, null));
      assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> agent.enrollInto(id,
          token, "dev-1", "MME", List.of(), List.of())))
          .isInstanceOf(java.io.IOException.class);
    }
    assertThat(enrollKeys).hasSize(2).doesNotContain("no CSR");
    assertThat(enrollKeys.get(1)).as("the restarted agent's key").isEqualTo(enrollKeys.get(0));
    assertThat(Files.getPosixFilePermissions(id))
        .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    assertThat(DeviceIdentity.fileKeys(id)).hasSize(1);
    assertThat(Files.getPosixFilePermissions(DeviceIdentity.fileKeys(id).get(0)))
        .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));

    Path marker = id.resolve(DeviceIdentity.PENDING);
    Files.writeString(marker, Files.readString(marker).substring(0, 40));
    DeviceClient afterCrash = DeviceClient.enrolling(
        URI.create("https://127.0.0.1:" + server.getAddress().getPort()),
        new DeviceClient.Trust(ca, null));
    org.assertj.core.api.Assertions.catchThrowable(() -> afterCrash.enrollInto(id, token,
        "dev-1", "MME", List.of(), List.of()));
    assertThat(enrollKeys).hasSize(3);
    assertThat(enrollKeys.get(2)).as("a new key for a marker that no longer names one")
        .isNotEqualTo(enrollKeys.get(0));
    assertThat(DeviceIdentity.fileKeys(id)).as("the new key's file alone").hasSize(1);
    assertThat(Files.readString(marker)).isNotEmpty();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  DeviceClient client() {
    KeyPair pair = DeviceIdentity.newKeyPair();
    X509Certificate cert = CertificateIssuer.forSubject("CN=dev-1", pair.getPublic())
        .clientAuth().issuedBy(ca, caKey.getPrivate());
    return DeviceClient.of(URI.create("https://127.0.0.1:" + server.getAddress().getPort()),
        new DeviceIdentity("dev-1", pair, cert, ca));
  }

  @Test
  void downloadBundle_partialFile_resumesWithRange() throws Exception {
    Path target = dir.resolve("b.ngp");
    Files.write(target, Arrays.copyOf(bundle, 70_000));
    client().downloadBundle(Sha256.hex(bundle), bundle.length, target);
    assertThat(ranges).containsExactly("bytes=70000-");
    assertThat(Files.readAllBytes(target)).isEqualTo(bundle);
  }

  @Test
  void downloadBundle_otherBytes_deletedAndRefused() throws Exception {
    byte[] other = bundle.clone();
    other[100] ^= 1;
    served = other;
    Path target = dir.resolve("b.ngp");
    DeviceApiException e = catchThrowableOfType(DeviceApiException.class,
        () -> client().downloadBundle(Sha256.hex(bundle), bundle.length, target));
    assertThat(e.code()).isEqualTo("DIGEST_MISMATCH");
    assertThat(target).doesNotExist();
  }

  @Test
  void downloadBundle_longerThanTheOrder_refusedAtTheLength() throws Exception {
    Path target = dir.resolve("b.ngp");
    DeviceApiException e = catchThrowableOfType(DeviceApiException.class,
        () -> client().downloadBundle(Sha256.hex(bundle), bundle.length - 10, target));
    assertThat(e.code()).isEqualTo("SIZE_LIMIT");
    assertThat(target).doesNotExist();
  }

  /** What lets ten thousand simulated devices poll without a handshake per poll. */
  @Test
  void requests_ofOneDevice_reuseOneConnection() throws Exception {
    DeviceClient one = client();
    DeviceClient two = client();
    for (int i = 0; i < 3; i++) {
      assertThat(one.orderKeys()).isEmpty();
    }
    two.orderKeys();
    assertThat(ports.subList(0, 3)).containsOnly(ports.get(0));
    assertThat(ports.get(3)).as("another device, another connection").isNotEqualTo(ports.get(0));
  }

  /** {@code sim agents --no-keep-alive}: a device that holds no connection between requests. */
  @Test
  void requests_withoutKeepAlive_eachOnAConnectionOfItsOwn() throws Exception {
    DeviceClient one = client();
    one.keepAlive(false);
    for (int i = 0; i < 3; i++) {
      assertThat(one.orderKeys()).isEmpty();
    }
    assertThat(closes).containsExactly("close", "close", "close");
    assertThat(ports).doesNotHaveDuplicates().hasSize(3);
    one.keepAlive(true);
    one.orderKeys();
    one.orderKeys();
    assertThat(closes.subList(3, 5)).as("kept again").doesNotContain("close");
    assertThat(ports.get(4)).isEqualTo(ports.get(3));
  }

  @Test
  void identity_savedAndLoaded_keyFileOwnerOnly() throws Exception {
    DeviceIdentity id = client().identity();
    Path d = dir.resolve("identity");
    id.save(d);
    Path key = DeviceIdentity.keyFile(d, id.keyPair().getPublic());
    assertThat(DeviceIdentity.fileKeys(d)).containsExactly(key);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
        .isEqualTo("rw-------");
    DeviceIdentity back = DeviceIdentity.load(d);
    assertThat(back.deviceId()).isEqualTo("dev-1");
    assertThat(back.serial()).isEqualTo(id.serial());
    assertThat(back.keyPair().getPrivate()).isEqualTo(id.keyPair().getPrivate());
    assertThat(back.ca()).isEqualTo(ca);

    // An identity an earlier agent saved (device.key) still loads; the next save renames it.
    Files.move(key, d.resolve(DeviceIdentity.KEY));
    assertThat(DeviceIdentity.load(d).serial()).isEqualTo(id.serial());
    DeviceIdentity.load(d).save(d);
    assertThat(DeviceIdentity.fileKeys(d)).containsExactly(key);
  }
}
