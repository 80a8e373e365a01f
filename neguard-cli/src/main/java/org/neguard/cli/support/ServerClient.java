package org.neguard.cli.support;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import org.neguard.api.audit.AuditRecord;
import org.neguard.api.audit.AuditVerification;
import org.neguard.api.auth.CreateUserRequest;
import org.neguard.api.auth.CreatedUser;
import org.neguard.api.auth.Endpoint;
import org.neguard.api.auth.IssueTokenRequest;
import org.neguard.api.auth.LoginRequest;
import org.neguard.api.auth.PasswordChanged;
import org.neguard.api.auth.PasswordRequest;
import org.neguard.api.auth.RolesRequest;
import org.neguard.api.auth.Token;
import org.neguard.api.auth.TokenRevoked;
import org.neguard.api.auth.User;
import org.neguard.api.auth.UserDisabled;
import org.neguard.api.auth.UserRoles;
import org.neguard.api.auth.WhoAmI;
import org.neguard.api.deploy.ApproveRequest;
import org.neguard.api.deploy.CreateDeploymentRequest;
import org.neguard.api.deploy.Deployment;
import org.neguard.api.deploy.ReasonRequest;
import org.neguard.api.deploy.Target;
import org.neguard.api.device.Device;
import org.neguard.api.device.DeviceDrift;
import org.neguard.api.vuln.DeviceVulnerabilities;
import org.neguard.api.vuln.FleetVulnerabilities;
import org.neguard.api.device.EnrollmentToken;
import org.neguard.api.device.EnrollmentTokenRequest;
import org.neguard.api.device.HardeningPolicyInfo;
import org.neguard.api.device.OrderKey;
import org.neguard.api.pkg.PackageInfo;
import org.neguard.api.pkg.TrustInfo;
import org.neguard.api.problem.Problem;
import org.neguard.api.problem.ProblemReason;
import org.neguard.api.problem.Verdict;
import org.neguard.api.repo.RepoStatus;
import org.neguard.api.repo.RotateKeyRequest;
import org.neguard.sign.Certificates;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The CLI's client of the OAM server's REST API, on the JDK's HTTP client. Answers bind to the
 * wire records of {@code neguard-api} ({@code org.neguard.api.*}). A refusal by the server comes
 * back as a {@link RefusalException} with the server's reasons (same codes as the local
 * commands), or, when the server names a code this client does not know, as a
 * {@link ServerProblemException} that keeps the code as written and the server's verdict; an
 * unreachable server is {@code SERVER_UNREACHABLE}. Thread-safe.
 */
public final class ServerClient {
  /**
   * Reads answers; fields a newer server adds are ignored (the server itself refuses unknown
   * fields in what it is sent). Writes requests as the server writes answers: a null field
   * (a default left to the server) is left out.
   */
  private static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .setSerializationInclusion(JsonInclude.Include.NON_NULL);

  private final URI base;
  private final String token;
  private final HttpClient http;

  private ServerClient(URI base, String token, HttpClient http) {
    this.base = base;
    this.token = token;
    this.http = http;
  }

  /**
   * A client of {@code server}.
   *
   * @param caCert PEM certificate(s) to trust for an https server with a private CA, or null
   *     for the JDK's default trust
   * @param allowPlainHttp talk plain HTTP to a server off loopback (the user insists)
   * @throws RefusalException {@code BAD_INPUT} for a URL that is not http(s), or plain HTTP to
   *     a host that is not loopback without {@code allowPlainHttp}: decided from the URL alone,
   *     before any name lookup or connection, so nothing is sent
   */
  public static ServerClient of(String server, String token, Path caCert, boolean allowPlainHttp)
      throws IOException, RefusalException {
    URI base;
    try {
      base = URI.create(Credentials.normalize(server) + "/");
    } catch (IllegalArgumentException e) {
      throw new RefusalException(ReasonCode.BAD_INPUT, "not a URL: " + server);
    }
    if (!"http".equals(base.getScheme()) && !"https".equals(base.getScheme())) {
      throw new RefusalException(ReasonCode.BAD_INPUT,
          "the server URL must start with http:// or https://: " + server);
    }
    if ("http".equals(base.getScheme()) && !allowPlainHttp && !loopbackLiteral(base.getHost())) {
      // Mirrors the server, which refuses plain HTTP off loopback: a password or token sent
      // this way can be read by anyone on the path.
      throw RefusalException.about(ReasonCode.BAD_INPUT, server,
          "refusing to send a password or token in clear text to " + server + ", which is not"
              + " on loopback: use https:// (with --cacert for a private CA), or insist with"
              + " --insecure-plain-http");
    }
    HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(15))
        .followRedirects(HttpClient.Redirect.NEVER);
    if (caCert != null) {
      b.sslContext(sslTrusting(caCert));
    }
    return new ServerClient(base, token, b.build());
  }

  /**
   * Whether {@code host} is loopback by its spelling alone ({@code localhost}, {@code 127.x.y.z},
   * {@code [::1]}): no name is looked up, so a refusal sends nothing on the network.
   */
  static boolean loopbackLiteral(String host) {
    if (host == null) {
      return false;
    }
    if (host.equalsIgnoreCase("localhost")) {
      return true;
    }
    if (host.matches("127\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){2}")) {
      return true;
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      try {
        // A bracketed name is only ever parsed as an IPv6 literal, never looked up.
        return InetAddress.getByName(host).isLoopbackAddress();
      } catch (UnknownHostException e) {
        return false;
      }
    }
    return false;
  }

  public ServerClient withToken(String token) {
    return new ServerClient(base, token, http);
  }

  public URI base() {
    return base;
  }

  public String server() {
    return Credentials.normalize(base.toString());
  }

  /**
   * {@code GET path}, the answer bound to {@code type}: a record of {@code org.neguard.api} (or
   * a {@code JsonNode}, to look at an answer as it came).
   *
   * @throws IOException also when the answer is not the JSON of {@code type}
   */
  public <T> T get(String path, Class<T> type) throws IOException, RefusalException {
    return bind(send(request(path).GET()), JSON.constructType(type));
  }

  /** {@code GET path} of a list, e.g. {@code new TypeReference<List<PackageInfo>>() {}}. */
  public <T> T get(String path, TypeReference<T> type) throws IOException, RefusalException {
    return bind(send(request(path).GET()), JSON.constructType(type));
  }

  /** {@code POST path} with a JSON body (a request record of {@code org.neguard.api}). */
  public <T> T post(String path, Object body, Class<T> type) throws IOException, RefusalException {
    return bind(send(withJson(request(path), "POST", body)), JSON.constructType(type));
  }

  /** {@code PUT path} with a JSON body. */
  public <T> T put(String path, Object body, Class<T> type) throws IOException, RefusalException {
    return bind(send(withJson(request(path), "PUT", body)), JSON.constructType(type));
  }

  public <T> T delete(String path, Class<T> type) throws IOException, RefusalException {
    return bind(send(request(path).DELETE()), JSON.constructType(type));
  }

  /** Streams a file as the request body (never read into memory). */
  public <T> T upload(String path, Path file, Class<T> type) throws IOException, RefusalException {
    return bind(send(request(path).header("Content-Type", "application/octet-stream")
        .timeout(Duration.ofHours(2))
        .POST(HttpRequest.BodyPublishers.ofFile(file))), JSON.constructType(type));
  }

  // The endpoints of docs/SERVER.md, each with its wire records.

  public Token login(LoginRequest request) throws IOException, RefusalException {
    return post("/api/auth/login", request, Token.class);
  }

  public WhoAmI whoami() throws IOException, RefusalException {
    return get("/api/auth/whoami", WhoAmI.class);
  }

  public PasswordChanged changePassword(PasswordRequest request) throws IOException, RefusalException {
    return put("/api/auth/password", request, PasswordChanged.class);
  }

  public List<Token> tokens(boolean all) throws IOException, RefusalException {
    return get("/api/tokens?all=" + all, new TypeReference<List<Token>>() {});
  }

  public Token issueToken(IssueTokenRequest request) throws IOException, RefusalException {
    return post("/api/tokens", request, Token.class);
  }

  public TokenRevoked revokeToken(String id) throws IOException, RefusalException {
    return delete("/api/tokens/" + encode(id), TokenRevoked.class);
  }

  public List<User> users() throws IOException, RefusalException {
    return get("/api/users", new TypeReference<List<User>>() {});
  }

  public CreatedUser createUser(CreateUserRequest request) throws IOException, RefusalException {
    return post("/api/users", request, CreatedUser.class);
  }

  public UserRoles setRoles(String username, RolesRequest request)
      throws IOException, RefusalException {
    return put("/api/users/" + encode(username) + "/roles", request, UserRoles.class);
  }

  public UserDisabled setDisabled(String username, boolean disabled)
      throws IOException, RefusalException {
    return post("/api/users/" + encode(username) + (disabled ? "/disable" : "/enable"),
        Map.of(), UserDisabled.class);
  }

  public List<Endpoint> endpoints() throws IOException, RefusalException {
    return get("/api/endpoints", new TypeReference<List<Endpoint>>() {});
  }

  public PackageInfo uploadPackage(Path bundle) throws IOException, RefusalException {
    return upload("/api/packages", bundle, PackageInfo.class);
  }

  public List<PackageInfo> packages() throws IOException, RefusalException {
    return get("/api/packages", new TypeReference<List<PackageInfo>>() {});
  }

  public PackageInfo packageInfo(String name, String version) throws IOException, RefusalException {
    return get("/api/packages/" + encode(name) + "/" + encode(version), PackageInfo.class);
  }

  /** {@code GET /api/packages/held}: packages the publication gate holds (issue 16). */
  public List<org.neguard.api.pkg.HeldPackage> heldPackages()
      throws IOException, RefusalException {
    return get("/api/packages/held",
        new TypeReference<List<org.neguard.api.pkg.HeldPackage>>() {});
  }

  /**
   * {@code POST /api/packages/{name}/{version}/vex} (approver): adds the VEX document in
   * {@code file}, which re-judges the held package.
   */
  public org.neguard.api.pkg.HeldPackage addVex(String name, String version, Path file)
      throws IOException, RefusalException {
    String source = file.getFileName().toString().replaceAll("[^A-Za-z0-9._+-]", "_");
    source = source.length() > 128 ? source.substring(source.length() - 128) : source;
    return bind(send(request("/api/packages/" + encode(name) + "/" + encode(version)
        + "/vex?source=" + encode(source)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofFile(file))),
        JSON.constructType(org.neguard.api.pkg.HeldPackage.class));
  }

  public TrustInfo trust() throws IOException, RefusalException {
    return get("/api/trust", TrustInfo.class);
  }

  /** Audit rows after row {@code after}, or with {@code tail} the last {@code limit} rows. */
  public List<AuditRecord> audit(long after, int limit, boolean tail)
      throws IOException, RefusalException {
    return get("/api/audit?after=" + after + "&limit=" + limit + "&tail=" + tail,
        new TypeReference<List<AuditRecord>>() {});
  }

  public AuditVerification verifyAudit() throws IOException, RefusalException {
    return get("/api/audit/verify", AuditVerification.class);
  }

  // Devices and deployments (docs/DEPLOYMENTS.md): the users' side.

  public EnrollmentToken createEnrollmentToken(EnrollmentTokenRequest request)
      throws IOException, RefusalException {
    return post("/api/devices/enrollment-tokens", request, EnrollmentToken.class);
  }

  /** The devices, those with {@code label} and of {@code neType} when given (null: any). */
  public List<Device> devices(String label, String neType) throws IOException, RefusalException {
    return get("/api/devices" + query("label", label, "neType", neType),
        new TypeReference<List<Device>>() {});
  }

  // Port drift (docs/SERVER.md, "Port drift"): hardening policies, findings.

  /** {@code POST /api/policies/{neType}} (admin): the policy file as the next version. */
  public HardeningPolicyInfo uploadPolicy(String neType, Path file)
      throws IOException, RefusalException {
    return bind(send(request("/api/policies/" + encode(neType))
        .header("Content-Type", "application/yaml")
        .POST(HttpRequest.BodyPublishers.ofFile(file))),
        JSON.constructType(HardeningPolicyInfo.class));
  }

  /** {@code GET /api/policies}: every version of every NE type's policy, without content. */
  public List<HardeningPolicyInfo> policies() throws IOException, RefusalException {
    return get("/api/policies", new TypeReference<List<HardeningPolicyInfo>>() {});
  }

  /** {@code GET /api/policies/{neType}}: one version (null: the current one), with content. */
  public HardeningPolicyInfo policy(String neType, Integer version)
      throws IOException, RefusalException {
    return get("/api/policies/" + encode(neType)
        + query("version", version == null ? null : version.toString()),
        HardeningPolicyInfo.class);
  }

  /** {@code GET /api/drift}: the devices with open findings. */
  public List<DeviceDrift> outOfPolicy() throws IOException, RefusalException {
    return get("/api/drift", new TypeReference<List<DeviceDrift>>() {});
  }

  /** {@code GET /api/devices/{id}/vulnerabilities}: an NE's known vulnerabilities. */
  public DeviceVulnerabilities deviceVulnerabilities(String id)
      throws IOException, RefusalException {
    return get("/api/devices/" + encode(id) + "/vulnerabilities", DeviceVulnerabilities.class);
  }

  /** {@code GET /api/vulnerabilities}: every NE's findings counted by severity. */
  public FleetVulnerabilities fleetVulnerabilities() throws IOException, RefusalException {
    return get("/api/vulnerabilities", FleetVulnerabilities.class);
  }

  /** {@code GET /api/devices/{id}/drift}: a device's findings, newest first. */
  public DeviceDrift deviceDrift(String id) throws IOException, RefusalException {
    return get("/api/devices/" + encode(id) + "/drift", DeviceDrift.class);
  }

  public Device device(String id) throws IOException, RefusalException {
    return get("/api/devices/" + encode(id), Device.class);
  }

  public Device disableDevice(String id, ReasonRequest request)
      throws IOException, RefusalException {
    return post("/api/devices/" + encode(id) + "/disable", request, Device.class);
  }

  /** The device CA certificate, PEM, as the server serves it (text, not JSON). */
  public String deviceCa() throws IOException, RefusalException {
    try (InputStream in = stream("/api/devices/ca")) {
      // A CA certificate is a few KiB: read no more than a PEM chain could reasonably be.
      byte[] pem = in.readNBytes(1 << 16);
      if (in.read() != -1) {
        throw new RefusalException(ReasonCode.BAD_INPUT, "the device CA from " + server()
            + " is larger than 64 KiB: not a certificate; check the URL");
      }
      return new String(pem, StandardCharsets.US_ASCII);
    }
  }

  public List<OrderKey> orderKeys() throws IOException, RefusalException {
    return get("/api/deployments/order-keys", new TypeReference<List<OrderKey>>() {});
  }

  public OrderKey rotateOrderKey() throws IOException, RefusalException {
    return post("/api/deployments/order-keys/rotate", Map.of(), OrderKey.class);
  }

  public Deployment createDeployment(CreateDeploymentRequest request)
      throws IOException, RefusalException {
    return post("/api/deployments", request, Deployment.class);
  }

  /** {@code POST /api/recoveries}: a recovery campaign (REC-2). */
  public Deployment createRecovery(org.neguard.api.deploy.RecoveryRequest request)
      throws IOException, RefusalException {
    return post("/api/recoveries", request, Deployment.class);
  }

  public List<Deployment> deployments() throws IOException, RefusalException {
    return get("/api/deployments", new TypeReference<List<Deployment>>() {});
  }

  public Deployment deployment(String id) throws IOException, RefusalException {
    return get("/api/deployments/" + encode(id), Deployment.class);
  }

  public List<Target> targets(String deploymentId) throws IOException, RefusalException {
    return get("/api/deployments/" + encode(deploymentId) + "/targets",
        new TypeReference<List<Target>>() {});
  }

  public Deployment approveDeployment(String id, ApproveRequest request)
      throws IOException, RefusalException {
    return post("/api/deployments/" + encode(id) + "/approve", request, Deployment.class);
  }

  /** What a user may do to a deployment with a reason (reject's is required). */
  public enum DeploymentAction {
    REJECT, PAUSE, RESUME, CANCEL;

    String path() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Rejects, pauses, resumes or cancels deployment {@code id}. */
  public Deployment changeDeployment(String id, DeploymentAction action, ReasonRequest request)
      throws IOException, RefusalException {
    return post("/api/deployments/" + encode(id) + "/" + action.path(), request,
        Deployment.class);
  }

  // The package repository (docs/REPOSITORY.md): TUF metadata travels as the bytes it was signed
  // in, never re-serialized, and is read by org.neguard.tuf, not bound to wire records here.

  /** {@code GET /api/repo/online-keys} (admin): the online roles' TUF public keys, as JSON. */
  public byte[] repoOnlineKeys() throws IOException, RefusalException {
    return bytes(send(request("/api/repo/online-keys").GET()));
  }

  /** {@code POST /api/repo/online-keys/{role}/rotate} (admin): the online keys after it. */
  public byte[] rotateRepoOnlineKey(String role) throws IOException, RefusalException {
    return bytes(send(withJson(request("/api/repo/online-keys/" + encode(role) + "/rotate"),
        "POST", new RotateKeyRequest(null))));
  }

  /** {@code POST /api/repo/root} (admin): a signed root, exactly these bytes. */
  public RepoStatus publishRepoRoot(byte[] root) throws IOException, RefusalException {
    return bind(send(request("/api/repo/root").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(root))), JSON.constructType(RepoStatus.class));
  }

  /**
   * {@code GET /api/repo/targets/next} (admin, approver): the next unsigned targets when the
   * root's targets keys are offline, with why it is offered; empty when the published targets
   * is current (204).
   */
  public Optional<NextTargets> repoTargetsNext() throws IOException, RefusalException {
    HttpResponse<String> r = send(request("/api/repo/targets/next").GET());
    if (r.statusCode() == 204) {
      return Optional.empty();
    }
    return Optional.of(new NextTargets(bytes(r),
        r.headers().firstValue("NeGuard-Targets-Reason").orElse("")));
  }

  /** The next unsigned targets and why the server offers it. */
  public record NextTargets(byte[] content, String why) {}

  /** {@code POST /api/repo/targets} (admin, approver): targets signed offline, these bytes. */
  public RepoStatus publishRepoTargets(byte[] targets) throws IOException, RefusalException {
    return bind(send(request("/api/repo/targets").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(targets))),
        JSON.constructType(RepoStatus.class));
  }

  /** {@code GET /api/repo/status}: every role's version, expiry, keys and threshold. */
  public RepoStatus repoStatus() throws IOException, RefusalException {
    return get("/api/repo/status", RepoStatus.class);
  }

  /** A metadata file of the repository ({@code root.json}, {@code 3.root.json}), as served. */
  public byte[] repoMetadata(String file) throws IOException, RefusalException {
    return bytes(send(request("/api/repo/v1/metadata/" + encode(file)).GET()));
  }

  private static byte[] bytes(HttpResponse<String> r) {
    return r.body().getBytes(StandardCharsets.UTF_8);
  }

  /** The raw body of a GET, streamed. */
  public InputStream stream(String path) throws IOException, RefusalException {
    HttpResponse<InputStream> r = exchange(request(path).GET().build(),
        HttpResponse.BodyHandlers.ofInputStream());
    if (r.statusCode() / 100 != 2) {
      try (InputStream in = r.body()) {
        // A refusal is a small JSON problem: read no more than one could be.
        throw refusal(r.statusCode(), new String(in.readNBytes(1 << 16), StandardCharsets.UTF_8));
      }
    }
    return r.body();
  }

  /** A request with any method and JSON body, answered with status and body, never thrown. */
  public HttpResponse<String> probe(String method, String path, String jsonBody, String probeToken)
      throws IOException, RefusalException {
    HttpRequest.Builder b = HttpRequest.newBuilder(resolve(path)).timeout(Duration.ofSeconds(60));
    if (probeToken != null) {
      b.header("Authorization", "Bearer " + probeToken);
    }
    if (jsonBody != null) {
      b.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(jsonBody));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return exchange(b.build(), BoundedBody.handler(BoundedBody.MAX_BYTES));
  }

  /**
   * A browser's session of the server's web console (issue 18), for probing the console's routes
   * as {@link #probe} probes the API's: signed in through the console's login form with {@code
   * user}'s password, or without a session when {@code user} is null. The console accepts no
   * bearer token, so its access can only be shown this way.
   *
   * @throws RefusalException NOT_AUTHENTICATED when the console refuses the login
   */
  public ConsoleProbe console(String user, String password) throws IOException, RefusalException {
    HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(15))
        .followRedirects(HttpClient.Redirect.NEVER).cookieHandler(new java.net.CookieManager());
    if (base.getScheme().equals("https")) {
      b.sslContext(http.sslContext());
    }
    ConsoleProbe c = new ConsoleProbe(b.build());
    if (user != null) {
      HttpResponse<String> r = c.form("POST", "/console/login",
          "username=" + encode(user) + "&password=" + encode(password));
      String to = r.headers().firstValue("Location").orElse("");
      if (r.statusCode() != 302 || to.contains("/console/login")) {
        throw new RefusalException(ReasonCode.NOT_AUTHENTICATED,
            "the console refused the login of " + user + " (" + r.statusCode() + ")");
      }
    }
    return c;
  }

  /** A console session: each probe answers as a browser would see it. */
  public final class ConsoleProbe {
    private static final java.util.regex.Pattern CSRF =
        java.util.regex.Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");
    private final HttpClient client;

    private ConsoleProbe(HttpClient client) {
      this.client = client;
    }

    /**
     * The status of {@code method path}: a POST carries the session's CSRF token (so that a
     * refusal is the role's); a redirect to the login page, the console's way of saying that a
     * session is needed, is answered as 401.
     */
    public int status(String method, String path) throws IOException, RefusalException {
      HttpResponse<String> r = method.equals("GET") ? send(HttpRequest.newBuilder(resolve(path))
          .timeout(Duration.ofSeconds(60)).GET().build()) : form(method, path, "");
      boolean toLogin = r.statusCode() == 302
          && r.headers().firstValue("Location").orElse("").endsWith("/console/login");
      return toLogin ? 401 : r.statusCode();
    }

    private HttpResponse<String> form(String method, String path, String body)
        throws IOException, RefusalException {
      HttpResponse<String> page = send(HttpRequest.newBuilder(resolve("/console/login"))
          .timeout(Duration.ofSeconds(60)).GET().build());
      java.util.regex.Matcher m = CSRF.matcher(page.body());
      String token = m.find() ? m.group(1) : "";
      String form = (body.isEmpty() ? "" : body + "&") + "_csrf=" + encode(token);
      return send(HttpRequest.newBuilder(resolve(path)).timeout(Duration.ofSeconds(60))
          .header("Content-Type", "application/x-www-form-urlencoded")
          .method(method, HttpRequest.BodyPublishers.ofString(form)).build());
    }

    private HttpResponse<String> send(HttpRequest request) throws IOException, RefusalException {
      try {
        return client.send(request, BoundedBody.handler(BoundedBody.MAX_BYTES));
      } catch (ConnectException | HttpConnectTimeoutException e) {
        throw new RefusalException(ReasonCode.SERVER_UNREACHABLE,
            "cannot reach the server at " + server() + "; is it running, and is the URL right?",
            e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }
  }

  /** {@code ?k1=v1&k2=v2} of the pairs whose value is not null; empty when none is. */
  private static String query(String... pairs) {
    StringBuilder q = new StringBuilder();
    for (int i = 0; i + 1 < pairs.length; i += 2) {
      if (pairs[i + 1] != null) {
        q.append(q.length() == 0 ? '?' : '&').append(pairs[i]).append('=')
            .append(encode(pairs[i + 1]));
      }
    }
    return q.toString();
  }

  public static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private URI resolve(String path) {
    return base.resolve(path.startsWith("/") ? path.substring(1) : path);
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(resolve(path)).timeout(Duration.ofMinutes(5));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  private HttpResponse<String> send(HttpRequest.Builder b) throws IOException, RefusalException {
    HttpResponse<String> r = exchange(b.build(), BoundedBody.handler(BoundedBody.MAX_BYTES));
    if (r.statusCode() / 100 != 2) {
      throw refusal(r.statusCode(), r.body());
    }
    return r;
  }

  private <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> handler)
      throws IOException, RefusalException {
    try {
      return http.send(request, handler);
    } catch (ConnectException | HttpConnectTimeoutException e) {
      throw new RefusalException(ReasonCode.SERVER_UNREACHABLE,
          "cannot reach the server at " + server() + "; is it running, and is the URL right?", e);
    } catch (SSLException e) {
      throw new RefusalException(ReasonCode.SERVER_UNREACHABLE,
          "TLS with " + server() + " failed (" + e.getMessage()
              + "); give the server's CA certificate with --cacert", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted");
    } catch (IOException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof BoundedBody.TooLarge) {
          throw new RefusalException(ReasonCode.BAD_INPUT, t.getMessage() + " from "
              + server() + ": not an answer of a NEGuard server; check the URL", e);
        }
      }
      throw e;
    }
  }

  /**
   * The server's refusal as this client reports it: a {@link RefusalException} with the server's
   * reasons when this client knows every code.
   *
   * @throws ServerProblemException when a code is one this client does not know (a newer
   *     server): the problem as written, classified by its {@code verdict}
   */
  static RefusalException refusal(int status, String body) {
    Problem p = problem(status, body);
    Optional<List<Reason>> known = p.known();
    if (known.isEmpty()) {
      throw new ServerProblemException(p);
    }
    return new RefusalException(known.get());
  }

  /** The problem in a refusal's body, or one made from the status when the body has none. */
  public static Problem problem(int status, String body) {
    try {
      JsonNode n = JSON.readTree(body);
      List<ProblemReason> reasons = JSON.convertValue(n.path("reasons"),
          new TypeReference<List<ProblemReason>>() {});
      if (reasons != null && !reasons.isEmpty()) {
        return new Problem(verdict(n.path("verdict").asText(""), reasons), reasons);
      }
    } catch (IOException | IllegalArgumentException e) {
      // not the problem shape: a proxy, or not a NEGuard server
    }
    ReasonCode code = status == 401 ? ReasonCode.NOT_AUTHENTICATED
        : status == 403 ? ReasonCode.NOT_AUTHORIZED
        : status >= 500 ? ReasonCode.INTERNAL : ReasonCode.BAD_INPUT;
    return Problem.of(List.of(Reason.of(code, "the server answered HTTP " + status
        + " without reasons; is this a NEGuard server?")));
  }

  /**
   * The problem's verdict as the server wrote it. Without a usable one (not fail or error), the
   * client's own rule decides when it knows every code; with an unknown code too, no verdict was
   * reached that this client can vouch for: an error.
   */
  private static Verdict verdict(String written, List<ProblemReason> reasons) {
    if (written.equals(Verdict.FAIL.wire()) || written.equals(Verdict.ERROR.wire())) {
      return Verdict.parse(written);
    }
    List<Reason> known = reasons.stream().flatMap(r -> r.known().stream()).toList();
    return known.size() == reasons.size() ? Verdict.of(ReasonCode.Kind.of(known))
        : Verdict.ERROR;
  }

  private static HttpRequest.Builder withJson(HttpRequest.Builder b, String method, Object body)
      throws IOException {
    return b.header("Content-Type", "application/json")
        .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
  }

  private static <T> T bind(HttpResponse<String> r, JavaType type) throws IOException {
    String body = r.body();
    if (body == null || body.isBlank()) {
      throw new IOException("the server answered " + r.uri() + " with an empty body, not "
          + type.getRawClass().getSimpleName() + "; is this a NEGuard server?");
    }
    return JSON.readValue(body, type);
  }

  private static SSLContext sslTrusting(Path caCert) throws IOException, RefusalException {
    return sslTrusting(Certificates.read(caCert), caCert.toString());
  }

  /**
   * TLS that trusts {@code cas} only, no client key.
   *
   * @param what names the certificates in the refusal
   * @throws RefusalException {@code TRUST_CONFIG} when they cannot be used as trust anchors
   */
  static SSLContext sslTrusting(List<X509Certificate> cas, String what)
      throws RefusalException {
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      int i = 0;
      for (X509Certificate c : cas) {
        ks.setCertificateEntry("ca" + i++, c);
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      return ssl;
    } catch (java.security.GeneralSecurityException | IOException e) {
      throw new RefusalException(ReasonCode.TRUST_CONFIG,
          "cannot use " + what + " as the server's CA: " + e.getMessage(), e);
    }
  }

}
