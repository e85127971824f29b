package io.sluice.dataplane.launcher;

/** A command that cannot go on; {@link SluiceCommand} prints the message and exits with 1, without a stack trace. */
final class CommandFailed extends RuntimeException {

  CommandFailed(String message) {
    super(message, null, false, false);
  }
}
