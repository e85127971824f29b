package io.sluice.dataplane.proxy;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.sluice.cluster.runs.RunRecord;
import io.sluice.dataplane.runs.AsyncRuns;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The public port's answers about asynchronous runs, for a credential of the run's project:
 * {@code GET /v1/runs/{id}} (the run's state and outcome), {@code GET /v1/runs/{id}/result} (the replica's answer as
 * it gave it: status, headers, body) and {@code DELETE /v1/runs/{id}} (cancel). A run of another project is answered
 * as one that does not exist.
 */
final class RunEndpoints implements ClientWork {

  static final String PREFIX = "/v1/runs/";

  private final ClientConnection client;
  private final AsyncRuns runs;
  private final HttpMethod method;
  private final String path;
  private final String project;
  private final String requestId;
  private boolean finished;

  RunEndpoints(ClientConnection client, AsyncRuns runs, HttpMethod method, String uri, String project,
      String requestId) {
    this.client = client;
    this.runs = runs;
    this.method = method;
    int query = uri.indexOf('?');
    this.path = uri.substring(PREFIX.length(), query < 0 ? uri.length() : query);
    this.project = project;
    this.requestId = requestId;
  }

  @Override
  public void start() {
    boolean result = path.endsWith("/result");
    String id = result ? path.substring(0, path.length() - "/result".length()) : path;
    if (id.isEmpty() || id.indexOf('/') >= 0) {
      reply(error(404, "run_not_found", "run URLs are /v1/runs/{run_id} and /v1/runs/{run_id}/result"));
      return;
    }
    if (method == HttpMethod.GET && !result) {
      answer(runs.get(id).map(found -> mine(found).map(run -> json(200, run.view()))
          .orElseGet(() -> notFound(id))));
    } else if (method == HttpMethod.GET) {
      answer(runs.get(id).compose(found -> {
        Optional<RunRecord> run = mine(found);
        if (run.isEmpty()) {
          return Future.succeededFuture(notFound(id));
        }
        if (run.get().result() == null) {
          return Future.succeededFuture(error(409, "run_not_finished", "run " + id + " is " + run.get().state()
              + (run.get().finished() ? " without an answer from the app" : "; its result is not there yet")));
        }
        return runs.resultBody(id).map(body -> replay(run.get(), body.orElse(new byte[0])));
      }));
    } else if (method == HttpMethod.DELETE && !result) {
      answer(runs.get(id).compose(found -> mine(found).isEmpty() ? Future.succeededFuture(notFound(id))
          : runs.cancel(id).map(cancelled -> json(202, cancelled.orElseThrow().view()))));
    } else {
      FullHttpResponse refused = error(405, "method_not_allowed", "runs answer GET, and DELETE to cancel");
      refused.headers().set(HttpHeaderNames.ALLOW, result ? "GET" : "GET, DELETE");
      reply(refused);
    }
  }

  private Optional<RunRecord> mine(Optional<RunRecord> run) {
    return run.filter(found -> found.project().equals(project));
  }

  private FullHttpResponse notFound(String id) {
    return error(404, "run_not_found", "no run " + id + " (runs are kept for "
        + runs.options().retention().toHours() + " h after they finish)");
  }

  private void answer(Future<FullHttpResponse> response) {
    response.onComplete(done -> client.channel().eventLoop().execute(() -> reply(done.succeeded() ? done.result()
        : error(503, "runs_unavailable", "the fleet's run store did not answer; retry shortly"))));
  }

  private FullHttpResponse json(int status, JsonObject body) {
    byte[] bytes = body.encode().getBytes(StandardCharsets.UTF_8);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
        Unpooled.wrappedBuffer(bytes));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length)
        .set(ProxyHeaders.X_REQUEST_ID, requestId);
    return response;
  }

  /** The replica's answer as it was, with the run's id. */
  private FullHttpResponse replay(RunRecord run, byte[] body) {
    JsonObject result = run.result();
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
        HttpResponseStatus.valueOf(result.getInteger("status")), Unpooled.wrappedBuffer(body));
    for (Object pair : result.getJsonArray("headers")) {
      JsonArray header = (JsonArray) pair;
      response.headers().add(header.getString(0), header.getString(1));
    }
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
        .set("x-sluice-run-id", run.id())
        .set(ProxyHeaders.X_REQUEST_ID, requestId);
    return response;
  }

  private FullHttpResponse error(int status, String code, String message) {
    return ErrorReply.response(status, code, message, requestId, status == 503 ? 1 : 0, false);
  }

  private void reply(FullHttpResponse response) {
    if (finished) {
      return;
    }
    finished = true;
    client.channel().writeAndFlush(response);
    client.exchangeEnded(this);
  }

  @Override
  public void onRequestContent(HttpContent content) {
    content.release();
  }

  @Override
  public void requestBodyTimedOut(String why) {}

  @Override
  public void clientGone() {
    if (!finished) {
      finished = true;
      client.exchangeEnded(this);
    }
  }
}
