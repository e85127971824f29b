package io.sluice.dataplane.proxy;

import io.netty.handler.codec.http.HttpContent;

/**
 * What a client connection serves its current request with: an {@link Exchange} with a replica, or the intake of an
 * asynchronous run ({@link AsyncIntake}). The connection hands it the request body and the client's events, and hears
 * from it, through {@link ClientConnection#exchangeEnded}, when it is over.
 */
interface ClientWork {

  void start();

  /** A chunk of the request body; the last one ends the request. */
  void onRequestContent(HttpContent content);

  /** The client stopped sending its body while it was being read. */
  void requestBodyTimedOut(String why);

  /** Called by the loop's sweep, with its clock. */
  default void checkTimeouts(long now) {}

  /** A read from the client ended (whatever it brought has been handed over). */
  default void clientReadEnded() {}

  /** The client connection can take more of the answer. */
  default void clientWritable() {}

  /** The client connection closed. */
  void clientGone();
}
