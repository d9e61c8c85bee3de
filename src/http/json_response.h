#pragma once
// JSON bodies for responses, and the one shape every error takes:
//   {"error": "<message a person can act on>", "kind": "<error kind>", "request_id": "..."}
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/error.h"
#include "http/http_message.h"

namespace uninlu {

// Serializes compactly; invalid UTF-8 (which a client could smuggle into an echoed value) is replaced
// with U+FFFD instead of throwing.
std::string to_json_text(const nlohmann::ordered_json& value);

HttpResponse json_response(int status, const nlohmann::ordered_json& body);

nlohmann::ordered_json error_body(std::string_view message, std::string_view kind, std::string_view request_id);

// Status from http_status(kind); 429 also carries Retry-After.
HttpResponse error_response(ErrorKind kind, std::string_view message, std::string_view request_id);
HttpResponse error_response(const Error& error, std::string_view request_id);

// HTTP-level errors that have no ErrorKind (415, 431): the status and kind name are given.
HttpResponse http_error_response(int status, std::string_view kind, std::string_view message,
                                 std::string_view request_id);

}  // namespace uninlu
