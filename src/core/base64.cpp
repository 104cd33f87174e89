// Strict RFC 4648 base64 (see base64.hpp for the accepted forms).
#include "core/base64.hpp"

#include <array>
#include <cstdint>
#include <new>

namespace devicewake::core {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> MakeDecodeTable() {
  std::array<std::int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (int i = 0; i < 64; ++i)
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  return table;
}
constexpr std::array<std::int8_t, 256> kDecode = MakeDecodeTable();

Base64Result Fail(std::string reason) { return Base64Result{false, {}, std::move(reason)}; }

}  // namespace

Base64Result DecodeBase64(std::string_view text, std::size_t max_decoded_bytes) {
  try {
    std::size_t data_len = text.size();
    std::size_t padding = 0;
    while (data_len > 0 && text[data_len - 1] == '=' && padding < 2) {
      --data_len;
      ++padding;
    }
    if (padding > 0 && text.size() % 4 != 0) {
      return Fail("base64 padding is incomplete: padded input must be a multiple of 4 characters");
    }
    for (std::size_t i = 0; i < data_len; ++i) {
      unsigned char c = static_cast<unsigned char>(text[i]);
      if (kDecode[c] < 0) {
        return Fail("base64 has an invalid character at offset " + std::to_string(i) +
                    (c == '=' ? " ('=' before the end)" : ""));
      }
    }
    if (data_len % 4 == 1) return Fail("base64 has a truncated final group of one character");
    std::size_t out_len = data_len / 4 * 3 + (data_len % 4 == 0 ? 0 : data_len % 4 - 1);
    if (out_len > max_decoded_bytes) {
      return Fail("base64 decodes to " + std::to_string(out_len) +
                  " bytes, more than the limit of " + std::to_string(max_decoded_bytes));
    }
    std::string out;
    out.reserve(out_len);
    std::size_t i = 0;
    for (; i + 4 <= data_len; i += 4) {
      std::uint32_t v = (std::uint32_t(kDecode[static_cast<unsigned char>(text[i])]) << 18) |
                        (std::uint32_t(kDecode[static_cast<unsigned char>(text[i + 1])]) << 12) |
                        (std::uint32_t(kDecode[static_cast<unsigned char>(text[i + 2])]) << 6) |
                        std::uint32_t(kDecode[static_cast<unsigned char>(text[i + 3])]);
      out.push_back(static_cast<char>(v >> 16));
      out.push_back(static_cast<char>((v >> 8) & 0xff));
      out.push_back(static_cast<char>(v & 0xff));
    }
    std::size_t rest = data_len - i;
    if (rest == 2) {
      std::uint32_t a = kDecode[static_cast<unsigned char>(text[i])];
      std::uint32_t b = kDecode[static_cast<unsigned char>(text[i + 1])];
      if (b & 0x0f) return Fail("base64 final character has non-zero unused bits");
      out.push_back(static_cast<char>((a << 2) | (b >> 4)));
    } else if (rest == 3) {
      std::uint32_t a = kDecode[static_cast<unsigned char>(text[i])];
      std::uint32_t b = kDecode[static_cast<unsigned char>(text[i + 1])];
      std::uint32_t c = kDecode[static_cast<unsigned char>(text[i + 2])];
      if (c & 0x03) return Fail("base64 final character has non-zero unused bits");
      out.push_back(static_cast<char>((a << 2) | (b >> 4)));
      out.push_back(static_cast<char>(((b & 0x0f) << 4) | (c >> 2)));
    }
    return Base64Result{true, std::move(out), {}};
  } catch (const std::bad_alloc&) {
    return Fail("out of memory while decoding base64");
  } catch (...) {
    return Fail("unexpected error while decoding base64");
  }
}

std::string EncodeBase64(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t v = (std::uint32_t(static_cast<unsigned char>(bytes[i])) << 16) |
                      (std::uint32_t(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                      std::uint32_t(static_cast<unsigned char>(bytes[i + 2]));
    out.push_back(kAlphabet[v >> 18]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t v = std::uint32_t(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) v |= std::uint32_t(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out.push_back(kAlphabet[v >> 18]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

}  // namespace devicewake::core
