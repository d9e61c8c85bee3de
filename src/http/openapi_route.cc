#include "http/openapi_route.h"

#include "http/api_docs_page.h"

namespace uninlu {

void install_openapi_route(Router& router) {
  router.add("GET", "/openapi.json", [](Exchange& e) {
    HttpResponse response;
    response.content_type = "application/json";
    response.body = std::string(openapi_document());
    e.respond(std::move(response));
  });
  // The same document for people (rendered once, on the first request).
  router.add("GET", "/docs", [](Exchange& e) {
    static const std::string page = render_api_docs(nlohmann::ordered_json::parse(openapi_document()));
    HttpResponse response;
    response.content_type = "text/html; charset=utf-8";
    response.body = page;
    response.headers.emplace_back("Cache-Control", "no-cache");
    e.respond(std::move(response));
  });
}

}  // namespace uninlu
