#include "app/file_handler.h"

#include <unistd.h>

#include <vector>

#include "base/strings.h"
#include "http/date.h"

namespace river::app {
namespace {
constexpr std::size_t kFileChunk = 64 * 1024;
}

asio::awaitable<void> FileHandler::handle(proxy::Exchange& exchange) {
  auto answer = server_->respond(exchange.request());
  answer.head.headers.set("Server", "river");
  answer.head.headers.set("Date", http::http_date_now());

  // The file server's Content-Length is what a GET sends, also for HEAD; 304 has none.
  std::uint64_t length = answer.file.valid() ? answer.length : answer.body.size();
  if (auto announced = answer.head.headers.get("Content-Length")) {
    length = parse_decimal(*announced).value_or(length);
  }
  http::BodyFraming framing{http::BodyFraming::Kind::ContentLength, length};
  if (answer.head.status == 304) {
    framing = {};
  }
  if (!co_await exchange.send_head(std::move(answer.head), framing)) {
    co_return;
  }

  if (!answer.head_only) {
    if (answer.file.valid()) {
      // Page-cached reads are fast enough to do on the worker; the write that follows
      // waits for the client, which bounds memory to one chunk per connection.
      std::vector<char> chunk(
          static_cast<std::size_t>(std::min<std::uint64_t>(length, kFileChunk)));
      std::uint64_t offset = answer.offset;
      std::uint64_t remaining = length;
      while (remaining > 0) {
        const auto want =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining, chunk.size()));
        const auto got = ::pread(answer.file.get(), chunk.data(), want, static_cast<off_t>(offset));
        if (got <= 0) {
          // The file shrank or failed under us: end the response short, which closes.
          co_return;
        }
        const auto n = static_cast<std::size_t>(got);
        if (!co_await exchange.send_body(std::string_view(chunk.data(), n))) {
          co_return;
        }
        offset += n;
        remaining -= n;
      }
    } else if (!co_await exchange.send_body(answer.body)) {
      co_return;
    }
  }
  (void)co_await exchange.finish(http::HeaderMap());
}

}  // namespace river::app
