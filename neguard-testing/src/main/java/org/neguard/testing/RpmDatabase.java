package org.neguard.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real rpm database of the test's own (issue 16: the agent's rpm path): tiny packages built
 * from specs with Debian's {@code rpmbuild} and recorded with {@code rpm -i --justdb} in a
 * database directory, read back with {@code rpm --dbpath DIR}. Nothing is installed on the
 * machine: the files a package owns are recorded in the database only.
 */
public final class RpmDatabase {
  private RpmDatabase() {}

  /**
   * One source rpm to build: {@code name} with its binary packages ({@code name} itself and
   * each of {@code subpackages}, {@code %package -n}), all of one epoch, version and release.
   *
   * @param epoch null for none
   * @param arch {@code noarch}, or null for this machine's
   * @param files absolute paths the package {@code name} owns (recorded in the database, never
   *     written outside the build root), as a daemon's executable
   */
  public record Spec(String name, Integer epoch, String version, String release, String arch,
      List<String> subpackages, List<String> files) {
    public Spec {
      subpackages = List.copyOf(subpackages);
      files = List.copyOf(files);
    }

    /** A package owning no file. */
    public Spec(String name, Integer epoch, String version, String release, String arch,
        List<String> subpackages) {
      this(name, epoch, version, release, arch, subpackages, List.of());
    }

    String text() {
      StringBuilder b = new StringBuilder();
      b.append("Name: ").append(name).append("\nVersion: ").append(version)
          .append("\nRelease: ").append(release).append('\n');
      if (epoch != null) {
        b.append("Epoch: ").append(epoch).append('\n');
      }
      if (arch != null) {
        b.append("BuildArch: ").append(arch).append('\n');
      }
      b.append("Summary: NEGuard test package\nLicense: none\n\n%description\nNEGuard test"
          + " package.\n");
      for (String sub : subpackages) {
        b.append("\n%package -n ").append(sub).append("\nSummary: NEGuard test subpackage\n\n"
            + "%description -n ").append(sub).append("\nNEGuard test subpackage.\n");
      }
      if (!files.isEmpty()) {
        b.append("\n%install\n");
        for (String f : files) {
          b.append("mkdir -p \"%{buildroot}$(dirname '").append(f).append("')\"\n")
              .append("echo test > '%{buildroot}").append(f).append("'\n");
        }
      }
      b.append("\n%files\n");
      files.forEach(f -> b.append(f).append('\n'));
      for (String sub : subpackages) {
        b.append("\n%files -n ").append(sub).append('\n');
      }
      return b.toString();
    }
  }

  /**
   * Builds {@code specs} under {@code dir} and records them in a new database; returns its
   * directory (for {@code rpm --dbpath}). Needs rpm and rpmbuild (the Debian package rpm):
   * skipped without them on a developer's machine, failed in CI.
   */
  public static Path build(Path dir, List<Spec> specs) throws Exception {
    Path rpm = RequiredProgram.require("rpm");
    Path rpmbuild = RequiredProgram.require("rpmbuild");
    Path top = Files.createDirectories(dir.resolve("rpmbuild"));
    Path db = Files.createDirectories(dir.resolve("rpmdb"));
    List<String> defines = List.of("--define", "_topdir " + top, "--define",
        "debug_package %{nil}", "--define", "_build_id_links none", "--define",
        "__os_install_post %{nil}", "--define",
        "_dbpath " + db);
    for (Spec s : specs) {
      Path spec = Files.writeString(top.resolve(s.name() + ".spec"), s.text());
      List<String> cmd = new ArrayList<>(List.of(rpmbuild.toString(), "-bb", "--nodeps",
          "--quiet"));
      cmd.addAll(defines);
      cmd.add(spec.toString());
      run(cmd);
    }
    List<String> rpms;
    try (Stream<Path> files = Files.walk(top.resolve("RPMS"))) {
      rpms = files.filter(f -> f.toString().endsWith(".rpm")).map(Path::toString).sorted()
          .toList();
    }
    run(List.of(rpm.toString(), "--dbpath", db.toString(), "--initdb"));
    List<String> install = new ArrayList<>(List.of(rpm.toString(), "--dbpath", db.toString(),
        "-i", "--justdb", "--nodeps", "--noscripts", "--notriggers", "--ignorearch",
        "--ignoreos"));
    if (debianRpm(rpm)) {
      install.add("--force-debian"); // Debian's rpm installs nothing without it
    }
    install.addAll(rpms);
    run(install);
    return db;
  }

  /** Whether {@code rpm} is Debian's, which refuses to install without --force-debian. */
  private static boolean debianRpm(Path rpm) throws Exception {
    return run(List.of(rpm.toString(), "--help")).contains("--force-debian");
  }

  /** Runs {@code command}, failing with its output when it fails; returns the output. */
  public static String run(List<String> command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(command.get(0) + " took more than 120 s");
    }
    if (p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ": "
          + out);
    }
    return out;
  }
}
