#include "http/json_response.h"

namespace uninlu {

std::string to_json_text(const nlohmann::ordered_json& value) {
  return value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

HttpResponse json_response(int status, const nlohmann::ordered_json& body) {
  HttpResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = to_json_text(body);
  return response;
}

nlohmann::ordered_json error_body(std::string_view message, std::string_view kind, std::string_view request_id) {
  nlohmann::ordered_json body;
  body["error"] = message;
  body["kind"] = kind;
  body["request_id"] = request_id;
  return body;
}

HttpResponse error_response(ErrorKind kind, std::string_view message, std::string_view request_id) {
  HttpResponse response = json_response(http_status(kind), error_body(message, error_kind_name(kind), request_id));
  // A client that backs off for a second usually finds a free slot; the old app had no cap at all.
  if (kind == ErrorKind::Overloaded) response.headers.emplace_back("Retry-After", "1");
  return response;
}

HttpResponse error_response(const Error& error, std::string_view request_id) {
  return error_response(error.kind(), error.what(), request_id);
}

HttpResponse http_error_response(int status, std::string_view kind, std::string_view message,
                                 std::string_view request_id) {
  return json_response(status, error_body(message, kind, request_id));
}

}  // namespace uninlu
