package org.neguard.cli.support;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.api.problem.Problem;
import org.neguard.api.problem.ProblemReason;
import org.neguard.api.problem.Verdict;
import org.neguard.verdict.Reason;
import picocli.CommandLine;

/**
 * Where a command's results go: text for people, or one JSON object for scripts ({@code --json}).
 * The one failure contract of the CLI: results and verdicts (pass or refusal, exit 0 or 3) go to
 * standard output; errors (exit 1) go to standard error in text mode, and in JSON mode are the
 * one object on standard output like every other result; progress and notes for people go to
 * standard error.
 */
public final class Output {
  /** Built on first use: most commands print text, and a mapper costs start-up time. */
  private static final class Json {
    static final ObjectMapper MAPPER =
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  }

  /** Commands with a {@code --json} switch implement this ({@link CommandBase} does). */
  public interface JsonCapable {
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

  /** The output of the command {@code cl} runs, in its mode. */
  public static Output of(CommandLine cl) {
    Object command = cl.getCommand();
    JsonCapable j = command instanceof JsonCapable c ? c : null;
    return new Output(cl.getOut(), cl.getErr(), j != null && j.json(), j == null ? null : j.target());
  }

  public boolean json() {
    return json;
  }

  public PrintWriter out() {
    return out;
  }

  public PrintWriter err() {
    return err;
  }

  /** Prints a line of text (ignored in JSON mode, where only the final object is printed). */
  public void line(String text) {
    if (!json) {
      out.println(printableLines(text));
      out.flush();
    }
  }

  /** Prints a passing verdict with its details and returns 0. */
  public int pass(String headline, Map<String, Object> details) {
    if (json) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("verdict", Verdict.PASS);
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
  public int done(String text, Map<String, Object> details) {
    if (json) {
      print(details);
    } else {
      out.println(printableLines(text));
      out.flush();
    }
    return Failures.PASS;
  }

  /** Prints refusal or error reasons and returns 3 (negative verdict) or 1 (error). */
  public int refusal(List<Reason> reasons) {
    return problem(Problem.of(reasons));
  }

  /**
   * Prints a refusal or error as the server answers one: in JSON the {@link Problem} record
   * itself, so that the CLI's {@code --json} and the server's problem are one shape; in text the
   * reasons with their codes as written (a newer server's too). Returns 3 for the verdict
   * {@code fail}, 1 for {@code error}.
   */
  public int problem(Problem problem) {
    int code = Failures.exitCode(problem.kind());
    if (json) {
      print(problem);
      return code;
    }
    printReasons(code, problem);
    return code;
  }

  /**
   * Prints a negative verdict that comes with details (a hardening check's findings): the text,
   * then the reasons; in JSON one object {@code {verdict, reasons, ...details}}, the {@link
   * Problem} with the details beside it. Returns 3, or 1 when a reason is an error.
   */
  public int failWithDetails(String text, List<Reason> reasons, Map<String, Object> details) {
    return failWithDetails(text, Problem.of(reasons), details);
  }

  /**
   * {@link #failWithDetails(String, List, Map)} of a problem as the server wrote it (an
   * attestation's reasons): codes this client does not know are kept as written, and the
   * problem's verdict decides the exit code.
   */
  public int failWithDetails(String text, Problem problem, Map<String, Object> details) {
    int code = Failures.exitCode(problem.kind());
    if (json) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("verdict", problem.verdict());
      o.put("reasons", problem.reasons());
      o.putAll(details);
      print(o);
      return code;
    }
    out.println(printableLines(text));
    out.flush();
    printReasons(code, problem);
    return code;
  }

  /**
   * Prints a result that is a document of its own (an observation), as it is in JSON mode, else
   * as {@code text}; returns 0.
   */
  public int document(String text, byte[] json) {
    if (this.json) {
      out.print(new String(json, StandardCharsets.UTF_8));
      out.flush();
    } else {
      out.println(printableLines(text));
      out.flush();
    }
    return Failures.PASS;
  }

  /**
   * A document that came with a refusal (a scan that did not finish): the document as {@link
   * #document} prints it, then the reasons, which in JSON mode go to standard error so that
   * standard output stays the one document. Returns 3, or 1 when a reason is an error.
   */
  public int refusedDocument(String text, byte[] json, List<Reason> reasons) {
    document(text, json);
    Problem problem = Problem.of(reasons);
    int code = Failures.exitCode(problem.kind());
    if (this.json) {
      printReasons(code, problem, err);
    } else {
      printReasons(code, problem);
    }
    return code;
  }

  private void printReasons(int code, Problem problem) {
    printReasons(code, problem, code == Failures.ERROR ? err : out);
  }

  private void printReasons(int code, Problem problem, PrintWriter w) {
    w.println((code == Failures.ERROR ? "ERROR" : "FAIL")
        + (target == null ? "" : "  " + printable(target.toString())));
    for (ProblemReason r : problem.reasons()) {
      w.println("  " + printable(r.code()) + "  " + printableLines(r.message()));
    }
    w.flush();
  }

  /**
   * A value safe to print on a terminal: every control character escaped, so that a banner, a
   * process name or a server's message cannot move the cursor or erase a line of the verdict.
   */
  public static String printable(String s) {
    return escapeControls(s, false);
  }

  /** {@link #printable} for text of several lines: line feeds and tabs kept. */
  public static String printableLines(String s) {
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
