#include "daemon/api/api_context.h"

#include <boost/json/serialize.hpp>
#include <charconv>
#include <stdexcept>

namespace fangfan {

ApiResponse ApiResponse::json(const boost::json::value& value, boost::beast::http::status status) {
  return json_text(boost::json::serialize(value), status);
}

ApiResponse ApiResponse::json_text(std::string body, boost::beast::http::status status) {
  ApiResponse r;
  r.status = status;
  r.body = std::move(body);
  r.body += '\n';
  return r;
}

ApiResponse ApiResponse::text(std::string body, std::string content_type,
                              boost::beast::http::status status) {
  ApiResponse r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

const Principal& ApiRequest::actor() const {
  if (!principal) throw std::logic_error("ApiRequest::actor() on a public route");
  return *principal;
}

const std::string& ApiRequest::param(const std::string& name) const {
  auto it = params.find(name);
  if (it == params.end()) throw std::logic_error("route " + route + " has no parameter " + name);
  return it->second;
}

std::int64_t ApiRequest::id_param(const std::string& name) const {
  const std::string& text = param(name);
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || end != text.data() + text.size() || id <= 0) {
    throw ApiError::bad_request(name, "路径中的 " + name + "“" + text + "”不是有效的编号 (" + name +
                                          " in the path must be a positive number)");
  }
  return id;
}

std::optional<std::string> ApiRequest::query_param(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

std::int64_t ApiRequest::int_param(const std::string& name, std::int64_t fallback, std::int64_t lo,
                                   std::int64_t hi) const {
  const auto text = query_param(name);
  if (!text || text->empty()) return fallback;
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc{} || end != text->data() + text->size() || n < lo || n > hi) {
    throw ApiError::bad_request(name, name + " 应为 " + std::to_string(lo) + " 到 " +
                                          std::to_string(hi) + " 之间的整数 (" + name +
                                          " must be a whole number from " + std::to_string(lo) +
                                          " to " + std::to_string(hi) + ")");
  }
  return n;
}

JsonFields ApiRequest::json() const { return JsonFields::parse(body); }

}  // namespace fangfan
