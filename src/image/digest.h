// image/digest — content addresses: "sha256:<64 hex digits>".
//
// Chapter 08. Everything in an OCI image is named by the SHA-256 of its
// bytes: layers, the config, the manifest. A name that is a hash cannot lie
// about the content: whoever reads a blob hashes it again and compares, so
// a corrupt disk or a tampering registry is caught on the spot. SHA-256 is
// OpenSSL's (libcrypto); nothing here is hand-written cryptography.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace berth::image {

class Digest {
 public:
  Digest() = default;

  // Parses "sha256:<64 lower-case hex digits>" (the only algorithm the OCI
  // spec requires, and the only one Berth writes). Throws berth::Error
  // "parse digest TEXT: <why>" naming what is wrong.
  static Digest parse(std::string_view text);

  // The 64 hex digits alone: the blob's file name under blobs/sha256/.
  const std::string& hex() const { return hex_; }
  // "sha256:<hex>".
  std::string str() const { return "sha256:" + hex_; }
  // The first 12 hex digits, as `docker images` shows an image ID.
  std::string short_id() const { return hex_.substr(0, 12); }
  bool empty() const { return hex_.empty(); }

  friend bool operator==(const Digest&, const Digest&) = default;
  // In a std::map or std::set, ordered by the hex digits.
  friend bool operator<(const Digest& a, const Digest& b) { return a.hex_ < b.hex_; }

 private:
  friend class Sha256;
  std::string hex_;
};

// A running SHA-256: feed it bytes as they stream past, then take the digest.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, std::size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  // The digest of everything fed so far; the hasher cannot be fed after.
  Digest finish();

 private:
  struct State;
  State* state_;
};

// The digest of `bytes`.
Digest sha256_of(std::string_view bytes);

// The digest of everything readable from `fd` (from its current offset to
// its end) and how many bytes that was.
struct HashedSize {
  Digest digest;
  std::size_t size = 0;
};
HashedSize sha256_of_fd(int fd);

}  // namespace berth::image
