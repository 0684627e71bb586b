// FileHandler: serves a service's requests from a directory through files::FileServer.
#pragma once

#include <memory>

#include "files/file_server.h"
#include "proxy/exchange.h"

namespace river::app {

class FileHandler final : public proxy::Handler {
 public:
  explicit FileHandler(std::shared_ptr<const files::FileServer> server)
      : server_(std::move(server)) {}

  asio::awaitable<void> handle(proxy::Exchange& exchange) override;

 private:
  std::shared_ptr<const files::FileServer> server_;
};

}  // namespace river::app
