package org.neguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code neguard user}: accounts, roles and API tokens on an OAM server (SRC-1). */
@Command(
    name = "user",
    mixinStandardHelpOptions = true,
    description = {
      "Manage accounts, roles and API tokens on the OAM server.",
      "Roles: admin, publisher (uploads packages), operator (deploys), approver (approves "
          + "deployments), auditor (reads everything, changes nothing). A user may hold several."
    },
    subcommands = {
      UserCommand.Add.class,
      UserCommand.ListUsers.class,
      UserCommand.Disable.class,
      UserCommand.Enable.class,
      UserCommand.Roles.class,
      UserCommand.Passwd.class,
      UserCommand.Token.class
    })
final class UserCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "give a user command: add, list, disable, enable, roles, passwd or token");
  }

  /** Shared by the subcommands: client options, --json, output. */
  abstract static class Base implements Callable<Integer>, Output.JsonCapable {
    @Mixin JsonOption jsonOption;
    @Mixin ClientOptions client;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public boolean json() {
      return jsonOption.json;
    }

    Output output() {
      return Output.of(spec.commandLine());
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(JsonNode n) {
      // A mapper made here, not in a static field: picocli builds every command at start-up, and
      // Jackson's classes would then load for every neguard command.
      return new ObjectMapper().convertValue(n, Map.class);
    }
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = "Create a user (admin). Without --password-file the server generates a"
          + " password and it is shown once.")
  static final class Add extends Base {
    @Parameters(index = "0", paramLabel = "NAME") String name;

    @Option(names = "--role", required = true, paramLabel = "ROLE",
        description = "A role to give; repeatable.")
    List<String> roles = new ArrayList<>();

    @Option(names = "--password-file", paramLabel = "FILE") Path passwordFile;

    @Override
    public Integer call() throws Exception {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("username", name);
      if (passwordFile != null) {
        body.put("password", Secrets.read(passwordFile, null, "Password"));
      }
      body.put("roles", roles);
      JsonNode r = client.client().post("/api/users", body);
      String pw = r.path("password").asText(null);
      return output().done("Created user " + name + " with roles " + String.join(",", roles)
          + (pw == null ? "" : "\nGenerated password (shown once): " + pw), map(r));
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "List users and their roles (admin, auditor).")
  static final class ListUsers extends Base {
    @Override
    public Integer call() throws Exception {
      JsonNode users = client.client().get("/api/users");
      StringBuilder text = new StringBuilder(String.format("%-24s %-8s %s", "USER", "STATE",
          "ROLES"));
      for (JsonNode u : users) {
        text.append('\n').append(String.format("%-24s %-8s %s", u.path("username").asText(),
            u.path("disabled").asBoolean() ? "disabled" : "enabled",
            u.path("roles").toString().replaceAll("[\\[\\]\"]", "")));
      }
      return output().done(text.toString(), Map.of("users", users));
    }
  }

  @Command(name = "disable", mixinStandardHelpOptions = true,
      description = "Disable a user (admin): their tokens stop working at once.")
  static final class Disable extends Base {
    @Parameters(index = "0", paramLabel = "NAME") String name;

    @Override
    public Integer call() throws Exception {
      JsonNode r = client.client().post("/api/users/" + ServerClient.encode(name) + "/disable",
          Map.of());
      return output().done("Disabled user " + name, map(r));
    }
  }

  @Command(name = "enable", mixinStandardHelpOptions = true,
      description = "Enable a disabled user again (admin).")
  static final class Enable extends Base {
    @Parameters(index = "0", paramLabel = "NAME") String name;

    @Override
    public Integer call() throws Exception {
      JsonNode r = client.client().post("/api/users/" + ServerClient.encode(name) + "/enable",
          Map.of());
      return output().done("Enabled user " + name, map(r));
    }
  }

  @Command(name = "roles", mixinStandardHelpOptions = true,
      description = "Set a user's roles (admin).")
  static final class Roles extends Base {
    @Parameters(index = "0", paramLabel = "NAME") String name;

    @Option(names = "--role", required = true, paramLabel = "ROLE",
        description = "A role to hold; repeatable. The roles given replace the old ones.")
    List<String> roles = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
      JsonNode r = client.client().put("/api/users/" + ServerClient.encode(name) + "/roles",
          Map.of("roles", roles));
      return output().done("User " + name + " now has roles " + String.join(",", roles), map(r));
    }
  }

  @Command(name = "passwd", mixinStandardHelpOptions = true,
      description = "Change your own password.")
  static final class Passwd extends Base {
    @Option(names = "--old-password-file", paramLabel = "FILE") Path oldFile;
    @Option(names = "--new-password-file", paramLabel = "FILE") Path newFile;

    @Override
    public Integer call() throws Exception {
      String old = Secrets.read(oldFile, null, "Current password");
      String fresh = Secrets.read(newFile, null, "New password");
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("oldPassword", old);
      body.put("newPassword", fresh);
      client.client().put("/api/auth/password", body);
      return output().done("Password changed", Map.of("changed", true));
    }
  }

  @Command(name = "token", mixinStandardHelpOptions = true,
      description = "Your API tokens for scripts: create (shown once), list, revoke.",
      subcommands = {Token.Create.class, Token.ListTokens.class, Token.Revoke.class})
  static final class Token implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "give a token command: create, list or revoke");
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
        description = "Issue a new API token for yourself; it is shown once, store it safely.")
    static final class Create extends Base {
      @Option(names = "--name", paramLabel = "NAME", defaultValue = "api",
          description = "What the token is for (default: ${DEFAULT-VALUE}).")
      String name;

      @Option(names = "--ttl-hours", paramLabel = "H",
          description = "Lifetime in hours, 1 to 8784 (default: 12).")
      Long ttlHours;

      @Override
      public Integer call() throws Exception {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        if (ttlHours != null) {
          body.put("ttlHours", ttlHours);
        }
        JsonNode t = client.client().post("/api/tokens", body);
        return output().done("Token " + t.path("id").asText() + " (expires "
            + t.path("expiresAt").asText() + "), shown once:\n" + t.path("token").asText(),
            map(t));
      }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
        description = "List your tokens (--all: everyone's, admin or auditor). Never secrets.")
    static final class ListTokens extends Base {
      @Option(names = "--all") boolean all;

      @Override
      public Integer call() throws Exception {
        JsonNode tokens = client.client().get("/api/tokens" + (all ? "?all=true" : ""));
        StringBuilder text = new StringBuilder(String.format("%-16s %-16s %-24s %-8s %s", "ID",
            "USER", "EXPIRES", "STATE", "NAME"));
        for (JsonNode t : tokens) {
          text.append('\n').append(String.format("%-16s %-16s %-24s %-8s %s",
              t.path("id").asText(), t.path("username").asText(), t.path("expiresAt").asText(),
              t.hasNonNull("revokedAt") ? "revoked" : "active",
              Output.printable(t.path("name").asText())));
        }
        return output().done(text.toString(), Map.of("tokens", tokens));
      }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
        description = "Revoke a token (yours; admins: anyone's). It stops working at once.")
    static final class Revoke extends Base {
      @Parameters(index = "0", paramLabel = "ID") String id;

      @Override
      public Integer call() throws Exception {
        JsonNode r = client.client().delete("/api/tokens/" + ServerClient.encode(id));
        return output().done("Revoked token " + id, map(r));
      }
    }
  }
}
