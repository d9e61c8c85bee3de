#pragma once
// The web page, compiled into the binary at build time (embed_web_assets.cmake) from web/dist/ when it
// exists, else from the *.html *.css *.js *.svg files in web/. Paths start with "/": "/index.html",
// "/assets/app.js".
#include <span>
#include <string_view>

namespace uninlu {

struct WebAsset {
  std::string_view path;
  std::string_view content_type;
  std::string_view body;
};

std::span<const WebAsset> web_assets();

// The asset for a request path: "/" is "/index.html"; "/assets/<name>" falls back to "/<name>" (a flat
// web/ directory has no assets/ folder). Null when there is none.
const WebAsset* find_web_asset(std::string_view request_path) noexcept;

}  // namespace uninlu
