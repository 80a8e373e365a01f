package org.neguard.agent;

import java.security.InvalidKeyException;
import java.security.InvalidParameterException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.SignatureException;
import java.security.SignatureSpi;
import java.util.List;
import java.util.Map;

/**
 * The JCA provider through which everything that signs with the device key (the TLS client of
 * the agents' port, Bouncy Castle's CSR builder, evidence signing) reaches the TPM: one
 * signature in two encodings, SHA256withECDSA (DER: what TLS 1.3 and 1.2 call
 * ecdsa_secp256r1_sha256, and X.509) and SHA256withECDSAinP1363Format (r || s: JWS, the
 * evidence), each accepting only a {@link TpmPrivateKey} ({@code SupportedKeyClasses}). Callers
 * ask the JCA for the name without naming a provider; its delayed provider selection, at {@code
 * initSign}, passes over the JDK's providers (they accept only their own key classes) to this
 * one for a TPM key, and never sends another key here. The message is hashed in Java and the
 * digest signed by the TPM.
 */
public final class TpmKeyProvider extends Provider {
  private static final long serialVersionUID = 1L;
  static final String NAME = "NEGuardTPM";
  static final String ALGORITHM = "SHA256withECDSA";
  static final String ALGORITHM_P1363 = "SHA256withECDSAinP1363Format";

  private TpmKeyProvider() {
    super(NAME, "1.0", "NEGuard agent: ECDSA P-256 signatures by the TPM-held device key");
    putService(new Service(this, "Signature", ALGORITHM, TpmSignature.class.getName(),
        List.of("1.2.840.10045.4.3.2", "OID.1.2.840.10045.4.3.2"),
        Map.of("SupportedKeyClasses", TpmPrivateKey.class.getName())) {
      @Override
      public Object newInstance(Object constructorParameter) {
        // no reflection: the class stays package-private
        return new TpmSignature(TpmDeviceKey.SignatureFormat.DER);
      }
    });
    putService(new Service(this, "Signature", ALGORITHM_P1363, TpmSignature.class.getName(),
        null, Map.of("SupportedKeyClasses", TpmPrivateKey.class.getName())) {
      @Override
      public Object newInstance(Object constructorParameter) {
        return new TpmSignature(TpmDeviceKey.SignatureFormat.P1363);
      }
    });
  }

  /** Registers the provider once per JVM (last: it takes only TPM keys). */
  static synchronized void install() {
    if (Security.getProvider(NAME) == null) {
      Security.addProvider(new TpmKeyProvider());
    }
  }

  /** SHA-256 here, ECDSA in the TPM; the signature in the format its name gives. */
  static final class TpmSignature extends SignatureSpi {
    private final TpmDeviceKey.SignatureFormat format;
    private MessageDigest digest;
    private TpmPrivateKey key;

    TpmSignature(TpmDeviceKey.SignatureFormat format) {
      this.format = format;
    }

    @Override
    protected void engineInitVerify(PublicKey publicKey) throws InvalidKeyException {
      throw new InvalidKeyException("the TPM provider only signs");
    }

    @Override
    protected void engineInitSign(PrivateKey privateKey) throws InvalidKeyException {
      if (!(privateKey instanceof TpmPrivateKey k) || k.holder() == null) {
        throw new InvalidKeyException("not a TPM-held key: " + (privateKey == null ? null
            : privateKey.getClass().getName()));
      }
      key = k;
      digest = org.neguard.measure.Sha256.newDigest();
    }

    @Override
    protected void engineUpdate(byte b) throws SignatureException {
      started().update(b);
    }

    @Override
    protected void engineUpdate(byte[] b, int off, int len) throws SignatureException {
      started().update(b, off, len);
    }

    @Override
    protected byte[] engineSign() throws SignatureException {
      byte[] d = started().digest();
      return key.holder().sign(key, d, format);
    }

    @Override
    protected boolean engineVerify(byte[] sigBytes) throws SignatureException {
      throw new SignatureException("the TPM provider only signs");
    }

    private MessageDigest started() throws SignatureException {
      if (digest == null) {
        throw new SignatureException("not initialized for signing");
      }
      return digest;
    }

    @Override
    @Deprecated
    protected void engineSetParameter(String param, Object value) {
      throw new InvalidParameterException("no parameters");
    }

    @Override
    @Deprecated
    protected Object engineGetParameter(String param) {
      throw new InvalidParameterException("no parameters");
    }
  }
}
