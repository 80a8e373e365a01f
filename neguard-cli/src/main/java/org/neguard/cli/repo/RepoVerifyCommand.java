package org.neguard.cli.repo;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.neguard.cli.support.CommandBase;
import org.neguard.cli.support.Credentials;
import org.neguard.cli.support.ForceOption;
import org.neguard.cli.support.Output;
import org.neguard.cli.support.OutputFiles;
import org.neguard.cli.support.RepoWire;
import org.neguard.cli.support.TerminalProgress;
import org.neguard.progress.ProgressListener;
import org.neguard.io.FileTrees;
import org.neguard.tuf.ClientConfig;
import org.neguard.tuf.Fetcher;
import org.neguard.tuf.NeguardCustom;
import org.neguard.tuf.RootMetadata;
import org.neguard.tuf.TargetFile;
import org.neguard.tuf.TrustedMetadata;
import org.neguard.tuf.TufClient;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code neguard repo verify}: NEGuard's TUF client (the agent's, {@code org.neguard.tuf}) run
 * against a repository, printing what it trusts or why it refuses.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
    description = {
      "Run NEGuard's TUF client against a repository and print what it trusts: each role's"
          + " version and expiry, and the targets with name, version, security version, NE"
          + " type, length and SHA-256.",
      "It follows the TUF client workflow from the trusted root: root chain, timestamp,"
          + " snapshot, targets; with --target it downloads that target, checking its length and"
          + " SHA-256. A refusal names its reason code (REPO_SIGNATURE, REPO_ROLLBACK,"
          + " REPO_EXPIRED, REPO_MISMATCH, DIGEST_MISMATCH, SIZE_LIMIT, UNSAFE_PATH) and exits"
          + " 3. A repository that is not public is read with the token of 'neguard login' for"
          + " its server, or NEGUARD_TOKEN."
    })
final class RepoVerifyCommand extends CommandBase {
  private static final String ROLE_ROW = "%-10s %-8s %s";
  private static final String TARGET_ROW = "%-32s %-10s %-9s %-8s %12s  %s";

  @Option(names = "--repo", required = true, paramLabel = "URL",
      description = "The repository's base URL, like http://127.0.0.1:8443/api/repo/v1.")
  URI repo;

  @Option(names = "--root", paramLabel = "root.json",
      description = "The root to start trusting from, given out of band (needed unless"
          + " --state-dir trusts one already).")
  Path root;

  @Option(names = "--state-dir", paramLabel = "DIR",
      description = "Where the client keeps what it trusts between runs (default: a temporary"
          + " directory, removed afterwards, so each run starts from --root).")
  Path stateDir;

  @Option(names = "--target", paramLabel = "NAME",
      description = "A target to download, like sample-mme-1.0.0.ngp (with --out).")
  String target;

  @Option(names = "--out", paramLabel = "FILE",
      description = "Where to write the downloaded target (with --target).")
  Path out;

  @Option(names = "--cacert", paramLabel = "CA.pem",
      description = "CA certificate to trust for an https repository with a private CA.")
  Path caCert;

  @Option(names = "--config", paramLabel = "DIR",
      description = "Where 'neguard login' keeps tokens (default: $NEGUARD_CONFIG_DIR,"
          + " $XDG_CONFIG_HOME/neguard or ~/.config/neguard).")
  Path configDir;

  @Mixin ForceOption force;

  @Override
  public Object target() {
    return repo;
  }

  @Override
  public Integer call() throws Exception {
    if ((target == null) != (out == null)) {
      throw usage("--target and --out go together: the target to download and where to");
    }
    if (out != null) {
      OutputFiles.check(out, force.force);
    }
    Output output = output();
    boolean temporary = stateDir == null;
    Path state = temporary ? Files.createTempDirectory("neguard-tuf-state-") : stateDir;
    try {
      if (Files.exists(state.resolve("root.json"))) {
        if (root != null) {
          note(output, "the state directory " + state + " trusts a root already; --root is"
              + " only used to start one");
        }
      } else if (root == null) {
        throw usage("give --root root.json: the state directory trusts no root yet");
      } else {
        TufClient.bootstrap(state, Files.readAllBytes(root));
      }
      note(output, "Refreshing the metadata of " + repo + " ...");
      Fetcher http = RepoWire.fetcher(repo, caCert, token());
      // A bundle can be hundreds of MiB: its bytes drive the progress bar as the client reads.
      AtomicReference<ProgressListener> progress = new AtomicReference<>(ProgressListener.NONE);
      Fetcher counted = (uri, maxBytes) -> http.open(uri, maxBytes)
          .map(in -> counting(in, progress.get(), maxBytes));
      TufClient client = new TufClient(ClientConfig.forRepository(repo, state, counted));
      TrustedMetadata trusted = client.refresh();
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("repository", repo.toString());
      details.put("roles", roles(trusted));
      List<Map<String, Object>> targets = new ArrayList<>();
      for (TargetFile t : trusted.targets().targets().values()) {
        targets.add(target(t));
      }
      details.put("targets", targets);
      StringBuilder text = new StringBuilder("PASS  " + repo + ": the metadata is signed,"
          + " consistent and current\n" + rolesText(trusted) + "\n" + targetsText(trusted));
      if (target != null) {
        TargetFile t = client.targetInfo(target).orElseThrow(() -> RefusalException.about(
            ReasonCode.BAD_INPUT, target, "the repository lists no target " + target
                + "; it lists: " + String.join(", ", trusted.targets().targets().keySet())));
        note(output, "Downloading " + t.name() + " (" + t.length() + " bytes) ...");
        try (TerminalProgress bar = TerminalProgress.bytes(output, "downloading")) {
          progress.set(bar);
          download(client, t);
        } finally {
          progress.set(ProgressListener.NONE);
        }
        details.put("downloaded", Map.of("target", t.name(), "out", out.toString(),
            "length", t.length(), "sha256", t.sha256()));
        text.append("\nDownloaded ").append(Output.printable(t.name())).append(" to ")
            .append(out).append(" (").append(t.length())
            .append(" bytes; length and SHA-256 checked)");
      }
      return output.pass(text.toString(), details);
    } finally {
      if (temporary) {
        FileTrees.deleteTree(state);
      }
    }
  }

  /** The target, checked by the client, moved to {@code --out} in one step. */
  private void download(TufClient client, TargetFile t) throws Exception {
    Path parent = out.toAbsolutePath().getParent();
    Path tmp = Files.createTempDirectory(parent, ".neguard-download-");
    try {
      Path got = client.download(t, tmp);
      OutputFiles.check(out, force.force);
      if (force.force) {
        Files.move(got, out, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } else {
        Files.move(got, out, StandardCopyOption.ATOMIC_MOVE);
      }
    } finally {
      FileTrees.deleteTree(tmp);
    }
  }

  /** {@code in}, telling {@code listener} how many of {@code total} bytes were read. */
  private static InputStream counting(InputStream in, ProgressListener listener, long total) {
    if (listener == ProgressListener.NONE) {
      return in;
    }
    return new FilterInputStream(in) {
      private long done;

      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
          listener.progress(++done, total);
        }
        return b;
      }

      @Override
      public int read(byte[] buf, int off, int len) throws IOException {
        int n = super.read(buf, off, len);
        if (n > 0) {
          done += n;
          listener.progress(done, total);
        }
        return n;
      }
    };
  }

  /** $NEGUARD_TOKEN, else the saved login for the repository's server, else none. */
  private String token() throws Exception {
    String env = System.getenv("NEGUARD_TOKEN");
    if (env != null && !env.isBlank()) {
      return env;
    }
    String origin = repo.getScheme() + "://" + repo.getRawAuthority();
    Optional<Credentials.Saved> saved = Credentials.in(configDir).find(origin);
    return saved.map(Credentials.Saved::token).orElse(null);
  }

  private static void note(Output output, String text) {
    if (!output.json()) {
      output.err().println(text);
      output.err().flush();
    }
  }

  private static Map<String, Object> roles(TrustedMetadata t) {
    Map<String, Object> m = new LinkedHashMap<>();
    RootMetadata r = t.root();
    m.put("root", role(r.version(), r.expires().toString()));
    m.put("timestamp", role(t.timestamp().version(), t.timestamp().expires().toString()));
    m.put("snapshot", role(t.snapshot().version(), t.snapshot().expires().toString()));
    m.put("targets", role(t.targets().version(), t.targets().expires().toString()));
    return m;
  }

  private static Map<String, Object> role(int version, String expires) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("version", version);
    m.put("expires", expires);
    return m;
  }

  private static String rolesText(TrustedMetadata t) {
    return String.join("\n",
        String.format(ROLE_ROW, "ROLE", "VERSION", "EXPIRES"),
        String.format(ROLE_ROW, "root", t.root().version(), t.root().expires()),
        String.format(ROLE_ROW, "timestamp", t.timestamp().version(), t.timestamp().expires()),
        String.format(ROLE_ROW, "snapshot", t.snapshot().version(), t.snapshot().expires()),
        String.format(ROLE_ROW, "targets", t.targets().version(), t.targets().expires()));
  }

  private static Map<String, Object> target(TargetFile t) throws RefusalException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", t.name());
    Optional<NeguardCustom> c = t.neguard();
    c.ifPresent(n -> {
      m.put("package", n.name());
      m.put("version", n.version());
      m.put("securityVersion", n.securityVersion());
      m.put("neType", n.neType());
      m.put("rim", n.rim());
    });
    m.put("length", t.length());
    m.put("sha256", t.sha256());
    return m;
  }

  private static String targetsText(TrustedMetadata t) throws RefusalException {
    StringBuilder b = new StringBuilder(String.format(TARGET_ROW, "TARGET", "VERSION",
        "SECURITY", "NE TYPE", "LENGTH", "SHA-256"));
    for (TargetFile f : t.targets().targets().values()) {
      Optional<NeguardCustom> c = f.neguard();
      b.append('\n').append(Output.printable(String.format(TARGET_ROW, f.name(),
          c.map(NeguardCustom::version).orElse("-"),
          c.map(n -> String.valueOf(n.securityVersion())).orElse("-"),
          c.map(NeguardCustom::neType).orElse("-"), f.length(), f.sha256())));
    }
    int n = t.targets().targets().size();
    b.append('\n').append(n).append(n == 1 ? " target" : " targets");
    return b.toString();
  }
}
