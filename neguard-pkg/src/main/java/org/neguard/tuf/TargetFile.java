package org.neguard.tuf;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;
import java.util.regex.Pattern;
import org.neguard.verdict.RefusalException;

/** One target entry of targets metadata. */
public record TargetFile(String name, long length, String sha256, ObjectNode custom) {
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,254}");

  public static TargetFile of(String name, long length, String sha256, NeguardCustom custom) {
    throw new UnsupportedOperationException("todo");
  }

  public Optional<NeguardCustom> neguard() throws RefusalException {
    throw new UnsupportedOperationException("todo");
  }

  public String consistentFileName() {
    throw new UnsupportedOperationException("todo");
  }

  public static boolean isSafeName(String name) {
    throw new UnsupportedOperationException("todo");
  }
}
