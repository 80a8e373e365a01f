package org.neguard.cli.support;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.neguard.io.AtomicFiles;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * API tokens saved by {@code neguard login}: {@code credentials.json} in the user's config
 * directory ({@code $NEGUARD_CONFIG_DIR}, else {@code $XDG_CONFIG_HOME/neguard}, else {@code
 * ~/.config/neguard}), directory 0700, file 0600, written atomically. One token per server URL;
 * the last server logged in to is the default. An existing directory or file that is not the
 * user's own, or that others may read, is refused (as ssh does with {@code ~/.ssh}): tokens are
 * neither read from nor written into it. Not thread-safe.
 */
public final class Credentials {
  static final String FILE = "credentials.json";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<PosixFilePermission> NOT_OWNER = EnumSet.of(
      PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
      PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
      PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

  /** A saved login. */
  public record Saved(String server, String username, String token, String expiresAt) {}

  /**
   * {@code credentials.json}: the default server and a login per server URL.
   *
   * @param defaultServer the last server logged in to, or null (left out)
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  record Saves(@JsonProperty("default") String defaultServer, Map<String, Login> servers) {
    static final Saves NONE = new Saves(null, Map.of());

    Saves {
      servers = servers == null ? Map.of() : servers;
    }
  }

  /** One server's entry in {@link Saves}. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  record Login(String username, String token, String expiresAt) {}

  private final Path dir;

  private Credentials(Path dir) {
    this.dir = dir;
  }

  public static Credentials in(Path configDir) {
    return new Credentials(configDir != null ? configDir : defaultDir());
  }

  static Path defaultDir() {
    String explicit = System.getenv("NEGUARD_CONFIG_DIR");
    if (explicit != null && !explicit.isBlank()) {
      return Path.of(explicit);
    }
    String xdg = System.getenv("XDG_CONFIG_HOME");
    if (xdg != null && !xdg.isBlank()) {
      return Path.of(xdg, "neguard");
    }
    return Path.of(System.getProperty("user.home"), ".config", "neguard");
  }

  public Path file() {
    return dir.resolve(FILE);
  }

  /** The saved login for {@code server}, or for the default server when null. */
  public Optional<Saved> find(String server) throws IOException, RefusalException {
    Saves saves = read();
    String s = server != null ? normalize(server) : saves.defaultServer();
    if (s == null) {
      return Optional.empty();
    }
    Login e = saves.servers().get(s);
    if (e == null || e.token() == null) {
      return Optional.empty();
    }
    return Optional.of(new Saved(s, e.username() == null ? "" : e.username(), e.token(),
        e.expiresAt()));
  }

  public void save(Saved saved) throws IOException, RefusalException {
    Saves saves = read();
    String s = normalize(saved.server());
    Map<String, Login> servers = new LinkedHashMap<>(saves.servers());
    servers.put(s, new Login(saved.username(), saved.token(), saved.expiresAt()));
    write(new Saves(s, servers));
  }

  public void remove(String server) throws IOException, RefusalException {
    Saves saves = read();
    String s = normalize(server);
    Map<String, Login> servers = new LinkedHashMap<>(saves.servers());
    servers.remove(s);
    write(new Saves(s.equals(saves.defaultServer()) ? null : saves.defaultServer(), servers));
  }

  static String normalize(String server) {
    return server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
  }

  /**
   * Refuses a credentials directory or file that another user owns or may read or change: a
   * token there could be read, or replaced with one that sends this user's requests elsewhere.
   */
  public void checkPrivate() throws IOException, RefusalException {
    if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      checkPrivate(dir, "directory", "700");
    }
    if (Files.exists(file(), LinkOption.NOFOLLOW_LINKS)) {
      checkPrivate(file(), "file", "600");
    }
  }

  private static void checkPrivate(Path p, String what, String mode)
      throws IOException, RefusalException {
    boolean isDir = what.equals("directory");
    if (isDir ? !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)
        : !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
      throw RefusalException.about(ReasonCode.BAD_INPUT, p.toString(),
          "the credentials " + what + " " + p + " is not a plain " + what + " (a symbolic link?);"
              + " remove it or choose another with --config");
    }
    int owner = (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    long me = new com.sun.security.auth.module.UnixSystem().getUid();
    if (owner != me) {
      throw RefusalException.about(ReasonCode.BAD_INPUT, p.toString(),
          "the credentials " + what + " " + p + " belongs to uid " + owner + ", not to you (uid "
              + me + "); remove it or choose another with --config");
    }
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
    if (perms.stream().anyMatch(NOT_OWNER::contains)) {
      throw RefusalException.about(ReasonCode.BAD_INPUT, p.toString(),
          "the credentials " + what + " " + p + " is open to others ("
              + PosixFilePermissions.toString(perms) + "); run 'chmod " + mode + " " + p
              + "' and, if others could read a token in it, revoke it ('neguard user token"
              + " revoke')");
    }
  }

  private Saves read() throws IOException, RefusalException {
    checkPrivate();
    Path f = file();
    if (!Files.exists(f)) {
      return Saves.NONE;
    }
    try {
      Saves saves = JSON.readValue(f.toFile(), Saves.class);
      return saves == null ? Saves.NONE : saves;
    } catch (JsonProcessingException e) {
      throw RefusalException.about(ReasonCode.BAD_INPUT, f.toString(),
          "the credentials file " + f + " is not what 'neguard login' writes ("
              + e.getOriginalMessage() + "); remove it and log in again");
    }
  }

  private void write(Saves root) throws IOException, RefusalException {
    checkPrivate();
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
    // Created 0600 before the token is written into it: never readable by others, not even
    // for a moment.
    try (AtomicFiles.Pending p = AtomicFiles.create(file(), AtomicFiles.Existing.REPLACE,
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
      JSON.writerWithDefaultPrettyPrinter().writeValue(p.path().toFile(), root);
      p.commit();
    }
  }
}
