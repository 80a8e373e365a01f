package org.neguard.harden;

/**
 * The process that owns a listening socket, as the local inventory found it in /proc.
 *
 * @param pid process id
 * @param name the command name ({@code /proc/PID/comm})
 * @param executable the executable's path ({@code /proc/PID/exe}), or null when unreadable
 * @param user the owner's user name, or its numeric uid when the name is unknown
 */
public record ProcessInfo(int pid, String name, String executable, String user) {
  public ProcessInfo {
    if (pid < 1) {
      throw new IllegalArgumentException("pid < 1: " + pid);
    }
  }
}
