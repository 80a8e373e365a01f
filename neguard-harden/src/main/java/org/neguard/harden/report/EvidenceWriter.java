package org.neguard.harden.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.evidence.JsonEvidence;
import org.neguard.harden.eval.Evaluation;
import org.neguard.io.AtomicFiles;

/**
 * Writes the evidence of an evaluation into a directory (HRD-6): {@value #HTML} for a
 * certifier, {@value #JSON} and {@value #JUNIT} for pipelines. All three are rendered before
 * anything is written, and each file appears whole or not at all (written aside, then moved);
 * an existing file is never overwritten, so evidence is not lost by a second run.
 *
 * <p>Thread-safe (stateless); two writers into one directory race on names, not on contents.
 */
public final class EvidenceWriter {
  public static final String HTML = "hardening-report.html";
  public static final String JSON = "hardening-evidence.json";
  public static final String JUNIT = "hardening-junit.xml";

  private EvidenceWriter() {}

  /**
   * Writes the three files into {@code dir} (created if missing).
   *
   * @param generator {@code NEGuard 0.1.0}: recorded in every file
   * @return the files written, in the order above
   * @throws FileAlreadyExistsException when one of them exists already (nothing is written)
   * @throws IOException when writing fails (files already moved in place stay whole)
   */
  public static List<Path> write(Evaluation e, Path dir, String generator) throws IOException {
    return write(e, dir, generator, AtomicFiles.Existing.REFUSE);
  }

  /**
   * Writes the three files into {@code dir} (created if missing), each atomically.
   *
   * @param existing whether existing files are refused (nothing is written then) or replaced
   */
  public static List<Path> write(Evaluation e, Path dir, String generator,
      AtomicFiles.Existing existing) throws IOException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put(HTML, HtmlReport.render(e, generator).getBytes(StandardCharsets.UTF_8));
    files.put(JSON, JsonEvidence.bytes(EvidenceJson.of(e, generator)));
    files.put(JUNIT, JunitReport.render(e, generator).getBytes(StandardCharsets.UTF_8));
    Files.createDirectories(dir);
    for (String name : files.keySet()) {
      if (existing == AtomicFiles.Existing.REFUSE && Files.exists(dir.resolve(name), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        throw new FileAlreadyExistsException(dir.resolve(name).toString());
      }
    }
    List<Path> written = new ArrayList<>();
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      Path target = dir.resolve(f.getKey());
      // Refusing, it does not replace a file that appeared since the check above either.
      AtomicFiles.write(target, f.getValue(), existing);
      written.add(target);
    }
    return List.copyOf(written);
  }
}
