#include "http/web_assets.h"

namespace uninlu {

namespace {

const WebAsset* find_exact(std::string_view path) noexcept {
  for (const WebAsset& asset : web_assets()) {
    if (asset.path == path) return &asset;
  }
  return nullptr;
}

}  // namespace

const WebAsset* find_web_asset(std::string_view request_path) noexcept {
  if (request_path == "/") return find_exact("/index.html");
  // No directory tricks: a path with ".." or a backslash never names an asset.
  if (request_path.find("..") != std::string_view::npos || request_path.find('\\') != std::string_view::npos) {
    return nullptr;
  }
  if (const WebAsset* asset = find_exact(request_path)) return asset;
  constexpr std::string_view assets_prefix = "/assets/";
  if (request_path.substr(0, assets_prefix.size()) == assets_prefix) {
    return find_exact(request_path.substr(assets_prefix.size() - 1));
  }
  return nullptr;
}

}  // namespace uninlu
