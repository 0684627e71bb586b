// HTTP filters: code that sees each proxied request and response, and may change or answer
// them. WASM plugins are filters (the application adapts them, see app/plugin_filter.h).
//
// A service has an ordered list of filter factories; for each request the proxy asks every
// factory for a filter and runs them as a `FilterChain` at each phase of DESIGN.md's request
// lifecycle: request headers (before the upstream request is written), request body pieces,
// request trailers, response headers (before the response head goes to the client), response
// body pieces, response trailers, and done (always, also after errors).
//
// Bodies: a filter that observes a body sees each piece as it arrives and may replace it. It
// may also hold it (`Buffer`): the chain keeps the bytes and calls the filter again with
// everything held so far plus the next piece, until it continues or the body ends; at most
// `max_buffered_bytes`. Because a filter may change a body's length, a body that a filter
// observes travels chunked (HTTP/1.1), or close-delimited to an HTTP/1.0 client.
//
// Threads: filters and chains live on the request's worker; factories are shared by all
// workers and must be thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace river::proxy {

/// What the filter knows about the request besides its head.
struct RequestInfo {
  std::string_view service;
  std::string_view client_ip;
  std::string_view scheme;
  http::Version version = http::Version::Http11;
};

enum class FilterStatus {
  Continue,  ///< go on with the (possibly modified) message
  Buffer,    ///< body phases: hold this body and call again with more
  Respond,   ///< answer with the filter's local reply instead
  Fail,      ///< the filter failed: answer 500 (or cut off a response already started)
};

/// A response a filter produces itself.
struct LocalReply {
  int status = 500;
  http::HeaderMap headers;
  std::string body;
};

/// One request's filter. Calls come in lifecycle order; after Respond or Fail, only
/// `on_done` follows.
class HttpFilter {
 public:
  virtual ~HttpFilter() = default;

  /// Whether the filter wants to see (and may rewrite) the request or response body.
  virtual bool observes_request_body() const = 0;
  virtual bool observes_response_body() const = 0;
  /// The most body bytes the chain holds for this filter while it answers Buffer.
  virtual std::size_t max_buffered_bytes() const = 0;

  /// `head` is the request as it will go upstream; it stays alive until on_done.
  virtual FilterStatus on_request_headers(http::RequestHead& head, bool end_of_stream) = 0;
  /// `body` holds the bytes held so far plus the new piece; on Continue, what it then holds
  /// goes upstream.
  virtual FilterStatus on_request_body(std::string& body, bool end_of_stream) = 0;
  virtual FilterStatus on_request_trailers(http::HeaderMap& trailers) = 0;
  /// `peer` served the request ("10.0.0.7:80"); before the response phases.
  virtual void on_upstream(std::string_view peer) = 0;
  virtual FilterStatus on_response_headers(http::ResponseHead& head, bool end_of_stream) = 0;
  virtual FilterStatus on_response_body(std::string& body, bool end_of_stream) = 0;
  virtual FilterStatus on_response_trailers(http::HeaderMap& trailers) = 0;
  /// The request is over (answered, failed or abandoned).
  virtual void on_done() = 0;

  /// After Respond: the reply to send.
  virtual LocalReply take_local_reply() = 0;
  /// After Fail or Respond: a short reason for the access log ("plugin_failed").
  virtual std::string_view reason() const = 0;
};

class HttpFilterFactory {
 public:
  virtual ~HttpFilterFactory() = default;
  /// A filter for one request, on the calling worker. Never null: a filter that cannot be
  /// made returns one that fails (or passes) every request, as its configuration says.
  virtual std::unique_ptr<HttpFilter> create(const RequestInfo& info) const = 0;
};

using FilterFactories = std::vector<std::shared_ptr<const HttpFilterFactory>>;

/// The filters of one request, run in order.
class FilterChain {
 public:
  FilterChain(const FilterFactories& factories, const RequestInfo& info);
  /// Calls done() if it was not called.
  ~FilterChain();
  FilterChain(const FilterChain&) = delete;
  FilterChain& operator=(const FilterChain&) = delete;

  bool observes_request_body() const { return observes_request_body_; }
  bool observes_response_body() const { return observes_response_body_; }

  FilterStatus request_headers(http::RequestHead& head, bool end_of_stream);
  /// `data` in: the next piece (empty at the end); out on Continue: the bytes to send on.
  /// Buffer means nothing to send yet. Fail when a filter held more than it may.
  FilterStatus request_body(std::string& data, bool end_of_stream);
  FilterStatus request_trailers(http::HeaderMap& trailers);
  void upstream(std::string_view peer);
  FilterStatus response_headers(http::ResponseHead& head, bool end_of_stream);
  FilterStatus response_body(std::string& data, bool end_of_stream);
  FilterStatus response_trailers(http::HeaderMap& trailers);
  void done();

  /// After Respond: the reply of the filter that answered.
  LocalReply take_local_reply();
  /// After Respond or Fail: the reason of the filter that stopped the chain.
  std::string_view reason() const { return reason_; }
  /// True once a filter answered Respond or Fail; every later call answers Fail.
  bool stopped() const { return stopped_by_ != nullptr; }
  /// Respond or Fail, once stopped().
  FilterStatus stop_status() const { return stop_status_; }

 private:
  enum class Phase { RequestBody, ResponseBody };
  template <typename Call>
  FilterStatus run(Call&& call);
  FilterStatus body(Phase phase, std::string& data, bool end_of_stream);

  std::vector<std::unique_ptr<HttpFilter>> filters_;
  /// Per filter, the body bytes it holds (request, then response).
  std::vector<std::string> held_;
  HttpFilter* stopped_by_ = nullptr;
  FilterStatus stop_status_ = FilterStatus::Continue;
  std::string reason_;
  bool observes_request_body_ = false;
  bool observes_response_body_ = false;
  bool done_ = false;
};

}  // namespace river::proxy
