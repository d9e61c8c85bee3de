#include "http/openapi_route.h"

namespace uninlu {

void install_openapi_route(Router& router) {
  router.add("GET", "/openapi.json", [](Exchange& e) {
    HttpResponse response;
    response.content_type = "application/json";
    response.body = std::string(openapi_document());
    e.respond(std::move(response));
  });
}

}  // namespace uninlu
