#include "proxy/filter.h"

namespace river::proxy {

FilterChain::FilterChain(const FilterFactories& factories, const RequestInfo& info) {
  filters_.reserve(factories.size());
  for (const auto& factory : factories) {
    auto& filter = filters_.emplace_back(factory->create(info));
    observes_request_body_ = observes_request_body_ || filter->observes_request_body();
    observes_response_body_ = observes_response_body_ || filter->observes_response_body();
  }
  held_.resize(filters_.size());
}

FilterChain::~FilterChain() { done(); }

template <typename Call>
FilterStatus FilterChain::run(Call&& call) {
  if (stopped_by_ != nullptr) {
    return FilterStatus::Fail;
  }
  for (auto& filter : filters_) {
    const auto status = call(*filter);
    if (status == FilterStatus::Respond || status == FilterStatus::Fail) {
      stopped_by_ = filter.get();
      stop_status_ = status;
      reason_ = std::string(filter->reason());
      return status;
    }
  }
  return FilterStatus::Continue;
}

FilterStatus FilterChain::request_headers(http::RequestHead& head, bool end_of_stream) {
  return run([&](HttpFilter& f) { return f.on_request_headers(head, end_of_stream); });
}

FilterStatus FilterChain::request_trailers(http::HeaderMap& trailers) {
  return run([&](HttpFilter& f) { return f.on_request_trailers(trailers); });
}

void FilterChain::upstream(std::string_view peer) {
  for (auto& filter : filters_) {
    filter->on_upstream(peer);
  }
}

FilterStatus FilterChain::response_headers(http::ResponseHead& head, bool end_of_stream) {
  return run([&](HttpFilter& f) { return f.on_response_headers(head, end_of_stream); });
}

FilterStatus FilterChain::response_trailers(http::HeaderMap& trailers) {
  return run([&](HttpFilter& f) { return f.on_response_trailers(trailers); });
}

FilterStatus FilterChain::request_body(std::string& data, bool end_of_stream) {
  return body(Phase::RequestBody, data, end_of_stream);
}

FilterStatus FilterChain::response_body(std::string& data, bool end_of_stream) {
  return body(Phase::ResponseBody, data, end_of_stream);
}

FilterStatus FilterChain::body(Phase phase, std::string& data, bool end_of_stream) {
  if (stopped_by_ != nullptr) {
    return FilterStatus::Fail;
  }
  // Bytes flow through the filters in order; a filter that holds them stops the flow for
  // now, and later filters see them once it lets them go.
  for (std::size_t i = 0; i < filters_.size(); ++i) {
    auto& filter = *filters_[i];
    const bool observes = phase == Phase::RequestBody ? filter.observes_request_body()
                                                      : filter.observes_response_body();
    if (!observes) {
      continue;
    }
    auto& held = held_[i];
    if (held.empty()) {
      held.swap(data);
    } else {
      held.append(data);
    }
    data.clear();
    const auto status = phase == Phase::RequestBody ? filter.on_request_body(held, end_of_stream)
                                                    : filter.on_response_body(held, end_of_stream);
    if (status == FilterStatus::Respond || status == FilterStatus::Fail) {
      stopped_by_ = &filter;
      stop_status_ = status;
      reason_ = std::string(filter.reason());
      held.clear();
      return status;
    }
    if (status == FilterStatus::Buffer && !end_of_stream) {
      if (held.size() > filter.max_buffered_bytes()) {
        stopped_by_ = &filter;
        stop_status_ = FilterStatus::Fail;
        reason_ = "filter_buffer_full";
        held.clear();
        return FilterStatus::Fail;
      }
      return FilterStatus::Buffer;
    }
    data.swap(held);
    held.clear();
  }
  return FilterStatus::Continue;
}

void FilterChain::done() {
  if (done_) {
    return;
  }
  done_ = true;
  for (auto& filter : filters_) {
    filter->on_done();
  }
}

LocalReply FilterChain::take_local_reply() {
  return stopped_by_ != nullptr ? stopped_by_->take_local_reply() : LocalReply{};
}

}  // namespace river::proxy
