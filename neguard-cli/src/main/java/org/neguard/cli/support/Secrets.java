package org.neguard.cli.support;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/** Reads a password: from a file, else the terminal without echo, else one line of stdin. */
public final class Secrets {
  private Secrets() {}

  public static String read(Path file, String envVar, String prompt)
      throws IOException, RefusalException {
    if (file != null) {
      return Files.readString(file, StandardCharsets.UTF_8).strip();
    }
    if (envVar != null) {
      String env = System.getenv(envVar);
      if (env != null && !env.isEmpty()) {
        return env;
      }
    }
    Console console = System.console();
    if (console != null) {
      char[] pw = console.readPassword("%s: ", prompt);
      if (pw != null) {
        return new String(pw);
      }
    }
    String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
        .readLine();
    if (line == null || line.isEmpty()) {
      throw new RefusalException(ReasonCode.BAD_INPUT,
          "no " + prompt.toLowerCase(java.util.Locale.ROOT)
              + " given; use --password-file FILE or type it on a terminal");
    }
    return line;
  }

  /**
   * A password for something new (a key file): as {@link #read}, but typed twice on a terminal,
   * since a mistyped one would lock the key away for good.
   *
   * @throws RefusalException {@code BAD_INPUT} when the two differ, or it is shorter than
   *     {@code minLength}
   */
  public static String readNew(Path file, String envVar, String prompt, int minLength)
      throws IOException, RefusalException {
    String env = envVar == null ? null : System.getenv(envVar);
    Console console = System.console();
    String pw;
    if (file == null && (env == null || env.isEmpty()) && console != null) {
      char[] first = console.readPassword("%s: ", prompt);
      char[] again = console.readPassword("%s (again): ", prompt);
      if (first == null || again == null || !java.util.Arrays.equals(first, again)) {
        throw new RefusalException(ReasonCode.BAD_INPUT, "the two passwords differ; try again");
      }
      pw = new String(first);
    } else {
      pw = read(file, envVar, prompt);
    }
    if (pw.length() < minLength) {
      throw new RefusalException(ReasonCode.BAD_INPUT, "the password is shorter than "
          + minLength + " characters; choose a longer one"
          + (file == null ? "" : " (in " + file + ")"));
    }
    return pw;
  }
}
