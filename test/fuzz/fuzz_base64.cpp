// libFuzzer target: the strict base64 decoder on arbitrary text (accepted text must re-encode to
// itself up to padding) and the encoder on arbitrary bytes (must decode back).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base64.hpp"

using namespace devicewake::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Base64Result decoded = DecodeBase64(input);
  if (decoded.ok) {
    std::string again = EncodeBase64(decoded.bytes);
    if (again.substr(0, again.find('=')) != input.substr(0, input.find('='))) __builtin_trap();
  } else if (decoded.error.empty()) {
    __builtin_trap();
  }
  Base64Result round = DecodeBase64(EncodeBase64(input));
  if (!round.ok || round.bytes != input) __builtin_trap();
  return 0;
}
