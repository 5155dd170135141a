// Content addresses: SHA-256 through OpenSSL's EVP interface.
#include "image/digest.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "common/error.h"
#include "common/fd.h"

namespace berth::image {

namespace {

bool is_lower_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

}  // namespace

Digest Digest::parse(std::string_view text) {
  const std::string quoted = "\"" + std::string(text.substr(0, 100)) + "\"";
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    throw Error("parse digest", quoted, "missing \"sha256:\"");
  }
  if (text.substr(0, colon) != "sha256") {
    throw Error("parse digest", quoted,
                "unsupported algorithm \"" + std::string(text.substr(0, colon)) + "\"");
  }
  const std::string_view hex = text.substr(colon + 1);
  if (hex.size() != 64) {
    throw Error("parse digest", quoted,
                "a sha256 digest has 64 hex digits, not " + std::to_string(hex.size()));
  }
  if (!std::ranges::all_of(hex, is_lower_hex)) {
    throw Error("parse digest", quoted, "not lower-case hexadecimal");
  }
  Digest digest;
  digest.hex_ = hex;
  return digest;
}

struct Sha256::State {
  EVP_MD_CTX* context = nullptr;
};

Sha256::Sha256() : state_(new State) {
  state_->context = EVP_MD_CTX_new();
  if (state_->context == nullptr ||
      EVP_DigestInit_ex(state_->context, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(state_->context);
    delete state_;
    throw Error("sha256", "init", "openssl failed");
  }
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(state_->context);
  delete state_;
}

void Sha256::update(const void* data, std::size_t size) {
  if (EVP_DigestUpdate(state_->context, data, size) != 1) {
    throw Error("sha256", "update", "openssl failed");
  }
}

Digest Sha256::finish() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> sum{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(state_->context, sum.data(), &length) != 1) {
    throw Error("sha256", "finish", "openssl failed");
  }
  static constexpr std::string_view kHex = "0123456789abcdef";
  Digest digest;
  for (unsigned int i = 0; i < length; ++i) {
    digest.hex_ += kHex[sum[i] >> 4];
    digest.hex_ += kHex[sum[i] & 0xf];
  }
  return digest;
}

Digest sha256_of(std::string_view bytes) {
  Sha256 hasher;
  hasher.update(bytes);
  return hasher.finish();
}

HashedSize sha256_of_fd(int fd) {
  Sha256 hasher;
  HashedSize result;
  std::array<char, 1 << 16> buffer{};
  while (const std::size_t count =
             read_some(fd, buffer.data(), buffer.size(), "fd " + std::to_string(fd))) {
    hasher.update(buffer.data(), count);
    result.size += count;
  }
  result.digest = hasher.finish();
  return result;
}

}  // namespace berth::image
