package org.neguard.cli.repo;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.neguard.cli.support.CommandBase;
import org.neguard.cli.support.OutputFiles;
import org.neguard.cli.support.Secrets;
import org.neguard.tuf.KeyType;
import org.neguard.tuf.SigningKey;
import org.neguard.tuf.TufKeyFiles;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code neguard repo key new}: one root key holder's key, made on their own machine. It makes
 * exactly one key: a threshold of root keys means something only if no one ever held them all.
 */
@Command(name = "new", mixinStandardHelpOptions = true,
    description = {
      "Make one root key on this machine: the private key goes to FILE, encrypted with your"
          + " password (PKCS#8, AES-256), the public key to FILE.pub.json (the TUF key), and the"
          + " key id is printed.",
      "Each root key holder runs this on their own machine and sends only FILE.pub.json to the"
          + " admin who assembles the root (repo init). The password comes from --password-file,"
          + " NEGUARD_KEY_PASSWORD or the terminal (typed twice). An existing file is never"
          + " replaced."
    })
final class RepoKeyNewCommand extends CommandBase {
  /** Long enough that the PBKDF2 work factor, not the guessing, is what protects the file. */
  static final int MIN_PASSWORD = 10;

  @Option(names = "--out", required = true, paramLabel = "FILE",
      description = "The encrypted private key file to write; the public key goes to"
          + " FILE.pub.json.")
  Path out;

  @Option(names = "--type", paramLabel = "TYPE", defaultValue = "ed25519",
      converter = KeyTypes.class,
      description = "The key type: ed25519 or ecdsa-p256 (default: ${DEFAULT-VALUE}).")
  KeyType type;

  @Option(names = "--password-file", paramLabel = "FILE",
      description = "File whose first line is the password that encrypts the key (at least "
          + MIN_PASSWORD + " characters).")
  Path passwordFile;

  @Override
  public Object target() {
    return out;
  }

  @Override
  public Integer call() throws Exception {
    Path pub = publicKeyFile(out);
    // Both refused before the password is asked for: a root key is never overwritten.
    for (Path p : new Path[] {out, pub}) {
      if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
        throw RefusalException.about(ReasonCode.BAD_INPUT, p.toString(), p + " exists; a key"
            + " file is never replaced: choose another name, or move the old one away first");
      }
    }
    char[] password = Secrets.readNew(passwordFile, "NEGUARD_KEY_PASSWORD",
        "Password for the new key", MIN_PASSWORD).toCharArray();
    SigningKey key = SigningKey.generate(type);
    try {
      TufKeyFiles.writePrivateKey(out, key.privateKey(), password);
    } finally {
      Arrays.fill(password, '\0');
    }
    OutputFiles.write(pub, TufKeyFiles.publicKeyJson(key.key()), false);
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("keyId", key.keyId());
    details.put("keytype", key.key().keytype());
    details.put("scheme", key.key().scheme());
    details.put("privateKey", out.toString());
    details.put("publicKey", pub.toString());
    return output().done("Key id " + key.keyId() + " (" + key.key().scheme() + ")\n"
        + "  private key  " + out + "  (encrypted with your password, owner-only; keep it"
        + " offline)\n"
        + "  public key   " + pub + "  (send this one to the admin for 'neguard repo init')",
        details);
  }

  /** Where the public key of key file {@code key} goes: {@code FILE.pub.json}. */
  static Path publicKeyFile(Path key) {
    return key.resolveSibling(key.getFileName() + ".pub.json");
  }

  /** {@code --type}: ed25519 or ecdsa-p256. */
  static final class KeyTypes implements picocli.CommandLine.ITypeConverter<KeyType> {
    @Override
    public KeyType convert(String value) {
      return switch (value.strip().toLowerCase(java.util.Locale.ROOT)) {
        case "ed25519" -> KeyType.ED25519;
        case "ecdsa-p256", "ecdsa", "p256", "p-256" -> KeyType.ECDSA_P256;
        default -> throw new picocli.CommandLine.TypeConversionException(
            "'" + value + "' is not a key type: ed25519 or ecdsa-p256");
      };
    }
  }
}
