// Checks and repairs applied to a device payload's bytes before JSON parsing: UTF-8 validity,
// the firmware's curly quotes, and a nesting-depth bound (so no later recursive walk can exhaust
// the stack). Pure C++; never throws; any thread may call these.
#pragma once
#include "core/cpp_only.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace devicewake::core {

// Empty string when text is well-formed UTF-8 (no overlong forms, surrogates or code points above
// U+10FFFF), otherwise the reason with the byte offset.
std::string ValidateUtf8(std::string_view text);

// Replaces the curly quotes some firmware builds emit (“ ” ‘ ’, UTF-8 encoded) by ASCII quotes,
// following JSON's string structure. The rule:
//  - outside a string, any of the four curly quotes opens a string (written as '"');
//  - a string opened by an ASCII '"' is closed only by an ASCII '"': curly quotes inside it are
//    text and are kept unchanged ({"note":"say “hi”"} keeps its curly quotes);
//  - a string opened by “ or ” is closed by “, ” or an ASCII '"' (sloppy pairs are common);
//    ‘ and ’ inside it are text and kept;
//  - a string opened by ‘ or ’ is closed by ‘ or ’; an ASCII '"' inside it is escaped as \";
//    so an apostrophe written as ’ inside a ‘…’ string ends the string early (the payload then
//    fails JSON parsing and is rejected: such a payload is ambiguous);
//  - a backslash inside any string escapes the next byte, which is copied as is.
// Payloads without curly quotes are returned unchanged. Throws only std::bad_alloc.
std::string ReplaceCurlyQuotes(std::string_view text);

// Empty when the JSON text has at most max_keys object keys at all depths (counted on the raw
// text, before parsing: a message with 300,000 keys is refused without building them), else why
// not. Never throws.
std::string CheckJsonKeys(std::string_view s, std::size_t max_keys);

// Empty string when the JSON text nests arrays/objects at most max_depth deep (strings are
// skipped, so brackets inside strings do not count), otherwise the reason.
std::string CheckJsonDepth(std::string_view json_text, int max_depth);

// A JSON object's text with one long string value cut out, so that the rest parses quickly (a
// chunk's base64 payload is 95 % of its message, and a JSON parser reads a string byte by byte).
struct CutString {
  bool found = false;
  std::string rest;        // text with the value replaced by "" (when found)
  std::string_view value;  // the value's characters, a view into text (when found)
};

// Cuts the string value of the top-level key `key` out of text. found only when each of these
// holds, so that parsing rest and then setting key to value gives what parsing text gives:
//  - text has no backslash and no byte outside printable ASCII, space, tab, CR and LF (no escape,
//    no curly quote, nothing ValidateUtf8 or ReplaceCurlyQuotes would look at);
//  - text is one object whose top-level members the scan walks from '{' to '}';
//  - key is a top-level key exactly once, its value a string of at least min_length characters,
//    none of them a control character.
// Otherwise found is false and the caller parses text as it is. Throws only std::bad_alloc.
CutString CutTopLevelString(std::string_view text, std::string_view key, std::size_t min_length);

}  // namespace devicewake::core
