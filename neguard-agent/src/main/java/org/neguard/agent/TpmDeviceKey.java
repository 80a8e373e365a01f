package org.neguard.agent;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERSequence;
import org.neguard.agent.TpmKeyException.Reason;
import org.neguard.agent.client.DeviceIdentity;
import org.neguard.agent.client.DeviceKeys;
import org.neguard.attest.TpmPublic;
import org.neguard.io.AtomicFiles;
import org.neguard.measure.Sha256;
import org.neguard.verdict.RefusalException;

/**
 * The device identity key held by the TPM ({@code tpm.deviceKey=true}; docs/AGENT.md, "A
 * TPM-held device key"): an ECDSA P-256 signing key created by the TPM under its storage
 * hierarchy ({@code tpm2_createprimary -C o}, the owner seed's ECC storage key, derived again
 * from the same template each time; {@code tpm2_create}), its private area leaving the TPM only
 * encrypted under that storage key. The identity directory keeps the key's two blobs, named by
 * the SHA-256 of the public key they hold: {@code tpm-key-<16 hex>.pub} (TPM2B_PUBLIC) and
 * {@code .priv} (TPM2B_PRIVATE, useless without this TPM), and the context of the loaded key
 * ({@code .ctx}, valid until the TPM resets). A renewal adds a new pair beside the old one,
 * synced to disk before {@link #newKeyPair} returns (it is the renewal's pending key, {@link
 * DeviceIdentity#savePending}), so a crash between the server's answer and the certificate's save
 * never leaves a certificate without its key; the others are removed once the new certificate is
 * saved ({@link #retainOnly}).
 *
 * <p>Fails closed ({@link TpmKeyException}): a missing or altered blob, a certificate for another
 * key, a TPM that does not sign, an identity enrolled with a file key. Signing is one TPM command
 * ({@code tpm2_sign} on the loaded context, digest computed in Java); one at a time.
 */
public final class TpmDeviceKey implements DeviceKeys {
  public static final String PREFIX = "tpm-key-";
  /** An unrestricted signing key, bound to this TPM and parent, created inside it. */
  static final String ATTRIBUTES = "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign";

  private final TpmTools tpm;
  /** Where the blobs are: the identity directory. */
  private final Path keys;
  /** Null in a test or a status probe: failures are then only thrown. */
  private final AgentLog log;

  private TpmDeviceKey(TpmTools tpm, Path keys, AgentLog log) {
    this.tpm = tpm;
    this.keys = keys;
    this.log = log;
  }

  /**
   * The TPM-held device key of the TPM behind {@code tcti}, its blobs in {@code identityDir}
   * (created 0700), tpm2-tools working in {@code workDir} (the identity directory for the agent,
   * a directory of its own for a probe running beside it). Registers {@link TpmKeyProvider}.
   */
  public static TpmDeviceKey of(String tcti, Path identityDir, Path workDir, AgentLog log)
      throws IOException {
    for (Path d : new Path[] {identityDir, workDir}) {
      if (!Files.isDirectory(d)) {
        Files.createDirectories(d,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
    }
    TpmKeyProvider.install();
    return new TpmDeviceKey(new TpmTools(Objects.requireNonNull(tcti, "tcti"), workDir),
        identityDir, log);
  }

  /** The agent's: tpm2-tools work in the identity directory. */
  public static TpmDeviceKey of(String tcti, Path identityDir, AgentLog log) throws IOException {
    return of(tcti, identityDir, identityDir, log);
  }

  /**
   * Creates a new key in the TPM and keeps its blobs.
   *
   * @throws TpmKeyException TPM_SIGN_REFUSED when the TPM does not create or load it
   */
  @Override
  public synchronized KeyPair newKeyPair() throws IOException {
    Path pub = tpm.dir().resolve("new-key.pub");
    Path priv = tpm.dir().resolve("new-key.priv");
    try {
      tpm.run("tpm2_createprimary", "-C", "o", "-g", "sha256", "-G", "ecc", "-c", "primary.ctx");
      tpm.run("tpm2_create", "-C", "primary.ctx", "-G", "ecc256:ecdsa-sha256", "-a", ATTRIBUTES,
          "-u", pub.toString(), "-r", priv.toString());
    } catch (IOException e) {
      throw refused(Reason.TPM_SIGN_REFUSED, "the TPM did not create a device key: "
          + e.getMessage(), e);
    } finally {
      Files.deleteIfExists(tpm.dir().resolve("primary.ctx"));
    }
    ECPublicKey key = publicKey(Files.readAllBytes(pub), pub);
    String id = id(key);
    // Synced before the renames: a renewal's pending key must survive a power cut.
    for (Path p : new Path[] {priv, pub}) {
      try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
    }
    AtomicFiles.move(priv, blob(id, ".priv"));
    AtomicFiles.move(pub, blob(id, ".pub"));
    TpmPrivateKey k = new TpmPrivateKey(this, id, key);
    load(k);
    return new KeyPair(key, k);
  }

  /**
   * The TPM key of the device certificate: its blobs loaded by the TPM, and a signature made by
   * it verified with the certificate's public key.
   *
   * @throws TpmKeyException TPM_KEY_MIGRATION (a file key is there: the device enrolled with
   *     one), TPM_KEY_MISSING, TPM_KEY_MISMATCH, TPM_KEY_REJECTED, TPM_SIGN_REFUSED
   */
  @Override
  public synchronized TpmPrivateKey privateKey(Path dir, PublicKey certificateKey)
      throws IOException {
    List<Path> fileKeys = DeviceIdentity.fileKeys(dir);
    if (!fileKeys.isEmpty()) {
      throw refused(Reason.TPM_KEY_MIGRATION, "the device enrolled with a file key ("
          + fileKeys.get(0) + ") and tpm.deviceKey=true asks for a TPM-held one: a key"
          + " cannot move into a TPM, so the device needs a new enrollment token: have an"
          + " operator create one, remove " + dir + ", set enroll.token and restart (or set"
          + " tpm.deviceKey=false to keep the file key)", null);
    }
    String id = id(certificateKey);
    Path pub = blob(id, ".pub");
    if (!Files.exists(pub) || !Files.exists(blob(id, ".priv"))) {
      boolean others = blobs().stream().anyMatch(b -> b.toString().endsWith(".pub"));
      throw refused(others ? Reason.TPM_KEY_MISMATCH : Reason.TPM_KEY_MISSING, others
          ? "the device certificate's public key is not the key of any TPM key blob in " + keys
          + " (" + blobs() + ")"
          : "no TPM key blob for the device certificate in " + keys + " (" + pub.getFileName()
          + " and .priv): the TPM-held key is lost; the device needs a new enrollment token",
          null);
    }
    ECPublicKey key = publicKey(Files.readAllBytes(pub), pub);
    if (!Arrays.equals(key.getEncoded(), certificateKey.getEncoded())) {
      throw refused(Reason.TPM_KEY_MISMATCH, "the device certificate's public key is not the"
          + " one in " + pub, null);
    }
    TpmPrivateKey k = new TpmPrivateKey(this, id, key);
    load(k);
    // The proof that the TPM holds the certificate's key: one signature, checked here.
    byte[] challenge = new byte[32];
    new java.security.SecureRandom().nextBytes(challenge);
    try {
      byte[] sig = sign(k, Sha256.newDigest().digest(challenge), SignatureFormat.DER);
      Signature v = Signature.getInstance("SHA256withECDSA");
      v.initVerify(certificateKey);
      v.update(challenge);
      if (!v.verify(sig)) {
        throw refused(Reason.TPM_KEY_MISMATCH, "the TPM's signature with " + pub.getFileName()
            + " does not verify with the device certificate's public key", null);
      }
    } catch (java.security.GeneralSecurityException e) {
      throw refused(Reason.TPM_SIGN_REFUSED, "the TPM did not sign with the device key: "
          + e.getMessage(), e);
    }
    return k;
  }

  /**
   * Lost: the key's blobs missing, altered or another key's, or a file-key identity. Not lost:
   * {@code TPM_SIGN_REFUSED}, a TPM that did not answer or sign this time.
   */
  @Override
  public boolean lost(IOException e) {
    return e instanceof TpmKeyException t && t.reason() != Reason.TPM_SIGN_REFUSED;
  }

  /** Removes the blobs of every key but {@code certificate}'s (after a renewal or enrollment). */
  public synchronized void retainOnly(X509Certificate certificate) throws IOException {
    String keep = PREFIX + id(certificate.getPublicKey()) + ".";
    for (Path p : blobs()) {
      if (!p.getFileName().toString().startsWith(keep)) {
        Files.deleteIfExists(p);
      }
    }
  }

  /**
   * Signs a SHA-256 digest with the TPM key: ECDSA, r and s in {@code format}. The loaded
   * context is lost when the TPM resets; then the blobs are loaded again, once.
   *
   * @throws SignatureException the TPM refused (logged {@code tpm_key_refused})
   */
  synchronized byte[] sign(TpmPrivateKey key, byte[] digest, SignatureFormat format)
      throws SignatureException {
    Path in = tpm.dir().resolve("sign.in");
    Path out = tpm.dir().resolve("sign.out");
    try {
      Files.write(in, digest);
      Files.deleteIfExists(out);
      CommandRunner.Result r = tpm.attempt(sign(key));
      if (!r.ok()) {
        load(key);
        r = tpm.attempt(sign(key));
      }
      if (!r.ok()) {
        throw refused(Reason.TPM_SIGN_REFUSED, "the TPM refused to sign with the device key "
            + key.id() + ": " + r.describe(), null);
      }
      return encode(Files.readAllBytes(out), format);
    } catch (TpmKeyException e) {
      throw new SignatureException(e.reason() + ": " + e.getMessage(), e);
    } catch (IOException e) {
      TpmKeyException t = refused(Reason.TPM_SIGN_REFUSED, "the TPM did not sign with the"
          + " device key " + key.id() + ": " + e.getMessage(), e);
      throw new SignatureException(t.reason() + ": " + t.getMessage(), t);
    } finally {
      try {
        Files.deleteIfExists(in);
        Files.deleteIfExists(out);
      } catch (IOException ignored) {
        // left for the next signature to overwrite
      }
    }
  }

  private String[] sign(TpmPrivateKey key) {
    return new String[] {"tpm2_sign", "-c", blob(key.id(), ".ctx").toString(), "-g", "sha256",
        "-s", "ecdsa", "-d", "-o", "sign.out", "sign.in"};
  }

  /** Loads the key's blobs under the storage primary; its context kept for signing. */
  private void load(TpmPrivateKey key) throws TpmKeyException {
    try {
      tpm.run("tpm2_createprimary", "-C", "o", "-g", "sha256", "-G", "ecc", "-c", "primary.ctx");
    } catch (IOException e) {
      throw refused(Reason.TPM_SIGN_REFUSED, "the TPM is not usable: " + e.getMessage(), e);
    }
    try {
      tpm.run("tpm2_load", "-C", "primary.ctx", "-u", blob(key.id(), ".pub").toString(),
          "-r", blob(key.id(), ".priv").toString(), "-c", blob(key.id(), ".ctx").toString());
    } catch (IOException e) {
      throw refused(Reason.TPM_KEY_REJECTED, "the TPM refuses to load the device key's blobs "
          + blob(key.id(), ".pub") + " and .priv (altered, or made by another TPM or before"
          + " its owner hierarchy was cleared): " + e.getMessage(), e);
    } finally {
      try {
        Files.deleteIfExists(tpm.dir().resolve("primary.ctx"));
      } catch (IOException ignored) {
        // overwritten by the next load
      }
    }
  }

  private ECPublicKey publicKey(byte[] tpm2bPublic, Path file) throws TpmKeyException {
    try {
      return (ECPublicKey) TpmPublic.signingKey(tpm2bPublic).key();
    } catch (RefusalException | ClassCastException e) {
      throw refused(Reason.TPM_KEY_REJECTED, file + " is not a TPM-held ECDSA P-256 signing"
          + " key: " + e.getMessage(), e);
    }
  }

  private TpmKeyException refused(Reason reason, String message, Throwable cause) {
    if (log != null) {
      log.event("tpm_key_refused", "reason", reason, "message", message);
    }
    return new TpmKeyException(reason, message, cause);
  }

  private Path blob(String id, String suffix) {
    return keys.resolve(PREFIX + id + suffix);
  }

  private java.util.List<Path> blobs() throws IOException {
    java.util.List<Path> out = new java.util.ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(keys, PREFIX + "*")) {
      s.forEach(out::add);
    }
    out.sort(null);
    return out;
  }

  /** The blobs' name: the first 16 hex digits of the SHA-256 of the public key's DER. */
  public static String id(PublicKey key) {
    return Sha256.hex(key.getEncoded()).substring(0, 16);
  }

  /** How a signature leaves {@link #sign}: the encodings of r and s that callers carry. */
  enum SignatureFormat {
    /** {@code SEQUENCE { INTEGER r, INTEGER s }}: X.509 and TLS. */
    DER,
    /** r then s, each 32 bytes, big-endian, left-padded with zeros: JWS's ES256 (RFC 7518). */
    P1363
  }

  /**
   * A {@code TPMT_SIGNATURE} of ECDSA with SHA-256 (TPM 2.0 Part 2, 11.3.4: sigAlg, hash, then
   * r and s as TPM2B) in {@code format}.
   */
  static byte[] encode(byte[] tpmtSignature, SignatureFormat format) throws TpmKeyException {
    ByteBuffer b = ByteBuffer.wrap(tpmtSignature);
    try {
      int alg = Short.toUnsignedInt(b.getShort());
      int hash = Short.toUnsignedInt(b.getShort());
      if (alg != 0x0018 || hash != 0x000B) {
        throw new TpmKeyException(Reason.TPM_SIGN_REFUSED, "the TPM's signature is of"
            + " algorithm 0x" + Integer.toHexString(alg) + " hash 0x" + Integer.toHexString(hash)
            + ", not ECDSA SHA-256");
      }
      byte[][] rs = new byte[2][];
      for (int i = 0; i < 2; i++) {
        int n = Short.toUnsignedInt(b.getShort());
        if (n == 0 || n > 32) {
          throw new TpmKeyException(Reason.TPM_SIGN_REFUSED, "the TPM's signature has a"
              + " component of " + n + " bytes");
        }
        rs[i] = new byte[n];
        b.get(rs[i]);
      }
      if (b.hasRemaining()) {
        throw new TpmKeyException(Reason.TPM_SIGN_REFUSED, "the TPM's signature has "
            + b.remaining() + " bytes after s");
      }
      if (format == SignatureFormat.P1363) {
        byte[] out = new byte[64];
        System.arraycopy(rs[0], 0, out, 32 - rs[0].length, rs[0].length);
        System.arraycopy(rs[1], 0, out, 64 - rs[1].length, rs[1].length);
        return out;
      }
      ASN1EncodableVector v = new ASN1EncodableVector();
      v.add(new ASN1Integer(new BigInteger(1, rs[0])));
      v.add(new ASN1Integer(new BigInteger(1, rs[1])));
      return new DERSequence(v).getEncoded();
    } catch (BufferUnderflowException e) {
      throw new TpmKeyException(Reason.TPM_SIGN_REFUSED, "the TPM's signature ends early: "
          + HexFormat.of().formatHex(tpmtSignature));
    } catch (IOException e) {
      throw new TpmKeyException(Reason.TPM_SIGN_REFUSED, "cannot encode the signature", e);
    }
  }
}
