import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The last lines of the test command (.ci/run): totals of this run's surefire and failsafe
 * reports, every skipped test by class and name (a skipped test is never silent), every failed
 * one, and the ten slowest test classes (CI must stay under 30 minutes).
 *
 * <p>Run with the JDK alone, no build: {@code java .ci/TestSummary.java ROOT SINCE-EPOCH-MS}.
 * Reports older than SINCE are an earlier run's and left out. Exit 0, or 1 when CI=true and a
 * test was skipped: in CI a test that needs a program fails when it is missing, so a skip there
 * means a check that was not made. Exit 2 on bad arguments or an unreadable report.
 */
public final class TestSummary {
  private TestSummary() {}

  record Case(String className, String name, String outcome, String message) {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: java .ci/TestSummary.java ROOT SINCE-EPOCH-MS");
      System.exit(2);
    }
    Path root = Path.of(args[0]);
    long since = Long.parseLong(args[1]);
    // The modules are the root's directories (docs/ARCHITECTURE.md): their target/ only.
    List<Path> reports = new ArrayList<>();
    try (Stream<Path> modules = Files.list(root)) {
      for (Path module : modules.filter(Files::isDirectory).sorted().toList()) {
        for (String kind : List.of("surefire-reports", "failsafe-reports")) {
          Path dir = module.resolve("target").resolve(kind);
          if (Files.isDirectory(dir)) {
            try (Stream<Path> files = Files.list(dir)) {
              files.filter(TestSummary::isReport).filter(p -> modified(p) >= since).sorted()
                  .forEach(reports::add);
            }
          }
        }
      }
    }
    Map<String, Double> classTime = new TreeMap<>();
    List<Case> cases = new ArrayList<>();
    for (Path report : reports) {
      read(report, classTime, cases);
    }
    long skipped = count(cases, "skipped");
    long failed = count(cases, "failure");
    long errors = count(cases, "error");
    System.out.println();
    System.out.println("== test summary (" + reports.size() + " reports of this run under "
        + root.toAbsolutePath().normalize() + ")");
    for (String outcome : List.of("skipped", "failure", "error")) {
      List<Case> these = cases.stream().filter(c -> c.outcome().equals(outcome)).toList();
      if (!these.isEmpty()) {
        System.out.println(outcome.equals("skipped") ? "skipped:" : outcome + "s:");
        for (Case c : these) {
          System.out.println("  " + c.className() + " > " + c.name()
              + (c.message().isEmpty() ? "" : ": " + c.message()));
        }
      }
    }
    System.out.println("slowest test classes:");
    classTime.entrySet().stream()
        .sorted(Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder())).limit(10)
        .forEach(e -> System.out.printf("  %8.1f s  %s%n", e.getValue(), e.getKey()));
    double total = classTime.values().stream().mapToDouble(Double::doubleValue).sum();
    System.out.printf("tests: %d in %d classes, %d failed, %d errors, %d skipped; %.0f s in tests%n",
        cases.size(), classTime.size(), failed, errors, skipped, total);
    if (reports.isEmpty()) {
      System.out.println("no test report was written by this run");
    }
    if (skipped > 0 && "true".equalsIgnoreCase(System.getenv("CI"))) {
      System.out.println("FAILED: " + skipped + " test(s) skipped in CI (CI=true): a test that"
          + " needs a program fails when it is missing, it does not skip");
      System.exit(1);
    }
  }

  private static boolean isReport(Path p) {
    String file = p.getFileName().toString();
    return file.startsWith("TEST-") && file.endsWith(".xml") && Files.isRegularFile(p);
  }

  private static long modified(Path p) {
    try {
      return Files.getLastModifiedTime(p).toMillis();
    } catch (IOException e) {
      return Long.MIN_VALUE;
    }
  }

  private static long count(List<Case> cases, String outcome) {
    return cases.stream().filter(c -> c.outcome().equals(outcome)).count();
  }

  private static void read(Path report, Map<String, Double> classTime, List<Case> cases)
      throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    // A report is data: no DTDs, no external entities.
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
    f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
    Element suite;
    try (InputStream in = Files.newInputStream(report)) {
      suite = f.newDocumentBuilder().parse(in).getDocumentElement();
    } catch (Exception e) {
      System.err.println("unreadable test report " + report + ": " + e.getMessage());
      System.exit(2);
      return;
    }
    String suiteName = suite.getAttribute("name");
    classTime.merge(suiteName, seconds(suite.getAttribute("time")), Double::sum);
    NodeList tests = suite.getElementsByTagName("testcase");
    for (int i = 0; i < tests.getLength(); i++) {
      Element t = (Element) tests.item(i);
      String outcome = "passed";
      String message = "";
      for (Node k = t.getFirstChild(); k != null; k = k.getNextSibling()) {
        if (k instanceof Element e
            && List.of("skipped", "failure", "error").contains(e.getTagName())) {
          outcome = e.getTagName();
          message = firstLine(e.getAttribute("message"));
          break;
        }
      }
      String className = t.getAttribute("classname").isEmpty() ? suiteName
          : t.getAttribute("classname");
      cases.add(new Case(className, t.getAttribute("name"), outcome, message));
    }
  }

  private static double seconds(String s) {
    try {
      return Double.parseDouble(s.replace(",", ""));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static String firstLine(String s) {
    String line = s.strip().lines().findFirst().orElse("");
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }
}
