package org.neguard.io;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The one reading of dpkg's status database (deb822 paragraphs) that the agent's inventory and
 * the CLI's assessment ({@code vuln check}, {@code harden check}) share, so that the same bytes
 * are the same packages to both. Strict where a lenient reader would have to guess: a field
 * twice in one paragraph (which {@code Status:}, which {@code Version:}?), a continuation line
 * with no field before it, a line that is no {@code Field: value}. Each refuses the whole file
 * (MALFORMED): a status file that is ambiguous is not assessable, and a reader that dropped the
 * paragraph would hide exactly the package someone tampered with. Multi-line values
 * (Description, Conffiles) are skipped: no package field has one.
 *
 * <p>Fed line by line, so the agent reads a bounded stream without holding the file. Not
 * thread-safe: one instance per reading.
 */
public final class Deb822Paragraphs {
  private static final Pattern FIELD = Pattern.compile("([A-Za-z0-9][A-Za-z0-9-]*):(.*)");
  /** dpkg writes {@code name} or {@code name (version)}, one space between, nothing after. */
  private static final Pattern SOURCE = Pattern.compile("(\\S+)(?: \\((\\S+)\\))?");

  private final Map<String, String> fields = new HashMap<>();
  private String last;
  private int line;
  private int start = 1;

  /** A paragraph's single-line fields (names lower-cased, values stripped) and its first line. */
  public record Paragraph(int line, Map<String, String> fields) {
    public Paragraph {
      fields = Map.copyOf(fields);
    }
  }

  /**
   * Takes the next line, without its line end.
   *
   * @return the paragraph a blank line ended, or null
   * @throws RefusalException MALFORMED for a field twice in a paragraph, a continuation line
   *     with no field before it, or a line that is no {@code Field: value}
   */
  public Paragraph line(String l) throws RefusalException {
    line++;
    if (l.isBlank()) {
      Paragraph p = fields.isEmpty() ? null : new Paragraph(start, fields);
      fields.clear();
      last = null;
      start = line + 1;
      return p;
    }
    if (l.charAt(0) == ' ' || l.charAt(0) == '\t') {
      if (last == null) {
        throw malformed(line, "a continuation line with no field before it");
      }
      return null;
    }
    Matcher m = FIELD.matcher(l);
    if (!m.matches()) {
      throw malformed(line, "not a 'Field: value' line");
    }
    last = m.group(1).toLowerCase(Locale.ROOT);
    if (fields.put(last, m.group(2).strip()) != null) {
      throw malformed(line, "field " + m.group(1) + " twice in one paragraph");
    }
    return null;
  }

  /** Ends the input: the last paragraph when no blank line ended it, or null. */
  public Paragraph end() throws RefusalException {
    return line("");
  }

  /**
   * Whether {@code p} is of an installed package: its {@code Status} is three words (want, flag,
   * state) and the state {@code installed}; config-files, half-installed and the like are not.
   *
   * @throws RefusalException MALFORMED for a Status that is not three words (or none)
   */
  public static boolean installed(Paragraph p) throws RefusalException {
    String status = p.fields().getOrDefault("status", "");
    String[] words = status.split(" ");
    if (words.length != 3) {
      throw malformed(p.line(), "status '" + status + "' is not three words");
    }
    return words[2].equals("installed");
  }

  /** A package's source package: its name and version, never null. */
  public record Source(String name, String version) {}

  /**
   * The source package of {@code p}: its {@code Source} field, {@code name} or {@code name
   * (version)}; the package's own name and version where the field or the version is absent.
   * Shared by agent and CLI so that neither reads a Source the other refuses.
   *
   * @throws RefusalException MALFORMED for a Source of any other shape (two spaces, a tab, no
   *     closing parenthesis, an empty version, text after it): which name was meant is a guess
   */
  public static Source source(Paragraph p) throws RefusalException {
    String name = p.fields().getOrDefault("package", "");
    String version = p.fields().getOrDefault("version", "");
    String s = p.fields().get("source");
    if (s == null) {
      return new Source(name, version);
    }
    Matcher m = SOURCE.matcher(s);
    if (!m.matches()) {
      throw malformed(p.line(), "Source is not 'name [(version)]': " + s);
    }
    return new Source(m.group(1), m.group(2) != null ? m.group(2) : version);
  }

  /** A MALFORMED refusal of the status file at {@code line} (0: of the file as a whole). */
  public static RefusalException malformed(int line, String message) {
    return new RefusalException(ReasonCode.MALFORMED, "dpkg status"
        + (line > 0 ? ", paragraph at line " + line : "") + ": " + message);
  }
}
