package org.neguard.agent;

import java.net.URI;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.neguard.agent.client.DeviceClient;
import org.neguard.agent.client.DeviceIdentity;
import org.neguard.pki.CertificateIssuer;

/**
 * The cost of a TPM-held device key per mutual-TLS handshake (docs/BENCHMARKS.md, "The NE agent
 * (issue 14)"): full TLS 1.3 handshakes plus one small request, each on a new client (no session
 * to resume), with the TPM key against a file key of the same curve, against swtpm. Not a test
 * (its name matches no surefire include): run by bench/agent-tpm-handshake.sh.
 */
class TpmHandshakeBench {
  static final int WARMUP = 20;
  static final int RUNS = Integer.getInteger("runs", 200);

  @Test
  void handshakes() throws Exception {
    TpmDeviceKeyTest.start();
    try {
      TpmDeviceKeyTest.Enrolled tpm = TpmDeviceKeyTest.enroll("ne-bench", TpmDeviceKeyTest.tpm,
          null);
      DeviceIdentity tpmId = DeviceIdentity.load(tpm.idDir(), tpm.keys());
      KeyPair pair = DeviceIdentity.newKeyPair();
      X509Certificate cert = CertificateIssuer.forSubject("CN=ne-file", pair.getPublic())
          .clientAuth().issuedBy(TpmDeviceKeyTest.ca, TpmDeviceKeyTest.caKey.getPrivate());
      DeviceIdentity fileId = new DeviceIdentity("ne-file", pair, cert, TpmDeviceKeyTest.ca);
      URI url = TpmDeviceKeyTest.url(TpmDeviceKeyTest.tls13);
      double[] file = time(() -> DeviceClient.of(url, fileId).orderKeys());
      double[] held = time(() -> DeviceClient.of(url, tpmId, tpm.keys()).orderKeys());
      byte[] digest = new byte[32];
      double[] sign = time(() -> tpm.keys().sign(
          (TpmPrivateKey) tpmId.keyPair().getPrivate(), digest,
          TpmDeviceKey.SignatureFormat.DER));
      System.out.printf("runs %d after %d warm-up; median (p90) ms%n", RUNS, WARMUP);
      System.out.printf("handshake+request, file key: %.1f (%.1f)%n", median(file), p90(file));
      System.out.printf("handshake+request, TPM key:  %.1f (%.1f)%n", median(held), p90(held));
      System.out.printf("tpm2_sign alone (TpmDeviceKey.sign): %.1f (%.1f)%n", median(sign),
          p90(sign));
    } finally {
      TpmDeviceKeyTest.stop();
    }
  }

  interface Call {
    void run() throws Exception;
  }

  static double[] time(Call c) throws Exception {
    for (int i = 0; i < WARMUP; i++) {
      c.run();
    }
    double[] ms = new double[RUNS];
    for (int i = 0; i < RUNS; i++) {
      long t = System.nanoTime();
      c.run();
      ms[i] = (System.nanoTime() - t) / 1e6;
    }
    Arrays.sort(ms);
    return ms;
  }

  static double median(double[] sorted) {
    return sorted[sorted.length / 2];
  }

  static double p90(double[] sorted) {
    return sorted[(int) (sorted.length * 0.9)];
  }
}
