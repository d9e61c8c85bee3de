#include "http/api_docs_page.h"

#include <string_view>

namespace uninlu {

namespace {

using Json = nlohmann::ordered_json;

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string text_of(const Json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? escape(it->get<std::string>()) : std::string();
}

std::string upper_case(std::string text) {
  for (char& c : text) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  return text;
}

// JSON shown as written (UTF-8 kept, not \u-escaped).
std::string code_block(const Json& value) { return "<pre><code>" + escape(value.dump(2)) + "</code></pre>\n"; }

// "#/components/schemas/Name" → a link to that schema's section.
std::string schema_ref(const Json& schema) {
  if (schema.is_object() && schema.contains("$ref") && schema["$ref"].is_string()) {
    const std::string ref = schema["$ref"].get<std::string>();
    const std::string name = ref.substr(ref.rfind('/') + 1);
    return "<a href=\"#schema-" + escape(name) + "\">" + escape(name) + "</a>\n";
  }
  return code_block(schema);
}

void render_content(const Json& content, std::string& out) {
  for (const auto& [type, media] : content.items()) {
    out += "<p><code>" + escape(type) + "</code></p>\n";
    if (media.contains("schema")) out += schema_ref(media["schema"]);
    if (media.contains("example")) out += code_block(media["example"]);
    if (media.contains("examples") && media["examples"].is_object()) {
      for (const auto& [name, example] : media["examples"].items()) {
        out += "<p class=\"example\">Example <em>" + escape(name) + "</em>";
        const std::string summary = text_of(example, "summary");
        out += summary.empty() ? "" : ": " + summary;
        out += "</p>\n";
        if (example.contains("value")) out += code_block(example["value"]);
      }
    }
  }
}

// `path_parameters`: the parameters the path item declares for all of its operations.
void render_operation(const std::string& path, const std::string& method, const Json& op,
                      const Json& path_parameters, std::size_t index, std::string& out) {
  out += "<section class=\"op\" id=\"op-" + std::to_string(index) + "\">\n<h3><span class=\"method\">" +
         escape(method) + "</span> <code>" + escape(path) + "</code></h3>\n";
  if (const std::string summary = text_of(op, "summary"); !summary.empty()) out += "<p><b>" + summary + "</b></p>\n";
  if (const std::string description = text_of(op, "description"); !description.empty())
    out += "<p>" + description + "</p>\n";
  Json parameters = path_parameters.is_array() ? path_parameters : Json::array();
  if (op.contains("parameters") && op["parameters"].is_array()) {
    for (const Json& p : op["parameters"]) parameters.push_back(p);
  }
  if (!parameters.empty()) {
    out += "<h4>Parameters</h4>\n<table><tr><th>Name</th><th>In</th><th>Required</th><th>Description</th></tr>\n";
    for (const Json& p : parameters) {
      out += "<tr><td><code>" + text_of(p, "name") + "</code></td><td>" + text_of(p, "in") + "</td><td>" +
             (p.value("required", false) ? "yes" : "no") + "</td><td>" + text_of(p, "description") + "</td></tr>\n";
    }
    out += "</table>\n";
  }
  if (op.contains("requestBody") && op["requestBody"].contains("content")) {
    out += "<h4>Request body</h4>\n";
    render_content(op["requestBody"]["content"], out);
  }
  if (op.contains("responses") && op["responses"].is_object()) {
    out += "<h4>Responses</h4>\n";
    for (const auto& [status, response] : op["responses"].items()) {
      out += "<p class=\"status\"><b>" + escape(status) + "</b> " + text_of(response, "description") + "</p>\n";
      if (response.contains("content")) render_content(response["content"], out);
    }
  }
  out += "</section>\n";
}

constexpr std::string_view kStyle = R"(
body{font:15px/1.5 system-ui,sans-serif;max-width:64rem;margin:0 auto;padding:1rem 1.5rem;color:#222;background:#fff}
pre{background:#f4f4f4;padding:.6rem;overflow:auto;max-height:24rem}code{font-family:ui-monospace,monospace}
.method{display:inline-block;min-width:4rem;font-family:ui-monospace,monospace;color:#fff;background:#3b6;padding:0 .4rem;border-radius:3px}
.op{border-top:1px solid #ddd;margin-top:1.5rem}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left}
@media (prefers-color-scheme:dark){body{background:#161616;color:#ddd}pre{background:#222}a{color:#8bf}}
)";

}  // namespace

std::string render_api_docs(const Json& openapi) {
  const Json info = openapi.value("info", Json::object());
  const Json paths = openapi.value("paths", Json::object());
  std::string out = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
                    text_of(info, "title") + " · API</title>\n<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n";
  out += "<h1>" + text_of(info, "title") + " <small>" + text_of(info, "version") + "</small></h1>\n";
  out += "<p>" + text_of(info, "description") + "</p>\n";
  out += "<p>This page is rendered from the OpenAPI document at <a href=\"/openapi.json\">/openapi.json</a>. "
         "The Open Inference Protocol over gRPC (<code>--grpc-port</code>) is described in docs/grpc.md.</p>\n";
  out += "<h2>Operations</h2>\n<ul class=\"toc\">\n";
  std::size_t index = 0;
  for (const auto& [path, item] : paths.items()) {
    for (const auto& [method, op] : item.items()) {
      if (!op.is_object() || method == "parameters") continue;
      const std::string upper = upper_case(method);
      out += "<li><a href=\"#op-" + std::to_string(index++) + "\"><code>" + escape(upper) + " " + escape(path) +
             "</code></a> " + text_of(op, "summary") + "</li>\n";
    }
  }
  out += "</ul>\n";
  index = 0;
  for (const auto& [path, item] : paths.items()) {
    for (const auto& [method, op] : item.items()) {
      if (!op.is_object() || method == "parameters") continue;
      const std::string upper = upper_case(method);
      render_operation(path, upper, op, item.value("parameters", Json::array()), index++, out);
    }
  }
  if (openapi.contains("components") && openapi["components"].contains("schemas")) {
    out += "<h2>Schemas</h2>\n";
    for (const auto& [name, schema] : openapi["components"]["schemas"].items()) {
      out += "<section id=\"schema-" + escape(name) + "\"><h3>" + escape(name) + "</h3>\n" + code_block(schema) +
             "</section>\n";
    }
  }
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace uninlu
