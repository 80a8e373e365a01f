package org.neguard.server.web;

import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.util.List;
import org.neguard.api.problem.Problem;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.HttpMediaTypeException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.NoHandlerFoundException;
import org.springframework.web.servlet.resource.NoResourceFoundException;

/**
 * Turns every exception of a request into a reasoned JSON answer: never a stack trace, never
 * Spring's default error page.
 */
@RestControllerAdvice
class ApiErrors {
  private static final Logger LOG = LoggerFactory.getLogger(ApiErrors.class);

  @ExceptionHandler(ApiException.class)
  ResponseEntity<Problem> api(ApiException e) {
    return ResponseEntity.status(e.status()).body(Problems.body(e.reasons()));
  }

  @ExceptionHandler(RefusalException.class)
  ResponseEntity<Problem> refusal(RefusalException e) {
    return ResponseEntity.status(e.code().httpStatus()).body(Problems.body(e.reasons()));
  }

  @ExceptionHandler(HttpMessageNotReadableException.class)
  ResponseEntity<Problem> unreadable(HttpMessageNotReadableException e) {
    if (tooLarge(e)) {
      return tooLarge();
    }
    Throwable specific = e.getMostSpecificCause();
    String detail =
        e.getCause() instanceof UnrecognizedPropertyException u
            ? "unknown field '" + u.getPropertyName() + "'"
            : specific instanceof IllegalArgumentException && specific.getMessage() != null
                ? specific.getMessage()
                : "the body is not the JSON this endpoint expects";
    return bad(400, detail + "; see docs/SERVER.md for the request format");
  }

  @ExceptionHandler({
    MethodArgumentTypeMismatchException.class,
    MissingServletRequestParameterException.class
  })
  ResponseEntity<Problem> badParameter(Exception e) {
    return bad(400, "a request parameter is missing or malformed; see docs/SERVER.md");
  }

  @ExceptionHandler({NoHandlerFoundException.class, NoResourceFoundException.class})
  ResponseEntity<Problem> notFound(Exception e) {
    return bad(404, "no such endpoint; see docs/SERVER.md for the API");
  }

  @ExceptionHandler(HttpRequestMethodNotSupportedException.class)
  ResponseEntity<Problem> method(HttpRequestMethodNotSupportedException e) {
    return bad(405, "method " + e.getMethod() + " is not allowed on this endpoint");
  }

  @ExceptionHandler(HttpMediaTypeException.class)
  ResponseEntity<Problem> mediaType(HttpMediaTypeException e) {
    return bad(415, "unsupported content type; send application/json");
  }

  /** The client went away (an upload cut off): nothing to answer, no stack trace to log. */
  @ExceptionHandler(java.io.IOException.class)
  ResponseEntity<Problem> io(java.io.IOException e) {
    if (tooLarge(e)) {
      return tooLarge();
    }
    LOG.warn("request I/O failed: {}", e.getMessage() == null ? e.getClass().getSimpleName()
        : e.getMessage());
    return ResponseEntity.status(400)
        .body(Problems.body(List.of(Reason.of(ReasonCode.IO_ERROR,
            "the request broke off before its end; nothing was stored"))));
  }

  @ExceptionHandler(Exception.class)
  ResponseEntity<Problem> other(Exception e) {
    LOG.error("request failed", e);
    return answer(Reason.of(ReasonCode.INTERNAL,
        "internal server error; the server log has the details"));
  }

  /** Whether the body limit stopped the read, however the reader wrapped that. */
  private static boolean tooLarge(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof BodyLimitFilter.TooLarge) {
        return true;
      }
    }
    return false;
  }

  private static ResponseEntity<Problem> tooLarge() {
    return answer(Reason.of(ReasonCode.SIZE_LIMIT,
        "the request body is larger than " + BodyLimitFilter.MAX_BYTES + " bytes; no endpoint"
            + " but the package upload takes more"));
  }

  /** The reason with its code's own status. */
  private static ResponseEntity<Problem> answer(Reason reason) {
    return ResponseEntity.status(reason.code().httpStatus())
        .body(Problems.body(List.of(reason)));
  }

  private static ResponseEntity<Problem> bad(int status, String message) {
    return ResponseEntity.status(status)
        .body(Problems.body(List.of(Reason.of(ReasonCode.BAD_INPUT, message))));
  }
}
