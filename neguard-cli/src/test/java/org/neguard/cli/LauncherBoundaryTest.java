package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.cli.server.ServerLauncher;

/**
 * The launcher boundary, at build time: of the CLI's classes only {@link ServerLauncher} names a
 * class of {@code neguard-server}, so a command that does not start a server cannot load one.
 * ({@code ServerCliTest} shows it at run time with {@code -verbose:class}.)
 */
class LauncherBoundaryTest {
  /** Internal names of the server's classes as they stand in a class file's constant pool. */
  private static final String SERVER = "org/neguard/server/";

  @Test
  @DisplayName("only ServerLauncher (and its nested classes) references the server's classes")
  void onlyServerLauncher_referencesServerClasses() throws Exception {
    assertThat(classesReferencing(SERVER))
        .containsExactly("org/neguard/cli/server/ServerLauncher.class");
  }

  @Test
  @DisplayName("the check sees a reference: ServerLauncher's own are found")
  void check_findsAReference() throws Exception {
    // Without this, an empty answer above could mean the class files were never read.
    assertThat(references(classFile(ServerLauncher.class), SERVER)).isTrue();
    assertThat(references(classFile(Main.class), SERVER)).isFalse();
  }

  private static List<String> classesReferencing(String prefix)
      throws IOException, URISyntaxException {
    Path root = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(p -> p.toString().endsWith(".class"))
          .filter(p -> references(p, prefix))
          .map(p -> root.relativize(p).toString().replaceFirst("\\$.*\\.class$", ".class"))
          .distinct()
          .sorted()
          .toList();
    }
  }

  private static Path classFile(Class<?> c) throws URISyntaxException {
    return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI())
        .resolve(c.getName().replace('.', '/') + ".class");
  }

  private static boolean references(Path classFile, String prefix) {
    try {
      // Constant-pool UTF-8 entries hold class names as written; ISO-8859-1 keeps bytes as chars.
      return new String(Files.readAllBytes(classFile), StandardCharsets.ISO_8859_1)
          .contains(prefix);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
