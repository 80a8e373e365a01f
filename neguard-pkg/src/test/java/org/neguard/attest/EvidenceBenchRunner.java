package org.neguard.attest;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.neguard.measure.PlatformTim;
import org.neguard.measure.TreeDigest;

/**
 * Issue 15's benchmark "evidence verifications per second per core, software keys"
 * (bench/evidence-verify.sh, docs/BENCHMARKS.md). The project has no JMH module; this is a
 * test-scoped main like {@code ClamdBenchRunner}, run with the test classes and the CLI's
 * libraries on the class path:
 *
 * <pre>
 * java -cp neguard-pkg/target/test-classes:neguard-cli/target/lib/* \
 *     org.neguard.attest.EvidenceBenchRunner [SECONDS] [WARMUP_SECONDS]
 * </pre>
 *
 * Realistic evidence: one package component of 200 files and two platform components of 20
 * files each, signed ES256 by a P-256 device key, nonce of 32 bytes, in two forms: a runtime
 * attestation of an unchanged NE (every component at the digest its challenge named, so
 * reported by its digest alone: what a fleet sends every interval) and the same with every
 * file (first contact, a changed NE, the evidence after an update). One thread, so the rate
 * is per core. Like JMH's throughput mode: warm-up iterations (the JIT compiles), then measured
 * iterations, each one second of this thread's CPU time (the machine is shared: wall time would
 * count the other processes' turns), every result consumed (a sink the JIT cannot drop).
 * Prints one line per measured iteration and a summary; the same loop over the signature check
 * alone ({@link Es256}, and the JDK's own provider)
 * shows what the signature costs of the whole.
 */
public final class EvidenceBenchRunner {
  private EvidenceBenchRunner() {}

  static volatile Object sink;

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair device = g.generateKeyPair();
    SecureRandom random = new SecureRandom(new byte[] {1});
    List<Evidence.Component> components = List.of(
        component("mme-core", PlatformTim.Reference.VENDOR_SIGNED, packageFiles(200)),
        component("platform:agent", PlatformTim.Reference.OPERATOR_BASELINE,
            platformFiles("lib/neguard-agent", 20)),
        component("platform:etc", PlatformTim.Reference.OPERATOR_BASELINE,
            platformFiles("neguard", 20)));
    byte[] nonce = new byte[32];
    random.nextBytes(nonce);
    Evidence e = Evidence.of("ne-0001", nonce, Instant.parse("2026-12-04T12:00:00Z"),
        components, Optional.empty());
    String jws = EvidenceSigner.of(device.getPrivate()).sign(e);
    // It verifies, and to the same evidence, before anything is timed.
    if (!EvidenceVerifier.verify(jws, device.getPublic(), "ne-0001", nonce, Optional.empty())
        .equals(e)) {
      throw new AssertionError("the evidence does not verify to itself");
    }
    System.out.printf("java %s (%s)%n", System.getProperty("java.version"),
        System.getProperty("java.vm.name"));
    System.out.printf("evidence: %d characters of JWS, %d components, %d files, ES256 (P-256)%n",
        jws.length(), components.size(),
        components.stream().mapToInt(c -> c.leaves().size()).sum());

    // The challenge's known list of an unchanged NE: every component at its measured digest.
    Evidence steady = Evidence.of("ne-0001", nonce, e.measuredAt(),
        Evidence.withoutFilesWhere(components, (name, digest) -> true), Optional.empty());
    String steadyJws = EvidenceSigner.of(device.getPrivate()).sign(steady);
    if (!EvidenceVerifier.verify(steadyJws, device.getPublic(), "ne-0001", nonce,
        Optional.empty()).equals(steady) || !steady.tim().equals(e.tim())) {
      throw new AssertionError("the runtime evidence does not verify to itself");
    }
    System.out.printf("runtime evidence of an unchanged NE: %d characters of JWS, %d components"
        + " by their digests alone, the same TIM%n", steadyJws.length(), components.size());
    double runtime = run("EvidenceVerifier.verify, runtime (components by digest)",
        () -> sink = EvidenceVerifier.verify(steadyJws, device.getPublic(), "ne-0001", nonce,
            Optional.empty()), warmup, seconds);
    Op verify = () -> sink = EvidenceVerifier.verify(jws, device.getPublic(), "ne-0001", nonce,
        Optional.empty());
    double full = run("EvidenceVerifier.verify, every file", verify, warmup, seconds);

    String signingInput = jws.substring(0, jws.lastIndexOf('.'));
    byte[] input = signingInput.getBytes(StandardCharsets.US_ASCII);
    byte[] rs = java.util.Base64.getUrlDecoder().decode(jws.substring(jws.lastIndexOf('.') + 1));
    // The JDK's own provider (SunEC) in the JWS's R || S form, as a JDK path of Es256 would
    // call it: on JDK 24 and later its P-256 field has a Montgomery form with an AVX-512 IFMA
    // intrinsic, so it is measured on each JDK the runner runs on.
    Op ecdsa = () -> {
      Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
      s.initVerify(device.getPublic());
      s.update(input);
      if (!s.verify(rs)) {
        throw new AssertionError("the signature does not verify");
      }
      sink = s;
    };
    double jdk = run("JDK (" + Signature.getInstance("SHA256withECDSAinP1363Format")
        .getProvider().getName() + ") SHA256withECDSAinP1363Format verify alone", ecdsa, warmup,
        seconds);
    java.security.interfaces.ECPublicKey ec =
        (java.security.interfaces.ECPublicKey) device.getPublic();
    double es256 = run("Es256 (" + Es256.describe() + ", what the verifier uses) verify alone",
        () -> {
          if (!Es256.verify(Es256.key(ec), input, rs)) {
            throw new AssertionError("the signature does not verify");
          }
        }, warmup, seconds);
    double bc = run("Es256 on Bouncy Castle verify alone", () -> {
      if (!Es256.verify(Es256.Implementation.BOUNCY_CASTLE, Es256.key(ec), input, input.length,
          rs)) {
        throw new AssertionError("the signature does not verify");
      }
    }, warmup, seconds);
    // verify_per_cpu_s keeps its meaning of every run before 2026-12-06: evidence of every file.
    System.out.printf("RESULT verify_per_cpu_s=%.0f runtime_verify_per_cpu_s=%.0f"
        + " es256_only_per_cpu_s=%.0f bc_only_per_cpu_s=%.0f jdk_ecdsa_only_per_cpu_s=%.0f%n",
        full, runtime, es256, bc, jdk);
  }

  interface Op {
    void run() throws Exception;
  }

  /**
   * Warm-up then measured iterations of one second of this thread's CPU time; returns the mean
   * operations per CPU-second. CPU time, not wall time: the machine is shared (other builds run
   * beside), and `openssl speed`, the reference, divides by its user CPU time too.
   */
  static double run(String name, Op op, int warmup, int seconds) throws Exception {
    for (int i = 0; i < warmup; i++) {
      iteration(op);
    }
    double[] rates = new double[seconds];
    double wallSum = 0;
    for (int i = 0; i < seconds; i++) {
      double[] r = iteration(op);
      rates[i] = r[0];
      wallSum += r[1];
      System.out.printf("  %s iteration %d: %.0f ops per CPU-second (%.0f ops/s of wall time)%n",
          name, i + 1, r[0], r[1]);
    }
    double sum = 0;
    double min = Double.MAX_VALUE;
    double max = 0;
    for (double r : rates) {
      sum += r;
      min = Math.min(min, r);
      max = Math.max(max, r);
    }
    double mean = sum / seconds;
    double var = 0;
    for (double r : rates) {
      var += (r - mean) * (r - mean);
    }
    double sd = seconds > 1 ? Math.sqrt(var / (seconds - 1)) : 0;
    System.out.printf("%s: %.0f ops per CPU-second (mean of %d iterations; sd %.0f, min %.0f,"
        + " max %.0f; %.1f µs of CPU per op); %.0f ops per wall second%n",
        name, mean, seconds, sd, min, max, 1e6 / mean, wallSum / seconds);
    return mean;
  }

  /** One iteration: {ops per CPU-second, ops per wall second}. */
  private static double[] iteration(Op op) throws Exception {
    ThreadMXBean t = ManagementFactory.getThreadMXBean();
    long cpuStart = t.getCurrentThreadCpuTime();
    long wallStart = System.nanoTime();
    long cpuEnd = cpuStart + 1_000_000_000L;
    long n = 0;
    long cpu;
    do {
      op.run();
      n++;
      cpu = t.getCurrentThreadCpuTime();
    } while (cpu < cpuEnd);
    long wall = System.nanoTime() - wallStart;
    return new double[] {n * 1e9 / (cpu - cpuStart), n * 1e9 / wall};
  }

  private static List<TreeDigest.Leaf> packageFiles(int n) {
    List<String> paths = new ArrayList<>();
    paths.add("bin/mme");
    paths.add("bin/mme-ctl");
    paths.add("etc/mme/mme.conf.default");
    for (int i = 0; paths.size() < n; i++) {
      paths.add(switch (i % 4) {
        case 0 -> "lib/libmme-s1ap-" + i + ".so.1";
        case 1 -> "share/mme/asn1/S1AP-PDU-Contents-" + i + ".asn";
        case 2 -> "lib/python3/dist-packages/mme_oam/handlers/h" + i + ".py";
        default -> "share/doc/mme/changelog-" + i + ".txt";
      });
    }
    return leaves(paths);
  }

  private static List<TreeDigest.Leaf> platformFiles(String prefix, int n) {
    List<String> paths = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      paths.add(prefix + "/file-" + i + (i % 2 == 0 ? ".properties" : ".jar"));
    }
    return leaves(paths);
  }

  private static List<TreeDigest.Leaf> leaves(List<String> paths) {
    List<TreeDigest.Leaf> out = new ArrayList<>();
    for (String p : paths) {
      out.add(new TreeDigest.Leaf(p, org.neguard.measure.Sha256.hex(
          p.getBytes(StandardCharsets.UTF_8)), p.startsWith("bin/") ? 0755 : 0644));
    }
    return out;
  }

  /** A component as the agent measures it: its leaves sorted by path (TreeMeasurement). */
  private static Evidence.Component component(String name, PlatformTim.Reference ref,
      List<TreeDigest.Leaf> leaves) {
    org.neguard.measure.TreeMeasurement m = org.neguard.measure.TreeMeasurement.of(leaves);
    return new Evidence.Component(name, ref, m.digest(), m.leaves());
  }
}
