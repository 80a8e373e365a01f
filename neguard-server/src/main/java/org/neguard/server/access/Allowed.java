package org.neguard.server.access;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.neguard.api.auth.Role;

/**
 * Who may call an endpoint (SRC-1). Every handler method of the server carries one; the server
 * refuses to start when one does not, and {@code auth.EndpointAuthorization} refuses any request to
 * a handler without it (fail closed).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Allowed {
  /** The roles admitted; a user holding any of them passes. */
  Role[] value() default {};

  /** Anyone, without a credential (login, health). */
  boolean anonymous() default false;

  /** Any signed-in, enabled user, whatever their roles (their own tokens, "who am I"). */
  boolean anyUser() default false;

  /**
   * An enrolled, enabled device authenticated by its device certificate (mutual TLS on the
   * agents' port, {@link CurrentDevice}); no user token admits it. Devices are admitted only to
   * such endpoints. With users admitted too ({@link #anyUser}, roles, {@link #anonymousIf}), an
   * endpoint served on both ports (the TUF repository's files): on the agents' port a device
   * is required, on the users' port the user attributes decide.
   */
  boolean device() default false;

  /**
   * The name of a boolean setting (such as {@code neguard.repo.public}): while it is true, anyone
   * may call the endpoint on the users' port without a credential, as if {@link #anonymous}
   * were set; else the other attributes decide. Empty: no such setting. On the agents' port it
   * admits nobody: there only {@link #device} does.
   */
  String anonymousIf() default "";
}
