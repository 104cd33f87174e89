// Base64 (RFC 4648 §4, standard alphabet) for chunk payloads: a strict decoder for untrusted
// device input and an encoder for tests and tools. Pure C++; any thread may call these.
#pragma once
#include "core/cpp_only.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace devicewake::core {

struct Base64Result {
  bool ok = false;
  std::string bytes;  // the decoded bytes when ok (binary; may contain NUL)
  std::string error;  // lower-case reason without final period when !ok
};

// Decodes standard base64 strictly. The rule: only A-Z a-z 0-9 + / are data characters; '=' may
// appear only as final padding; padding is optional, but if present it must be complete (length
// a multiple of 4); a final group of one character is invalid; the unused bits of the last
// character must be zero (so every byte string has exactly one accepted encoding besides the
// padding choice); whitespace, line breaks and the URL-safe alphabet ('-', '_') are rejected.
// Output longer than max_decoded_bytes is rejected before decoding. An empty input decodes to
// no bytes. Never throws (allocation failure is reported as an error).
Base64Result DecodeBase64(std::string_view text,
                          std::size_t max_decoded_bytes = static_cast<std::size_t>(-1));

// Encodes bytes as padded standard base64. Throws only std::bad_alloc.
std::string EncodeBase64(std::string_view bytes);

}  // namespace devicewake::core
