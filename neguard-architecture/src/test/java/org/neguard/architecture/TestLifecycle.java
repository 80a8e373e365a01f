package org.neguard.architecture;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Test classes that extend a test class with static {@code @BeforeAll} or {@code @AfterAll}
 * methods. JUnit 5 runs a superclass's static lifecycle methods as well as a subclass's, even
 * when the subclass declares one of the same name (hiding is not overriding), so such a subclass
 * starts the parent's server or fixture too and leaves it running. The project's shape instead:
 * an abstract {@code *Cases} class with the test methods and no lifecycle annotations, and one
 * concrete subclass per database, each owning its lifecycle.
 */
final class TestLifecycle {
  private static final Pattern CLASS = Pattern.compile(
      "^(?:public |abstract |final )*class (\\w+)(?:<[^>]*>)?(?: extends (\\w+))?",
      Pattern.MULTILINE);
  private static final Pattern LIFECYCLE = Pattern.compile("@(?:BeforeAll|AfterAll)\\b");

  private TestLifecycle() {}

  /** The test sources under {@code root}'s modules, by file name without {@code .java}. */
  static Map<String, String> sources(Path root) {
    Map<String, String> out = new HashMap<>();
    try (Stream<Path> modules = Files.list(root)) {
      for (Path module : modules.toList()) {
        Path tests = module.resolve("src/test/java");
        if (!Files.isDirectory(tests)) {
          continue;
        }
        try (Stream<Path> files = Files.walk(tests)) {
          for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
            String name = f.getFileName().toString();
            out.put(module.getFileName() + "/" + name.substring(0, name.length() - 5),
                Files.readString(f, StandardCharsets.UTF_8));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /**
   * Each subclass whose superclass (a top-level class of the same sources) declares
   * {@code @BeforeAll} or {@code @AfterAll}, as "Sub extends Super, which has lifecycle methods".
   */
  static List<String> problems(Map<String, String> sources) {
    Map<String, String> supers = new HashMap<>();
    Map<String, Boolean> lifecycle = new HashMap<>();
    for (String source : sources.values()) {
      Matcher m = CLASS.matcher(source);
      if (m.find()) {
        lifecycle.put(m.group(1), LIFECYCLE.matcher(source).find());
        if (m.group(2) != null) {
          supers.put(m.group(1), m.group(2));
        }
      }
    }
    List<String> out = new ArrayList<>();
    supers.forEach((sub, sup) -> {
      if (lifecycle.getOrDefault(sup, false)) {
        out.add(sub + " extends " + sup + ", which has @BeforeAll/@AfterAll methods");
      }
    });
    out.sort(null);
    return out;
  }
}
