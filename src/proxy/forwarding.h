// How a request and its response are rewritten as they pass through River
// (RFC 9110 §7.6): hop-by-hop fields removed, Via added, X-Forwarded-* set.
//
// Pure functions over heads, so every rule is unit-tested without sockets.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"
#include "net/cidr.h"

namespace river::proxy {

struct ForwardingPolicy {
  /// Proxies in front of River whose X-Forwarded-* fields are believed.
  std::vector<net::Cidr> trusted_proxies;
  /// Add `Via: 1.1 river` to requests and responses.
  bool add_via = true;

  bool is_trusted(std::string_view ip) const;
};

/// What the client connection knows about the request's origin.
struct ClientInfo {
  std::string_view ip;      ///< the directly connected peer ("127.0.0.1", "unix")
  std::string_view scheme;  ///< "http" or "https"
};

/// The upstream request for `request`, and who the client really is.
struct UpstreamRequest {
  http::RequestHead head;
  /// The client's address after walking X-Forwarded-For right to left past trusted proxies;
  /// what access rules and rate limits should use.
  std::string client_identity;
  /// The request asks for a WebSocket upgrade that is forwarded.
  bool is_websocket_upgrade = false;
};

/// Builds the head River sends upstream: HTTP/1.1, hop-by-hop fields (Connection and what
/// it names, Keep-Alive, Proxy-Connection, TE, Transfer-Encoding, Upgrade, HTTP2-Settings)
/// and Expect removed, Content-Length/Transfer-Encoding set from `framing`, Host kept (or,
/// for an absolute-form target, replaced by the target's authority, RFC 9112 §3.2.2),
/// X-Forwarded-For/-Proto/-Host and Forwarded set per `policy`. A WebSocket upgrade
/// (`Connection: upgrade` + `Upgrade: websocket`) keeps its Upgrade and Connection fields;
/// every other upgrade (h2c included) is dropped.
UpstreamRequest make_upstream_request(const http::RequestHead& request,
                                      const http::BodyFraming& framing, const ClientInfo& client,
                                      const ForwardingPolicy& policy);

/// Removes hop-by-hop fields from an upstream response (Connection and what it names,
/// Keep-Alive, Proxy-Connection, TE, Trailer stays, Upgrade) and adds Via.
void clean_upstream_response(http::ResponseHead& response, const ForwardingPolicy& policy);

/// Removes from `trailers` (of a request or a response) every field that must not travel in
/// a trailer section (RFC 9110 §6.5.1): framing (Content-Length, Transfer-Encoding, Trailer),
/// routing (Host), request modifiers and authentication, response control data, content
/// metadata, hop-by-hop fields (and any a Connection trailer nominates), and the fields River
/// sets itself in the head (X-Forwarded-*, X-Real-IP, Forwarded, Via). A recipient that merged
/// such a trailer into the head would let the sender bypass what River did to the head.
void strip_forbidden_trailers(http::HeaderMap& trailers);

/// Checks a 101 answer to a WebSocket upgrade request: it must name the same protocol in
/// Upgrade and carry `Connection: upgrade` (RFC 9110 §7.8, RFC 6455 §4.2.2).
bool is_valid_websocket_switch(const http::ResponseHead& response);

}  // namespace river::proxy
