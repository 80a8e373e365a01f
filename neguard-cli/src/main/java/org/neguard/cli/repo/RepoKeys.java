package org.neguard.cli.repo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.neguard.tuf.Role;
import org.neguard.tuf.TufKey;
import org.neguard.tuf.TufKeyFiles;
import org.neguard.verdict.RefusalException;
import picocli.CommandLine;

/**
 * The offline keys given on a command line ({@code --root-key}, {@code --targets-key}), as init
 * and rotate read them.
 */
final class RepoKeys {
  private RepoKeys() {}

  /** The public keys in {@code files}, refusing one given twice (it would count twice). */
  static List<TufKey> read(List<Path> files,
      Function<String, CommandLine.ParameterException> usage) throws RefusalException {
    return read(files, "root", usage);
  }

  /** The same, for the keys of {@code role} ({@code root}, {@code targets}). */
  static List<TufKey> read(List<Path> files, String role,
      Function<String, CommandLine.ParameterException> usage) throws RefusalException {
    List<TufKey> keys = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (Path f : files) {
      TufKey k = TufKeyFiles.readPublicKey(f);
      if (!ids.add(k.keyId())) {
        throw usage.apply(role + " key " + k.keyId() + " is given twice (" + f + "): a"
            + " threshold counts distinct keys");
      }
      keys.add(k);
    }
    return keys;
  }

  /** Refuses a root key that is also an online key: the server holds those. */
  static void checkApart(List<TufKey> rootKeys, Map<Role, TufKey> online,
      Function<String, CommandLine.ParameterException> usage) {
    checkApart(rootKeys, "root", online, usage);
  }

  /** Refuses an offline key of {@code role} that is also an online key. */
  static void checkApart(List<TufKey> offlineKeys, String role, Map<Role, TufKey> online,
      Function<String, CommandLine.ParameterException> usage) {
    for (TufKey k : offlineKeys) {
      for (Map.Entry<Role, TufKey> e : online.entrySet()) {
        if (e.getValue().keyId().equals(k.keyId())) {
          throw usage.apply(role + " key " + k.keyId() + " is the server's online "
              + e.getKey().roleName() + " key: an offline " + role + " key must never be on"
              + " the server");
        }
      }
    }
  }
}
