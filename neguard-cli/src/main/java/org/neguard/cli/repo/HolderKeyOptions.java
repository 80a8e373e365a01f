package org.neguard.cli.repo;

import java.nio.file.Path;
import java.util.Arrays;
import org.neguard.cli.support.Secrets;
import org.neguard.tuf.SigningKey;
import org.neguard.tuf.TufKeyFiles;
import picocli.CommandLine.Option;

/** A key holder's encrypted key and its password, for the commands that sign offline. */
final class HolderKeyOptions {
  @Option(names = "--key", required = true, paramLabel = "KEY",
      description = "Your encrypted private key file, as 'neguard repo key new' wrote it.")
  Path key;

  @Option(names = "--password-file", paramLabel = "FILE",
      description = "File whose first line is the key's password.")
  Path passwordFile;

  /**
   * The key, decrypted with the password from --password-file, NEGUARD_KEY_PASSWORD or the
   * terminal; the password is wiped from memory afterwards.
   */
  SigningKey read() throws Exception {
    char[] password = Secrets.read(passwordFile, "NEGUARD_KEY_PASSWORD",
        "Password for " + key.getFileName()).toCharArray();
    try {
      return TufKeyFiles.readSigningKey(key, password);
    } finally {
      Arrays.fill(password, '\0');
    }
  }
}
