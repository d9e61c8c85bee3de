#pragma once
// Shared by the model tests: where the generated fixtures are, the manifests tools/make_loader_fixtures.py
// writes (what torch saved), SHA-256 to compare tensors with them, and catching a ModelLoad error.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/host_tensor.h"
#include "core/mapped_file.h"
#include "expect_error.h"

namespace uninlu::testing {

// OUTDIR of tools/make_test_models.sh (tiny/ and loader/ under it).
inline std::string models_dir() { return std::string(UNINLU_FIXTURES_DIR) + "/models"; }
inline std::string tiny_dir() { return models_dir() + "/tiny"; }
inline std::string loader_dir(const std::string& rel) { return models_dir() + "/loader/" + rel; }
// The model directory of a variant: "tiny" is the shared tiny model, the rest live under loader/.
inline std::string variant_dir(const std::string& variant) {
  return variant == "tiny" ? tiny_dir() : loader_dir(variant);
}

// FIPS 180-4 SHA-256, enough to compare tensors with the manifests.
inline std::string sha256_hex(const void* data, std::size_t size) {
  static constexpr std::array<std::uint32_t, 64> k = {
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
      0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
      0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
      0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
      0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
      0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
      0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
  std::array<std::uint32_t, 8> h = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  const auto rotr = [](std::uint32_t x, int n) { return (x >> n) | (x << (32 - n)); };
  const auto block = [&](const unsigned char* p) {
    std::array<std::uint32_t, 64> w{};
    for (int i = 0; i < 16; ++i) {
      w[static_cast<std::size_t>(i)] = (std::uint32_t{p[4 * i]} << 24) | (std::uint32_t{p[4 * i + 1]} << 16) |
                                       (std::uint32_t{p[4 * i + 2]} << 8) | std::uint32_t{p[4 * i + 3]};
    }
    for (std::size_t i = 16; i < 64; ++i) {
      const std::uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      const std::uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (std::size_t i = 0; i < 64; ++i) {
      const std::uint32_t t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
      const std::uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      hh = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
  };
  const auto* bytes = static_cast<const unsigned char*>(data);
  std::size_t full = size / 64 * 64;
  for (std::size_t i = 0; i < full; i += 64) block(bytes + i);
  std::array<unsigned char, 128> tail{};
  const std::size_t rest = size - full;
  if (rest > 0) std::memcpy(tail.data(), bytes + full, rest);
  tail[rest] = 0x80;
  const std::size_t tail_size = rest + 9 <= 64 ? 64 : 128;
  const std::uint64_t bits = static_cast<std::uint64_t>(size) * 8;
  for (int i = 0; i < 8; ++i)
    tail[tail_size - 1 - static_cast<std::size_t>(i)] = static_cast<unsigned char>(bits >> (8 * i));
  block(tail.data());
  if (tail_size == 128) block(tail.data() + 64);
  std::string hex;
  for (const auto word : h) {
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", word);
    hex += buf;
  }
  return hex;
}

inline std::string sha256_of(const HostTensor& t) { return sha256_hex(t.raw(), t.nbytes()); }

struct ManifestTensor {
  std::string name;
  std::string dtype;
  std::vector<std::int64_t> shape;
  std::string sha256;
  std::optional<std::string> sha256_f32;
};

// loader/manifests/<variant>/<file>.json
inline std::vector<ManifestTensor> load_manifest(const std::string& variant, const std::string& file) {
  const auto j = nlohmann::json::parse(read_text_file(loader_dir("manifests/" + variant + "/" + file + ".json")));
  std::vector<ManifestTensor> out;
  for (const auto& t : j.at("tensors")) {
    ManifestTensor m{t.at("name"), t.at("dtype"), t.at("shape").get<std::vector<std::int64_t>>(), t.at("sha256"),
                     std::nullopt};
    if (!t.at("sha256_f32").is_null()) m.sha256_f32 = t.at("sha256_f32").get<std::string>();
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace uninlu::testing
