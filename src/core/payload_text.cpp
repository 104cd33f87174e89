// Pre-parse checks and curly quote repair for device payloads (see payload_text.hpp).
#include "core/payload_text.hpp"

#include <cstdint>

namespace devicewake::core {
namespace {

enum class Quote { kNone, kDouble, kSingle };

// The curly quote starting at text[i] (3 bytes E2 80 98/99/9C/9D), if any.
Quote CurlyAt(std::string_view text, std::size_t i) {
  if (i + 2 >= text.size() || static_cast<unsigned char>(text[i]) != 0xE2 ||
      static_cast<unsigned char>(text[i + 1]) != 0x80) {
    return Quote::kNone;
  }
  switch (static_cast<unsigned char>(text[i + 2])) {
    case 0x9C:
    case 0x9D:
      return Quote::kDouble;
    case 0x98:
    case 0x99:
      return Quote::kSingle;
    default:
      return Quote::kNone;
  }
}

}  // namespace

std::string ValidateUtf8(std::string_view s) {
  try {
    std::size_t i = 0;
    while (i < s.size()) {
      unsigned char c = static_cast<unsigned char>(s[i]);
      if (c < 0x80) {
        ++i;
        continue;
      }
      std::size_t len;
      std::uint32_t cp;
      if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
      } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
      } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
      } else {
        return "payload is not valid UTF-8 (byte 0x" + std::string(1, "0123456789abcdef"[c >> 4]) +
               "0123456789abcdef"[c & 15] + " at offset " + std::to_string(i) + ")";
      }
      if (i + len > s.size())
        return "payload is not valid UTF-8 (truncated sequence at offset " + std::to_string(i) +
               ")";
      for (std::size_t k = 1; k < len; ++k) {
        unsigned char cc = static_cast<unsigned char>(s[i + k]);
        if ((cc & 0xC0) != 0x80) {
          return "payload is not valid UTF-8 (bad continuation byte at offset " +
                 std::to_string(i + k) + ")";
        }
        cp = (cp << 6) | (cc & 0x3F);
      }
      if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
          (cp >= 0xD800 && cp <= 0xDFFF)) {
        return "payload is not valid UTF-8 (overlong, surrogate or out-of-range sequence at "
               "offset " +
               std::to_string(i) + ")";
      }
      i += len;
    }
    return {};
  } catch (...) {
    return "out of memory while checking UTF-8";
  }
}

std::string ReplaceCurlyQuotes(std::string_view text) {
  if (text.find("\xE2\x80") == std::string_view::npos) return std::string(text);
  std::string out;
  out.reserve(text.size());
  enum class State { kOutside, kAscii, kCurlyDouble, kCurlySingle } state = State::kOutside;
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    Quote curly = CurlyAt(text, i);
    switch (state) {
      case State::kOutside:
        if (c == '"') {
          state = State::kAscii;
        } else if (curly != Quote::kNone) {
          out.push_back('"');
          i += 3;
          state = curly == Quote::kDouble ? State::kCurlyDouble : State::kCurlySingle;
          continue;
        }
        break;
      case State::kAscii:
        if (c == '\\') {
          out.push_back(c);
          if (++i < text.size()) out.push_back(text[i]);
          ++i;
          continue;
        }
        if (c == '"') state = State::kOutside;
        break;
      case State::kCurlyDouble:
      case State::kCurlySingle:
        if (c == '\\') {
          out.push_back(c);
          if (++i < text.size()) out.push_back(text[i]);
          ++i;
          continue;
        }
        if ((state == State::kCurlyDouble && (curly == Quote::kDouble || c == '"')) ||
            (state == State::kCurlySingle && curly == Quote::kSingle)) {
          out.push_back('"');
          i += curly == Quote::kNone ? 1 : 3;
          state = State::kOutside;
          continue;
        }
        if (state == State::kCurlySingle && c == '"') {
          out += "\\\"";
          ++i;
          continue;
        }
        break;
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

std::string CheckJsonDepth(std::string_view s, int max_depth) {
  try {
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
      char c = s[i];
      if (in_string) {
        if (c == '\\') {
          ++i;
        } else if (c == '"') {
          in_string = false;
        }
        continue;
      }
      if (c == '"') {
        in_string = true;
      } else if (c == '[' || c == '{') {
        if (++depth > max_depth) {
          return "JSON nests deeper than " + std::to_string(max_depth) + " levels";
        }
      } else if (c == ']' || c == '}') {
        --depth;
      }
    }
    return {};
  } catch (...) {
    return "out of memory while checking JSON depth";
  }
}

std::string CheckJsonKeys(std::string_view s, std::size_t max_keys) {
  try {
    std::size_t keys = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
      char c = s[i];
      if (in_string) {
        if (c == '\\') {
          ++i;
        } else if (c == '"') {
          in_string = false;
        }
        continue;
      }
      if (c == '"') {
        in_string = true;
      } else if (c == ':' && ++keys > max_keys) {
        return "JSON has more than " + std::to_string(max_keys) + " keys";
      }
    }
    return {};
  } catch (...) {
    return "out of memory while counting JSON keys";
  }
}

namespace {

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::size_t SkipSpace(std::string_view s, std::size_t i) {
  while (i < s.size() && IsJsonSpace(s[i])) ++i;
  return i;
}

// The position after the string that opens at s[i] ('"'), or npos (no closing quote). The text
// has no backslash (checked first), so the next '"' closes it.
std::size_t SkipString(std::string_view s, std::size_t i) {
  std::size_t end = s.find('"', i + 1);
  return end == std::string_view::npos ? end : end + 1;
}

// The position after the value that starts at s[i] (a string, an object or array with
// everything in it, or a number or literal up to the next delimiter), or npos.
std::size_t SkipValue(std::string_view s, std::size_t i) {
  if (i >= s.size()) return std::string_view::npos;
  if (s[i] == '"') return SkipString(s, i);
  if (s[i] == '{' || s[i] == '[') {
    int depth = 0;
    while (i < s.size()) {
      char c = s[i];
      if (c == '"') {
        i = SkipString(s, i);
        if (i == std::string_view::npos) return i;
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if ((c == '}' || c == ']') && --depth == 0) return i + 1;
      ++i;
    }
    return std::string_view::npos;
  }
  std::size_t start = i;
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && !IsJsonSpace(s[i])) ++i;
  return i > start ? i : std::string_view::npos;
}

}  // namespace

CutString CutTopLevelString(std::string_view text, std::string_view key, std::size_t min_length) {
  CutString none;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '\\' || c > 0x7e || (c < 0x20 && !IsJsonSpace(ch))) return none;
  }
  std::size_t i = SkipSpace(text, 0);
  if (i >= text.size() || text[i] != '{') return none;
  i = SkipSpace(text, i + 1);
  std::size_t value_start = 0, value_end = 0;
  int seen = 0;
  if (i < text.size() && text[i] == '}') return none;
  while (true) {
    if (i >= text.size() || text[i] != '"') return none;
    std::size_t key_end = SkipString(text, i);
    if (key_end == std::string_view::npos) return none;
    std::string_view name = text.substr(i + 1, key_end - i - 2);
    i = SkipSpace(text, key_end);
    if (i >= text.size() || text[i] != ':') return none;
    i = SkipSpace(text, i + 1);
    std::size_t after = SkipValue(text, i);
    if (after == std::string_view::npos) return none;
    if (name == key) {
      if (++seen > 1 || text[i] != '"') return none;
      value_start = i + 1;
      value_end = after - 1;
    }
    i = SkipSpace(text, after);
    if (i >= text.size()) return none;
    if (text[i] == '}') break;
    if (text[i] != ',') return none;
    i = SkipSpace(text, i + 1);
  }
  if (seen != 1 || value_end - value_start < min_length) return none;
  for (std::size_t k = value_start; k < value_end; ++k) {
    if (static_cast<unsigned char>(text[k]) < 0x20) return none;  // a raw tab or line break
  }
  CutString cut;
  cut.found = true;
  cut.rest.reserve(text.size() - (value_end - value_start));
  cut.rest.append(text.substr(0, value_start));
  cut.rest.append(text.substr(value_end));
  cut.value = text.substr(value_start, value_end - value_start);
  return cut;
}

}  // namespace devicewake::core
