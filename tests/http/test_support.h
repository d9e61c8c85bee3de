#pragma once
// Helpers shared by the HTTP tests.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "http/http_message.h"

namespace uninlu::testing {

// Checks the one error shape: {"error": "...", "kind": "...", "request_id": "..."} with the status.
inline void expect_error(int status, std::string_view content_type, const std::string& body, int want_status,
                         std::string_view want_kind, std::string_view message_part, std::string_view request_id = {}) {
  EXPECT_EQ(status, want_status) << body;
  EXPECT_EQ(content_type, "application/json");
  const auto json = nlohmann::json::parse(body, nullptr, false);
  ASSERT_TRUE(json.is_object()) << body;
  ASSERT_TRUE(json.contains("error") && json["error"].is_string()) << body;
  EXPECT_EQ(json.value("kind", ""), want_kind) << body;
  ASSERT_TRUE(json.contains("request_id") && json["request_id"].is_string()) << body;
  EXPECT_FALSE(json["request_id"].get<std::string>().empty());
  if (!request_id.empty()) {
    EXPECT_EQ(json["request_id"], request_id);
  }
  EXPECT_NE(json["error"].get<std::string>().find(message_part), std::string::npos)
      << "message: " << json["error"] << " should mention: " << message_part;
}

inline void expect_error(const HttpResponse& r, int want_status, std::string_view want_kind,
                         std::string_view message_part, std::string_view request_id = {}) {
  expect_error(r.status, r.content_type, r.body, want_status, want_kind, message_part, request_id);
}

}  // namespace uninlu::testing
