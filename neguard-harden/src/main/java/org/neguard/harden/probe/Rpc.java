package org.neguard.harden.probe;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The few ONC RPC messages (RFC 5531) the scanner sends: a NULL call, which every RPC program
 * answers without side effects, and the portmapper's DUMP (RFC 1833, program 100000 version 2
 * procedure 4), which lists the registered programs and their ports.
 */
final class Rpc {
  static final int PORTMAPPER = 100000;
  static final int NFS = 100003;
  static final int MOUNT = 100005;

  /** Program numbers of the ONC RPC services that matter for the forbidden list and their names. */
  static final Map<Integer, String> NAMES = Map.ofEntries(
      Map.entry(100000, "rpcbind"),
      Map.entry(100001, "rstatd"),
      Map.entry(100002, "rusersd"),
      Map.entry(100003, "nfs"),
      Map.entry(100004, "ypserv"),
      Map.entry(100005, "mountd"),
      Map.entry(100007, "ypbind"),
      Map.entry(100011, "rquotad"),
      Map.entry(100021, "nlockmgr"),
      Map.entry(100024, "status"),
      Map.entry(100227, "nfs_acl"));

  private Rpc() {}

  static String name(int program) {
    return NAMES.getOrDefault(program, "rpc-" + program);
  }

  /** A CALL with AUTH_NONE credentials and an empty body. */
  static byte[] call(int xid, int program, int version, int procedure) {
    ByteBuffer b = ByteBuffer.allocate(40);
    b.putInt(xid).putInt(0).putInt(2).putInt(program).putInt(version).putInt(procedure);
    b.putInt(0).putInt(0); // credentials: AUTH_NONE, length 0
    b.putInt(0).putInt(0); // verifier: AUTH_NONE, length 0
    return b.array();
  }

  /** The same call with the TCP record mark (RFC 5531 section 11: last fragment, its length). */
  static byte[] recordMarked(byte[] call) {
    ByteBuffer b = ByteBuffer.allocate(4 + call.length);
    b.putInt(0x80000000 | call.length).put(call);
    return b.array();
  }

  /**
   * Whether {@code reply} is an RPC REPLY to {@code xid} that was accepted (MSG_ACCEPTED and
   * SUCCESS, or PROG_MISMATCH/PROG_UNAVAIL which still prove an RPC server).
   *
   * @return the accept status, or -1 when it is no RPC reply to this call
   */
  static int acceptStatus(byte[] reply, int offset, int length, int xid) {
    if (length < 24) {
      return -1;
    }
    ByteBuffer b = ByteBuffer.wrap(reply, offset, length);
    if (b.getInt() != xid || b.getInt() != 1) {
      return -1;
    }
    int replyStat = b.getInt();
    if (replyStat != 0) {
      return 100 + replyStat; // MSG_DENIED: still an RPC server
    }
    b.getInt(); // verifier flavor
    int verLen = b.getInt();
    if (verLen < 0 || verLen > 400 || b.remaining() < verLen + 4) {
      return -1;
    }
    b.position(b.position() + ((verLen + 3) & ~3));
    return b.getInt();
  }

  /** Accept status PROG_MISMATCH (RFC 5531): the program runs, not in the version asked. */
  static final int PROG_MISMATCH = 2;
  /** Accept status PROG_UNAVAIL: no such program at this address. */
  static final int PROG_UNAVAIL = 1;

  /**
   * The versions a PROG_MISMATCH reply says the program supports, {@code {low, high}}, or null
   * when {@code reply} is no PROG_MISMATCH reply to {@code xid}.
   */
  static int[] mismatchRange(byte[] reply, int offset, int length, int xid) {
    if (acceptStatus(reply, offset, length, xid) != PROG_MISMATCH) {
      return null;
    }
    ByteBuffer b = ByteBuffer.wrap(reply, offset, length);
    b.position(offset + 16);
    int verLen = b.getInt();
    b.position(b.position() + ((verLen + 3) & ~3) + 4);
    if (b.remaining() < 8) {
      return null;
    }
    return new int[] {b.getInt(), b.getInt()};
  }

  /** The RFC 5531 name of an accept status (or 100 + reject status, as {@link #acceptStatus}). */
  static String statusName(int status) {
    return switch (status) {
      case 0 -> "SUCCESS";
      case 1 -> "PROG_UNAVAIL";
      case 2 -> "PROG_MISMATCH";
      case 3 -> "PROC_UNAVAIL";
      case 4 -> "GARBAGE_ARGS";
      case 5 -> "SYSTEM_ERR";
      case 101 -> "MSG_DENIED";
      default -> "status " + status;
    };
  }

  /** One mapping of the portmapper's DUMP. */
  record Mapping(int program, int version, int protocol, int port) {
    String transport() {
      return protocol == 6 ? "tcp" : protocol == 17 ? "udp" : "proto-" + protocol;
    }
  }

  /**
   * Parses the body of a successful DUMP reply: a list of {@code (prog, vers, prot, port)} each
   * preceded by a "value follows" boolean.
   */
  static List<Mapping> parseDump(byte[] reply, int offset, int length, int xid) {
    if (acceptStatus(reply, offset, length, xid) != 0) {
      return List.of();
    }
    ByteBuffer b = ByteBuffer.wrap(reply, offset, length);
    b.position(offset + 16);
    int verLen = b.getInt();
    b.position(b.position() + ((verLen + 3) & ~3) + 4);
    List<Mapping> out = new ArrayList<>();
    while (b.remaining() >= 4 && b.getInt() == 1 && b.remaining() >= 16) {
      int prog = b.getInt();
      int vers = b.getInt();
      int prot = b.getInt();
      int port = b.getInt();
      if (port > 0 && port <= 65535) {
        out.add(new Mapping(prog, vers, prot, port));
      }
      if (out.size() > 10_000) {
        break;
      }
    }
    return List.copyOf(out);
  }
}
