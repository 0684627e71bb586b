#include "proxy/forwarding.h"

#include <fmt/format.h>

#include "base/strings.h"
#include "http/target.h"

namespace river::proxy {
namespace {

/// Fields that describe one hop and never travel further (RFC 9110 §7.6.1), plus
/// HTTP2-Settings (h2c upgrades are not forwarded).
bool is_hop_by_hop(std::string_view name) {
  switch (name.size()) {
    case 2:
      return iequals(name, "TE");
    case 7:
      return iequals(name, "Upgrade");
    case 10:
      return iequals(name, "Connection") || iequals(name, "Keep-Alive");
    case 14:
      return iequals(name, "HTTP2-Settings");
    case 16:
      return iequals(name, "Proxy-Connection");
    case 17:
      return iequals(name, "Transfer-Encoding");
    default:
      return false;
  }
}

/// The names a Connection field nominates as hop-by-hop (RFC 9110 §7.6.1).
std::vector<std::string_view> nominated_fields(const http::HeaderMap& headers) {
  std::vector<std::string_view> nominated;
  for (const auto& field : headers) {
    if (iequals(field.name, "Connection")) {
      http::for_each_list_element(field.value, [&](std::string_view name) {
        // Content-Length and Host carry meaning River needs; a client cannot make them
        // vanish.
        if (!iequals(name, "Content-Length") && !iequals(name, "Host")) {
          nominated.push_back(name);
        }
      });
    }
  }
  return nominated;
}

bool is_nominated(std::string_view name, const std::vector<std::string_view>& nominated) {
  for (const auto candidate : nominated) {
    if (iequals(name, candidate)) {
      return true;
    }
  }
  return false;
}

std::string_view via_version(http::Version version) {
  switch (version) {
    case http::Version::Http10:
      return "1.0";
    case http::Version::Http11:
      return "1.1";
    case http::Version::Http2:
      return "2";
  }
  return "1.1";
}

/// Forwarding fields that only a trusted proxy may set.
bool is_forwarding_field(std::string_view name) {
  return iequals(name, "X-Forwarded-For") || iequals(name, "X-Forwarded-Proto") ||
         iequals(name, "X-Forwarded-Host") || iequals(name, "X-Real-IP") ||
         iequals(name, "Forwarded");
}

/// Fields RFC 9110 §6.5.1 keeps out of trailer sections because their meaning depends on
/// being seen before the content: framing, routing, request modifiers, authentication,
/// response control data and content metadata.
bool is_forbidden_in_trailers(std::string_view name) {
  static constexpr std::string_view kForbidden[] = {
      // framing and routing
      "Content-Length", "Transfer-Encoding", "Trailer", "Host",
      // request modifiers: controls and conditionals (RFC 9110 §13)
      "Cache-Control", "Expect", "Max-Forwards", "Pragma", "Range", "If-Match",
      "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "If-Range",
      // authentication (RFC 9110 §11, RFC 6265)
      "Authorization", "Proxy-Authorization", "WWW-Authenticate", "Proxy-Authenticate",
      "Authentication-Info", "Proxy-Authentication-Info", "Cookie", "Set-Cookie",
      // response control data (RFC 9110 §15, RFC 9111)
      "Age", "Expires", "Date", "Location", "Retry-After", "Vary", "Warning",
      // how to process the content
      "Content-Encoding", "Content-Type", "Content-Range", "Content-Location"};
  for (const auto forbidden : kForbidden) {
    if (iequals(name, forbidden)) {
      return true;
    }
  }
  return false;
}

/// Removes Connection, every field it nominates, and the fixed hop-by-hop list.
void strip_hop_by_hop(http::HeaderMap& headers) {
  // The views point into `headers`; copy them before removing anything.
  std::vector<std::string> nominated;
  for (const auto name : nominated_fields(headers)) {
    nominated.emplace_back(name);
  }
  headers.remove_if([&](const http::Header& field) {
    if (is_hop_by_hop(field.name)) {
      return true;
    }
    for (const auto& name : nominated) {
      if (iequals(field.name, name)) {
        return true;
      }
    }
    return false;
  });
}

}  // namespace

bool ForwardingPolicy::is_trusted(std::string_view ip) const {
  for (const auto& range : trusted_proxies) {
    if (range.contains(ip)) {
      return true;
    }
  }
  return false;
}

UpstreamRequest make_upstream_request(const http::RequestHead& request,
                                      const http::BodyFraming& framing, const ClientInfo& client,
                                      const ForwardingPolicy& policy) {
  UpstreamRequest out;
  out.head.method = request.method;
  out.head.target = request.target;
  out.head.version = http::Version::Http11;

  const bool wants_websocket = request.headers.has_token("Connection", "upgrade") &&
                               request.headers.has_token("Upgrade", "websocket") &&
                               request.method == "GET" &&
                               request.version == http::Version::Http11;
  out.is_websocket_upgrade = wants_websocket;

  // Copy the fields that travel on, in one pass: not the hop-by-hop ones, not Expect
  // (answered by River) or Content-Length (set from the framing below), and from an
  // untrusted peer none of the forwarding fields, which are the client's invention.
  const bool peer_trusted = policy.is_trusted(client.ip);
  const auto nominated = nominated_fields(request.headers);
  auto& fields = out.head.headers;
  fields.reserve(request.headers.size() + 4);
  for (const auto& field : request.headers) {
    const std::string_view name = field.name;
    if (is_hop_by_hop(name) || iequals(name, "Expect") || iequals(name, "Content-Length") ||
        (!peer_trusted && is_forwarding_field(name)) || is_nominated(name, nominated)) {
      continue;
    }
    fields.add(name, field.value);
  }

  // Who is the client? Believe X-Forwarded-For only from trusted proxies, walking it from
  // the right (the entry the nearest proxy added) past further trusted hops.
  std::string prior_chain;
  out.client_identity = std::string(client.ip);
  if (peer_trusted) {
    prior_chain = request.headers.joined("X-Forwarded-For");
    std::vector<std::string_view> hops;
    http::for_each_list_element(prior_chain, [&](std::string_view hop) { hops.push_back(hop); });
    for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
      out.client_identity = std::string(*it);
      if (!policy.is_trusted(*it)) {
        break;
      }
    }
  }

  if (client.ip != "unix") {
    const auto chain = prior_chain.empty() ? std::string(client.ip)
                                           : fmt::format("{}, {}", prior_chain, client.ip);
    fields.set("X-Forwarded-For", chain);
  }
  if (!peer_trusted || !fields.contains("X-Forwarded-Proto")) {
    fields.set("X-Forwarded-Proto", client.scheme);
  }
  // RFC 9112 §3.2.2: with an absolute-form target the client's Host field is ignored and
  // the target's authority is the host; the origin must see that one in both Host and
  // X-Forwarded-Host, or the two would name different hosts.
  std::optional<std::string_view> host = http::absolute_form_authority(request.target);
  if (host) {
    fields.set("Host", *host);
  } else {
    host = request.headers.get("Host");
  }
  if (host && (!peer_trusted || !fields.contains("X-Forwarded-Host"))) {
    fields.set("X-Forwarded-Host", *host);
  }

  if (policy.add_via) {
    // RFC 9110 §7.6.3: the protocol version as received, "2" for HTTP/2.
    const auto via = fmt::format("{} river", via_version(request.version));
    if (auto existing = request.headers.get("Via")) {
      fields.set("Via", fmt::format("{}, {}", request.headers.joined("Via"), via));
    } else {
      fields.add("Via", via);
    }
  }

  if (wants_websocket) {
    fields.add("Connection", "upgrade");
    fields.add("Upgrade", "websocket");
  }

  switch (framing.kind) {
    case http::BodyFraming::Kind::ContentLength:
      fields.add("Content-Length", fmt::format_int(framing.length).str());
      break;
    case http::BodyFraming::Kind::Chunked:
      fields.add("Transfer-Encoding", "chunked");
      break;
    case http::BodyFraming::Kind::None:
    case http::BodyFraming::Kind::UntilClose:
      // RFC 9110 §8.6: a request that usually has content announces an empty one.
      if (request.method == "POST" || request.method == "PUT" || request.method == "PATCH") {
        fields.add("Content-Length", "0");
      }
      break;
  }
  return out;
}

void clean_upstream_response(http::ResponseHead& response, const ForwardingPolicy& policy) {
  strip_hop_by_hop(response.headers);
  if (policy.add_via) {
    const auto via = fmt::format("{} river", via_version(response.version));
    if (response.headers.contains("Via")) {
      response.headers.set("Via", fmt::format("{}, {}", response.headers.joined("Via"), via));
    } else {
      response.headers.add("Via", via);
    }
  }
}

void strip_forbidden_trailers(http::HeaderMap& trailers) {
  if (trailers.empty()) {
    return;
  }
  // The views point into `trailers`; copy them before removing anything.
  std::vector<std::string> nominated;
  for (const auto name : nominated_fields(trailers)) {
    nominated.emplace_back(name);
  }
  trailers.remove_if([&](const http::Header& field) {
    const std::string_view name = field.name;
    if (is_hop_by_hop(name) || is_forbidden_in_trailers(name) || is_forwarding_field(name) ||
        iequals(name, "Via")) {
      return true;
    }
    for (const auto& candidate : nominated) {
      if (iequals(name, candidate)) {
        return true;
      }
    }
    return false;
  });
}

bool is_valid_websocket_switch(const http::ResponseHead& response) {
  return response.status == 101 && response.headers.has_token("Upgrade", "websocket") &&
         response.headers.has_token("Connection", "upgrade");
}

}  // namespace river::proxy
