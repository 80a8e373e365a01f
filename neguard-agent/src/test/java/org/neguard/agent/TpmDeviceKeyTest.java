package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.agent.TpmKeyException.Reason;
import org.neguard.agent.client.DeviceClient;
import org.neguard.agent.client.DeviceIdentity;
import org.neguard.attest.EvidenceSigner;
import org.neguard.pki.CertificateIssuer;
import org.neguard.testing.Openssl;
import org.neguard.testing.SoftwareTpm;

/**
 * The TPM-held device key against a real software TPM (swtpm, started here) and a TLS server on
 * loopback that requires a client certificate: the CSR the TPM signs verifies with openssl, the
 * key is the one tpm2_readpublic reads, mutual TLS 1.3 and 1.2 sign with the TPM, no private key
 * is ever written, and every way the key can be unusable is refused with its reason.
 */
class TpmDeviceKeyTest {
  static Path dir;
  static SoftwareTpm tpm;
  static KeyPair caKey;
  static X509Certificate ca;
  static HttpsServer tls13;
  static HttpsServer tls12;
  static final List<X509Certificate> seen = new CopyOnWriteArrayList<>();
  static final List<String> protocols = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("neguard-tpm-device-key-test-");
    tpm = SoftwareTpm.start(dir.resolve("swtpm"));
    caKey = DeviceIdentity.newKeyPair();
    ca = CertificateIssuer.forSubject("CN=Test Device CA", caKey.getPublic()).ca()
        .selfSigned(caKey.getPrivate());
    tls13 = server("TLSv1.3");
    tls12 = server("TLSv1.2");
  }

  @AfterAll
  static void stop() throws Exception {
    for (HttpsServer s : new HttpsServer[] {tls13, tls12}) {
      if (s != null) {
        s.stop(0);
      }
    }
    if (tpm != null) {
      tpm.close();
    }
    org.neguard.io.FileTrees.deleteTree(dir);
  }

  /** The agents' port in miniature: a client certificate of the device CA required. */
  static HttpsServer server(String protocol) throws Exception {
    KeyPair tlsKey = DeviceIdentity.newKeyPair();
    X509Certificate cert = CertificateIssuer.forSubject("CN=agents", tlsKey.getPublic())
        .serverAuth().subjectAltNames(List.of("127.0.0.1")).issuedBy(ca, caKey.getPrivate());
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("tls", tlsKey.getPrivate(), new char[0], new X509Certificate[] {cert, ca});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
    kmf.init(ks, new char[0]);
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", ca);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    HttpsServer s = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    s.setHttpsConfigurator(new HttpsConfigurator(context) {
      @Override
      public void configure(HttpsParameters params) {
        SSLParameters p = context.getDefaultSSLParameters();
        p.setNeedClientAuth(true);
        p.setProtocols(new String[] {protocol});
        params.setSSLParameters(p);
      }
    });
    s.createContext("/api/device/v1/order-keys", ex -> {
      HttpsExchange https = (HttpsExchange) ex;
      seen.add((X509Certificate) https.getSSLSession().getPeerCertificates()[0]);
      protocols.add(https.getSSLSession().getProtocol());
      byte[] body = "[]".getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    s.start();
    return s;
  }

  static URI url(HttpsServer s) {
    return URI.create("https://127.0.0.1:" + s.getAddress().getPort());
  }

  /** A device enrolled with a TPM key: its CSR signed by the TPM, its certificate from the CA. */
  record Enrolled(Path idDir, TpmDeviceKey keys, DeviceIdentity identity, String csr) {}

  static Enrolled enroll(String deviceId, SoftwareTpm on, AgentLog log) throws Exception {
    Path idDir = dir.resolve(deviceId + "/state/identity");
    TpmDeviceKey keys = TpmDeviceKey.of(on.tcti(), idDir, log);
    KeyPair pair = keys.newKeyPair();
    String csr = DeviceIdentity.csr(deviceId, pair);
    X509Certificate cert = CertificateIssuer.forSubject("CN=" + deviceId, pair.getPublic())
        .clientAuth().issuedBy(ca, caKey.getPrivate());
    DeviceIdentity id = new DeviceIdentity(deviceId, pair, cert, ca);
    id.save(idDir);
    keys.retainOnly(cert);
    return new Enrolled(idDir, keys, id, csr);
  }

  /** The public key of the certificate's blobs as tpm2_readpublic reads it (DER). */
  static byte[] readPublic(SoftwareTpm on, Path idDir, X509Certificate cert) throws Exception {
    String id = TpmDeviceKey.id(cert.getPublicKey());
    return on.readPublic(idDir.resolve("tpm-key-" + id + ".pub"),
        idDir.resolve("tpm-key-" + id + ".priv"));
  }

  static void assertNoPrivateKeyFile(Path root) throws IOException {
    assertThat(SoftwareTpm.privateKeyFiles(root)).isEmpty();
  }

  @Test
  @DisplayName("SRC-2 INT-3 the enrollment CSR is signed by the TPM key: openssl req -verify"
      + " accepts it, its key is the one tpm2_readpublic reads, no private key file is written")
  void enroll_csrSignedByTpm_verifiesWithOpenssl() throws Exception {
    Enrolled e = enroll("ne-csr", tpm, null);
    Path csr = Files.writeString(dir.resolve("ne-csr.csr"), e.csr());
    Openssl.Result verified = Openssl.run(dir, null, "req", "-in", csr.toString(), "-noout",
        "-verify");
    // openssl 3 exits 0 either way: its verdict is the line it prints.
    assertThat(verified.exit()).as("%s", verified).isZero();
    assertThat(verified.stdout() + verified.stderr()).contains("verify OK")
        .doesNotContain("verify failure");
    PKCS10CertificationRequest req;
    try (PEMParser p = new PEMParser(Files.newBufferedReader(csr))) {
      req = (PKCS10CertificationRequest) p.readObject();
    }
    assertThat(req.getSubjectPublicKeyInfo().getEncoded())
        .isEqualTo(readPublic(tpm, e.idDir(), e.identity().certificate()));
    assertThat(e.identity().keyPair().getPrivate().getEncoded()).isNull();
    assertThat(e.idDir().resolve("device.key")).doesNotExist();
    assertNoPrivateKeyFile(dir.resolve("ne-csr"));
    // The same request with one bit of its signature flipped fails the same check: openssl
    // judges the TPM's signature, not the request's shape.
    byte[] der = req.getEncoded();
    der[der.length - 3] ^= 0x01;
    Path bad = Files.write(dir.resolve("ne-csr-bad.der"), der);
    Openssl.Result refused = Openssl.run(dir, null, "req", "-inform", "DER", "-in",
        bad.toString(), "-noout", "-verify");
    assertThat(refused.stdout() + refused.stderr()).contains("verify failure")
        .doesNotContain("verify OK");
  }

  @Test
  @DisplayName("SRC-2 mutual TLS 1.3 and 1.2 with the TPM-held key: the server sees the device"
      + " certificate, whose key is the TPM's; evidence is signed by the TPM too")
  void mutualTls_signsHandshakeWithTpm() throws Exception {
    Enrolled e = enroll("ne-tls", tpm, null);
    // As the agent after a restart: the identity loaded through the TPM.
    DeviceIdentity loaded = DeviceIdentity.load(e.idDir(), e.keys());
    assertThat(loaded.keyPair().getPrivate()).isInstanceOf(TpmPrivateKey.class);
    for (HttpsServer s : new HttpsServer[] {tls13, tls12}) {
      seen.clear();
      protocols.clear();
      assertThat(DeviceClient.of(url(s), loaded, e.keys()).orderKeys()).isEmpty();
      assertThat(protocols).containsExactly(s == tls13 ? "TLSv1.3" : "TLSv1.2");
      assertThat(seen).hasSize(1);
      assertThat(seen.get(0)).isEqualTo(e.identity().certificate());
      assertThat(seen.get(0).getPublicKey().getEncoded())
          .isEqualTo(readPublic(tpm, e.idDir(), e.identity().certificate()));
    }
    // The evidence signer reaches the TPM through the same provider.
    String jws = EvidenceSigner.of(loaded.keyPair().getPrivate()).sign(
        org.neguard.attest.Evidence.of("ne-tls", new byte[32], java.time.Instant.now(),
            List.of(), java.util.Optional.empty()));
    assertThat(com.nimbusds.jose.JWSObject.parse(jws).verify(
        new com.nimbusds.jose.crypto.ECDSAVerifier((java.security.interfaces.ECPublicKey)
            e.identity().certificate().getPublicKey()))).isTrue();
    // and the validation entity's own verifier accepts it (ES256: exactly r || s, 64 bytes).
    assertThat(org.neguard.attest.EvidenceVerifier.verify(jws,
        e.identity().certificate().getPublicKey(), "ne-tls", new byte[32],
        java.util.Optional.empty()).deviceId()).isEqualTo("ne-tls");
    assertNoPrivateKeyFile(dir.resolve("ne-tls"));
  }

  @Test
  @DisplayName("SRC-2 a key blob altered on disk: the TPM refuses to load it, TPM_KEY_REJECTED"
      + " logged, no identity (no fall-back to a file key)")
  void load_alteredBlob_refusedWithTpmKeyRejected() throws Exception {
    Enrolled e = enroll("ne-altered", tpm, null);
    Path priv = e.idDir().resolve("tpm-key-" + TpmDeviceKey.id(
        e.identity().certificate().getPublicKey()) + ".priv");
    byte[] b = Files.readAllBytes(priv);
    b[b.length / 2] ^= 0x5a;
    Files.write(priv, b);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TpmDeviceKey keys = TpmDeviceKey.of(tpm.tcti(), e.idDir(),
        new AgentLog(new PrintStream(out, true, StandardCharsets.UTF_8)));
    TpmKeyException x = catchThrowableOfType(TpmKeyException.class,
        () -> DeviceIdentity.load(e.idDir(), keys));
    assertThat(x.reason()).isEqualTo(Reason.TPM_KEY_REJECTED);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("\"event\":\"tpm_key_refused\"")
        .contains("\"reason\":\"TPM_KEY_REJECTED\"");
  }

  @Test
  @DisplayName("SRC-2 a missing key blob is TPM_KEY_MISSING; a certificate for another key is"
      + " TPM_KEY_MISMATCH; a file-key identity with tpm.deviceKey on is TPM_KEY_MIGRATION, the"
      + " message asking for a new enrollment token")
  void load_missingMismatchedOrFileKey_refusedWithReason() throws Exception {
    Enrolled gone = enroll("ne-gone", tpm, null);
    String id = TpmDeviceKey.id(gone.identity().certificate().getPublicKey());
    Files.delete(gone.idDir().resolve("tpm-key-" + id + ".priv"));
    Files.delete(gone.idDir().resolve("tpm-key-" + id + ".pub"));
    assertThat(catchThrowableOfType(TpmKeyException.class,
        () -> DeviceIdentity.load(gone.idDir(), gone.keys())).reason())
        .isEqualTo(Reason.TPM_KEY_MISSING);

    // The certificate swapped for one of another key (a software key of the same name).
    Enrolled other = enroll("ne-other", tpm, null);
    KeyPair soft = DeviceIdentity.newKeyPair();
    X509Certificate foreign = CertificateIssuer.forSubject("CN=ne-other", soft.getPublic())
        .clientAuth().issuedBy(ca, caKey.getPrivate());
    Files.writeString(other.idDir().resolve("device.crt"), pem(foreign));
    assertThat(catchThrowableOfType(TpmKeyException.class,
        () -> DeviceIdentity.load(other.idDir(), other.keys())).reason())
        .isEqualTo(Reason.TPM_KEY_MISMATCH);

    // The public blob swapped for another TPM key's, under the certificate's name.
    Enrolled swapped = enroll("ne-swapped", tpm, null);
    Enrolled donor = enroll("ne-donor", tpm, null);
    String sid = TpmDeviceKey.id(swapped.identity().certificate().getPublicKey());
    String did = TpmDeviceKey.id(donor.identity().certificate().getPublicKey());
    for (String ext : new String[] {".pub", ".priv"}) {
      Files.copy(donor.idDir().resolve("tpm-key-" + did + ext),
          swapped.idDir().resolve("tpm-key-" + sid + ext),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    assertThat(catchThrowableOfType(TpmKeyException.class,
        () -> DeviceIdentity.load(swapped.idDir(), swapped.keys())).reason())
        .isEqualTo(Reason.TPM_KEY_MISMATCH);

    // Enrolled with a file key, then tpm.deviceKey turned on.
    Path fileId = dir.resolve("ne-file/state/identity");
    KeyPair pair = DeviceIdentity.newKeyPair();
    new DeviceIdentity("ne-file", pair, CertificateIssuer.forSubject("CN=ne-file",
        pair.getPublic()).clientAuth().issuedBy(ca, caKey.getPrivate()), ca).save(fileId);
    TpmKeyException migration = catchThrowableOfType(TpmKeyException.class,
        () -> DeviceIdentity.load(fileId, TpmDeviceKey.of(tpm.tcti(), fileId, null)));
    assertThat(migration.reason()).isEqualTo(Reason.TPM_KEY_MIGRATION);
    assertThat(migration.getMessage()).contains("new enrollment token");
  }

  @Test
  @DisplayName("SRC-2 a TPM that no longer signs: the handshake fails, TPM_SIGN_REFUSED logged,"
      + " the server sees no client certificate")
  void tls_tpmRefusesToSign_handshakeFailsWithReason() throws Exception {
    SoftwareTpm own = SoftwareTpm.start(dir.resolve("swtpm-stopped"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    AgentLog log = new AgentLog(new PrintStream(out, true, StandardCharsets.UTF_8));
    Enrolled e;
    DeviceIdentity loaded;
    try {
      e = enroll("ne-stopped", own, log);
      loaded = DeviceIdentity.load(e.idDir(), e.keys());
    } finally {
      own.close();
    }
    seen.clear();
    assertThat(catchThrowableOfType(IOException.class,
        () -> DeviceClient.of(url(tls13), loaded, e.keys()).orderKeys())).isNotNull();
    assertThat(seen).isEmpty();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("\"event\":\"tpm_key_refused\"")
        .contains("\"reason\":\"TPM_SIGN_REFUSED\"");
  }

  static String pem(X509Certificate c) throws Exception {
    return "-----BEGIN CERTIFICATE-----\n" + java.util.Base64.getMimeEncoder(64,
        new byte[] {'\n'}).encodeToString(c.getEncoded()) + "\n-----END CERTIFICATE-----\n";
  }
}
