package org.neguard.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.verdict.Reason;
import picocli.CommandLine;

/**
 * Where a command's results go: text for people, or one JSON object for scripts ({@code --json}).
 * Verdicts go to standard output; errors, in text mode, to standard error.
 */
final class Output {
  /** Built on first use: most commands print text, and a mapper costs start-up time. */
  private static final class Json {
    static final ObjectMapper MAPPER =
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  }

  /** Commands with a {@code --json} switch implement this. */
  interface JsonCapable {
    boolean json();

    /** The file a verdict is about, named in the FAIL line; null if none. */
    default Object target() {
      return null;
    }
  }

  private final PrintWriter out;
  private final PrintWriter err;
  private final boolean json;
  private final Object target;

  private Output(PrintWriter out, PrintWriter err, boolean json, Object target) {
    this.out = out;
    this.err = err;
    this.json = json;
    this.target = target;
  }

  static Output of(CommandLine cl) {
    Object command = cl.getCommand();
    JsonCapable j = command instanceof JsonCapable c ? c : null;
    return new Output(cl.getOut(), cl.getErr(), j != null && j.json(), j == null ? null : j.target());
  }

  boolean json() {
    return json;
  }

  PrintWriter out() {
    return out;
  }

  PrintWriter err() {
    return err;
  }

  /** Prints a line of text (ignored in JSON mode, where only the final object is printed). */
  void line(String text) {
    if (!json) {
      out.println(printableLines(text));
      out.flush();
    }
  }

  /** Prints a passing verdict with its details and returns 0. */
  int pass(String headline, Map<String, Object> details) {
    if (json) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("verdict", "pass");
      o.put("reasons", List.of());
      o.putAll(details);
      print(o);
    } else {
      out.println(printableLines(headline));
      out.flush();
    }
    return Failures.PASS;
  }

  /** Prints a result that is not a verdict (build, sign, inspect) and returns 0. */
  int done(String text, Map<String, Object> details) {
    if (json) {
      print(details);
    } else {
      out.println(printableLines(text));
      out.flush();
    }
    return Failures.PASS;
  }

  /** Prints refusal or error reasons and returns 3 (negative verdict) or 1 (error). */
  int refusal(List<Reason> reasons) {
    int code = Failures.exitCode(reasons);
    if (json) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("verdict", code == Failures.ERROR ? "error" : "fail");
      o.put("reasons", reasonsJson(reasons));
      print(o);
      return code;
    }
    PrintWriter w = code == Failures.ERROR ? err : out;
    w.println((code == Failures.ERROR ? "ERROR" : "FAIL")
        + (target == null ? "" : "  " + printable(target.toString())));
    for (Reason r : reasons) {
      w.println("  " + r.code() + "  " + printableLines(r.message()));
    }
    w.flush();
    return code;
  }

  /**
   * Prints a negative verdict that comes with details (a hardening check's findings): the text,
   * then the reasons; in JSON one object {@code {verdict, reasons, ...details}}. Returns 3, or 1
   * when a reason is an error.
   */
  int failWithDetails(String text, List<Reason> reasons, Map<String, Object> details) {
    int code = Failures.exitCode(reasons);
    if (json) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("verdict", code == Failures.ERROR ? "error" : "fail");
      o.put("reasons", reasonsJson(reasons));
      o.putAll(details);
      print(o);
      return code;
    }
    out.println(printableLines(text));
    out.println((code == Failures.ERROR ? "ERROR" : "FAIL")
        + (target == null ? "" : "  " + printable(target.toString())));
    for (Reason r : reasons) {
      out.println("  " + r.code() + "  " + printableLines(r.message()));
    }
    out.flush();
    return code;
  }

  static List<Map<String, Object>> reasonsJson(List<Reason> reasons) {
    List<Map<String, Object>> list = new ArrayList<>();
    for (Reason r : reasons) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("code", r.code().name());
      m.put("message", r.message());
      if (r.subject() != null) {
        m.put("subject", r.subject());
      }
      list.add(m);
    }
    return list;
  }

  /**
   * A value safe to print on a terminal: every control character escaped, so that a banner, a
   * process name or a server's message cannot move the cursor or erase a line of the verdict.
   */
  static String printable(String s) {
    return escapeControls(s, false);
  }

  /** {@link #printable} for text of several lines: line feeds and tabs kept. */
  static String printableLines(String s) {
    return escapeControls(s, true);
  }

  private static String escapeControls(String s, boolean keepLines) {
    StringBuilder b = new StringBuilder();
    s.codePoints().forEach(c -> {
      if (keepLines && (c == '\n' || c == '\t')) {
        b.appendCodePoint(c);
      } else if (Character.isISOControl(c)) {
        b.append(String.format("\\u%04x", c));
      } else {
        b.appendCodePoint(c);
      }
    });
    return b.toString();
  }

  private void print(Object o) {
    try {
      out.println(Json.MAPPER.writeValueAsString(o));
      out.flush();
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("result not serializable", e);
    }
  }
}
