package io.sluice.dataplane.replica.local;

import io.sluice.config.Command;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns an app's start command into the argument vector of one replica.
 *
 * <p>Configs fix their port ({@code --port 5000} in the seed's entrypoint), yet every replica needs its own. So the
 * configured port is rewritten to the replica's port wherever the command names it as a port: after {@code --port},
 * {@code -p}, {@code --server-port} or {@code --http-port}, in {@code --port=N}, in {@code host:N}, and in
 * {@code PORT=N}; {@code PORT} is also set in the environment. A command that does not name its port cannot be moved:
 * {@link #rewrote()} says so, and the replica then gets the configured port itself if it is free.
 *
 * <p>With a secrets folder, the command runs in a private mount namespace where that folder is bind-mounted on
 * {@code /secrets}, so the replica reads {@code /secrets/<name>} exactly as the seeds do.
 */
final class LaunchCommand {

  private static final Set<String> PORT_FLAGS = Set.of("--port", "-p", "--server-port", "--http-port");
  private static final String SECRETS_MOUNT_SCRIPT = "mount --bind \"$SLUICE_SECRETS_DIR\" /secrets && exec \"$@\"";

  private final List<String> argv;
  private final boolean rewrote;

  private LaunchCommand(List<String> argv, boolean rewrote) {
    this.argv = List.copyOf(argv);
    this.rewrote = rewrote;
  }

  static LaunchCommand of(Command command, int configuredPort, int replicaPort, boolean mountSecrets) {
    PortRewriter rewriter = new PortRewriter(configuredPort, replicaPort);
    List<String> args = new ArrayList<>();
    if (command instanceof Command.Exec exec) {
      String previous = "";
      for (String arg : exec.argv()) {
        args.add(rewriter.argument(previous, arg));
        previous = arg;
      }
    } else if (command instanceof Command.Shell shell) {
      args.add("/bin/sh");
      args.add("-c");
      args.add(rewriter.text(shell.line()));
    }
    if (mountSecrets) {
      List<String> wrapped = new ArrayList<>(List.of(
          "unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", SECRETS_MOUNT_SCRIPT, "sluice-replica"));
      wrapped.addAll(args);
      args = wrapped;
    }
    return new LaunchCommand(args, rewriter.rewrote);
  }

  List<String> argv() {
    return argv;
  }

  /** Whether the command named the configured port, so that the replica listens where it is told. */
  boolean rewrote() {
    return rewrote;
  }

  private static final class PortRewriter {
    private final String from;
    private final String to;
    private final Pattern inText;
    private boolean rewrote;

    PortRewriter(int configuredPort, int replicaPort) {
      this.from = Integer.toString(configuredPort);
      this.to = Integer.toString(replicaPort);
      this.inText = Pattern.compile(
          "((?:--port|--server-port|--http-port)(?:=|\\s+)|(?<![\\w-])-p\\s+|\\bPORT=|[\\w.\\]]:)" + from + "(?!\\d)");
    }

    String argument(String previous, String arg) {
      if (PORT_FLAGS.contains(previous) && arg.equals(from)) {
        rewrote = true;
        return to;
      }
      return text(arg);
    }

    String text(String text) {
      Matcher matcher = inText.matcher(text);
      if (!matcher.find()) {
        return text;
      }
      rewrote = true;
      return matcher.replaceAll(match -> Matcher.quoteReplacement(match.group(1) + to));
    }
  }
}
