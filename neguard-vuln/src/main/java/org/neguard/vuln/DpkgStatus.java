package org.neguard.vuln;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.neguard.io.Deb822Paragraphs;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Reads dpkg's status database ({@code /var/lib/dpkg/status}, deb822 paragraphs) into the
 * installed packages. The whole list is refused if any entry is impossible (a version dpkg
 * would not accept, a package listed twice, a broken paragraph): a partial list would hide
 * exactly the packages an attacker tampered with.
 *
 * <p>Stateless and thread-safe.
 */
public final class DpkgStatus {
  /** A real status file is a few MiB; read at most this much. */
  public static final int MAX_BYTES = 64 << 20;

  private DpkgStatus() {}

  /** Reads the status file at {@code file}. */
  public static List<DpkgPackage> read(Path file) throws IOException, RefusalException {
    try (InputStream in = Files.newInputStream(file)) {
      return read(in);
    }
  }

  /**
   * The installed packages of the status file at {@code file} of a host whose packages are to
   * be assessed ({@code vuln check}, {@code harden check}): as {@link #read(Path)}, and refused
   * when it lists none. dpkg itself is an installed package of every dpkg system, so an empty
   * list is an empty, cut or wrong file, never "nothing vulnerable" (an rpm database listing no
   * package is refused the same way).
   *
   * @throws RefusalException SCAN_INCOMPLETE for a list of no installed package; as {@link
   *     #read(InputStream)} otherwise
   */
  public static List<DpkgPackage> readInstalled(Path file) throws IOException, RefusalException {
    List<DpkgPackage> installed = read(file);
    if (installed.isEmpty()) {
      throw RefusalException.about(ReasonCode.SCAN_INCOMPLETE, file.toString(), "the dpkg"
          + " status " + file + " lists no installed package, which no dpkg system has (dpkg"
          + " is one): nothing was assessed. Give the host's whole /var/lib/dpkg/status");
    }
    return installed;
  }

  /**
   * Reads a status file from {@code in}, at most {@link #MAX_BYTES} of it.
   *
   * @throws RefusalException SIZE_LIMIT above the limit (before it is all in memory);
   *     MALFORMED for text that is not UTF-8, a broken paragraph, an impossible name or
   *     version, or a package listed twice
   */
  public static List<DpkgPackage> read(InputStream in) throws IOException, RefusalException {
    byte[] bytes = in.readNBytes(MAX_BYTES + 1);
    if (bytes.length > MAX_BYTES) {
      throw new RefusalException(ReasonCode.SIZE_LIMIT, "a dpkg status of more than "
          + MAX_BYTES + " bytes");
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw malformed(0, "the status file is not UTF-8");
    }
    List<DpkgPackage> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    // The agent's inventory reads the same bytes with the same reader (its ambiguities refuse
    // both alike); the package rules below are the assessment's own.
    Deb822Paragraphs reader = new Deb822Paragraphs();
    for (String l : text.split("\n", -1)) {
      Deb822Paragraphs.Paragraph p = reader.line(l);
      if (p != null) {
        entry(p, seen).ifPresent(out::add);
      }
    }
    Deb822Paragraphs.Paragraph p = reader.end();
    if (p != null) {
      entry(p, seen).ifPresent(out::add);
    }
    return List.copyOf(out);
  }

  private static java.util.Optional<DpkgPackage> entry(Deb822Paragraphs.Paragraph paragraph,
      Set<String> seen) throws RefusalException {
    if (!Deb822Paragraphs.installed(paragraph)) {
      return java.util.Optional.empty(); // config-files, not-installed, half-installed...
    }
    Map<String, String> f = paragraph.fields();
    int line = paragraph.line();
    String name = f.get("package");
    String version = f.get("version");
    String arch = f.getOrDefault("architecture", "");
    if (name == null || version == null) {
      throw malformed(line, "an installed package without Package or Version");
    }
    try {
      DebianVersion v = DebianVersion.parse(version);
      Deb822Paragraphs.Source source = Deb822Paragraphs.source(paragraph);
      DpkgPackage p = new DpkgPackage(name, arch, v, source.name(),
          DebianVersion.parse(source.version()));
      if (!seen.add(name + ":" + arch)) {
        throw malformed(line, name + ":" + arch + " is listed twice");
      }
      return java.util.Optional.of(p);
    } catch (IllegalArgumentException e) {
      throw malformed(line, e.getMessage());
    }
  }

  private static RefusalException malformed(int line, String message) {
    return Deb822Paragraphs.malformed(line, message);
  }
}
