package org.neguard.server.console;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.function.Predicate;
import org.apache.tomcat.util.http.fileupload.FileItemIterator;
import org.apache.tomcat.util.http.fileupload.FileItemStream;
import org.apache.tomcat.util.http.fileupload.FileUpload;
import org.apache.tomcat.util.http.fileupload.FileUploadException;
import org.apache.tomcat.util.http.fileupload.servlet.ServletRequestContext;
import org.neguard.api.auth.Role;
import org.neguard.api.pkg.PackageInfo;
import org.neguard.server.access.Allowed;
import org.neguard.server.access.CurrentUser;
import org.neguard.server.pkg.PackageIngest;
import org.neguard.server.pkg.PackageStore;
import org.neguard.server.web.ApiException;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.security.web.csrf.CsrfToken;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * A publisher's upload from the Packages page (SRC-2, issue 18): a {@code multipart/form-data}
 * form whose one file part is streamed into {@link PackageIngest}, the very path of {@code POST
 * /api/packages}: the same size limit (on the declared length before a byte is parsed, then
 * while streaming), the same temp file removed on every refusal, the same publication and
 * vulnerability gates, the same audit row.
 *
 * <p>Why it parses the form itself: Spring's multipart support would spool the whole body to
 * disk (up to its own limits, not the server's) before any handler ran. Here nothing is parsed
 * ahead: the server's multipart parsing is off ({@code spring.servlet.multipart.enabled=false},
 * so Tomcat never reads such a body for a parameter), and this handler reads the parts in order
 * with Tomcat's streaming parser.
 *
 * <p>Its CSRF token (SRC-1): the CSRF filter reads a token from a parameter, which for this body
 * is the URL's query only, and a token in a URL leaks into access logs, proxies' logs and
 * Referer headers. So the filter leaves exactly {@code POST} of {@link #PATH} to this handler
 * ({@link ConsoleSecurity#UPLOAD}; a session is still required) and the form sends its token as
 * its first field. The first part must be the field {@code _csrf} holding this session's token
 * (at most {@link #FIELD_MAX} bytes; unmasked and compared as the filter does), checked before a
 * byte of the file part is read: no such field, another part first, another token, or a token
 * in the query only is refused {@code NOT_AUTHORIZED} (403), with the upload's audit row (a body
 * that is not multipart is refused {@code MALFORMED} on its headers, its body unread). Then
 * the same field may repeat (read and dropped, at most {@link #MAX_FIELDS} fields in all, more
 * refused {@code SIZE_LIMIT}), then the file part {@code bundle}, whose bytes go straight to the
 * temp file. Anything else (another field, a second file first, no file) is refused {@code
 * MALFORMED}; what follows the bundle's part is never read.
 */
@Controller
class PackageUploadForm {
  /** What the form's envelope (boundaries, part headers, the small fields) may add. */
  static final long ENVELOPE = 64 * 1024;
  /** The most a small form field may hold. */
  static final int FIELD_MAX = 4096;
  /**
   * The most fields before the file part: the form sends one ({@code _csrf}); two more are
   * slack for a client that repeats it.
   */
  static final int MAX_FIELDS = 3;
  static final String PATH = "/console/packages/upload";
  private static final String TOKEN_FIELD = "_csrf";

  private final PackageIngest ingest;
  private final PackageStore store;
  private final ConsoleCsrfTokens tokens;
  private final long maxBytes;

  PackageUploadForm(PackageIngest ingest, PackageStore store, ConsoleCsrfTokens tokens,
      @Value("${neguard.max-upload-bytes}") long maxBytes) {
    this.ingest = ingest;
    this.store = store;
    this.tokens = tokens;
    this.maxBytes = maxBytes;
  }

  @PostMapping(PATH)
  @Allowed(Role.PUBLISHER)
  String upload(HttpServletRequest request, HttpServletResponse response, Model model,
      RedirectAttributes redirect) throws IOException {
    long length = request.getContentLengthLong();
    // The most the bundle can have by the declared length: the whole body but its envelope.
    long declared = length < 0 ? -1 : Math.max(0, length - ENVELOPE);
    try {
      PackageIngest.Accepted a = ingest.ingest(CurrentUser.current().username(), declared,
          () -> bundlePart(request, length < 0 ? maxBytes + ENVELOPE : length,
              submitted -> isSessionToken(request, submitted)));
      PackageInfo p = a.info();
      redirect.addFlashAttribute("uploaded", p.name() + " " + p.version()
          + (a.created() ? " stored" : " was stored already (the same file)"));
      return "redirect:/console/packages";
    } catch (ApiException e) {
      // Shown on the packages page with its code, as the API answers it; the rest of the body
      // is then read and dropped, within a bound, so that a browser gets to read the page.
      Reason r = e.reasons().get(0);
      request.setAttribute(RefusedUploadDrain.REFUSED, Boolean.TRUE);
      response.setStatus(e.status());
      model.addAttribute("refusal", r.code().name() + ": " + r.message());
      model.addAttribute("packages", store.packages());
      return "console/packages";
    }
  }

  /**
   * Whether {@code submitted}, the form's first field, is this session's CSRF token: read from
   * the CSRF filter's own repository, unmasked by its own handler, compared in constant time as
   * the filter compares. The header and the query are not looked at: only the field counts.
   */
  private boolean isSessionToken(HttpServletRequest request, String submitted) {
    CsrfToken expected = tokens.loadToken(request);
    if (expected == null) {
      return false;
    }
    String unmasked = ConsoleSecurity.CSRF_HANDLER.resolveCsrfTokenValue(
        new FieldOnly(request, expected.getParameterName(), submitted), expected);
    return unmasked != null && MessageDigest.isEqual(
        expected.getToken().getBytes(StandardCharsets.UTF_8),
        unmasked.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The request as the token's resolver is to see it: no header, and the form's field as the
   * one parameter, never the query's (Tomcat would answer {@code getParameter} from the URL).
   */
  private static final class FieldOnly extends HttpServletRequestWrapper {
    private final String name;
    private final String value;

    FieldOnly(HttpServletRequest request, String name, String value) {
      super(request);
      this.name = name;
      this.value = value;
    }

    @Override
    public String getHeader(String header) {
      return null;
    }

    @Override
    public String getParameter(String parameter) {
      return name.equals(parameter) ? value : null;
    }
  }

  /**
   * Checks the form's CSRF token, its first field, then positions on the form's file part and
   * returns its bytes, parsing no more than that.
   *
   * @param sessionToken whether a value is this session's CSRF token
   */
  static InputStream bundlePart(HttpServletRequest request, long bodyMax,
      Predicate<String> sessionToken) throws IOException, RefusalException {
    String type = request.getContentType();
    if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
      // Refused on its headers, before a byte of its body is read, so without a token to check:
      // nothing of it is kept. (The console's authorization probes, `neguard evidence authz`,
      // post such a form to every console route and count this answer as the role's admission.)
      throw new RefusalException(ReasonCode.MALFORMED, "the upload form must be sent as"
          + " multipart/form-data: first its field '_csrf', then the bundle in its file field"
          + " 'bundle'");
    }
    FileUpload parser = new FileUpload();
    // The whole body's bound, checked by the parser while it reads (PackageIngest checks the
    // bundle's own bytes): a body without a length (chunked) cannot feed an endless preamble.
    parser.setSizeMax(bodyMax);
    // No setFileCountMax: Tomcat checks it only when it collects a whole request's parts, never
    // in this iterator; the fields are counted here instead.
    FileItemIterator parts;
    try {
      parts = parser.getItemIterator(new ServletRequestContext(request));
      checkToken(parts, sessionToken);
    } catch (FileUploadException e) {
      throw noToken("the upload form's first field could not be read as multipart/form-data");
    }
    int fields = 1;
    try {
      while (parts.hasNext()) {
        FileItemStream part = parts.next();
        if (part.isFormField() && TOKEN_FIELD.equals(part.getFieldName())) {
          // Refused on the first field too many, before its value or any later part is read:
          // otherwise a body of thousands of tiny fields is parsed to its end.
          if (++fields > MAX_FIELDS) {
            throw new RefusalException(ReasonCode.SIZE_LIMIT, "the upload form has more than "
                + MAX_FIELDS + " fields before its file; send only the form's field '_csrf' and"
                + " the file field 'bundle'");
          }
          if (readField(part) == null) {
            throw new RefusalException(ReasonCode.MALFORMED, "a field of the upload form is"
                + " longer than " + FIELD_MAX + " bytes");
          }
          continue;
        }
        if (!part.isFormField() && "bundle".equals(part.getFieldName())) {
          return part.openStream();
        }
        throw new RefusalException(ReasonCode.MALFORMED, "the upload form has an unexpected"
            + " field before its file; send only the file field 'bundle'");
      }
    } catch (FileUploadException e) {
      throw new RefusalException(ReasonCode.MALFORMED, "the upload form is not a valid"
          + " multipart/form-data body; send the bundle in the file field 'bundle'");
    }
    throw new RefusalException(ReasonCode.MALFORMED,
        "the upload form has no file; choose a .ngp bundle");
  }

  /**
   * Refuses the form unless its first part is the field {@code _csrf} holding this session's
   * token. A file part first is refused on its headers, before a byte of it is read.
   */
  private static void checkToken(FileItemIterator parts, Predicate<String> sessionToken)
      throws IOException, RefusalException, FileUploadException {
    if (!parts.hasNext()) {
      throw noToken("the upload form has no field");
    }
    FileItemStream first = parts.next();
    if (!first.isFormField() || !TOKEN_FIELD.equals(first.getFieldName())) {
      throw noToken("the upload form's first part is not its field '_csrf'");
    }
    String value = readField(first);
    if (value == null || !sessionToken.test(value)) {
      throw noToken("the upload form's field '_csrf' is not this session's CSRF token");
    }
  }

  private static RefusalException noToken(String why) {
    return new RefusalException(ReasonCode.NOT_AUTHORIZED, why + "; nothing of it was stored."
        + " The form must send first its field '_csrf' with the token of this session's packages"
        + " page (not in the URL), then the file field 'bundle': reload the packages page and"
        + " send the form again");
  }

  /** The field's value, or null when it is longer than {@link #FIELD_MAX} bytes. */
  private static String readField(FileItemStream part) throws IOException {
    try (InputStream in = part.openStream()) {
      byte[] value = in.readNBytes(FIELD_MAX + 1);
      return value.length > FIELD_MAX ? null : new String(value, StandardCharsets.UTF_8);
    }
  }
}
