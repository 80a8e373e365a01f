package org.neguard.harden.vuln;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The OSV ecosystem of a host's distribution release, from its {@code os-release} file. */
public final class HostRelease {
  /** This host's. */
  public static final Path OS_RELEASE = Path.of("/etc/os-release");

  private HostRelease() {}

  /**
   * {@code Debian:12} from {@code ID=debian} and {@code VERSION_ID="12"}; empty for another
   * distribution or a file without them (the caller asks for {@code --release} then).
   */
  public static Optional<String> of(Path osRelease) throws IOException {
    if (!Files.isRegularFile(osRelease) || Files.size(osRelease) > 64 * 1024) {
      return Optional.empty();
    }
    String text = Files.readString(osRelease);
    Matcher id = Pattern.compile("(?m)^ID=\"?([a-z]+)\"?$").matcher(text);
    Matcher version = Pattern.compile("(?m)^VERSION_ID=\"?([0-9]+)\"?$").matcher(text);
    if (!id.find() || !version.find() || !id.group(1).equals("debian")) {
      return Optional.empty();
    }
    return Optional.of("Debian:" + version.group(1));
  }
}
