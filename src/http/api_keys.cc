#include "http/api_keys.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cerrno>
#include <fstream>
#include <system_error>

#include "core/error.h"

namespace uninlu {

KeySet::Digest KeySet::digest(std::string_view key) {
  Digest out{};
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), out.data());
  return out;
}

void KeySet::replace(const std::vector<std::string>& keys) {
  std::vector<Digest> digests;
  digests.reserve(keys.size());
  for (const auto& key : keys) digests.push_back(digest(key));
  const std::lock_guard lock(mutex_);
  digests_ = std::move(digests);
}

bool KeySet::empty() const {
  const std::lock_guard lock(mutex_);
  return digests_.empty();
}

std::size_t KeySet::size() const {
  const std::lock_guard lock(mutex_);
  return digests_.size();
}

bool KeySet::contains(std::string_view key) const {
  const Digest presented = digest(key);
  const std::lock_guard lock(mutex_);
  int matches = 0;  // every stored digest is compared: the time does not say which one matched
  for (const Digest& stored : digests_) {
    matches |= CRYPTO_memcmp(stored.data(), presented.data(), stored.size()) == 0 ? 1 : 0;
  }
  return matches != 0;
}

std::string key_fingerprint(std::string_view key) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), out);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  for (int i = 0; i < 4; ++i) {
    text += kHex[out[i] >> 4];
    text += kHex[out[i] & 0xf];
  }
  return text;
}

std::vector<std::string> read_key_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(ErrorKind::Usage, "cannot read api_keys_file '" + path + "': " + std::generic_category().message(errno));
  std::vector<std::string> keys;
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    const auto last = line.find_last_not_of(" \t\r");
    keys.push_back(line.substr(first, last - first + 1));
  }
  return keys;
}

}  // namespace uninlu
