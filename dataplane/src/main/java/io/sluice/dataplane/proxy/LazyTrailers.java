package io.sluice.dataplane.proxy;

import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import java.util.Iterator;
import java.util.List;
import java.util.Map.Entry;
import java.util.Set;

/**
 * The trailers of one body's end, a map only once something is put in it. The HTTP/1.1 decoders give every body that
 * ends (a request's or an answer's, with a length or chunked) a trailer map, and almost none gets a trailer: the empty
 * maps were 7 % of the bytes a node allocated per proxied request. Until the first write this reads as empty; from then
 * on it is the checked map Netty would have made. Besides what {@link HttpHeaders} leaves abstract, only
 * {@link #copy()} (which keeps the trailer checks) and the reads by {@link CharSequence} (no String made while empty)
 * are overridden; the rest of {@link HttpHeaders} goes through these.
 */
final class LazyTrailers extends HttpHeaders {

  private static final HttpHeadersFactory CHECKED = DefaultHttpHeadersFactory.trailersFactory();

  private HttpHeaders map;

  private HttpHeaders read() {
    return map != null ? map : EmptyHttpHeaders.INSTANCE;
  }

  private HttpHeaders write() {
    if (map == null) {
      map = CHECKED.newEmptyHeaders();
    }
    return map;
  }

  @Override
  public String get(String name) {
    return read().get(name);
  }

  @Override
  public String get(CharSequence name) {
    return read().get(name);
  }

  @Override
  public Integer getInt(CharSequence name) {
    return read().getInt(name);
  }

  @Override
  public int getInt(CharSequence name, int defaultValue) {
    return read().getInt(name, defaultValue);
  }

  @Override
  public Short getShort(CharSequence name) {
    return read().getShort(name);
  }

  @Override
  public short getShort(CharSequence name, short defaultValue) {
    return read().getShort(name, defaultValue);
  }

  @Override
  public Long getTimeMillis(CharSequence name) {
    return read().getTimeMillis(name);
  }

  @Override
  public long getTimeMillis(CharSequence name, long defaultValue) {
    return read().getTimeMillis(name, defaultValue);
  }

  @Override
  public List<String> getAll(String name) {
    return read().getAll(name);
  }

  @Override
  public List<Entry<String, String>> entries() {
    return read().entries();
  }

  @Override
  public boolean contains(String name) {
    return read().contains(name);
  }

  @Override
  public boolean contains(CharSequence name) {
    return read().contains(name);
  }

  @Override
  public Iterator<Entry<String, String>> iterator() {
    return read().iterator();
  }

  @Override
  public Iterator<Entry<CharSequence, CharSequence>> iteratorCharSequence() {
    return read().iteratorCharSequence();
  }

  @Override
  public boolean isEmpty() {
    return map == null || map.isEmpty();
  }

  @Override
  public int size() {
    return map == null ? 0 : map.size();
  }

  @Override
  public Set<String> names() {
    return read().names();
  }

  @Override
  public HttpHeaders add(String name, Object value) {
    write().add(name, value);
    return this;
  }

  @Override
  public HttpHeaders add(String name, Iterable<?> values) {
    write().add(name, values);
    return this;
  }

  @Override
  public HttpHeaders addInt(CharSequence name, int value) {
    write().addInt(name, value);
    return this;
  }

  @Override
  public HttpHeaders addShort(CharSequence name, short value) {
    write().addShort(name, value);
    return this;
  }

  @Override
  public HttpHeaders set(String name, Object value) {
    write().set(name, value);
    return this;
  }

  @Override
  public HttpHeaders set(String name, Iterable<?> values) {
    write().set(name, values);
    return this;
  }

  @Override
  public HttpHeaders setInt(CharSequence name, int value) {
    write().setInt(name, value);
    return this;
  }

  @Override
  public HttpHeaders setShort(CharSequence name, short value) {
    write().setShort(name, value);
    return this;
  }

  @Override
  public HttpHeaders remove(String name) {
    if (map != null) {
      map.remove(name);
    }
    return this;
  }

  @Override
  public HttpHeaders clear() {
    if (map != null) {
      map.clear();
    }
    return this;
  }

  @Override
  public HttpHeaders copy() {
    return map == null ? CHECKED.newEmptyHeaders() : map.copy();
  }
}
