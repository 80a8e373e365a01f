package org.neguard.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;
import org.neguard.agent.client.DeviceApiException;
import org.neguard.agent.client.DeviceClient;
import org.neguard.api.attest.TpmActivation;
import org.neguard.api.attest.TpmBound;
import org.neguard.api.attest.TpmCredential;
import org.neguard.api.attest.TpmCredentialRequest;
import org.neguard.attest.TpmPublic;
import org.neguard.verdict.RefusalException;

/**
 * Binds this NE's TPM attestation key to the server once, after enrollment (docs/MEASUREMENT.md,
 * "Binding the attestation key to the TPM"): the endorsement key of the TCG default RSA template
 * ({@code tpm2_createek}), an ECDSA P-256 restricted signing key created under it ({@code
 * tpm2_createak}) and made persistent ({@code tpm2_evictcontrol}) so it survives a reboot, the
 * credential the server made for the AK's name opened by the TPM ({@code
 * tpm2_activatecredential}), and the secret returned.
 *
 * <p>State, in {@code <state.dir>/tpm/} (0700): {@code ek.pub}, {@code ak.pub} (the public areas
 * sent to the server), {@code ak.priv} (the AK's private area, encrypted by the TPM: useless
 * elsewhere), {@code ak.tr} (the AK's persistent handle), {@code bound.json} (the server's
 * answer: the AK is bound, and the PCR to extend). Not thread-safe: the agent binds from one
 * thread, before it quotes.
 */
public final class TpmEnrollment {
  /** The directory under the state directory. */
  public static final String DIR = "tpm";
  static final String BOUND = "bound.json";

  private final TpmTools tpm;

  /** The public areas the server reads: {@code TPM2B_PUBLIC} bytes of the EK and of the AK. */
  public record Keys(byte[] ekPublic, byte[] akPublic) {}

  TpmEnrollment(TpmTools tpm) {
    this.tpm = tpm;
  }

  /** The enrollment of the TPM behind {@code tcti}, with its state under {@code stateDir}. */
  public static TpmEnrollment of(String tcti, Path stateDir) throws IOException {
    return new TpmEnrollment(new TpmTools(Objects.requireNonNull(tcti, "tcti"), dir(stateDir)));
  }

  static Path dir(Path stateDir) throws IOException {
    Path dir = stateDir.resolve(DIR);
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    return dir;
  }

  /**
   * Binds the TPM when the configuration names one ({@code tpm.tcti}) and it is not bound yet.
   *
   * @return the binding, empty when the agent has no TPM
   * @throws IOException the TPM or the server cannot be reached, or tpm2-tools failed
   * @throws DeviceApiException the server refused (the message says why; 409: bound already to
   *     another key, only an operator can release it)
   */
  public static Optional<TpmBound> bindIfConfigured(AgentConfig config, DeviceClient client)
      throws IOException, DeviceApiException, RefusalException {
    if (config.tpmTcti() == null) {
      return Optional.empty();
    }
    TpmEnrollment e = of(config.tpmTcti(), config.stateDir());
    Optional<TpmBound> done = e.bound();
    return done.isPresent() ? done : Optional.of(e.bind(client));
  }

  /** The server's answer when this TPM was bound, empty before. */
  public Optional<TpmBound> bound() throws IOException {
    Path f = tpm.dir().resolve(BOUND);
    return Files.exists(f) ? Optional.of(StateJson.readBean(Files.readAllBytes(f), TpmBound.class))
        : Optional.empty();
  }

  /**
   * The EK and AK, created the first time (the AK made persistent), reused after: the AK the
   * server binds must be the one the agent quotes with. The EK is derived again each time from
   * the TPM's endorsement seed (the same template gives the same key): its transient context is
   * what activation needs.
   *
   * @throws RefusalException the TPM's keys are not of the shapes the server accepts
   */
  public Keys keys() throws IOException, RefusalException {
    Path dir = tpm.dir();
    tpm.run("tpm2_createek", "-c", "ek.ctx", "-G", "rsa", "-u", "ek.pub");
    if (!Files.exists(dir.resolve("ak.tr")) || !Files.exists(dir.resolve("ak.pub"))) {
      tpm.run("tpm2_createak", "-C", "ek.ctx", "-c", "ak.ctx", "-G", "ecc", "-g", "sha256",
          "-s", "ecdsa", "-u", "ak.pub.new", "-r", "ak.priv", "-n", "ak.name");
      // Persistent: a transient key would be gone after the next TPM reset (a reboot).
      tpm.run("tpm2_evictcontrol", "-C", "o", "-c", "ak.ctx", "-o", "ak.tr.new");
      Files.move(dir.resolve("ak.pub.new"), dir.resolve("ak.pub"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      Files.move(dir.resolve("ak.tr.new"), dir.resolve("ak.tr"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      Files.deleteIfExists(dir.resolve("ak.ctx"));
    }
    byte[] ek = Files.readAllBytes(dir.resolve("ek.pub"));
    byte[] ak = Files.readAllBytes(dir.resolve("ak.pub"));
    TpmPublic.endorsementKey(ek); // the server reads them the same way: fail here first
    TpmPublic.attestationKey(ak);
    return new Keys(ek, ak);
  }

  /**
   * Opens a credential with the TPM (TPM2_ActivateCredential under the EK's policy, the
   * endorsement hierarchy's empty secret): the secret comes out only if this TPM holds the EK
   * it was made for and the AK's name is the one it was made for.
   *
   * @throws IOException the TPM refused (not this TPM's EK, or made for another key) or failed
   */
  public byte[] activate(byte[] credential) throws IOException {
    Path dir = tpm.dir();
    Path in = dir.resolve("cred.in");
    Path out = dir.resolve("cred.out");
    Files.write(in, credential);
    Files.deleteIfExists(out);
    try {
      tpm.run("tpm2_startauthsession", "--policy-session", "-S", "session.ctx");
      try {
        tpm.run("tpm2_policysecret", "-S", "session.ctx", "-c", "e");
        tpm.run("tpm2_activatecredential", "-c", "ak.tr", "-C", "ek.ctx", "-i", "cred.in",
            "-o", "cred.out", "-P", "session:session.ctx");
      } finally {
        tpm.attempt("tpm2_flushcontext", "session.ctx");
        Files.deleteIfExists(dir.resolve("session.ctx"));
      }
      return Files.readAllBytes(out);
    } finally {
      Files.deleteIfExists(in);
      Files.deleteIfExists(out);
    }
  }

  /**
   * The EK's certificate its manufacturer stored in the TPM (the RSA 2048 EK's NV index
   * 0x01c00002, TCG EK Credential Profile), empty when the TPM holds none: the server checks it
   * against its manufacturers' CAs when it has any.
   */
  public Optional<byte[]> ekCertificate() throws IOException {
    Path out = tpm.dir().resolve("ek.crt");
    Files.deleteIfExists(out);
    CommandRunner.Result r = tpm.attempt("tpm2_nvread", "-C", "o", "0x01c00002", "-o",
        "ek.crt");
    if (!r.ok() || !Files.exists(out)) {
      return Optional.empty();
    }
    byte[] der = Files.readAllBytes(out);
    return der.length == 0 ? Optional.empty() : Optional.of(der);
  }

  /**
   * The whole binding: keys, credential from the server, activation, the secret back. The
   * server's answer is kept in {@code bound.json}.
   */
  public TpmBound bind(DeviceClient client)
      throws IOException, DeviceApiException, RefusalException {
    Keys k = keys();
    Base64.Encoder b64 = Base64.getEncoder();
    Optional<byte[]> ekCert = ekCertificate();
    TpmCredential c = client.tpmCredential(new TpmCredentialRequest(
        b64.encodeToString(k.ekPublic()), b64.encodeToString(k.akPublic()),
        ekCert.map(b64::encodeToString).orElse(null)));
    byte[] credential;
    try {
      credential = Base64.getDecoder().decode(c.credential());
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IOException("the server's credential is not base64");
    }
    byte[] secret = activate(credential);
    TpmBound bound = client.tpmActivate(new TpmActivation(b64.encodeToString(secret)));
    org.neguard.io.AtomicFiles.write(tpm.dir().resolve(BOUND), StateJson.writeBean(bound));
    return bound;
  }
}
