#pragma once
// A set of API keys, kept only as SHA-256 digests and compared in constant time: hashing first gives
// every comparison the same length (a key's length does not leak through timing), and CRYPTO_memcmp
// over the 32-byte digests does not stop at the first differing byte. Thread-safe: replace() (SIGHUP)
// may run while requests are checked.
#include <array>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace uninlu {

class KeySet {
 public:
  void replace(const std::vector<std::string>& keys);
  bool empty() const;
  std::size_t size() const;
  bool contains(std::string_view key) const;

 private:
  using Digest = std::array<unsigned char, 32>;
  static Digest digest(std::string_view key);
  mutable std::mutex mutex_;
  std::vector<Digest> digests_;
};

// The first 8 hex characters of the key's SHA-256: enough to tell keys apart in a log, useless to a
// reader who wants the key.
std::string key_fingerprint(std::string_view key);

// One key a line; blank lines and lines starting with '#' are skipped, surrounding spaces trimmed.
// Error(Usage) when the file cannot be read.
std::vector<std::string> read_key_file(const std::string& path);

}  // namespace uninlu
